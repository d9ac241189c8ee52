//! The ventricular tachycardia rules of the check (see [`super::check`]):
//! VT's own definition, the width of the complexes, the usual beat carrying
//! on (on every lead, or on one clean lead), and a pulse that refutes the run
//! only when nothing says VT can be beating with it.
//!
//! Suppressed when:
//! - every ECG lead is flat while a pulse is present;
//! - no lead shows 5 beats faster than `vt_def_rate` in the last 16 s and
//!   some lead worked throughout them, with no pause over two intervals
//!   and a known usual beat with none over 2.5 s (on the only lead, over
//!   1.5 usual intervals) that could hold a run it missed (the alarm's
//!   own definition);
//! - a clean lead's complexes are alike and regular over the 16 s, and
//!   narrow (median beat under `vt_narrow`) over the 16 s and the last 4 s:
//!   a supraventricular rhythm;
//! - on two leads or more, and on every one, the usual beat of the 14 s
//!   before carries on through the 16 s, never with 3 other complexes in
//!   a row nor a pause in it over 2.5 s or 3 usual intervals nor 5 usual
//!   beats past VT's rate (a narrow one may quicken by 1.15), and that
//!   usual beat is slower than VT or narrow (not itself a ventricular
//!   rhythm; see [`super::dominant`]);
//! - on one clean lead, the usual beat carries on through the 16 s as
//!   nothing but itself: 80 % of the lead's complexes, never 2 others in a
//!   row, no pause over 2.5 usual intervals, no silence that could hold a
//!   missed run, and not itself fast unless narrow;
//! - a trusted pulse is regular (interval variation < `vt_rr_cv`) and
//!   steady in height (< `vt_size_cv`) over 8 s, still at its rate in the
//!   last 4 s, unless a lead whose complexes the pulse follows shows them
//!   wide (`vt_wide`), or of a width that cannot be measured, at the alarm:
//!   VT can have a pulse. From `vt_rate` on, the pulse refutes VT only when
//!   every complex it follows is measured narrow (`vt_narrow`). Under 0.95
//!   `vt_def_rate`, with every lead it follows at its own rate (none at
//!   twice it), it refutes VT however wide the complexes: VT is faster.

use super::check::{channel, half_rate, per_min, CheckParams, Decision, Evidence, Rule};
use super::dominant::{Dominant, USUAL_TEMPLATE};
use super::monitor::ChannelKind;
use super::summary::Summary;

/// A pulse that stays at its rate to the alarm: in the last seconds (where
/// the run that set the alarm off is) no pause longer than 1.5 intervals and
/// a rate within 15 % of the longer window's.
fn steady_to_the_end(s: &Summary, recent: &Summary) -> bool {
    match (s.rate, recent.rate) {
        (Some(r8), Some(r4)) => (r4 / r8 - 1.0).abs() <= 0.15 && recent.max_gap <= 1.5 * 60.0 / r8,
        _ => false,
    }
}

/// A lead's detections leave no pause longer than two of its intervals (a
/// compensatory pause), and its usual beat, which must be known, none longer
/// than [`MAX_USUAL_GAP_S`] (on the only lead, than 1.5 usual intervals):
/// either can hold a run of complexes its detector missed, wholly or in part
/// (records v701l and v823l: lead II read 75 and 73/min through a true VT; 5
/// complexes at 200/min fit in 2 s). With two leads or more, the run would
/// also have to escape the other leads' detectors.
fn no_missed_run(s: &Summary, usual: Option<&Dominant>, only_lead: bool) -> bool {
    let usual_pause = |u: &Dominant| {
        let limit = if only_lead { 1.5 * 60.0 / u.rate.unwrap_or(f64::INFINITY) } else { f64::INFINITY };
        u.max_gap <= MAX_USUAL_GAP_S.min(limit)
    };
    s.rate.is_some_and(|r| s.max_gap <= 2.0 * 60.0 / r) && usual.is_some_and(|u| u.live && usual_pause(u))
}

