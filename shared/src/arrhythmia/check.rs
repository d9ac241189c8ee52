//! The check of an arrhythmia alarm against every waveform of the bed: keep
//! it (true) or suppress it (false), with the reason in words.
//!
//! The evidence is gathered once (channel summaries over the 16 s, 8 s and
//! 4 s before the alarm); the decision applies thresholds to it, so tuning
//! the thresholds (cross-validation) does not rerun the signal processing.
//!
//! The rules, per alarm type (a channel is *trusted* when it is not flat, its
//! beats agree in shape and its rhythm is physiological):
//! - Asystole: suppressed when a trusted channel (ECG lead, or pulse of at
//!   least 40/min) shows beats throughout the last 16 s with no pause as long
//!   as `asystole_gap_s`.
//! - Extreme bradycardia: suppressed when every trusted channel's slowest
//!   5 beats are at or above `brady_rate`, or when two trusted channels or
//!   more, an ECG lead among them, agree (within 15 %) on slowest 5 beats
//!   at or above `brady_agreed_rate`; kept when no channel is trusted.
//! - Extreme tachycardia, suppressed when:
//!   - a trusted ECG lead watched all 16 s (no flat second, no pause of
//!     1.5 s), no lead's and no trusted pulse's fastest 17 beats reach
//!     `tachy_def_rate` (the alarm's own definition, with a margin under its
//!     140/min), and no lead shows complexes midway between its beats (a
//!     rhythm read at half its rate);
//!   - a trusted pulse channel's fastest 17 beats stay below `tachy_rate`
//!     and no trusted ECG lead shows them above 140/min.
//! - Ventricular tachycardia, suppressed when:
//!   - every ECG lead is flat while a pulse is present;
//!   - no lead shows 5 beats faster than `vt_def_rate` in the last 16 s and
//!     some lead worked throughout them, with no pause over two intervals
//!     and a known usual beat with none over 2.5 s (on the only lead, over
//!     1.5 usual intervals) that could hold a run it missed (the alarm's
//!     own definition);
//!   - a clean lead's complexes are alike and regular over the 16 s, and
//!     narrow (median beat under `vt_narrow`) over the 16 s and the last 4 s:
//!     a supraventricular rhythm;
//!   - on two leads or more, and on every one, the usual beat of the 14 s
//!     before carries on through the 16 s, never with 3 other complexes in
//!     a row nor a pause in it over 2.5 s or 3 usual intervals nor 5 usual
//!     beats past VT's rate (a narrow one may quicken by 1.15), and that
//!     usual beat is slower than VT or narrow (not itself a ventricular
//!     rhythm; see [`super::dominant`]);
//!   - on one clean lead, the usual beat carries on through the 16 s as
//!     nothing but itself: 80 % of the lead's complexes, never 2 others in a
//!     row, no pause over 2.5 usual intervals, no silence that could hold a
//!     missed run, and not itself fast unless narrow;
//!   - a trusted pulse is regular (interval variation < `vt_rr_cv`) and
//!     steady in height (< `vt_size_cv`) over 8 s, still at its rate in the
//!     last 4 s, unless a lead whose complexes the pulse follows shows them
//!     wide (`vt_wide`), or of a width that cannot be measured, at the alarm:
//!     VT can have a pulse. From `vt_rate` on, the pulse refutes VT only when
//!     every complex it follows is measured narrow (`vt_narrow`). Under 0.95
//!     `vt_def_rate`, with every lead it follows at its own rate (none at
//!     twice it), it refutes VT however wide the complexes: VT is faster.
//! - Ventricular flutter/fibrillation: suppressed when on some lead the usual
//!   QRS complex of the 14 s before (not fibrillation, flutter or a
//!   compression wave) carries on through the 16 s, never 2 s apart (see
//!   [`super::dominant`]); or when a trusted channel shows
//!   regular beats of at least 40/min (pause < `vf_gap_s`) over the last
//!   8 s: an ECG lead slower than flutter (150/min), or a pulse, which at
//!   a chest-compression rate needs QRS complexes at its rate on some lead
//!   (alone it may be CPR).
//!
//! Anything not clearly refuted is kept: suppressing a true alarm costs a
//! patient far more than a false one costs a nurse.

