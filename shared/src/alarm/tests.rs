//! The alarm engine's specification, as tests. Times are device times in ms
//! from an arbitrary epoch `T`; samples come once a second unless said.

use super::limits::{validate, LimitError};
use super::*;
use crate::frame::{RawFrame, RawNumeric, Technical};
use crate::news2::{Consciousness, Oxygen, Risk, SpO2Scale};
use crate::Frame;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const T: i64 = 1_790_000_000_000;
const S: i64 = 1000;

fn frame(seq: u64, numerics: &[(VitalKind, i64, f64)]) -> Frame {
    Frame::try_from(RawFrame {
        seq,
        numerics: numerics.iter().map(|&(kind, t, value)| RawNumeric { kind, t, value }).collect(),
        waves: vec![],
        technical: vec![],
    })
    .unwrap()
}

fn technical(seq: u64, t: i64, condition: TechnicalCondition, sensor: Sensor, active: bool) -> Frame {
    Frame::try_from(RawFrame {
        seq,
        numerics: vec![],
        waves: vec![],
        technical: vec![Technical { t, condition, sensor, active }],
    })
    .unwrap()
}

/// Feeds one value per second of `kind` from `T + start_s`, one frame each;
/// the tablet clock equals the sample time.
fn feed(w: &mut WardAlarms, kind: VitalKind, start_s: i64, values: &[f64]) {
    for (i, v) in values.iter().enumerate() {
        let t = T + (start_s + i as i64) * S;
        w.on_frame("b1", &frame(t as u64, &[(kind, t, *v)]), t);
        w.tick(t, true);
    }
}

fn log(w: &WardAlarms) -> Vec<Alarm> {
    w.bed("b1").map(|b| b.log().cloned().collect()).unwrap_or_default()
}

fn vital(kind: VitalKind, band: Band) -> Condition {
    Condition::Vital { kind, band }
}

fn event(seq: u64, at: i64, event: BedEvent) -> StoredEvent {
    StoredEvent { seq, at, bed: "b1".into(), actor: "RN Test".into(), request: format!("r{seq}"), event }
}

#[test]
fn a_brief_excursion_that_returns_within_the_delay_never_alarms() {
    let mut w = WardAlarms::default();
    // HR 130 for 5 s (t = 0..=4 s, lasting 4 s < 6 s), then back to 80.
    feed(&mut w, VitalKind::Hr, 0, &[80.0, 130.0, 130.0, 130.0, 130.0, 130.0, 80.0, 80.0]);
    assert!(log(&w).is_empty(), "{:?}", log(&w));
}

#[test]
fn a_sustained_violation_alarms_once_its_delay_has_passed_with_onset_at_its_first_sample() {
    let mut w = WardAlarms::default();
    feed(&mut w, VitalKind::Hr, 0, &[80.0; 10]);
    feed(&mut w, VitalKind::Hr, 10, &[130.0; 10]);
    let alarms = log(&w);
    assert_eq!(alarms.len(), 1);
    let a = &alarms[0];
    assert_eq!(a.id, AlarmId { bed: "b1".into(), condition: vital(VitalKind::Hr, Band::High), onset: T + 10 * S });
    assert_eq!(a.raised, T + 16 * S, "HR high delay is 6 s");
    assert_eq!(a.priority, Priority::Medium);
    assert_eq!(a.text(), "HR 130 > 120");
    assert_eq!((a.limit, a.trigger), (Some(120.0), Some(130.0)));
    assert!(a.active());
}

#[test]
fn an_alarm_ends_at_the_first_sample_inside_its_limit_and_keeps_its_log_entry() {
    let mut w = WardAlarms::default();
    feed(&mut w, VitalKind::Hr, 0, &[125.0, 131.0, 128.0, 126.0, 125.0, 124.0, 123.0, 119.0, 90.0]);
    let a = &log(&w)[0];
    assert_eq!(a.ended, Some(T + 7 * S));
    assert_eq!(a.worst, Some(131.0));
    assert!(!a.shown(), "medium priority does not latch");
    assert!(w.shown().is_empty());
}

