//! Early signs of deterioration: an "unusual trend" advisory from the
//! patient's own baseline.
//!
//! Sepsis, bleeding and respiratory failure often show first as slow drifts
//! that stay inside every alarm limit. [`BedDrift`] keeps each parameter's
//! per-minute means for the last seven hours and, every minute, compares the
//! recent level (the median of the last 10 minutes; of the last hour's
//! readings for NIBP and temperature) with the patient's own baselines: the
//! median and median absolute deviation (MAD) of the minutes from four hours
//! ago up to half an hour ago, and of the four hours before the last two (so
//! a drift slower than the near window is not absorbed into it). Of the two,
//! the one the patient looks worse against counts. A parameter *drives* the
//! advisory when it has moved the way that means deterioration (HR, RR and
//! temperature up; SpO2 and systolic pressure down) by at least three of its
//! own deviations *and* by a clinically meaningful amount
//! ([`Param::min_change`]). The advisory is raised when two or more
//! parameters drive it, or one drives it strongly, for five minutes in a row,
//! and ends after fifteen minutes without (minutes with no data included).
//! While it is raised the baseline it was judged against is held, so a
//! continuing drift is not absorbed into "normal".
//!
//! It is a low-priority advisory: it never sounds and never replaces an
//! alarm. It is judged on sample time only, so a replay gives the same
//! advisories, and a tablet that opens late judges every minute again from
//! the history it fetches ([`BedDrift::rejudge`]), so it derives what a
//! tablet open all along derived from the same minutes. Nothing is judged
//! before [`WARM_UP_MIN`] minutes of data.
//!
//! A learned detector ([`Model`]; the trained one is [`learned`], behind the
//! `learned` feature) can add to the rules: a minute the rules find ordinary
//! is unusual when the network's probability reaches its threshold and two
//! or more parameters have moved at least two deviations and half a
//! meaningful change. It never makes a minute ordinary. An advisory it raised
//! says so ([`Advisory::by_model`]) and is marked confirmed when the rules
//! catch up, so a dismissal of the early advisory does not hide the later
//! finding.

use crate::{SampleTime, VitalKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod assess;
mod explain;
mod features;
pub mod inject;
#[cfg(feature = "learned")]
pub mod learned;
mod model;
#[cfg(test)]
mod model_tests;
mod param;
mod series;
#[cfg(test)]
mod tests;

use features::MoveHistory;
pub use features::{Features, LAGS_MIN, N_FEATURES, PER_PARAM};
pub use model::{Model, COMBINED_DRIFT, SOFT_CHANGE, SOFT_Z};
use param::plausible;
pub use param::Param;
use series::Series;

pub(crate) const MIN_MS: i64 = 60_000;
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
/// One parameter at one minute: its recent level against the baseline it
/// is judged on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Level {
    pub kind: VitalKind,
    pub baseline: f64,
    pub scale: f64,
    pub recent: f64,
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
    /// When the move began: the first minute after the last one still near
    /// the baseline (within 30 % of the move).
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
    /// The learned detector's probability, when one judges the bed.
    #[serde(default)]
    pub learned: Option<f64>,
    /// Unusual because of the learned detector (the baseline rules alone
    /// would not have said so); its drivers are then the parameters that
    /// passed the model's gate ([`Model::soft_z`], [`Model::soft_change`]).
    #[serde(default)]
    pub by_model: bool,
}

/// An "unusual trend" advisory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    /// The first minute of the run that raised it.
    pub onset: SampleTime,
    /// When it was raised.
    pub raised: SampleTime,
    /// The newest unusual assessment (the reason shown).
    pub assessment: Assessment,
    /// The parameters that drove it when it was raised.
    pub raised_by: Vec<Param>,
    /// Its highest score.
    pub peak: f64,
    pub ended: Option<SampleTime>,
    /// Raised by the learned detector before the rules would have.
    #[serde(default)]
    pub by_model: bool,
    /// When the rules first judged a minute of it unusual themselves, if
    /// the learned detector raised it: what a dismissal of the early
    /// advisory must not hide.
    #[serde(default)]
    pub confirmed: Option<SampleTime>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriftChange {
    /// An advisory with this onset was raised.
    Raised(SampleTime),
    /// The learned detector's advisory with this onset is now unusual by
    /// the rules too.
    Confirmed(SampleTime),
    Ended(SampleTime),
}