/// Most complexes in a row unlike the usual beat that still refute VT: its
/// definition is 5, and two are left for complexes of a run the detector
/// missed.
pub const MAX_OTHER_RUN: usize = 2;

/// Longest interval (s) with no usual beat that still refutes VT, and no
/// more than [`MAX_USUAL_INTERVALS`] usual intervals. A lead can miss a fast
/// run altogether and show only a pause (records v525l and v571l: lead II
/// saw 3 of a run's 7 complexes, in 2.3 s), so the rule needs two leads at
/// least, each with no longer pause.
pub const MAX_USUAL_GAP_S: f64 = 2.5;

/// Usual intervals a pause in the usual beat may last (a compensatory pause
/// is two) in the usual-beat rule.
pub const MAX_USUAL_INTERVALS: f64 = 3.0;

/// How much faster than before the window 5 usual beats in a row may come
/// when the usual beat is measured narrow and that is faster than VT's rate
/// (a sinus tachycardia quickening). A wide usual beat may not pass VT's
/// rate: it is then a run that looks like the usual beat, as a VT can on one
/// lead (record v133l's lead II) and a ventricular rhythm speeding up does
/// on all of them. A usual beat measured narrow on every lead may speed up
/// freely: a supraventricular run.
pub const USUAL_SPEED_UP: f64 = 1.15;

/// VT refuted by its definition beat by beat: on two ECG leads or more, and
/// on every one, the usual beat of the 14 s before carried on through the
/// 16 s, never with more than [`MAX_OTHER_RUN`] other complexes in a row nor
/// a pause of [`MAX_USUAL_GAP_S`] or [`MAX_USUAL_INTERVALS`] nor 5 usual
/// beats in a row faster than VT's rate (see [`USUAL_SPEED_UP`]); and that
/// usual beat was not a ventricular rhythm: slower than VT or narrow.
fn usual_beat_carries_on(ev: &Evidence, p: &CheckParams) -> Option<String> {
    let leads: Vec<(&Summary, &Dominant)> = ev
        .long
        .iter()
        .zip(&ev.usual)
        .filter(|(s, _)| s.kind == ChannelKind::Ecg)
        .map(|(s, d)| d.as_ref().map(|d| (s, d)))
        .collect::<Option<_>>()?;
    let narrow = |d: &Dominant| d.width.is_some_and(|w| w < p.vt_narrow);
    let all_narrow = leads.iter().all(|(_, d)| narrow(d));
    let speed_limit = |d: &Dominant| {
        let quickened = if narrow(d) { USUAL_SPEED_UP * d.rate.unwrap_or(0.0) } else { 0.0 };
        p.vt_def_rate.max(quickened)
    };
    let carries_on = |(s, d): &(&Summary, &Dominant)| {
        // A usual beat with no rate is no proof it is slower than VT.
        let Some(usual_rate) = d.rate else { return false };
        s.live()
            && s.flat < 0.1
            && d.live
            && d.template >= USUAL_TEMPLATE
            && (usual_rate < p.vt_def_rate || narrow(d))
            && (all_narrow || d.usual_rate5.is_none_or(|r| r < speed_limit(d)))
            && d.longest_other_run <= MAX_OTHER_RUN
            && d.max_gap <= MAX_USUAL_GAP_S.min(MAX_USUAL_INTERVALS * 60.0 / usual_rate)
    };
    if leads.len() < 2 || !leads.iter().all(carries_on) || half_rate(ev) {
        return None;
    }
    let names: Vec<String> = leads.iter().map(|(s, d)| format!("{} at {}", s.name, per_min(d.rate))).collect();
    Some(format!(
        "the usual beat carries on through the 16 s on every lead (ECG {}): never more than {MAX_OTHER_RUN} other complexes in a row",
        names.join(", ")
    ))
}