#[test]
fn spo2_smart_delay_alarms_sooner_the_deeper_the_fall() {
    // 86 % is 4 below 90: 4 %/s reaches 40 %s after 10 s.
    let mut w = WardAlarms::default();
    feed(&mut w, VitalKind::Spo2, 0, &[86.0; 15]);
    let a = &log(&w)[0];
    assert_eq!(a.id.condition, vital(VitalKind::Spo2, Band::Low));
    assert_eq!(a.raised - a.id.onset, 10 * S);

    // 88 % is 2 below: 20 s.
    let mut w = WardAlarms::default();
    feed(&mut w, VitalKind::Spo2, 0, &[88.0; 25]);
    assert_eq!(log(&w)[0].raised - T, 20 * S);
}

#[test]
fn a_new_episode_is_shown_over_an_ended_latched_one_of_the_same_condition() {
    // Desat at 1 s, recovered at 10 s (latched, not acknowledged), desat again at 30 s.
    let mut w = WardAlarms::default();
    let mut values = vec![97.0, 75.0, 75.0, 75.0, 75.0, 75.0, 75.0, 75.0, 75.0, 75.0];
    values.extend([97.0; 20]);
    values.extend([74.0; 5]);
    feed(&mut w, VitalKind::Spo2, 0, &values);
    let shown = w.shown();
    assert_eq!(shown.len(), 1, "one row per family");
    assert_eq!(shown[0].id.onset, T + 30 * S, "the desaturation happening now, not the one that ended");
    assert!(shown[0].active());
    // Acknowledging the bed clears the ended one too, so it does not come back.
    let ids = w.to_acknowledge("b1");
    let desats: Vec<i64> =
        ids.iter().filter(|id| id.condition == vital(VitalKind::Spo2, Band::ExtremeLow)).map(|id| id.onset).collect();
    assert_eq!(desats, vec![T + S, T + 30 * S]);
    w.on_event(&event(1, T + 36 * S, BedEvent::Acknowledge { ids }));
    feed(&mut w, VitalKind::Spo2, 36, &[97.0; 3]);
    assert!(w.shown().is_empty(), "both cleared once the new one ended: {:?}", w.shown());
}

#[test]
fn spo2_smart_delay_never_waits_beyond_its_maximum() {
    // 89.5 % would need 80 s of area; the maximum delay is 30 s.
    let mut w = WardAlarms::default();
    feed(&mut w, VitalKind::Spo2, 0, &[89.5; 40]);
    assert_eq!(log(&w)[0].raised - T, 30 * S);
}

#[test]
fn a_severe_desaturation_alarms_at_once_as_high_priority() {
    let mut w = WardAlarms::default();
    feed(&mut w, VitalKind::Spo2, 0, &[97.0, 76.0]);
    let shown = w.shown();
    assert_eq!(shown.len(), 1, "Desat hides SpO2 low of the same family");
    assert_eq!(shown[0].id.condition, vital(VitalKind::Spo2, Band::ExtremeLow));
    assert_eq!(shown[0].priority, Priority::High);
    assert_eq!(shown[0].raised, T + S);
    assert_eq!(shown[0].describe(), "Desat: SpO2 76 < 85");
    assert_eq!(log(&w).len(), 2, "both conditions are logged");
}

#[test]
fn the_same_samples_give_the_same_alarms_and_ids_however_they_are_framed() {
    let values: Vec<f64> =
        (0..120).map(|i| if (20..40).contains(&i) || (70..100).contains(&i) { 84.0 } else { 96.0 }).collect();
    let mut one_by_one = WardAlarms::default();
    feed(&mut one_by_one, VitalKind::Spo2, 0, &values);
    let mut batched = WardAlarms::default();
    for (chunk_no, chunk) in values.chunks(7).enumerate() {
        let numerics: Vec<_> = chunk
            .iter()
            .enumerate()
            .map(|(i, v)| (VitalKind::Spo2, T + (chunk_no as i64 * 7 + i as i64) * S, *v))
            .collect();
        batched.on_frame("b1", &frame(chunk_no as u64 + 1, &numerics), T);
    }
    let strip = |a: Alarm| (a.id, a.priority, a.raised, a.ended, a.limit, a.trigger, a.worst);
    let a: Vec<_> = log(&one_by_one).into_iter().map(strip).collect();
    let b: Vec<_> = log(&batched).into_iter().map(strip).collect();
    assert_eq!(a.len(), 4, "two desaturations, each SpO2 low and Desat");
    assert_eq!(a, b);
}

