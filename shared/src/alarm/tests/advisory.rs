//! The unusual-trend advisory in the engine: low priority, never a sound,
//! out of the way of the alarms, dismissed for every tablet by an audited
//! event, and kept in the bed's history.

use super::*;
use crate::drift::inject::{Injection, Pattern, Shape};
use crate::drift::Param;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const MIN: i64 = 60 * S;

/// A steady patient once a second, HR/RR/SpO2, with some wobble; minutes
/// from `T`.
fn patient(minutes: i64) -> Vec<(i64, VitalKind, f64)> {
    let mut v = Vec::new();
    for s in 0..minutes * 60 {
        let x = s as f64;
        let t = s * S;
        v.push((t, VitalKind::Hr, 76.0 + 2.0 * (x / 97.0).sin()));
        v.push((t, VitalKind::Rr, 14.0 + (x / 41.0).cos()));
        v.push((t, VitalKind::Spo2, 97.0 + 0.5 * (x / 53.0).sin()));
    }
    v
}

/// A steady drift of HR by `hr`/min and RR +8/min, minutes from `T`.
fn drift(hr: f64, start_min: i64, ramp_min: i64, hold_min: i64) -> Injection {
    Injection {
        pattern: Pattern::Custom(vec![(Param::Hr, hr), (Param::Rr, 8.0)]),
        shape: Shape::Linear,
        start_ms: start_min * MIN,
        ramp_ms: ramp_min * MIN,
        hold_ms: hold_min * MIN,
    }
}

/// HR +30/min and RR +8/min over 40 min from 3 h, held for `hold_min`.
fn drifting(minutes: i64, hold_min: i64) -> Vec<(i64, VitalKind, f64)> {
    drift(30.0, 180, 40, hold_min).apply_without_truncating(&patient(minutes))
}

/// One frame a second, the tablet clock at the sample time.
fn play(w: &mut WardAlarms, data: &[(i64, VitalKind, f64)]) {
    let mut i = 0;
    while i < data.len() {
        let t = data[i].0;
        let j = i + data[i..].iter().take_while(|x| x.0 == t).count();
        let nums: Vec<(VitalKind, i64, f64)> = data[i..j].iter().map(|&(t, k, v)| (k, T + t, v)).collect();
        w.on_frame("b1", &frame((T + t) as u64, &nums), T + t);
        w.tick(T + t, true);
        i = j;
    }
}

#[test]
fn a_drift_inside_the_limits_is_advised_without_an_alarm_or_a_sound() {
    let mut w = WardAlarms::default();
    play(&mut w, &drifting(240, 60));
    let adv = w.advisory("b1").expect("advised");
    assert!(adv.assessment.reason.starts_with("HR +"), "{}", adv.assessment.reason);
    assert!(log(&w).is_empty(), "no threshold alarm: {:?}", log(&w));
    assert_eq!(w.audible(T + 240 * MIN), None);
    assert!(w.shown_for("b1").is_empty(), "the advisory is not an alarm");
}

#[test]
fn a_dismissal_hides_the_advisory_on_every_tablet_and_is_kept_in_the_history() {
    let mut w = WardAlarms::default();
    let data = drifting(260, 60);
    play(&mut w, &data);
    let onset = w.advisory("b1").expect("advised").onset;
    // Another tablet raised it 5 minutes earlier and dismissed it then.
    w.on_event(&event(7, T + 250 * MIN, BedEvent::DismissAdvisory { active_at: onset - 5 * MIN }));
    assert!(w.advisory("b1").is_none());
    let hist = w.bed("b1").unwrap().advisories();
    let entry = hist.iter().find(|e| e.advisory.onset == onset).expect("in the history");
    assert_eq!(entry.dismissed.as_ref().map(|d| d.0.as_str()), Some("RN Test"));
    assert!(entry.advisory.ended.is_none(), "dismissed, not ended: the drift goes on");
}

#[test]
fn a_dismissal_of_an_earlier_advisory_does_not_hide_a_new_one() {
    let mut w = WardAlarms::default();
    // The first drift ends at 4 h 10, the patient is back; a second from 9 h.
    let first = drifting(12 * 60, 30);
    let data = drift(30.0, 540, 40, 600).apply_without_truncating(&first);
    let (before, after): (Vec<_>, Vec<_>) = data.into_iter().partition(|x| x.0 < 240 * MIN);
    play(&mut w, &before);
    let first = w.advisory("b1").expect("first advised").clone();
    let onset = first.onset;
    w.on_event(&event(3, T + 240 * MIN, BedEvent::DismissAdvisory { active_at: first.assessment.t }));
    assert!(w.advisory("b1").is_none());
    play(&mut w, &after);
    let now = w.advisory("b1").expect("the second drift is advised");
    assert!(now.onset > onset + 5 * 60 * MIN);
}

#[test]
fn an_alarm_on_a_drifting_parameter_takes_the_advisory_s_place() {
    let mut w = WardAlarms::default();
    // HR climbs past its high limit (120) during the hold.
    let data = drift(55.0, 180, 60, 60).apply(&patient(300));
    let (early, late): (Vec<_>, Vec<_>) = data.into_iter().partition(|x| x.0 < 225 * MIN);
    play(&mut w, &early);
    assert!(w.advisory("b1").is_some(), "advised before the limit is reached");
    assert!(log(&w).is_empty());
    play(&mut w, &late);
    assert!(w.shown_for("b1").iter().any(|a| a.id.condition == vital(VitalKind::Hr, Band::High)));
    assert!(w.advisory("b1").is_none(), "the alarm says it now");
    let b = w.bed("b1").unwrap();
    assert!(b.drift().advisory().is_some(), "still tracked underneath");
}