use super::dominant::{carrying_on, usual_qrs_throughout, Dominant, FLUTTER_RATE, VF_USUAL_GAP_S};
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
    /// The rate (slowest 5 beats) at or above which trusted channels that
    /// agree, an ECG lead among them, refute extreme bradycardia: a
    /// measurement a second channel confirms needs less margin over the
    /// alarm's 40/min than a lone channel's `brady_rate`.
    pub brady_agreed_rate: f64,
    pub brady_rate: f64,
    pub tachy_rate: f64,
    /// The rate under which the fastest 17 beats of every ECG lead refute
    /// extreme tachycardia (its definition is over 140/min).
    pub tachy_def_rate: f64,
    pub vt_rr_cv: f64,
    pub vt_size_cv: f64,
    /// The pulse rate (5 beats) from which a steady pulse refutes VT only
    /// when the complexes it follows are measured narrow (`vt_narrow`).
    pub vt_rate: f64,
    /// The rate VT's 5 beats exceed.
    pub vt_def_rate: f64,
    /// Median-beat QRS width (s) under which complexes count as narrow: at
    /// most the ventricular width of `detect::VENTRICULAR_WIDTH_S`.
    pub vt_narrow: f64,
    /// Median complex width (s) from which a rhythm counts as wide.
    pub vt_wide: f64,
    pub vf_gap_s: f64,
}

