//! The unusual-trend advisory, specified by what a clinician expects of it:
//! quiet on a stable patient however noisy, early on a slow combined drift
//! that stays inside every limit, deaf to a brief artefact, plain about why.

use super::inject::{Injection, Pattern, Shape};
use super::*;
use crate::VitalKind;
use std::collections::BTreeMap;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

pub(super) const MIN: i64 = 60_000;
pub(super) const T0: i64 = 1_790_000_000_000;

/// A deterministic wobble (no RNG in the core): several incommensurate sines.
pub(super) fn wobble(i: i64, amp: f64) -> f64 {
    let x = i as f64;
    amp * (0.6 * (x / 7.3).sin() + 0.3 * (x / 2.1).cos() + 0.25 * (x / 31.0).sin())
}

/// A stable adult at 1 Hz for `minutes`, with breath-to-breath noise.
pub(super) fn stable(minutes: i64) -> Vec<(i64, VitalKind, f64)> {
    let mut out = Vec::new();
    for s in 0..minutes * 60 {
        let t = s * 1000;
        out.push((t, VitalKind::Hr, 78.0 + wobble(s, 4.0)));
        out.push((t, VitalKind::Rr, 15.0 + wobble(s + 11, 2.0)));
        out.push((t, VitalKind::Spo2, (97.0 + wobble(s + 5, 1.0)).min(100.0)));
        if s % (15 * 60) == 0 {
            out.push((t, VitalKind::NibpSys, 124.0 + wobble(s / 60, 6.0)));
        }
    }
    out
}

/// A steady drift of `changes`, in minutes from the recording's start.
pub(super) fn linear(changes: Vec<(Param, f64)>, start_min: i64, ramp_min: i64, hold_min: i64) -> Injection {
    Injection {
        pattern: Pattern::Custom(changes),
        shape: Shape::Linear,
        start_ms: start_min * MIN,
        ramp_ms: ramp_min * MIN,
        hold_ms: hold_min * MIN,
    }
}

fn run(numerics: &[(i64, VitalKind, f64)]) -> (BedDrift, Vec<DriftChange>) {
    let mut d = BedDrift::baseline_only();
    let mut changes = Vec::new();
    for &(off, kind, v) in numerics {
        d.on_numeric(kind, T0 + off, v);
        changes.extend(d.take_changes());
    }
    (d, changes)
}

pub(super) fn raised(changes: &[DriftChange]) -> Vec<SampleTime> {
    changes.iter().filter_map(|c| if let DriftChange::Raised(t) = c { Some(*t) } else { None }).collect()
}

#[test]
fn a_stable_patient_gets_no_advisory_over_eight_hours() {
    let (d, changes) = run(&stable(8 * 60));
    assert!(raised(&changes).is_empty(), "{changes:?}");
    let a = d.assessment().expect("assessed once warmed up");
    assert!(!a.unusual, "{a:?}");
    assert!(a.drivers.is_empty(), "{a:?}");
}

#[test]
fn nothing_is_judged_before_the_patient_has_a_baseline() {
    let (d, _) = run(&stable(WARM_UP_MIN - 1));
    assert!(d.assessment().is_none());
    let (d, _) = run(&stable(WARM_UP_MIN + 2));
    assert!(d.assessment().is_some());
}

#[test]
fn a_slow_sepsis_like_drift_inside_every_limit_is_advised_with_its_reason() {
    // HR 78 -> 103, RR 15 -> 22 over 60 min, SpO2 97 -> 94: no default limit
    // is crossed (HR high 120, RR high 25, SpO2 low 90).
    let base = stable(6 * 60);
    let inj = linear(vec![(Param::Hr, 25.0), (Param::Rr, 7.0), (Param::Spo2, -3.0)], 4 * 60, 60, 60);
    let (d, changes) = run(&inj.apply(&base));
    let onsets = raised(&changes);
    assert_eq!(onsets.len(), 1, "{changes:?}");
    let after_start = (onsets[0] - T0 - inj.start_ms) / MIN;
    assert!((5..=45).contains(&after_start), "advised {after_start} min into the drift");
    let adv = d.advisory().expect("still active at the end of the hold");
    let a = &adv.assessment;
    let params: Vec<Param> = a.drivers.iter().map(|x| x.param).collect();
    assert!(params.contains(&Param::Hr) && params.contains(&Param::Rr), "{a:?}");
    assert!(a.reason.contains("HR +") && a.reason.contains("RR +"), "{}", a.reason);
    assert!(a.reason.contains(" over "), "{}", a.reason);
    let hr = a.drivers.iter().find(|x| x.param == Param::Hr).unwrap();
    assert!((18.0..=30.0).contains(&hr.delta), "{hr:?}");
}