/// Usual-beat agreement before the window from which one lead alone can
/// refute VT ([`one_lead_shows_the_usual_beat`]): a clean, well-defined beat.
pub const ONE_LEAD_TEMPLATE: f64 = 0.95;

/// Share of a lead's complexes in the window that must be its usual beat
/// for that lead alone to refute VT: a lead with artefact between its beats
/// (two in a row after each, say) proves nothing about the others.
pub const ONE_LEAD_USUAL_SHARE: f64 = 0.8;

/// Longest pause in the usual beat, in its intervals, on a lead that refutes
/// VT alone: a compensatory pause is two; a run the lead missed leaves more.
pub const ONE_LEAD_INTERVALS: f64 = 2.5;

/// Longest silence (s) between a lead's detections that cannot hold a run of
/// five complexes it missed: with the intervals either side, six intervals,
/// 300/min. A lead that refutes VT alone has no longer silence than this or
/// 1.5 usual intervals (record v525l's lead II missed 5 of a run's complexes).
pub const ONE_LEAD_SILENCE_S: f64 = 1.2;

/// VT refuted by one clean lead (records v375l, v427l, v583l: motion or a
/// loose electrode on one lead, the other clean). A run of five ventricular
/// complexes changes the complexes on every lead at once, so a lead whose
/// well-defined usual beat of the 14 s before went on through the 16 s,
/// making up at least [`ONE_LEAD_USUAL_SHARE`] of its complexes, never two
/// other complexes in a row, never a pause of [`ONE_LEAD_INTERVALS`] usual
/// intervals (nor [`MAX_USUAL_GAP_S`]) in its usual beat, and never a
/// silence that could hold a run it missed ([`ONE_LEAD_SILENCE_S`]), saw no
/// VT. Not when that usual beat may itself be ventricular (as fast as VT and
/// not narrow), nor when 5
/// usual beats in a row pass VT's rate (a VT can look like the usual beat on
/// one lead: record v133l's lead II), unless it is narrow and quickened by
/// no more than [`USUAL_SPEED_UP`] (a sinus tachycardia).
fn one_lead_shows_the_usual_beat(ev: &Evidence, p: &CheckParams) -> Option<String> {
    let narrow = |d: &Dominant| d.width.is_some_and(|w| w < p.vt_narrow);
    let clean = |s: &Summary, d: &Dominant| {
        let Some(rate) = d.rate else { return false };
        s.kind == ChannelKind::Ecg
            && s.live()
            && s.flat < 0.1
            && d.live
            && d.template >= ONE_LEAD_TEMPLATE
            && d.usual >= 5
            && d.usual as f64 >= ONE_LEAD_USUAL_SHARE * d.beats as f64
            && d.longest_other_run <= 1
            && d.max_gap <= MAX_USUAL_GAP_S.min(ONE_LEAD_INTERVALS * 60.0 / rate)
            && s.max_gap <= ONE_LEAD_SILENCE_S.max(1.5 * 60.0 / rate)
            && (rate < p.vt_def_rate || narrow(d))
            && d.usual_rate5.is_none_or(|r| r < p.vt_def_rate || (narrow(d) && r <= USUAL_SPEED_UP * rate))
    };
    if half_rate(ev) {
        return None;
    }
    let (s, d) = ev
        .long
        .iter()
        .zip(&ev.usual)
        .filter_map(|(s, d)| d.as_ref().map(|d| (s, d)))
        .filter(|(s, d)| clean(s, d))
        .max_by(|a, b| a.1.template.total_cmp(&b.1.template))?;
    Some(format!(
        "the usual beat carries on through the 16 s on {} at {} ({} of its {} complexes, never 2 others in a row, longest pause {:.1} s): a run of VT would show on it too",
        channel(s),
        per_min(d.rate),
        d.usual,
        d.beats,
        d.max_gap
    ))
}

/// Fraction of VT's rate (`vt_def_rate`) under which a steady pulse that
/// every complex makes refutes VT however wide the complexes: a margin for
/// rates measured over 5 beats (record v159l: a true VT read 101/min on the
/// pulse).
pub const SLOW_PULSE: f64 = 0.95;