impl Default for CheckParams {
    fn default() -> CheckParams {
        CheckParams {
            template: 0.7,
            asystole_gap_s: 3.5,
            brady_agreed_rate: 44.0,
            brady_rate: 46.0,
            tachy_rate: 100.0,
            tachy_def_rate: 110.0,
            vt_rr_cv: 0.15,
            vt_size_cv: 0.3,
            vt_rate: 120.0,
            vt_def_rate: 100.0,
            vt_narrow: 0.08,
            vt_wide: 0.09,
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
    /// Every channel over the 4 s before the alarm: where the run that set
    /// the alarm off is when the alarm came promptly (not checked: a late
    /// alarm's 4 s may show the return to the usual rhythm).
    pub recent: Vec<Summary>,
    /// Every channel: the ECG lead's usual beat before the 16 s and how it
    /// carried on through them (`None` for pulse channels).
    pub usual: Vec<Option<Dominant>>,
}

/// Pulse rates (/min) that chest compressions can produce (guidelines ask
/// for 100-120; in practice 90-140).
pub const COMPRESSION_RATES: std::ops::RangeInclusive<f64> = 90.0..=140.0;

/// Kurtosis of an ECG lead's filtered signal from which its beats are QRS
/// spikes rather than a smooth wave (fibrillation, compressions: about 1.5-3).
pub const MIN_QRS_KURTOSIS: f64 = 3.0;

/// Pulse rate (/min) under which a pulse does not refute a lethal rhythm:
/// extreme bradycardia's threshold.
pub const MIN_PERFUSING_RATE: f64 = 40.0;

/// Long, short and recent windows before the alarm (s).
pub const LONG_S: f64 = 16.0;
pub const SHORT_S: f64 = 8.0;
pub const RECENT_S: f64 = 4.0;

impl Evidence {
    /// Gathers the evidence for `alarm` raised at time `at` from the monitor.
    pub fn gather(monitor: &RhythmMonitor, alarm: ArrhythmiaKind, at: f64) -> Evidence {
        let window = |s: f64| monitor.channels.iter().map(|c| summarise(c, at - s, at).measure_width(c)).collect();
        let (long, short, recent) = (window(LONG_S), window(SHORT_S), window(RECENT_S));
        let usual = monitor.channels.iter().map(|c| carrying_on(c, at)).collect();
        Evidence { alarm, at, long, short, recent, usual }
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

pub(super) fn trusted(s: &Summary, p: &CheckParams) -> bool {
    s.live() && s.beats.len() >= 3 && s.template >= p.template && s.rr_cv < 0.4
}

pub(super) fn per_min(r: Option<f64>) -> String {
    r.map_or_else(|| "-".into(), |r| format!("{:.0}/min", r))
}

pub(super) fn channel(s: &Summary) -> String {
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

/// How much the signal midway between two detected beats may look like a
/// QRS complex ([`Summary::hidden`]) before the lead may be reading the rhythm
/// at half its rate. Real leads of the 550 Challenge records read at most
/// 0.42 outside fibrillation; electrical alternans at 180/min read as 90/min
/// reads 0.93.
pub const HIDDEN_MAX: f64 = 0.5;

/// Some ECG lead shows complexes midway between the beats it detected, over
/// the 16 s, the 8 s or the last 4 s before the alarm (a run read at half its
/// rate may have begun only seconds before it), or one with beats enough has
/// no measure of it.
pub(super) fn half_rate(ev: &Evidence) -> bool {
    [&ev.long, &ev.short, &ev.recent]
        .into_iter()
        .flatten()
        .filter(|s| s.kind == ChannelKind::Ecg && s.beats.len() >= 3)
        .any(|s| s.hidden.is_none_or(|h| h >= HIDDEN_MAX))
}

/// How far apart (ratio) the slowest 5 beats of the trusted channels may be
/// for them to count as measuring the same rhythm.
pub const BRADY_AGREEMENT: f64 = 1.15;

/// The slowest 5-beat rate of the trusted channels `good`, when there are two
/// or more, an ECG lead among them, and they agree within
/// [`BRADY_AGREEMENT`]: a measurement confirmed by a second channel.
fn agreed_slowest(good: &[&Summary]) -> Option<f64> {
    let rates: Vec<f64> = good.iter().filter_map(|s| s.min_rate5).collect();
    let (lo, hi) = rates.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &r| (lo.min(r), hi.max(r)));
    let with_a_lead = good.iter().any(|s| s.kind == ChannelKind::Ecg);
    (rates.len() >= 2 && with_a_lead && hi <= BRADY_AGREEMENT * lo).then_some(lo)
}

/// Decides `evidence` with thresholds `p`: the rules, then the embedded
/// learned second look at the V-tach alarms they keep ([`super::vt_net`]).
pub fn decide(ev: &Evidence, p: &CheckParams) -> Decision {
    decide_with(ev, p, super::vt_net::embedded())
}

/// Decides with the rules and, if given, `net`'s second look.
pub fn decide_with(ev: &Evidence, p: &CheckParams, net: Option<&super::vt_net::VtNet>) -> Decision {
    let rules = decide_rules(ev, p);
    match net {
        Some(net) => super::vt_net::second_look(ev, p, rules, net),
        None => rules,
    }
}

/// Decides `evidence` with the hand-built rules and thresholds `p` alone.
pub fn decide_rules(ev: &Evidence, p: &CheckParams) -> Decision {
    let keep = |reason: String| Decision { alarm: ev.alarm, keep: true, reason };
    let suppress = |reason: String| Decision { alarm: ev.alarm, keep: false, reason };
    match ev.alarm {
        ArrhythmiaKind::Asystole => {
            let beating = ev
                .long
                .iter()
                .filter(|s| s.max_gap < p.asystole_gap_s && s.template >= p.template && s.live())
                .filter(|s| s.kind == ChannelKind::Ecg || s.rate.is_some_and(|r| r >= MIN_PERFUSING_RATE))
                .min_by(|a, b| a.max_gap.total_cmp(&b.max_gap));
            match beating {
                Some(s) if s.kind == ChannelKind::Ecg => suppress(format!(
                    "QRS complexes on {} at {}, longest pause {:.1} s",
                    channel(s),
                    per_min(s.rate),
                    s.max_gap
                )),
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
            if let Some(slowest) = agreed_slowest(&good).filter(|&r| r >= p.brady_agreed_rate) {
                let names: Vec<String> = good.iter().map(|s| channel(s)).collect();
                let (last, rest) = names.split_last().expect("two channels or more");
                return suppress(format!(
                    "{} and {last} agree: never slower than {} over 5 beats",
                    rest.join(", "),
                    per_min(Some(slowest))
                ));
            }
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
            // The alarm's own definition, on the ECG: a clean lead watched
            // the whole 16 s, and no lead, clean or not, has 17 beats
            // anywhere near 140/min.
            // Not when a trusted pulse is that fast, nor when a lead may be
            // reading the rhythm at half its rate.
            let watching = ev
                .long
                .iter()
                .zip(&ev.recent)
                .filter(|(s, r)| {
                    s.kind == ChannelKind::Ecg
                        && trusted(s, p)
                        && s.flat == 0.0
                        && s.max_gap < 1.5
                        && s.hidden.is_some_and(|h| h < HIDDEN_MAX)
                        && r.live()
                })
                .map(|(s, _)| s)
                .max_by(|a, b| a.template.total_cmp(&b.template));
            let fastest = ev
                .long
                .iter()
                .filter(|s| s.kind == ChannelKind::Ecg || trusted(s, p))
                .map(|s| s.max_rate17.unwrap_or(0.0))
                .fold(0.0, f64::max);
            if let Some(s) = watching.filter(|_| fastest < p.tachy_def_rate && !half_rate(ev)) {
                return suppress(format!(
                    "no 17 beats faster than {:.0}/min on the ECG (fastest {:.0}/min, {} at {})",
                    p.tachy_def_rate,
                    fastest,
                    channel(s),
                    per_min(s.rate)
                ));
            }
            let fast_ecg = ev
                .long
                .iter()
                .any(|s| s.kind == ChannelKind::Ecg && trusted(s, p) && s.max_rate17.is_some_and(|r| r > 140.0));
            let calm = ev
                .long
                .iter()
                .filter(|s| s.kind.is_pulse() && trusted(s, p) && s.max_rate17.is_some_and(|r| r < p.tachy_rate))
                .max_by(|a, b| a.template.total_cmp(&b.template));
            // A pulse can miss beats (atrial fibrillation's pulse deficit):
            // it refutes the rate only beside a lead that counts the heart's.
            let counting = ev.long.iter().any(|s| s.kind == ChannelKind::Ecg && s.live());
            match calm {
                Some(s) if counting && !fast_ecg && !half_rate(ev) => {
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
        ArrhythmiaKind::VentricularTachycardia => super::vt_check::vt(ev, p),
        ArrhythmiaKind::VentricularFlutterFib => {
            // A pulse at a chest-compression rate with no QRS at its rate on
            // any lead may be CPR: it refutes VF only if the ECG corroborates it.
            // Regular beats; on an ECG lead, QRS spikes standing out of the
            // signal (chest compressions also put a regular wave on the ECG).
            // A rhythm slower than extreme bradycardia's 40/min is no
            // reassurance that the heart is pumping; ECG complexes at a
            // flutter rate are no organised rhythm against flutter, nor are
            // they on a lead that may read a flutter at half its rate (a
            // pulse at any rate is output, which flutter and fibrillation
            // have not).
            let regular = |s: &&Summary| {
                s.max_gap < p.vf_gap_s
                    && s.template >= p.template
                    && s.live()
                    && s.rr_cv < 0.3
                    && (s.kind != ChannelKind::Ecg || s.kurtosis >= MIN_QRS_KURTOSIS)
                    && s.rate.is_some_and(|r| r >= MIN_PERFUSING_RATE)
                    && (s.kind != ChannelKind::Ecg || s.rate.is_some_and(|r| r < FLUTTER_RATE))
                    && (s.kind != ChannelKind::Ecg || !half_rate(ev))
            };
            let corroborated = |s: &Summary| {
                s.kind == ChannelKind::Ecg
                    || !s.rate.is_some_and(|r| COMPRESSION_RATES.contains(&r))
                    || ev.short.iter().filter(regular).any(|e| {
                        e.kind == ChannelKind::Ecg
                            && e.rate.zip(s.rate).is_some_and(|(e, q)| (e / q - 1.0).abs() <= 0.15)
                    })
            };
            if let Some((s, d)) = usual_qrs_throughout(ev).filter(|_| !half_rate(ev)) {
                return suppress(format!(
                    "the usual QRS of ECG {} at {} carries on through the 16 s, never over {VF_USUAL_GAP_S:.1} s apart",
                    s.name,
                    per_min(d.rate)
                ));
            }
            let best = |a: &&Summary, b: &&Summary| a.template.total_cmp(&b.template);
            match ev.short.iter().filter(regular).filter(|s| corroborated(s)).max_by(best) {
                Some(s) => suppress(format!("organised beats on {} at {}", channel(s), per_min(s.rate))),
                None => match ev.short.iter().filter(regular).max_by(best) {
                    Some(s) => keep(format!(
                        "{} regular at {}, a chest-compression rate, with no QRS at that rate: CPR or artefact, not a rhythm",
                        channel(s),
                        per_min(s.rate)
                    )),
                    None => keep("no organised rhythm on any channel".into()),
                },
            }
        }
    }
}

/// Gathers the evidence and decides with the default thresholds.
pub fn check(monitor: &RhythmMonitor, alarm: ArrhythmiaKind, at: f64) -> Decision {
    decide(&Evidence::gather(monitor, alarm, at), &CheckParams::default())
}