#[test]
fn the_drifting_parameters_come_with_their_recent_minutes_for_a_chart() {
    let inj = linear(vec![(Param::Hr, 30.0), (Param::Rr, 8.0)], 3 * 60, 45, 30);
    let (d, _) = run(&inj.apply(&stable(5 * 60)));
    let hr = d.advisory().unwrap().assessment.drivers.iter().find(|x| x.param == Param::Hr).unwrap().clone();
    let pts = d.chart(Param::Hr, 90);
    assert!(pts.len() >= 80, "{}", pts.len());
    assert!(pts.windows(2).all(|w| w[0].0 < w[1].0));
    assert!(pts.last().unwrap().1 > hr.baseline + 20.0);
}

#[test]
fn improvement_is_not_deterioration() {
    // HR falling, SpO2 rising: unusual, but not what this advisory is for.
    let inj = linear(vec![(Param::Hr, -20.0), (Param::Spo2, 2.5), (Param::Rr, -4.0)], 3 * 60, 40, 60);
    let (_, changes) = run(&inj.apply(&stable(6 * 60)));
    assert!(raised(&changes).is_empty(), "{changes:?}");
}

#[test]
fn a_brief_artefact_is_not_a_trend() {
    // A probe reading 36 % for two minutes and a pulse of 277 for one, as in
    // the artefact-laden MIMIC-II record.
    let mut data = stable(5 * 60);
    for x in data.iter_mut() {
        let m = x.0 / MIN;
        if x.1 == VitalKind::Spo2 && (200..202).contains(&m) {
            x.2 = 36.0;
        }
        if x.1 == VitalKind::Hr && m == 201 {
            x.2 = 277.0;
        }
    }
    let (_, changes) = run(&data);
    assert!(raised(&changes).is_empty(), "{changes:?}");
}

#[test]
fn the_advisory_ends_after_the_patient_is_back_and_a_new_drift_is_a_new_advisory() {
    let base = stable(12 * 60);
    let first = linear(vec![(Param::Hr, 28.0), (Param::Rr, 8.0)], 3 * 60, 40, 30);
    // The first drift ends (the injection stops adding at the end of its hold).
    let mut data = first.apply_without_truncating(&base);
    let second = Injection { start_ms: 9 * 60 * MIN, ..first.clone() };
    data = second.apply(&data);
    let (_, changes) = run(&data);
    let ended = changes.iter().filter(|c| matches!(c, DriftChange::Ended(_))).count();
    assert_eq!(raised(&changes).len(), 2, "{changes:?}");
    assert_eq!(ended, 1, "{changes:?}");
}

#[test]
fn history_from_the_server_counts_as_the_baseline() {
    // A tablet that opens the bed late gets four hours of per-minute means
    // and then the live data: it judges as soon as the live data arrives.
    let mut d = BedDrift::new();
    for m in 0..240 {
        let t = T0 + m * MIN;
        d.on_minute(VitalKind::Hr, t, 78.0 + wobble(m, 2.0));
        d.on_minute(VitalKind::Rr, t, 15.0 + wobble(m + 3, 1.0));
    }
    for s in 0..120 {
        let t = T0 + 240 * MIN + s * 1000;
        d.on_numeric(VitalKind::Hr, t, 79.0);
        d.on_numeric(VitalKind::Rr, t, 15.0);
    }
    let a = d.assessment().expect("judged on history");
    assert!(!a.unusual);
    // Minutes already held are not replaced by a late copy.
    d.on_minute(VitalKind::Hr, T0 + 10 * MIN, 400.0);
    assert!(d.chart(Param::Hr, 240).iter().all(|p| p.1 < 100.0));
}

#[test]
fn implausible_values_are_ignored() {
    let mut data = stable(4 * 60);
    // RR reading 0 for four minutes (BIDMC 13) and HR 0 readings.
    for x in data.iter_mut() {
        if (x.1 == VitalKind::Rr || x.1 == VitalKind::Hr) && (100 * MIN..104 * MIN).contains(&x.0) {
            x.2 = 0.0;
        }
    }
    let (d, changes) = run(&data);
    assert!(raised(&changes).is_empty());
    assert!(d.chart(Param::Rr, 240).iter().all(|p| p.1 > 5.0));
}

