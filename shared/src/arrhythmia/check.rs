//! The check of an arrhythmia alarm against every waveform of the bed: keep
//! it (true) or suppress it (false), with the reason in words.
//!
//! The evidence is gathered once (channel summaries over the 16 s and the 8 s
//! before the alarm); the decision applies thresholds to it, so tuning the
//! thresholds (cross-validation) does not rerun the signal processing.
//!
//! The rules, per alarm type (a channel is *trusted* when it is not flat, its
//! beats agree in shape and its rhythm is physiological):
//! - Asystole: suppressed when a trusted channel (ECG lead or pulse) shows beats
//!   throughout the last 16 s with no pause as long as `asystole_gap_s`.
//! - Extreme bradycardia: suppressed when every trusted channel's slowest
//!   5 beats are at or above `brady_rate`; kept when no channel is trusted.
//! - Extreme tachycardia: suppressed only when a trusted pulse channel's
//!   fastest 17 beats stay below `tachy_rate` and no trusted ECG lead shows
//!   them above 140/min.
//! - Ventricular tachycardia: suppressed when every ECG lead is flat while a
//!   pulse is present, or a trusted pulse channel over the last 8 s is regular
//!   (interval variation < `vt_rr_cv`), steady in height (< `vt_size_cv`) and
//!   slower than `vt_rate`.
//! - Ventricular flutter/fibrillation: suppressed when a trusted channel shows
//!   regular beats (pause < `vf_gap_s`) over the last 8 s.
//!
//! Anything not clearly refuted is kept: suppressing a true alarm costs a
//! patient far more than a false one costs a nurse.

use super::monitor::{ChannelKind, RhythmMonitor};
use super::summary::{summarise, Summary};
use super::ArrhythmiaKind;
use serde::{Deserialize, Serialize};

/// The tunable thresholds of the check.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CheckParams {
    /// Minimum beat-shape agreement (0-1) for a channel to be trusted.
    pub template: f64,
    pub asystole_gap_s: f64,
    pub brady_rate: f64,
    pub tachy_rate: f64,
    pub vt_rr_cv: f64,
    pub vt_size_cv: f64,
    pub vt_rate: f64,
    pub vf_gap_s: f64,
}

impl Default for CheckParams {
    fn default() -> CheckParams {
        CheckParams {
            template: 0.7,
            asystole_gap_s: 3.5,
            brady_rate: 46.0,
            tachy_rate: 100.0,
            vt_rr_cv: 0.15,
            vt_size_cv: 0.3,
            vt_rate: 120.0,
            vf_gap_s: 2.0,
        }
    }
}

/// What the channels showed before an alarm.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub alarm: ArrhythmiaKind,
    /// Time of the alarm (s, the monitor's clock).
    pub at: f64,
    /// Every channel over the 16 s before the alarm.
    pub long: Vec<Summary>,
    /// Every channel over the 8 s before the alarm.
    pub short: Vec<Summary>,
}

/// Long and short windows before the alarm (s).
pub const LONG_S: f64 = 16.0;
pub const SHORT_S: f64 = 8.0;

impl Evidence {
    /// Gathers the evidence for `alarm` raised at time `at` from the monitor.
    pub fn gather(monitor: &RhythmMonitor, alarm: ArrhythmiaKind, at: f64) -> Evidence {
        let long = monitor.channels.iter().map(|c| summarise(c, at - LONG_S, at)).collect();
        let short = monitor.channels.iter().map(|c| summarise(c, at - SHORT_S, at)).collect();
        Evidence { alarm, at, long, short }
    }
}

/// The verdict on one alarm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub alarm: ArrhythmiaKind,
    /// True: the alarm stands (sounds); false: suppressed as false.
    pub keep: bool,
    /// Why, in words a nurse reads at a glance.
    pub reason: String,
}

fn trusted(s: &Summary, p: &CheckParams) -> bool {
    s.flat < 0.2 && s.beats.len() >= 3 && s.template >= p.template && s.rr_cv < 0.4
}

fn per_min(r: Option<f64>) -> String {
    r.map_or_else(|| "-".into(), |r| format!("{:.0}/min", r))
}

fn channel(s: &Summary) -> String {
    match s.kind {
        ChannelKind::Ecg => format!("ECG {}", s.name),
        k => k.label().to_string(),
    }
}

fn ecg_state(e: &[Summary]) -> &'static str {
    let ecg: Vec<&Summary> = e.iter().filter(|s| s.kind == ChannelKind::Ecg).collect();
    if ecg.is_empty() {
        "no ECG"
    } else if ecg.iter().all(|s| s.flat > 0.8) {
        "ECG flat"
    } else {
        "no clear QRS on the ECG"
    }
}

