//! The suppression policy for the lethal rhythms (asystole, ventricular
//! tachycardia, ventricular flutter/fibrillation), over whatever the rules
//! and the learned second look decided.
//!
//! 1. **Two channels or none.** A lethal alarm may be held back only when at
//!    least two channels independently show an organised, perfusing rhythm
//!    and agree on its rate: one pulse channel alone, or one ECG lead alone,
//!    is something a single artefact can fake (a pleth that moves with the
//!    hand, chest compressions, a lead picking up a pacemaker or tremor), so
//!    it never silences a lethal alarm on its own. The two may be two pulse
//!    waves (pleth and arterial line), a lead and a pulse, or two leads.
//!    A channel counts when over the 16 s before the alarm it is live, its
//!    beats agree in shape ([`super::check::CheckParams::template`]), are
//!    regular enough to be a rhythm, never pause [`MAX_PAUSE_S`] or longer,
//!    and beat at [`super::check::MIN_PERFUSING_RATE`] or faster; and it is
//!    still live in the last 4 s. A second channel corroborates it when its
//!    beats answer the first's one to one at a steady lag ([`coupled`]):
//!    the same heart seen by two sensors; or, for an organised pulse, when
//!    an ECG lead shows a QRS complex before each pulse in step with it
//!    ([`super::locked`]), where the lead's own detector missed beats. Two
//!    pulse waves alone at a chest-compression rate corroborate nothing
//!    (compressions move both).
//! 2. **Held back is not gone.** A lethal alarm the check holds back is shown
//!    at once as a low-priority "possible artefact" line with the evidence
//!    (never only logged), re-checked every few seconds while it lasts, and
//!    sounds as the high-priority alarm it is as soon as a re-check no longer
//!    refutes it or the condition has lasted [`DEFERRAL_LIMIT_S`] from its
//!    onset, whatever the evidence (the engine: `alarm::engine::rhythm`).
//!
//! Extreme bradycardia and tachycardia are not lethal in themselves; their
//! extreme limits on the HR value alarm on their own.

use super::check::{
    channel, per_min, trusted, CheckParams, Decision, Evidence, Rule, COMPRESSION_RATES, MIN_PERFUSING_RATE,
    MIN_QRS_KURTOSIS,
};
use super::monitor::ChannelKind;
use super::summary::Summary;
use super::ArrhythmiaKind;

/// The longest a held-back lethal alarm stays a "possible artefact" line
/// (s from the condition's onset) before it sounds whatever the evidence.
/// Long enough for the brief artefacts behind most false arrhythmia alarms
/// (movement, handling, coughing: seconds) to pass; short enough that an
/// arrest the channels misread still alarms inside its first minute, while
/// defibrillation and CPR do the most good.
pub const DEFERRAL_LIMIT_S: f64 = 30.0;

/// A pause (s) in a channel's beats that disqualifies it as evidence of a
/// perfusing rhythm: the Challenge's asystole is 4 s without a QRS.
pub const MAX_PAUSE_S: f64 = 3.0;

/// Whether the policy applies: asystole, V-tach and V-fib/flutter.
pub fn is_lethal(kind: ArrhythmiaKind) -> bool {
    matches!(
        kind,
        ArrhythmiaKind::Asystole | ArrhythmiaKind::VentricularTachycardia | ArrhythmiaKind::VentricularFlutterFib
    )
}

/// A channel showing an organised, perfusing rhythm over the 16 s and still
/// there at the alarm.
fn organised(long: &Summary, recent: &Summary, p: &CheckParams) -> bool {
    trusted(long, p)
        && long.max_gap < MAX_PAUSE_S
        && long.rate.is_some_and(|r| r >= MIN_PERFUSING_RATE)
        && recent.live()
}

/// The window (s) in which a beat on `b` answers a beat on `a`: leads
/// see the same QRS within a few tens of ms; a pulse follows its QRS by the
/// pulse-arrival time (about 0.1-0.4 s to the foot, to 0.7 s to the peak);
/// two pulse waves, within half a second of each other.
fn lag_window(a: ChannelKind, b: ChannelKind) -> (f64, f64) {
    match (a == ChannelKind::Ecg, b == ChannelKind::Ecg) {
        (true, true) => (-0.15, 0.15),
        (true, false) => (MIN_PULSE_LAG_S, 0.8),
        (false, true) => (-0.8, -MIN_PULSE_LAG_S),
        (false, false) => (-0.5, 0.5),
    }
}

/// The shortest time (s) from a QRS to its pulse: the pulse-arrival time is
/// never under about 0.1 s, so a pulse at the same instant as a lead's
/// deflection is one artefact (a movement) seen by both, not a heartbeat.
pub const MIN_PULSE_LAG_S: f64 = 0.08;