/// The VT rules (see the module documentation).
pub(super) fn vt(ev: &Evidence, p: &CheckParams) -> Decision {
    let keep = |reason: String| Decision { alarm: ev.alarm, keep: true, reason };
    let suppress = |reason: String| Decision { alarm: ev.alarm, keep: false, reason };
    if !ev.short.iter().any(|s| s.kind == ChannelKind::Ecg) {
        return keep("no ECG to check it against".into());
    }
    let ecg_flat = ev.short.iter().filter(|s| s.kind == ChannelKind::Ecg).all(|s| s.flat > 0.8);
    let pulse = ev
        .short
        .iter()
        .filter(|s| s.kind.is_pulse() && s.template >= p.template && s.live() && s.beats.len() >= 3)
        .max_by(|a, b| a.template.total_cmp(&b.template));
    if let (true, Some(s)) = (ecg_flat && p.on(Rule::VtEcgFlat), pulse) {
        return suppress(format!("ECG flat but pulse on {} at {}", channel(s), per_min(s.rate)));
    }
    // VT is 5 or more beats faster than `vt_def_rate`: no lead at all shows
    // 5 such beats in the last 16 s, and some lead worked throughout them
    // with no pause that could hold a run its detector missed.
    let ecg = || ev.long.iter().filter(|s| s.kind == ChannelKind::Ecg);
    let only_lead = ecg().count() == 1;
    let working: Vec<&Summary> = ev
        .long
        .iter()
        .zip(&ev.recent)
        .zip(&ev.usual)
        .filter(|((s, r), u)| {
            s.kind == ChannelKind::Ecg
                && s.live()
                && r.live()
                && s.beats.len() >= 5
                && no_missed_run(s, u.as_ref(), only_lead)
        })
        .map(|((s, _), _)| s)
        .collect();
    let fastest = ecg().filter_map(|s| s.max_rate5).fold(f64::NEG_INFINITY, f64::max);
    if !working.is_empty() && fastest < p.vt_def_rate && !half_rate(ev) && p.on(Rule::VtDefinition) {
        let s = working.iter().max_by(|a, b| a.template.total_cmp(&b.template)).copied();
        return suppress(format!(
            "no 5 beats faster than {:.0}/min on any lead (fastest {:.0}/min{})",
            p.vt_def_rate,
            fastest,
            s.map_or(String::new(), |s| format!(", {}", channel(s)))
        ));
    }
    // The complexes that set the alarm off narrow and regular on a
    // clean lead: a supraventricular rhythm, not a ventricular run.
    let narrow = ev
        .long
        .iter()
        .zip(&ev.recent)
        .filter(|(s, r)| {
            s.kind == ChannelKind::Ecg
                && s.live()
                && r.live()
                && s.template >= 0.9
                && s.beats.len() >= 5
                && s.rr_cv < p.vt_rr_cv
                && s.width.is_some_and(|w| w < p.vt_narrow)
                && r.width.is_some_and(|w| w < p.vt_narrow)
        })
        .map(|(s, _)| s)
        .max_by(|a, b| a.template.total_cmp(&b.template));
    if let Some(s) = narrow.filter(|_| p.on(Rule::VtNarrow)) {
        return suppress(format!(
            "narrow ({:.0} ms), regular complexes on {} at {} to the alarm",
            1000.0 * s.width.unwrap_or(0.0),
            channel(s),
            per_min(s.rate)
        ));
    }
    if let Some(reason) = usual_beat_carries_on(ev, p)
        .filter(|_| p.on(Rule::VtUsualBeat))
        .or_else(|| one_lead_shows_the_usual_beat(ev, p).filter(|_| p.on(Rule::VtOneLead)))
    {
        return suppress(reason);
    }
    let steady = ev
        .short
        .iter()
        .zip(&ev.recent)
        .filter(|(s, r)| {
            s.kind.is_pulse()
                && s.template >= p.template
                && s.flat < 0.1
                && s.live()
                && s.beats.len() >= 3
                && s.rr_cv < p.vt_rr_cv
                && s.size_cv < p.vt_size_cv
                && s.max_rate5.is_some()
                && steady_to_the_end(s, r)
        })
        .map(|(s, _)| s)
        .max_by(|a, b| a.template.total_cmp(&b.template));
    let Some(pulse) = steady else {
        return keep("no steady pulse to refute it".into());
    };
    // Wide complexes at the alarm on a working lead, each with its
    // pulse (or every other one with a pulse), can be VT with a pulse:
    // the steady pulse does not refute them. Complexes at a rate the
    // pulse does not follow are artefact, not beats.
    let per_pulse = |s: &Summary| s.rate.zip(pulse.rate).map(|(e, q)| e / q);
    let one_to_one = |s: &Summary| per_pulse(s).is_some_and(|r| (r - 1.0).abs() <= 0.15);
    let paced = |s: &Summary| one_to_one(s) || per_pulse(s).is_some_and(|r| (r - 2.0).abs() <= 0.2);
    let followed: Vec<&Summary> =
        ev.recent.iter().filter(|s| s.kind == ChannelKind::Ecg && s.live() && s.beats.len() >= 3 && paced(s)).collect();
    let widest =
        followed.iter().filter_map(|s| s.width).fold(None, |m: Option<f64>, w| Some(m.map_or(w, |m| m.max(w))));
    // A pulse as fast as `vt_rate` refutes VT only when the complexes it
    // follows are measured narrow: a fast, steady pulse is what VT with a
    // pulse looks like, and a width between narrow and wide proves nothing.
    if pulse.max_rate5.is_some_and(|r| r >= p.vt_rate) {
        let measured = !followed.is_empty() && followed.iter().all(|s| s.width.is_some());
        return match widest {
            Some(w) if measured && w < p.vt_narrow && p.on(Rule::VtFastPulseNarrow) => suppress(format!(
                "regular, steady pulse on {} at {} following narrow ({:.0} ms) complexes",
                channel(pulse),
                per_min(pulse.rate),
                1000.0 * w
            )),
            _ => keep(format!(
                "pulse steady on {} at {}, but not following complexes measured narrow: VT with a pulse is possible",
                channel(pulse),
                per_min(pulse.rate)
            )),
        };
    }
    // Each complex with its pulse, the pulse steadily slower than VT: a
    // wide rhythm (a bundle-branch block), not VT, which is faster than
    // `vt_def_rate`. Not when a lead the pulse follows is at twice its rate
    // (VT with every other complex perfused).
    let slow = pulse.max_rate5.is_some_and(|r| r < SLOW_PULSE * p.vt_def_rate);
    if slow && !followed.is_empty() && followed.iter().all(|s| one_to_one(s)) && p.on(Rule::VtSlowPulse) {
        return suppress(format!(
            "regular, steady pulse on {} at {} through the last 8 s, each complex with its pulse: slower than VT",
            channel(pulse),
            per_min(pulse.rate)
        ));
    }
    match widest {
        Some(w) if w >= p.vt_wide => keep(format!(
            "pulse steady on {} at {}, but wide complexes ({:.0} ms) at the alarm: VT with a pulse is possible",
            channel(pulse),
            per_min(pulse.rate),
            1000.0 * w
        )),
        _ if followed.iter().any(|s| s.width.is_none()) => keep(format!(
            "pulse steady on {} at {}, but the width of the complexes at the alarm cannot be measured",
            channel(pulse),
            per_min(pulse.rate)
        )),
        _ if !p.on(Rule::VtSteadyPulse) => keep("the steady-pulse rule is off".into()),
        _ => suppress(format!(
            "regular, steady pulse on {} at {} through the last 8 s",
            channel(pulse),
            per_min(pulse.rate)
        )),
    }
}
