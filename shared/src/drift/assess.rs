//! How one minute is judged: each parameter's level against its baseline,
//! the parameters that drive an advisory, the rules' verdict, the learned
//! detector's, and how the advisory moves on.

use super::explain::{reason, since};
use super::series::{mad, median};
use super::*;

impl BedDrift {
    /// `param` at minute `t`, once it has a baseline and a recent level.
    pub(super) fn level(&self, param: Param, t: i64) -> Option<Level> {
        let (kind, intermittent) = self.source(param, t)?;
        let s = &self.series[&kind];
        let (recent_from, windows, base_points) = if intermittent {
            (t - INTERMITTENT_RECENT_MIN, &INTERMITTENT_BASELINES, INTERMITTENT_BASELINE_POINTS)
        } else {
            (t - RECENT_MIN, &BASELINES, BASELINE_MIN_POINTS)
        };
        let recent = median(&mut s.values(recent_from, t));
        // Of the baselines with data, the one the patient looks worst
        // against: how they were before a slow drift began.
        let held = self.held.get(&param).copied();
        let (baseline, scale) = held.or_else(|| {
            windows
                .iter()
                .filter_map(|&(from, to)| {
                    let mut base = s.values(t - from, t - to);
                    if base.len() < base_points {
                        return None;
                    }
                    let b = median(&mut base);
                    Some((b, mad(&base, b).max(param.min_scale())))
                })
                .max_by(|a, b| {
                    let z = |(b, sc): &(f64, f64)| param.worse() * (recent - b) / sc;
                    z(a).total_cmp(&z(b))
                })
        })?;
        Some(Level { kind, baseline, scale, recent })
    }

    /// The parameters moved the worse way by at least `z_min` deviations
    /// and `changes` clinically meaningful changes, strongest first.
    pub(super) fn drivers(&self, t: i64, levels: &[Option<Level>; 5], z_min: f64, changes: f64) -> Vec<Driver> {
        let mut drivers: Vec<Driver> = Param::ALL
            .into_iter()
            .zip(levels)
            .filter_map(|(param, l)| {
                let Level { kind, baseline, scale, recent } = (*l)?;
                let worse = param.worse() * (recent - baseline);
                let z = worse / scale;
                (z >= z_min && worse >= changes * param.min_change()).then(|| {
                    let since = since(&self.series[&kind], t, baseline, param.worse(), worse);
                    Driver { param, kind, baseline, scale, recent, delta: recent - baseline, z, since }
                })
            })
            .collect();
        drivers.sort_by(|a, b| b.z.total_cmp(&a.z).then(a.param.cmp(&b.param)));
        drivers
    }

    /// The assessment at minute `t`, or `None` before any parameter has a
    /// baseline and a recent level.
    pub(super) fn assess(&self, t: i64, levels: &[Option<Level>; 5]) -> Option<Assessment> {
        if levels.iter().all(Option::is_none) {
            return None;
        }
        let drivers = self.drivers(t, levels, DRIVER_Z, 1.0);
        let strong_one =
            drivers.iter().any(|d| d.z >= SINGLE_Z && d.param.worse() * d.delta >= 2.0 * d.param.min_change());
        let mut a = Self::judged(t, drivers);
        a.unusual = (a.drivers.len() >= 2 && a.score >= COMBINED_SCORE) || strong_one;
        Some(a)
    }

    /// An assessment of minute `t` with these drivers, not (yet) unusual.
    pub(super) fn judged(t: i64, drivers: Vec<Driver>) -> Assessment {
        let score: f64 = drivers.iter().map(|d| d.z.min(Z_CAP)).sum();
        let reason = reason(&drivers, t * MIN_MS);
        Assessment { t: t * MIN_MS, score, unusual: false, drivers, reason, learned: None, by_model: false }
    }

    /// Judges the minutes before `t` and moves the advisory on.
    pub(super) fn judge(&mut self, t: i64) {
        let levels = Param::ALL.map(|p| self.level(p, t));
        self.moves.push(t, &levels);
        let Some(mut a) = self.assess(t, &levels) else {
            // No data to judge: a run is broken, a raised advisory fades.
            self.run = None;
            if self.active.is_some() {
                self.quiet += 1;
                if self.quiet >= END_AFTER_MIN {
                    self.end(t);
                }
            }
            return;
        };
        if self.model.is_some() || self.recorded.is_some() {
            let f = self.moves.features(t);
            if let Some(m) = self.model {
                let p = (m.score)(&f);
                a.learned = Some(f64::from(p));
                if !a.unusual && p >= m.threshold {
                    let soft = self.drivers(t, &levels, m.soft_z, m.soft_change);
                    // The learned detector is for combined drifts: one
                    // parameter alone is the rules' to judge.
                    if soft.len() >= 2 {
                        a = Assessment { unusual: true, by_model: true, learned: a.learned, ..Self::judged(t, soft) };
                    }
                }
            }
            if let Some(r) = &mut self.recorded {
                r.push((t * MIN_MS, f, a.unusual));
            }
        }
        let unusual = a.unusual;
        if let Some(adv) = &mut self.active {
            adv.peak = adv.peak.max(a.score);
            if unusual {
                adv.assessment = a.clone();
                if adv.by_model && adv.confirmed.is_none() && !a.by_model {
                    adv.confirmed = Some(t * MIN_MS);
                    self.changes.push(DriftChange::Confirmed(adv.onset));
                }
            }
            self.quiet = if unusual { 0 } else { self.quiet + 1 };
            if self.quiet >= END_AFTER_MIN {
                self.end(t);
            }
        } else if unusual {
            let mut run = self.run.unwrap_or(Run { first: t, minutes: 0, by_model: false, rules_from: None });
            run.minutes += 1;
            run.by_model |= a.by_model;
            if !a.by_model {
                run.rules_from.get_or_insert(t);
            }
            self.run = Some(run);
            if run.minutes >= RAISE_AFTER_MIN {
                let onset = run.first * MIN_MS;
                // Raised by the learned detector when the rules alone would
                // not have raised it yet: some minute of the run was its.
                let confirmed = if run.by_model { run.rules_from.map(|m| m * MIN_MS) } else { None };
                self.held = a.drivers.iter().map(|d| (d.param, (d.baseline, d.scale))).collect();
                let raised_by = a.drivers.iter().map(|d| d.param).collect();
                self.active = Some(Advisory {
                    onset,
                    raised: t * MIN_MS,
                    peak: a.score,
                    assessment: a.clone(),
                    raised_by,
                    ended: None,
                    by_model: run.by_model,
                    confirmed,
                });
                self.quiet = 0;
                self.changes.push(DriftChange::Raised(onset));
                if confirmed.is_some() {
                    self.changes.push(DriftChange::Confirmed(onset));
                }
            }
        } else {
            self.run = None;
        }
        self.latest = Some(a);
    }

    /// Ends the raised advisory at minute `t`.
    pub(super) fn end(&mut self, t: i64) {
        let Some(mut done) = self.active.take() else { return };
        done.ended = Some(t * MIN_MS);
        self.changes.push(DriftChange::Ended(done.onset));
        self.log.push(done);
        if self.log.len() > LOG_LEN {
            self.log.remove(0);
        }
        self.held.clear();
        self.run = None;
        self.quiet = 0;
    }
}