#[test]
fn lead_off_ends_the_heart_rate_alarm_and_raises_a_technical_alarm_instead() {
    let mut w = WardAlarms::default();
    feed(&mut w, VitalKind::Hr, 0, &[130.0; 8]);
    let t = T + 8 * S;
    w.on_frame("b1", &technical(100, t, TechnicalCondition::LeadOff, Sensor::Ecg, true), t);
    let shown = w.shown();
    assert_eq!(shown.len(), 1);
    assert_eq!(
        shown[0].id.condition,
        Condition::Technical { condition: TechnicalCondition::LeadOff, sensor: Sensor::Ecg }
    );
    assert_eq!(shown[0].priority, Priority::Medium);
    assert_eq!(shown[0].text(), "Lead off (ECG)");
    // Values while the lead is off are not judged.
    feed(&mut w, VitalKind::Hr, 9, &[200.0; 10]);
    assert_eq!(w.shown().len(), 1);
    let t = T + 20 * S;
    w.on_frame("b1", &technical(101, t, TechnicalCondition::LeadOff, Sensor::Ecg, false), t);
    assert!(w.shown().is_empty());
}

#[test]
fn pulse_rate_alarms_only_when_no_ecg_heart_rate_is_measured() {
    let mut w = WardAlarms::default();
    for i in 0..15 {
        let t = T + i * S;
        w.on_frame("b1", &frame(i as u64 + 1, &[(VitalKind::Hr, t, 130.0), (VitalKind::Pulse, t, 130.0)]), t);
    }
    let conditions: Vec<_> = log(&w).iter().map(|a| a.id.condition).collect();
    assert_eq!(conditions, vec![vital(VitalKind::Hr, Band::High)]);
    // Without HR (ECG not connected) the pulse rate is the alarm source.
    let mut w = WardAlarms::default();
    feed(&mut w, VitalKind::Pulse, 0, &[130.0; 15]);
    assert_eq!(log(&w)[0].id.condition, vital(VitalKind::Pulse, Band::High));
}

#[test]
fn a_lead_coming_off_makes_the_pulse_rate_the_alarm_source_at_once() {
    let mut w = WardAlarms::default();
    for i in 0..5 {
        let t = T + i * S;
        w.on_frame("b1", &frame(i as u64 + 1, &[(VitalKind::Hr, t, 80.0), (VitalKind::Pulse, t, 80.0)]), t);
    }
    let t = T + 5 * S;
    w.on_frame("b1", &technical(10, t, TechnicalCondition::LeadOff, Sensor::Ecg, true), t);
    feed(&mut w, VitalKind::Pulse, 5, &[30.0; 10]);
    let brady = log(&w).into_iter().find(|a| a.id.condition == vital(VitalKind::Pulse, Band::ExtremeLow)).unwrap();
    assert_eq!(brady.id.onset, T + 5 * S);
    assert_eq!(brady.raised, T + 13 * S, "pulse extreme delay (8 s) only, not the HR hand-over");
}

#[test]
fn within_a_frame_sensor_conditions_and_values_are_taken_in_time_order() {
    // The lead is off from T. One frame then carries HR 200 measured at
    // 1..=7 s (while the lead was off: noise) and the lead back on at 8 s.
    // Those values must not be judged, though the frame ends with the lead on.
    let mut w = WardAlarms::default();
    w.on_frame("b1", &technical(1, T, TechnicalCondition::LeadOff, Sensor::Ecg, true), T);
    let raw = RawFrame {
        seq: 2,
        numerics: (1..=7).map(|i| RawNumeric { kind: VitalKind::Hr, t: T + i * S, value: 200.0 }).collect(),
        waves: vec![],
        technical: vec![Technical {
            t: T + 8 * S,
            condition: TechnicalCondition::LeadOff,
            sensor: Sensor::Ecg,
            active: false,
        }],
    };
    w.on_frame("b1", &Frame::try_from(raw).unwrap(), T + 8 * S);
    let vitals: Vec<_> =
        log(&w).into_iter().filter(|a| matches!(a.id.condition, Condition::Vital { .. })).map(|a| a.id).collect();
    assert!(vitals.is_empty(), "{vitals:?}");
}