/// Consecutive unusual minutes.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Run {
    first: i64,
    minutes: u32,
    /// Some minute of it was unusual only by the learned detector.
    by_model: bool,
    /// The first minute of it unusual by the rules.
    rules_from: Option<i64>,
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
    run: Option<Run>,
    /// Consecutive ordinary minutes while raised.
    quiet: u32,
    active: Option<Advisory>,
    /// The baselines the raised advisory is judged against.
    held: BTreeMap<Param, (f64, f64)>,
    log: Vec<Advisory>,
    changes: Vec<DriftChange>,
    /// The last half hour's moves, for the learned detector.
    moves: MoveHistory,
    model: Option<Model>,
    /// Every judged minute's features and baseline verdict, when asked for
    /// (to train the learned detector).
    recorded: Option<Vec<(SampleTime, Features, bool)>>,
}

impl BedDrift {
    /// A bed judged by the baseline rules and the combined-drift rule: with
    /// the trained learned detector behind it when this build carries one
    /// (the `learned` feature), else the rule alone ([`COMBINED_DRIFT`]).
    pub fn new() -> Self {
        #[cfg(feature = "learned")]
        return Self::with_model(learned::model().or(Some(COMBINED_DRIFT)));
        #[cfg(not(feature = "learned"))]
        Self::with_model(Some(COMBINED_DRIFT))
    }

    /// A bed judged by the baseline rules alone.
    pub fn baseline_only() -> Self {
        Self::default()
    }

    /// A bed judged by the baseline rules and `model`: a minute is unusual
    /// when the rules say so, or when the model's probability reaches its
    /// threshold and two or more parameters have moved enough to say why
    /// (the model's gate).
    pub fn with_model(model: Option<Model>) -> Self {
        Self { model, ..Self::default() }
    }

    /// Keeps every judged minute's features and baseline verdict from now on.
    pub fn record_features(&mut self) {
        self.recorded = Some(Vec::new());
    }

    /// The minutes judged since the last call: (minute start, features,
    /// unusual by the rules used).
    pub fn take_features(&mut self) -> Vec<(SampleTime, Features, bool)> {
        self.recorded.as_mut().map(std::mem::take).unwrap_or_default()
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

    /// Judges every minute held again, from scratch, after history has
    /// filled in what the live data alone could not judge (the live link is
    /// usually faster than the history request): the advisories are then what
    /// a tablet that had been open all along would have derived from the same
    /// minutes, so tablets opened at different times agree.
    pub fn rejudge(&mut self) {
        let Some(m) = self.minute else { return };
        let Some(first) = self.series.values().filter_map(Series::first_minute).min() else { return };
        self.run = None;
        self.quiet = 0;
        self.active = None;
        self.held.clear();
        self.log.clear();
        self.latest = None;
        self.changes.clear();
        self.moves.clear();
        if let Some(r) = &mut self.recorded {
            r.clear();
        }
        for t in first + 1..=m {
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
        // The first minute judged: everything held so far (history that
        // arrived before the live data) is judged, as rejudge() does.
        let Some(last) = self.last_judged else {
            self.rejudge();
            return;
        };
        let next = last + 1;
        let from = next.max(m - CATCH_UP_MIN);
        // Minutes of a long gap not judged one by one still break a run and
        // count towards ending an advisory.
        if from > next {
            self.run = None;
            if self.active.is_some() {
                self.quiet += u32::try_from(from - next).unwrap_or(u32::MAX);
                if self.quiet >= END_AFTER_MIN {
                    self.end(from - 1);
                }
            }
        }
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
}
