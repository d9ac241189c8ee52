//! How one minute is judged: each parameter's level against its baseline,
//! the parameters that drive an advisory, and the baseline rules' verdict.

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
}
