//! The rules of the check for asystole, extreme bradycardia, extreme
//! tachycardia and ventricular flutter/fibrillation (V-tach's are in
//! [`super::vt_check`]), per alarm type (a channel is *trusted* when it is
//! not flat, its beats agree in shape and its rhythm is physiological):
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

use super::check::{
    channel, half_rate, per_min, trusted, CheckParams, Decision, Evidence, Rule, COMPRESSION_RATES, HIDDEN_MAX,
    MIN_PERFUSING_RATE, MIN_QRS_KURTOSIS,
};
use super::dominant::{usual_qrs_throughout, FLUTTER_RATE, VF_USUAL_GAP_S};
use super::monitor::ChannelKind;
use super::summary::Summary;

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

/// Asystole: refuted by a trusted channel beating throughout the 16 s.
pub(super) fn asystole(ev: &Evidence, p: &CheckParams) -> Decision {
    let keep = |reason: String| Decision { alarm: ev.alarm, keep: true, reason };
    let suppress = |reason: String| Decision { alarm: ev.alarm, keep: false, reason };
    let beating = ev
        .long
        .iter()
        .filter(|s| s.max_gap < p.asystole_gap_s && s.template >= p.template && s.live())
        .filter(|s| s.kind == ChannelKind::Ecg || s.rate.is_some_and(|r| r >= MIN_PERFUSING_RATE))
        .filter(|_| p.on(Rule::AsystoleBeats))
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
            match ev.long.iter().filter(|s| s.max_gap < p.asystole_gap_s).min_by(|a, b| a.max_gap.total_cmp(&b.max_gap))
            {
                Some(s) => {
                    keep(format!("beats on {} are not trustworthy (shapes disagree or signal flat)", channel(s)))
                }
                None if pause.is_finite() => keep(format!("every channel paused at least {pause:.1} s")),
                None => keep("no waveform to refute it".into()),
            }
        }
    }
}

/// Extreme bradycardia: refuted by trusted channels never slower than the
/// alarm over 5 beats (with less margin when they agree).
pub(super) fn bradycardia(ev: &Evidence, p: &CheckParams) -> Decision {
    let keep = |reason: String| Decision { alarm: ev.alarm, keep: true, reason };
    let suppress = |reason: String| Decision { alarm: ev.alarm, keep: false, reason };
    let good: Vec<&Summary> = ev.long.iter().filter(|s| trusted(s, p) && s.min_rate5.is_some()).collect();
    if let Some(slowest) = agreed_slowest(&good).filter(|&r| r >= p.brady_agreed_rate && p.on(Rule::BradyAgreed)) {
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
    } else if let Some(best) =
        good.iter().filter(|_| p.on(Rule::BradyRate)).max_by(|a, b| a.template.total_cmp(&b.template))
    {
        suppress(format!("{} never slower than {} over 5 beats", channel(best), per_min(best.min_rate5)))
    } else {
        keep("no channel clean enough to refute it".into())
    }
}

/// Extreme tachycardia: refuted by its own definition on a clean lead, or by
/// a calm trusted pulse beside a lead that counts the heart's rate.
pub(super) fn tachycardia(ev: &Evidence, p: &CheckParams) -> Decision {
    let keep = |reason: String| Decision { alarm: ev.alarm, keep: true, reason };
    let suppress = |reason: String| Decision { alarm: ev.alarm, keep: false, reason };
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
    if let Some(s) = watching.filter(|_| fastest < p.tachy_def_rate && !half_rate(ev) && p.on(Rule::TachyDefinition)) {
        return suppress(format!(
            "no 17 beats faster than {:.0}/min on the ECG (fastest {:.0}/min, {} at {})",
            p.tachy_def_rate,
            fastest,
            channel(s),
            per_min(s.rate)
        ));
    }
    let fast_ecg =
        ev.long.iter().any(|s| s.kind == ChannelKind::Ecg && trusted(s, p) && s.max_rate17.is_some_and(|r| r > 140.0));
    let calm = ev
        .long
        .iter()
        .filter(|s| s.kind.is_pulse() && trusted(s, p) && s.max_rate17.is_some_and(|r| r < p.tachy_rate))
        .max_by(|a, b| a.template.total_cmp(&b.template));
    // A pulse can miss beats (atrial fibrillation's pulse deficit):
    // it refutes the rate only beside a lead that counts the heart's.
    let counting = ev.long.iter().any(|s| s.kind == ChannelKind::Ecg && s.live());
    match calm {
        Some(s) if counting && !fast_ecg && !half_rate(ev) && p.on(Rule::TachyCalmPulse) => {
            suppress(format!("{} but {} steady at {}", ecg_state(&ev.long), channel(s), per_min(s.rate)))
        }
        _ => {
            let r = ev.long.iter().filter(|s| trusted(s, p)).filter_map(|s| s.max_rate17).fold(f64::NAN, f64::max);
            keep(if r.is_finite() {
                format!("fastest 17 beats at {r:.0}/min")
            } else {
                "no channel clean enough to refute it".into()
            })
        }
    }
}

/// Ventricular flutter/fibrillation: refuted by the usual QRS carrying on or
/// by an organised, corroborated rhythm.
pub(super) fn flutter_fib(ev: &Evidence, p: &CheckParams) -> Decision {
    let keep = |reason: String| Decision { alarm: ev.alarm, keep: true, reason };
    let suppress = |reason: String| Decision { alarm: ev.alarm, keep: false, reason };
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
                e.kind == ChannelKind::Ecg && e.rate.zip(s.rate).is_some_and(|(e, q)| (e / q - 1.0).abs() <= 0.15)
            })
    };
    if let Some((s, d)) = usual_qrs_throughout(ev).filter(|_| !half_rate(ev) && p.on(Rule::VfUsualQrs)) {
        return suppress(format!(
            "the usual QRS of ECG {} at {} carries on through the 16 s, never over {VF_USUAL_GAP_S:.1} s apart",
            s.name,
            per_min(d.rate)
        ));
    }
    let best = |a: &&Summary, b: &&Summary| a.template.total_cmp(&b.template);
    match ev.short.iter().filter(regular).filter(|s| corroborated(s) && p.on(Rule::VfOrganised)).max_by(best) {
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