#[test]
fn the_ward_settings_set_the_audio_pause_and_unsafe_ones_are_ignored() {
    let mut w = WardAlarms::default();
    w.set_options(AlarmOptions { audio_pause_ms: 60_000, ..AlarmOptions::default() });
    feed(&mut w, VitalKind::Hr, 0, &[130.0; 8]);
    w.on_event(&event(1, T + 8 * S, BedEvent::Acknowledge { ids: w.to_acknowledge("b1") }));
    assert_eq!(w.audible(T + 67 * S), None);
    assert_eq!(w.audible(T + 68 * S), Some(Priority::Medium), "sounds again after the ward's 60 s pause");
    w.set_options(AlarmOptions { audio_pause_ms: 0, ..AlarmOptions::default() });
    assert_eq!(w.options().audio_pause_ms, 60_000);
}

#[test]
fn a_limit_change_applies_to_samples_taken_after_it() {
    let mut w = WardAlarms::default();
    let limits = Limits { extreme_low: Some(40.0), low: Some(50.0), high: Some(140.0), extreme_high: Some(150.0) };
    w.on_event(&event(1, T + 10 * S, BedEvent::SetLimits { kind: VitalKind::Hr, limits }));
    feed(&mut w, VitalKind::Hr, 0, &[130.0; 30]);
    let a = &log(&w)[0];
    assert_eq!(a.ended, Some(T + 10 * S), "the alarm under the old limit ends when the new one applies");
    assert_eq!(log(&w).len(), 1);
    assert_eq!(w.bed("b1").unwrap().settings().limits(VitalKind::Hr), Some(limits));
}

#[test]
fn limits_outside_the_profile_bounds_or_switched_off_are_refused_and_change_nothing() {
    let mut settings = AlarmSettings::default();
    let before = settings.clone();
    let bad_bounds = Limits { extreme_low: Some(10.0), low: Some(50.0), high: Some(120.0), extreme_high: Some(140.0) };
    assert!(matches!(settings.set_limits(VitalKind::Hr, bad_bounds), Err(LimitError::OutOfBounds { .. })));
    let off = Limits { extreme_low: None, low: Some(50.0), high: Some(120.0), extreme_high: Some(140.0) };
    assert!(matches!(settings.set_limits(VitalKind::Hr, off), Err(LimitError::Required { .. })));
    let crossed = Limits { extreme_low: Some(40.0), low: Some(130.0), high: Some(120.0), extreme_high: Some(140.0) };
    assert!(matches!(settings.set_limits(VitalKind::Hr, crossed), Err(LimitError::Order { .. })));
    let nan = Limits { extreme_low: Some(40.0), low: Some(f64::NAN), high: Some(120.0), extreme_high: Some(140.0) };
    assert!(settings.set_limits(VitalKind::Hr, nan).is_err());
    assert!(matches!(
        validate(Profile::Adult, VitalKind::NibpDia, &Limits::default()),
        Err(LimitError::NotAlarmed { .. })
    ));
    assert_eq!(settings, before);
    // Switching on a limit the profile has off is allowed: SpO2 high on oxygen.
    let on = Limits { extreme_low: Some(85.0), low: Some(90.0), high: Some(96.0), extreme_high: None };
    assert_eq!(settings.set_limits(VitalKind::Spo2, on), Ok(()));
}

#[test]
fn every_profile_default_is_within_its_own_bounds() {
    for profile in Profile::ALL {
        for p in limits::policies(profile) {
            assert_eq!(validate(profile, p.kind, &p.defaults), Ok(()), "{profile:?} {:?}", p.kind);
            for band in Band::ALL {
                if p.priority(band) == Priority::High {
                    assert!(p.delay(band).max_ms <= 20_000, "high priority delayed too long: {:?} {band:?}", p.kind);
                }
            }
        }
    }
}

