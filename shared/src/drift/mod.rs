//! Early signs of deterioration: an "unusual trend" advisory from the
//! patient's own baseline.
//!
//! Sepsis, bleeding and respiratory failure often show first as slow drifts
//! that stay inside every alarm limit. [`BedDrift`] keeps each parameter's
//! per-minute means for the last hours and, every minute, compares the last
//! 10 minutes with the patient's own baseline: the median and the median
//! absolute deviation (MAD) of the minutes from four hours ago up to half an
//! hour ago. A parameter *drives* the advisory when it has moved the way
//! that means deterioration (HR, RR and temperature up; SpO2 and systolic
//! pressure down) by at least three of its own deviations *and* by a
//! clinically meaningful amount ([`Param::min_change`]). The advisory is
//! raised when two or more parameters drive it, or one drives it strongly,
//! for five minutes in a row, and ends after fifteen minutes without.
//! While it is raised the baseline it was judged against is held, so a
//! continuing drift is not absorbed into "normal".
//!
//! It is a low-priority advisory: it never sounds and never replaces an
//! alarm. It is judged on sample time only, so a replay gives the same
//! advisories. Nothing is judged before [`WARM_UP_MIN`] minutes of data.

use crate::{SampleTime, VitalKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub mod inject;
mod series;
#[cfg(test)]
mod tests;

use series::{mad, median, Series};

const MIN_MS: i64 = 60_000;
/// The recent level: the median of the last this many minutes.
pub const RECENT_MIN: i64 = 10;
/// The baselines, (from, to) minutes ago: the last four hours up to half an
/// hour ago, and the four hours before the last two (a drift slower than
/// the near baseline's window would otherwise be absorbed into it).
const BASELINES: [(i64, i64); 2] = [(BASELINE_FROM_MIN, BASELINE_TO_MIN), (360, 120)];
const INTERMITTENT_BASELINES: [(i64, i64); 2] = [(BASELINE_FROM_MIN, INTERMITTENT_RECENT_MIN), (360, 150)];
/// The near baseline: minutes from this long ago ...
pub const BASELINE_FROM_MIN: i64 = 240;
/// ... up to this long ago (so the drift itself is not the baseline).
pub const BASELINE_TO_MIN: i64 = 30;
/// Fewest baseline minutes of a continuous parameter.
const BASELINE_MIN_POINTS: usize = 20;
/// Fewest recent minutes of a continuous parameter.
const RECENT_MIN_POINTS: usize = 5;
/// Data needed before anything is judged.
pub const WARM_UP_MIN: i64 = BASELINE_TO_MIN + BASELINE_MIN_POINTS as i64;
/// Intermittent readings (NIBP, temperature): the recent level is the median
/// of the last hour's readings, the baseline needs three readings before it.
const INTERMITTENT_RECENT_MIN: i64 = 60;
const INTERMITTENT_BASELINE_POINTS: usize = 3;
/// A driver has moved by at least this many of its own deviations.
const DRIVER_Z: f64 = 3.0;
/// One parameter alone raises the advisory at this many deviations and
/// twice its clinically meaningful change.
const SINGLE_Z: f64 = 6.0;
/// Two drivers raise it when their deviations add up to this.
const COMBINED_SCORE: f64 = 7.0;
/// No single parameter adds more than this to the score.
const Z_CAP: f64 = 10.0;
const RAISE_AFTER_MIN: u32 = 5;
const END_AFTER_MIN: u32 = 15;
/// Minutes kept: the baseline window and a little more.
const KEEP_MIN: i64 = 420;
/// Most minutes judged at once when data arrives after a gap.
const CATCH_UP_MIN: i64 = 30;
/// Ended advisories kept for the bed's history.
const LOG_LEN: usize = 50;

/// A parameter the advisory watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Param {
    /// Heart rate (the ECG's, or the pulse rate without an ECG).
    Hr,
    Rr,
    Spo2,
    /// Systolic pressure (arterial line, or NIBP without one).
    Sys,
    Temp,
}

impl Param {
    pub const ALL: [Param; 5] = [Param::Hr, Param::Rr, Param::Spo2, Param::Sys, Param::Temp];