#[test]
fn the_same_samples_give_the_same_advisories() {
    let inj = Injection {
        pattern: Pattern::Sepsis,
        shape: Shape::Sigmoid,
        start_ms: 3 * 60 * MIN,
        ramp_ms: 90 * MIN,
        hold_ms: 30 * MIN,
    };
    let data = inj.apply(&stable(6 * 60));
    let (a, ca) = run(&data);
    let (b, cb) = run(&data);
    assert_eq!(ca, cb);
    assert_eq!(a.assessment(), b.assessment());
}

#[test]
fn a_wearable_without_ecg_is_judged_on_its_pulse_rate() {
    let data: Vec<_> = stable(5 * 60)
        .into_iter()
        .map(|(t, k, v)| if k == VitalKind::Hr { (t, VitalKind::Pulse, v) } else { (t, k, v) })
        .collect();
    let inj = linear(vec![(Param::Hr, 30.0), (Param::Rr, 8.0)], 3 * 60, 40, 30);
    let (d, _) = run(&inj.apply(&data));
    let adv = d.advisory().expect("advised");
    assert!(adv.assessment.reason.contains("PR +"), "{}", adv.assessment.reason);
}

#[test]
fn every_injected_shape_reaches_its_full_size_at_the_end_of_the_ramp() {
    for shape in Shape::ALL {
        assert!(shape.fraction(0.0).abs() < 1e-9, "{shape:?}");
        assert!((shape.fraction(1.0) - 1.0).abs() < 1e-9, "{shape:?}");
        let mut last = 0.0;
        for i in 0..=100 {
            let f = shape.fraction(i as f64 / 100.0);
            assert!(f >= last - 1e-12, "{shape:?} is monotonic");
            last = f;
        }
    }
}

#[test]
fn history_that_arrives_after_the_live_data_is_judged_at_once() {
    // The tablet's live link is faster than its history request: the first
    // live minutes are judged without a baseline, then the history lands.
    let data = linear(vec![(Param::Hr, 30.0), (Param::Rr, 8.0)], 180, 40, 60).apply(&stable(280));
    let split = 270 * MIN;
    let mut minutes: BTreeMap<(VitalKind, i64), (f64, u32)> = BTreeMap::new();
    for &(t, k, v) in data.iter().filter(|x| x.0 < split) {
        let e = minutes.entry((k, (T0 + t).div_euclid(MIN))).or_default();
        e.0 += v;
        e.1 += 1;
    }
    let mut d = BedDrift::new();
    for &(t, k, v) in data.iter().filter(|x| (split..split + 3 * MIN).contains(&x.0)) {
        d.on_numeric(k, T0 + t, v);
    }
    assert!(d.advisory().is_none(), "no baseline yet");
    for (&(k, m), &(sum, n)) in &minutes {
        d.on_minute(k, m * MIN, sum / f64::from(n));
    }
    d.rejudge();
    assert!(d.advisory().is_some(), "judged on the history at once: {:?}", d.assessment());
}

#[test]
fn history_that_arrives_before_the_live_data_is_judged_at_the_first_live_minute() {
    let data = linear(vec![(Param::Hr, 30.0), (Param::Rr, 8.0)], 180, 40, 60).apply(&stable(280));
    let split = 270 * MIN;
    let mut minutes: BTreeMap<(VitalKind, i64), (f64, u32)> = BTreeMap::new();
    for &(t, k, v) in data.iter().filter(|x| x.0 < split) {
        let e = minutes.entry((k, (T0 + t).div_euclid(MIN))).or_default();
        e.0 += v;
        e.1 += 1;
    }
    let mut d = BedDrift::new();
    for (&(k, m), &(sum, n)) in &minutes {
        d.on_minute(k, m * MIN, sum / f64::from(n));
    }
    d.rejudge();
    // Two live minutes: the first minute boundary judges the history.
    for &(t, k, v) in data.iter().filter(|x| (split..split + 2 * MIN).contains(&x.0)) {
        d.on_numeric(k, T0 + t, v);
    }
    assert!(d.advisory().is_some(), "judged on the history at the first live minute: {:?}", d.assessment());
}