#[test]
fn news2_bands_alarm_when_they_hold_and_say_so() {
    let mut w = WardAlarms::default();
    w.on_event(&event(
        1,
        T - S,
        BedEvent::Observe {
            consciousness: Some(Consciousness::Alert),
            oxygen: Some(Oxygen::Air),
            scale: SpO2Scale::Scale1,
        },
    ));
    // RR 25 (3), SpO2 93 (2), HR 112 (2): NEWS2 7, with a 3 in one parameter.
    for i in 0..70 {
        let t = T + i * S;
        let n = [(VitalKind::Rr, t, 25.0), (VitalKind::Spo2, t, 93.0), (VitalKind::Hr, t, 112.0)];
        w.on_frame("b1", &frame(i as u64 + 1, &n), t);
    }
    let b = w.bed("b1").unwrap();
    let news2 = &b.news2().unwrap().1;
    assert_eq!(news2.total, 7);
    let risks: Vec<_> = b
        .log()
        .filter_map(|a| match a.id.condition {
            Condition::News2 { risk } => Some((risk, a.raised - T)),
            _ => None,
        })
        .collect();
    assert!(risks.contains(&(Risk::High, 60 * S)), "{risks:?}");
    assert!(risks.contains(&(Risk::Medium, 60 * S)));
    assert!(risks.contains(&(Risk::LowMedium, 60 * S)));
    let shown = w.shown();
    let news: Vec<_> = shown.iter().filter(|a| matches!(a.id.condition, Condition::News2 { .. })).collect();
    assert_eq!(news.len(), 1, "one NEWS2 alarm is shown: the highest band");
    assert_eq!(news[0].text(), "NEWS2 7 >= 7");
}

#[test]
fn the_ward_list_is_sorted_by_priority_then_onset() {
    let mut w = WardAlarms::default();
    let mut seq = 0;
    let mut put = |w: &mut WardAlarms, bed: &str, kind: VitalKind, start: i64, v: f64, n: i64| {
        for i in 0..n {
            seq += 1;
            let t = T + (start + i) * S;
            w.on_frame(bed, &frame(seq, &[(kind, t, v)]), t);
        }
    };
    put(&mut w, "b2", VitalKind::Hr, 0, 130.0, 10);
    put(&mut w, "b3", VitalKind::Spo2, 5, 75.0, 2);
    put(&mut w, "b1", VitalKind::Rr, 2, 35.0, 12);
    let order: Vec<_> = w.shown().iter().map(|a| (a.id.bed.clone(), a.priority)).collect();
    assert_eq!(
        order,
        vec![("b3".into(), Priority::High), ("b2".into(), Priority::Medium), ("b1".into(), Priority::Medium)]
    );
}

#[test]
fn requests_are_checked_before_they_are_stored() {
    let ok = EventRequest {
        id: "tab1-7".into(),
        bed: "b1".into(),
        actor: "RN Amal".into(),
        event: BedEvent::SetProfile { profile: Profile::Neonatal },
    };
    assert_eq!(ok.validate(Profile::Adult), Ok(()));
    let mut bad = ok.clone();
    bad.id = "no spaces".into();
    assert_eq!(bad.validate(Profile::Adult), Err(EventError::RequestId));
    let mut bad = ok.clone();
    bad.actor = " ".into();
    assert_eq!(bad.validate(Profile::Adult), Err(EventError::Actor));
    let mut bad = ok.clone();
    let other = AlarmId { bed: "b2".into(), condition: Condition::NoData, onset: T };
    bad.event = BedEvent::Acknowledge { ids: vec![other] };
    assert!(matches!(bad.validate(Profile::Adult), Err(EventError::AckBed(_))));
    let json = serde_json::to_string(&ok).unwrap();
    assert_eq!(serde_json::from_str::<EventRequest>(&json).unwrap(), ok);
}

mod acknowledge;
mod advisory;
mod silence;
// Property tests (proptest runs natively only).
#[cfg(not(target_arch = "wasm32"))]
mod properties;
mod rhythm;