    /// +1 when a rise means deterioration, -1 when a fall does.
    pub fn worse(self) -> f64 {
        match self {
            Param::Hr | Param::Rr | Param::Temp => 1.0,
            Param::Spo2 | Param::Sys => -1.0,
        }
    }

    /// The smallest change a clinician would call a change.
    pub fn min_change(self) -> f64 {
        match self {
            Param::Hr => 10.0,
            Param::Rr => 3.0,
            Param::Spo2 => 3.0,
            Param::Sys => 15.0,
            Param::Temp => 0.8,
        }
    }

    /// The deviation below which a very steady patient is not assumed to be
    /// steadier (measurement resolution and normal variability).
    fn min_scale(self) -> f64 {
        match self {
            Param::Hr => 3.0,
            Param::Rr => 1.5,
            Param::Spo2 => 1.0,
            Param::Sys => 8.0,
            Param::Temp => 0.2,
        }
    }

    /// The sources, preferred first, and whether they are intermittent.
    fn sources(self) -> &'static [(VitalKind, bool)] {
        match self {
            Param::Hr => &[(VitalKind::Hr, false), (VitalKind::Pulse, false)],
            Param::Rr => &[(VitalKind::Rr, false)],
            Param::Spo2 => &[(VitalKind::Spo2, false)],
            Param::Sys => &[(VitalKind::ArtSys, false), (VitalKind::NibpSys, true)],
            Param::Temp => &[(VitalKind::Temp, true)],
        }
    }

    /// The watched parameter `kind` feeds, if any.
    pub fn of(kind: VitalKind) -> Option<Param> {
        Param::ALL.into_iter().find(|p| p.sources().iter().any(|(k, _)| *k == kind))
    }
}

/// Values that are not a reading of a living, monitored patient (a probe
/// reading 0, a counter's spike): ignored by the trend, whatever the alarms
/// make of them.
fn plausible(kind: VitalKind, v: f64) -> bool {
    let (lo, hi) = match kind {
        VitalKind::Hr | VitalKind::Pulse => (25.0, 250.0),
        VitalKind::Rr => (3.0, 70.0),
        VitalKind::Spo2 => (50.0, 100.0),
        VitalKind::ArtSys | VitalKind::NibpSys => (40.0, 260.0),
        VitalKind::Temp => (30.0, 43.0),
        _ => return false,
    };
    v.is_finite() && (lo..=hi).contains(&v)
}

/// One parameter that has drifted the way that means deterioration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Driver {
    pub param: Param,
    /// Where the values came from (HR or pulse rate, ART or NIBP).
    pub kind: VitalKind,
    /// The patient's baseline (median) and its deviation (scaled MAD).
    pub baseline: f64,
    pub scale: f64,
    /// The recent level (median of the last minutes).
    pub recent: f64,
    /// `recent - baseline`, signed.
    pub delta: f64,
    /// How many deviations it moved the worse way.
    pub z: f64,
    /// When the move began: the last minute still near the baseline.
    pub since: SampleTime,
}

/// A bed judged at one minute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// The end of the minutes judged.
    pub t: SampleTime,
    /// The sum of the drivers' deviations (each at most 10).
    pub score: f64,
    /// Whether this minute counts towards an advisory.
    pub unusual: bool,
    /// Strongest first.
    pub drivers: Vec<Driver>,
    /// "HR +22/min, RR +6/min and SpO2 -3 % over 40 min"; empty without drivers.
    pub reason: String,
}

/// An "unusual trend" advisory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    /// The first minute of the run that raised it.
    pub onset: SampleTime,
    /// When it was raised.
    pub raised: SampleTime,
    /// The newest assessment while it lasted.
    pub assessment: Assessment,
    /// Its highest score.
    pub peak: f64,
    pub ended: Option<SampleTime>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriftChange {
    /// An advisory with this onset was raised.
    Raised(SampleTime),
    Ended(SampleTime),
}