/// Beats of `b` answer most beats of `a` at one steady lag: the two
/// channels see the same heart beat by beat. At least [`COUPLED_SHARE`] of
/// `a`'s beats (and [`MIN_COUPLED_BEATS`]) have a beat of `b` within
/// [`LAG_TOLERANCE_S`] of a common lag inside the physiological window
/// ([`lag_window`]). Extra detections on `b` (noise on a lead) do not undo
/// that, but `b` may not beat more than half as often again as `a`, or
/// chance alone would answer most beats. Two things at a similar rate that are not
/// coupled (an artefact beside a rhythm) drift in phase and answer few beats
/// at any one lag.
pub fn coupled(a: &Summary, b: &Summary) -> bool {
    let (lo, hi) = lag_window(a.kind, b.kind);
    let need = (MIN_COUPLED_BEATS as f64).max(COUPLED_SHARE * a.beats.len() as f64);
    if (a.beats.len() as f64) < need || 2 * b.beats.len() > 3 * a.beats.len() + 4 {
        return false;
    }
    let lags: Vec<Vec<f64>> =
        a.beats.iter().map(|m| b.beats.iter().map(|o| o.t - m.t).filter(|d| (lo..=hi).contains(d)).collect()).collect();
    let answered_at = |lag: f64| lags.iter().filter(|ls| ls.iter().any(|l| (l - lag).abs() <= LAG_TOLERANCE_S)).count();
    lags.iter().flatten().any(|&lag| answered_at(lag) as f64 >= need)
}

/// Beats that must be answered for two channels to count as coupled.
pub const MIN_COUPLED_BEATS: usize = 5;
/// Share of the organised channel's beats that must be answered.
pub const COUPLED_SHARE: f64 = 0.8;
/// How far (s) an answering beat may be from the common lag: QRS-to-pulse
/// time varies by a few tens of ms from beat to beat (breathing, blood
/// pressure).
pub const LAG_TOLERANCE_S: f64 = 0.06;

/// What corroborates an organised rhythm, in words, if anything does:
/// - an organised channel and a second live channel coupled to it beat by
///   beat over the 16 s ([`coupled`]); at a chest-compression rate only a
///   pair with a lead showing QRS spikes (compressions move both pulse
///   waves in step and put a smooth wave on the ECG);
/// - an organised pulse channel and an ECG lead whose own detector found
///   fewer than half as many beats, not flat in the last 4 s, that shows
///   the same QRS complex before its recent pulses as before its earlier
///   ones ([`super::locked`]).
pub fn corroborating(ev: &Evidence, p: &CheckParams) -> Option<String> {
    let live: Vec<(usize, &Summary)> = ev
        .long
        .iter()
        .zip(&ev.recent)
        .enumerate()
        .filter(|(_, (l, r))| l.live() && r.live())
        .map(|(i, (l, _))| (i, l))
        .collect();
    let organised_at = |i: usize| organised(&ev.long[i], &ev.recent[i], p);
    let name = |s: &Summary| format!("{} {}", channel(s), per_min(s.rate));
    for &(i, a) in live.iter().filter(|(i, _)| organised_at(*i)) {
        for &(j, b) in &live {
            // At a chest-compression rate, compressions move both pulse
            // waves and put a smooth wave on the ECG: only a lead with
            // QRS spikes (not a smooth wave) may then take part.
            let at_compression_rate = a.rate.is_some_and(|r| COMPRESSION_RATES.contains(&r));
            let spiky = |s: &Summary| s.kind == ChannelKind::Ecg && s.kurtosis >= MIN_QRS_KURTOSIS;
            let compressions = at_compression_rate && !(spiky(a) || spiky(b));
            if i != j && !compressions && coupled(a, b) {
                return Some(format!("{} and {}, beat by beat", name(a), name(b)));
            }
        }
    }
    for (j, pulse) in ev.long.iter().enumerate().filter(|(j, s)| s.kind.is_pulse() && organised_at(*j)) {
        for (i, lead) in ev.long.iter().enumerate() {
            let locked = ev.locked.get(i).and_then(|row| row.get(j)).copied().flatten();
            // Only where the lead's own detector failed (fewer than half as
            // many beats as the pulse): a lead whose beats it detects is
            // judged beat by beat (`coupled`), which a rhythm at a nearby
            // but other rate, smeared into the average, cannot pass.
            let detector_failed = 2 * lead.beats.len() < pulse.beats.len();
            if detector_failed
                && ev.recent.get(i).is_some_and(|r| r.flat < 0.5)
                && locked.is_some_and(|l| l.shows_complexes())
            {
                return Some(format!("{} with a QRS complex before each pulse on {}", name(pulse), channel(lead)));
            }
        }
    }
    None
}

/// Applies the policy to a decision: a lethal alarm the rules (or the
/// learned look) would suppress is kept unless two channels corroborate an
/// organised rhythm; the reason then names both.
pub fn guard(ev: &Evidence, p: &CheckParams, d: Decision) -> Decision {
    if d.keep || !is_lethal(ev.alarm) || !p.on(Rule::Policy) {
        return d;
    }
    match corroborating(ev, p) {
        Some(how) => Decision { reason: format!("{}; confirmed by {how}", d.reason), ..d },
        None => Decision {
            alarm: d.alarm,
            keep: true,
            reason: format!(
                "one channel alone cannot silence {}: no second channel confirms an organised rhythm ({})",
                d.alarm.label(),
                d.reason
            ),
        },
    }
}