/// Decides `evidence` with thresholds `p`.
pub fn decide(ev: &Evidence, p: &CheckParams) -> Decision {
    let keep = |reason: String| Decision { alarm: ev.alarm, keep: true, reason };
    let suppress = |reason: String| Decision { alarm: ev.alarm, keep: false, reason };
    match ev.alarm {
        ArrhythmiaKind::Asystole => {
            let beating = ev
                .long
                .iter()
                .filter(|s| s.max_gap < p.asystole_gap_s && s.template >= p.template && s.flat < 0.2)
                .min_by(|a, b| a.max_gap.total_cmp(&b.max_gap));
            match beating {
                Some(s) => suppress(format!(
                    "{} but beats on {} at {}, longest pause {:.1} s",
                    ecg_state(&ev.long),
                    channel(s),
                    per_min(s.rate),
                    s.max_gap
                )),
                None => {
                    // Every channel paused at least this long.
                    let pause = ev.long.iter().map(|s| s.max_gap).fold(f64::INFINITY, f64::min);
                    match ev
                        .long
                        .iter()
                        .filter(|s| s.max_gap < p.asystole_gap_s)
                        .min_by(|a, b| a.max_gap.total_cmp(&b.max_gap))
                    {
                        Some(s) => keep(format!(
                            "beats on {} are not trustworthy (shapes disagree or signal flat)",
                            channel(s)
                        )),
                        None if pause.is_finite() => keep(format!("every channel paused at least {pause:.1} s")),
                        None => keep("no waveform to refute it".into()),
                    }
                }
            }
        }
        ArrhythmiaKind::ExtremeBradycardia => {
            let good: Vec<&Summary> = ev.long.iter().filter(|s| trusted(s, p) && s.min_rate5.is_some()).collect();
            if let Some(slow) = good
                .iter()
                .filter(|s| s.min_rate5.unwrap_or(0.0) < p.brady_rate)
                .min_by(|a, b| a.min_rate5.unwrap_or(0.0).total_cmp(&b.min_rate5.unwrap_or(0.0)))
            {
                keep(format!("{} at {} over 5 beats", channel(slow), per_min(slow.min_rate5)))
            } else if let Some(best) = good.iter().max_by(|a, b| a.template.total_cmp(&b.template)) {
                suppress(format!("{} never slower than {} over 5 beats", channel(best), per_min(best.min_rate5)))
            } else {
                keep("no channel clean enough to refute it".into())
            }
        }
        ArrhythmiaKind::ExtremeTachycardia => {
            let fast_ecg = ev
                .long
                .iter()
                .any(|s| s.kind == ChannelKind::Ecg && trusted(s, p) && s.max_rate17.is_some_and(|r| r > 140.0));
            let calm = ev
                .long
                .iter()
                .filter(|s| s.kind.is_pulse() && trusted(s, p) && s.max_rate17.is_some_and(|r| r < p.tachy_rate))
                .max_by(|a, b| a.template.total_cmp(&b.template));
            match calm {
                Some(s) if !fast_ecg => {
                    suppress(format!("{} but {} steady at {}", ecg_state(&ev.long), channel(s), per_min(s.rate)))
                }
                _ => {
                    let r =
                        ev.long.iter().filter(|s| trusted(s, p)).filter_map(|s| s.max_rate17).fold(f64::NAN, f64::max);
                    keep(if r.is_finite() {
                        format!("fastest 17 beats at {r:.0}/min")
                    } else {
                        "no channel clean enough to refute it".into()
                    })
                }
            }
        }
        ArrhythmiaKind::VentricularTachycardia => {
            let ecg_flat = ev.short.iter().filter(|s| s.kind == ChannelKind::Ecg).all(|s| s.flat > 0.8);
            let pulse = ev
                .short
                .iter()
                .filter(|s| s.kind.is_pulse() && s.template >= p.template && s.flat < 0.2 && s.beats.len() >= 3)
                .max_by(|a, b| a.template.total_cmp(&b.template));
            if let (true, Some(s)) = (ecg_flat, pulse) {
                return suppress(format!("ECG flat but pulse on {} at {}", channel(s), per_min(s.rate)));
            }
            let steady = ev
                .short
                .iter()
                .filter(|s| {
                    s.kind.is_pulse()
                        && s.template >= p.template
                        && s.flat < 0.1
                        && s.beats.len() >= 3
                        && s.rr_cv < p.vt_rr_cv
                        && s.size_cv < p.vt_size_cv
                        && s.max_rate5.is_some_and(|r| r < p.vt_rate)
                })
                .max_by(|a, b| a.template.total_cmp(&b.template));
            match steady {
                Some(s) => suppress(format!(
                    "regular, steady pulse on {} at {} through the last 8 s",
                    channel(s),
                    per_min(s.rate)
                )),
                None => keep("no steady pulse to refute it".into()),
            }
        }
        ArrhythmiaKind::VentricularFlutterFib => {
            let organised = ev
                .short
                .iter()
                .filter(|s| s.max_gap < p.vf_gap_s && s.template >= p.template && s.flat < 0.2 && s.rr_cv < 0.3)
                .max_by(|a, b| a.template.total_cmp(&b.template));
            match organised {
                Some(s) => suppress(format!("organised beats on {} at {}", channel(s), per_min(s.rate))),
                None => keep("no organised rhythm on any channel".into()),
            }
        }
    }
}

/// Gathers the evidence and decides with the default thresholds.
pub fn check(monitor: &RhythmMonitor, alarm: ArrhythmiaKind, at: f64) -> Decision {
    decide(&Evidence::gather(monitor, alarm, at), &CheckParams::default())
}