/// One bed's trends and advisory.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BedDrift {
    series: BTreeMap<VitalKind, Series>,
    /// The minute collecting live samples.
    minute: Option<i64>,
    last_judged: Option<i64>,
    latest: Option<Assessment>,
    /// Consecutive unusual minutes: (first minute, count).
    run: Option<(i64, u32)>,
    /// Consecutive ordinary minutes while raised.
    quiet: u32,
    active: Option<Advisory>,
    /// The baselines the raised advisory is judged against.
    held: BTreeMap<Param, (f64, f64)>,
    log: Vec<Advisory>,
    changes: Vec<DriftChange>,
}

impl BedDrift {
    pub fn new() -> Self {
        Self::default()
    }

    /// A live reading. A reading of a minute already judged is ignored.
    pub fn on_numeric(&mut self, kind: VitalKind, t: SampleTime, value: f64) {
        if Param::of(kind).is_none() || !plausible(kind, value) {
            return;
        }
        let m = t.div_euclid(MIN_MS);
        match self.minute {
            Some(cur) if m < cur => return,
            Some(cur) if m > cur => self.advance(m),
            None => self.minute = Some(m),
            _ => {}
        }
        self.series.entry(kind).or_default().add(m, value);
    }

    /// A minute mean from the server's history (minute starting at `t`).
    pub fn on_minute(&mut self, kind: VitalKind, t: SampleTime, value: f64) {
        if Param::of(kind).is_none() || !plausible(kind, value) {
            return;
        }
        let m = t.div_euclid(MIN_MS);
        if self.minute.is_some_and(|cur| m >= cur) {
            return;
        }
        self.series.entry(kind).or_default().insert(m, value);
    }

    /// Judges the last half hour again, after history has filled in what
    /// the live data alone could not judge (the live link is usually faster
    /// than the history request). Nothing changes while an advisory is raised.
    pub fn rejudge(&mut self) {
        let Some(m) = self.minute else { return };
        if self.active.is_some() {
            return;
        }
        self.run = None;
        for t in m - CATCH_UP_MIN..=m {
            self.judge(t);
        }
        self.last_judged = Some(m);
    }

    /// The newest judgement, once the patient has a baseline.
    pub fn assessment(&self) -> Option<&Assessment> {
        self.latest.as_ref()
    }

    /// The advisory in force, if any.
    pub fn advisory(&self) -> Option<&Advisory> {
        self.active.as_ref()
    }

    /// Advisories that have ended, oldest first.
    pub fn log(&self) -> &[Advisory] {
        &self.log
    }

    pub fn take_changes(&mut self) -> Vec<DriftChange> {
        std::mem::take(&mut self.changes)
    }

    /// The last `minutes` per-minute means of what `param` is judged on.
    pub fn chart(&self, param: Param, minutes: i64) -> Vec<(SampleTime, f64)> {
        let Some(now) = self.minute else { return vec![] };
        let Some((kind, _)) = self.source(param, now) else { return vec![] };
        self.series[&kind].points(now - minutes, now).map(|(m, v)| (m * MIN_MS, v)).collect()
    }

    /// The live data reached minute `m`: every minute before it is complete.
    fn advance(&mut self, m: i64) {
        for s in self.series.values_mut() {
            s.close_before(m);
            s.prune(m - KEEP_MIN);
        }
        self.minute = Some(m);
        let from = self.last_judged.map_or(m, |l| l + 1).max(m - CATCH_UP_MIN);
        for t in from..=m {
            self.judge(t);
        }
        self.last_judged = Some(m);
    }

    /// The series `param` is judged on at minute `t`: the first source with
    /// recent data.
    fn source(&self, param: Param, t: i64) -> Option<(VitalKind, bool)> {
        param.sources().iter().copied().find(|(kind, intermittent)| {
            let recent = if *intermittent { INTERMITTENT_RECENT_MIN } else { RECENT_MIN };
            let need = if *intermittent { 1 } else { RECENT_MIN_POINTS };
            self.series.get(kind).is_some_and(|s| s.points(t - recent, t).count() >= need)
        })
    }