#[test]
fn the_server_history_gives_a_late_tablet_its_baseline() {
    let data = drifting(250, 60);
    // Per-minute means of the first 3 h 30, as the trend endpoint gives them.
    let mut minutes: std::collections::BTreeMap<(VitalKind, i64), (f64, u32)> = Default::default();
    for &(t, k, v) in data.iter().filter(|x| x.0 < 210 * MIN) {
        let e = minutes.entry((k, t / MIN)).or_default();
        e.0 += v;
        e.1 += 1;
    }
    let mut w = WardAlarms::default();
    let mut series = Vec::new();
    for kind in [VitalKind::Hr, VitalKind::Rr, VitalKind::Spo2] {
        let pts: Vec<(i64, f64)> = minutes
            .iter()
            .filter(|((k, _), _)| *k == kind)
            .map(|((_, m), (s, n))| (T + m * MIN, s / *n as f64))
            .collect();
        series.push((kind, pts));
    }
    w.seed_trends("b1", &series);
    // The live backfill brings the last 40 minutes.
    play(&mut w, &data.into_iter().filter(|x| x.0 >= 210 * MIN).collect::<Vec<_>>());
    assert!(w.advisory("b1").is_some());
}

#[test]
fn a_dismissal_needs_a_plausible_onset() {
    let req = EventRequest {
        id: "r1".into(),
        bed: "b1".into(),
        actor: "RN Test".into(),
        event: BedEvent::DismissAdvisory { active_at: -5 },
    };
    assert!(req.validate(Profile::Adult).is_err());
    let ok = EventRequest { event: BedEvent::DismissAdvisory { active_at: T }, ..req };
    assert!(ok.validate(Profile::Adult).is_ok());
    assert!(ok.event.describe().contains("unusual-trend advisory"), "{}", ok.event.describe());
}

#[test]
fn a_parameter_joining_after_the_dismissal_shows_the_advisory_again() {
    let mut w = WardAlarms::default();
    // HR and RR drift from 3 h; from 4 h 30 SpO2 falls too (97 -> 92 %).
    let hr_rr = drifting(330, 120);
    let spo2 = Injection {
        pattern: Pattern::Custom(vec![(Param::Spo2, -5.0)]),
        shape: Shape::Linear,
        start_ms: 270 * MIN,
        ramp_ms: 40 * MIN,
        hold_ms: 60 * MIN,
    };
    let data = spo2.apply_without_truncating(&hr_rr);
    let (before, after): (Vec<_>, Vec<_>) = data.into_iter().partition(|x| x.0 < 250 * MIN);
    play(&mut w, &before);
    let adv = w.advisory("b1").expect("advised").clone();
    assert!(!adv.raised_by.contains(&Param::Spo2));
    w.on_event(&event(4, T + 250 * MIN, BedEvent::DismissAdvisory { active_at: adv.assessment.t }));
    assert!(w.advisory("b1").is_none());
    play(&mut w, &after);
    let again = w.advisory("b1").expect("SpO2 joined: shown again");
    assert_eq!(again.onset, adv.onset, "the same advisory, with news");
    assert!(again.assessment.drivers.iter().any(|d| d.param == Param::Spo2), "{:?}", again.assessment);
}

#[test]
fn a_bed_that_sends_nothing_shows_no_advisory() {
    let mut w = WardAlarms::default();
    play(&mut w, &drifting(240, 60));
    assert!(w.advisory("b1").is_some());
    // The monitor goes silent: No data, and the trend is not judged on.
    w.tick(T + 241 * MIN, true);
    assert!(w.shown_for("b1").iter().any(|a| a.id.condition == Condition::NoData));
    assert!(w.advisory("b1").is_none());
}

#[test]
fn a_dismissed_advisory_of_the_learned_detector_shows_again_when_the_rules_confirm_it() {
    // The model's early advisory is dismissed; the rules' finding of the
    // same drift, later, is not hidden by that dismissal.
    use crate::drift::{BedDrift, Model};
    const HR_UP: Model = Model::new(|f| f32::from(f[0] > 0.2), 0.5);
    let mut w = WardAlarms::default();
    let early = Injection {
        pattern: Pattern::Custom(vec![(Param::Hr, 8.0), (Param::Spo2, -2.5)]),
        shape: Shape::Linear,
        start_ms: 180 * MIN,
        ramp_ms: 60 * MIN,
        hold_ms: 120 * MIN,
    };
    let data = drift(22.0, 270, 30, 60).apply_without_truncating(&early.apply_without_truncating(&patient(330)));
    let first = data.iter().position(|x| x.0 >= 250 * MIN).unwrap();
    play(&mut w, &data[..1]);
    w.set_drift("b1", BedDrift::with_model(Some(HR_UP)));
    play(&mut w, &data[..first]);
    let adv = w.advisory("b1").expect("the model's advisory").clone();
    assert!(adv.by_model && adv.confirmed.is_none(), "{adv:?}");
    w.on_event(&event(9, T + 250 * MIN, BedEvent::DismissAdvisory { active_at: adv.assessment.t }));
    assert!(w.advisory("b1").is_none(), "dismissed");
    play(&mut w, &data[first..]);
    let again = w.advisory("b1").expect("shown again once the rules confirm it").clone();
    assert_eq!(again.onset, adv.onset);
    assert!(again.confirmed.is_some_and(|c| c > adv.assessment.t), "{again:?}");
    // Seen again: dismissed again.
    w.on_event(&event(10, T + 320 * MIN, BedEvent::DismissAdvisory { active_at: again.assessment.t }));
    assert!(w.advisory("b1").is_none(), "dismissed a second time");
}