    /// Judges the minutes before `t` and moves the advisory on.
    fn judge(&mut self, t: i64) {
        let Some(a) = self.assess(t) else { return };
        let unusual = a.unusual;
        if let Some(adv) = &mut self.active {
            adv.peak = adv.peak.max(a.score);
            adv.assessment = a.clone();
            self.quiet = if unusual { 0 } else { self.quiet + 1 };
            if self.quiet >= END_AFTER_MIN {
                let mut done = self.active.take().expect("active");
                done.ended = Some(t * MIN_MS);
                self.changes.push(DriftChange::Ended(done.onset));
                self.log.push(done);
                if self.log.len() > LOG_LEN {
                    self.log.remove(0);
                }
                self.held.clear();
                self.run = None;
            }
        } else if unusual {
            let (first, n) = self.run.map_or((t, 1), |(f, n)| (f, n + 1));
            self.run = Some((first, n));
            if n >= RAISE_AFTER_MIN {
                let onset = first * MIN_MS;
                self.held = a.drivers.iter().map(|d| (d.param, (d.baseline, d.scale))).collect();
                self.active =
                    Some(Advisory { onset, raised: t * MIN_MS, peak: a.score, assessment: a.clone(), ended: None });
                self.quiet = 0;
                self.changes.push(DriftChange::Raised(onset));
            }
        } else {
            self.run = None;
        }
        self.latest = Some(a);
    }

    /// The assessment at minute `t`, or `None` before any parameter has a
    /// baseline and a recent level.
    fn assess(&self, t: i64) -> Option<Assessment> {
        let mut judged = 0;
        let mut drivers = Vec::new();
        for param in Param::ALL {
            let Some((kind, intermittent)) = self.source(param, t) else { continue };
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
            let Some((baseline, scale)) = held.or_else(|| {
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
            }) else {
                continue;
            };
            judged += 1;
            let worse = param.worse() * (recent - baseline);
            let z = worse / scale;
            if z >= DRIVER_Z && worse >= param.min_change() {
                let since = since(s, t, baseline, param.worse(), worse);
                drivers.push(Driver { param, kind, baseline, scale, recent, delta: recent - baseline, z, since });
            }
        }
        if judged == 0 {
            return None;
        }
        drivers.sort_by(|a, b| b.z.total_cmp(&a.z).then(a.param.cmp(&b.param)));
        let score: f64 = drivers.iter().map(|d| d.z.min(Z_CAP)).sum();
        let strong_one =
            drivers.iter().any(|d| d.z >= SINGLE_Z && d.param.worse() * d.delta >= 2.0 * d.param.min_change());
        let unusual = (drivers.len() >= 2 && score >= COMBINED_SCORE) || strong_one;
        let reason = reason(&drivers, t * MIN_MS);
        Some(Assessment { t: t * MIN_MS, score, unusual, drivers, reason })
    }
}

/// When the move began: going back from `t`, the first minute (smoothed over
/// three) back within 30 % of the move from the baseline.
fn since(s: &Series, t: i64, baseline: f64, dir: f64, worse: f64) -> SampleTime {
    let pts: Vec<(i64, f64)> = s.points(t - BASELINE_FROM_MIN, t).collect();
    let mut start = pts.first().map_or(t, |p| p.0);
    for i in (0..pts.len()).rev() {
        let lo = i.saturating_sub(1);
        let hi = (i + 2).min(pts.len());
        let mut w: Vec<f64> = pts[lo..hi].iter().map(|p| p.1).collect();
        if dir * (median(&mut w) - baseline) < 0.3 * worse {
            start = pts[i].0 + 1;
            break;
        }
    }
    start * MIN_MS
}

/// "HR +22/min, RR +6/min and SpO2 -3 % over 40 min".
fn reason(drivers: &[Driver], t: SampleTime) -> String {
    if drivers.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = drivers
        .iter()
        .map(|d| {
            let unit = d.kind.unit();
            let sep = if unit.starts_with('/') { "" } else { " " };
            let v = if d.param == Param::Temp { format!("{:+.1}", d.delta) } else { format!("{:+.0}", d.delta) };
            format!("{} {v}{sep}{unit}", d.kind.label())
        })
        .collect();
    let list = match parts.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => parts.join(""),
    };
    let over = drivers.iter().map(|d| (t - d.since) / MIN_MS).max().unwrap_or(0).max(1);
    format!("{list} over {over} min")
}
