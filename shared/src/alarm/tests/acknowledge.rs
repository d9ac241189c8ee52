//! Acknowledging alarms: what a tap silences and for how long, on every
//! tablet whatever its clock, what latches, what escalates, and what a later
//! episode of the same condition still sounds.

use super::*;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

#[test]
fn a_high_priority_alarm_latches_until_acknowledged() {
    let mut w = WardAlarms::default();
    feed(&mut w, VitalKind::Spo2, 0, &[84.0; 12]);
    feed(&mut w, VitalKind::Spo2, 12, &[97.0; 3]);
    let shown: Vec<_> = w.shown().into_iter().cloned().collect();
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].id.condition, vital(VitalKind::Spo2, Band::ExtremeLow));
    assert!(!shown[0].active(), "its condition has ended");
    assert_eq!(shown[0].text(), "SpO2 84 < 85", "a latched alarm shows the worst value");
    let now = T + 20 * S;
    assert_eq!(w.audible(now), Some(Priority::High));
    w.on_event(&event(1, now, BedEvent::Acknowledge { ids: w.to_acknowledge("b1") }));
    assert!(w.shown().is_empty());
    assert_eq!(w.audible(now), None);
}

#[test]
fn acknowledging_pauses_the_sound_of_what_is_shown_now_and_a_new_condition_sounds_again() {
    let mut w = WardAlarms::default();
    feed(&mut w, VitalKind::Hr, 0, &[130.0; 8]);
    let at = T + 8 * S;
    w.on_event(&event(1, at, BedEvent::Acknowledge { ids: w.to_acknowledge("b1") }));
    assert_eq!(w.audible(at), None);
    assert_eq!(w.shown().len(), 1, "audio pause never removes the visual signal");
    // A new condition on the same bed sounds at once.
    feed(&mut w, VitalKind::Rr, 9, &[35.0; 10]);
    assert_eq!(w.audible(T + 19 * S), Some(Priority::Medium));
    let hr = w.shown().into_iter().find(|a| a.id.condition == vital(VitalKind::Hr, Band::High)).unwrap().clone();
    assert!(!hr.audible(T + 19 * S));
    // The pause ends after 2 min: the HR alarm, still active, sounds again.
    assert!(hr.audible(at + 120 * S));
}

#[test]
fn an_acknowledgement_that_arrives_before_this_tablet_derived_the_alarm_still_applies() {
    let mut first = WardAlarms::default();
    feed(&mut first, VitalKind::Hr, 0, &[130.0; 8]);
    let ids = first.to_acknowledge("b1");
    let mut late = WardAlarms::default();
    late.on_event(&event(1, T + 8 * S, BedEvent::Acknowledge { ids }));
    feed(&mut late, VitalKind::Hr, 0, &[130.0; 8]);
    assert_eq!(late.audible(T + 9 * S), None);
    assert_eq!(late.shown()[0].ack.as_ref().unwrap().by, "RN Test");
}

#[test]
fn an_acknowledgement_naming_the_alarm_silences_it_on_a_tablet_whose_clock_runs_behind_the_monitor() {
    // The tablet's clock is 10 s behind the monitor's: its tap on an alarm
    // that began less than 10 s ago (monitor time) is stamped before the onset.
    let mut w = WardAlarms::default();
    feed(&mut w, VitalKind::Hr, 0, &[130.0; 8]);
    let ids = w.to_acknowledge("b1");
    assert_eq!(ids.len(), 1);
    let onset = ids[0].onset;
    let tap = T + 8 * S - 10 * S;
    assert!(tap < onset, "the premise: the tap's time is before the onset");
    w.on_event(&event(1, tap, BedEvent::Acknowledge { ids }));
    let shown = w.shown();
    assert_eq!(shown[0].ack.as_ref().map(|a| a.by.as_str()), Some("RN Test"));
    assert_eq!(w.audible(tap + S), None, "silenced on the tablet's own clock");
    assert!(w.audible(tap + 121 * S).is_some(), "the 2 min pause still ends");
}

#[test]
fn an_acknowledgement_stamped_before_a_later_episode_still_leaves_that_episode_sounding() {
    // The exact-id match must not widen: an acknowledgement naming the first
    // episode does not silence the next one of the same condition.
    let mut w = WardAlarms::default();
    feed(&mut w, VitalKind::Hr, 0, &[130.0; 8]);
    let first = w.to_acknowledge("b1");
    w.on_event(&event(1, T + 8 * S, BedEvent::Acknowledge { ids: first.clone() }));
    feed(&mut w, VitalKind::Hr, 8, &[80.0; 30]);
    feed(&mut w, VitalKind::Hr, 38, &[130.0; 10]);
    let next: Vec<_> = w.shown().into_iter().filter(|a| a.active() && !first.contains(&a.id)).cloned().collect();
    assert_eq!(next.len(), 1, "a new episode: {:?}", w.shown());
    assert!(next[0].ack.is_none());
    assert!(w.audible(T + 48 * S).is_some());
}

#[test]
fn a_tablet_that_opened_later_matches_an_acknowledgement_to_the_same_episode() {
    // A saw the desaturation from its start; B opened 20 s later and derives
    // the same episode with a later onset (a different id).
    let mut a = WardAlarms::default();
    feed(&mut a, VitalKind::Spo2, 0, &[84.0; 40]);
    let mut b = WardAlarms::default();
    feed(&mut b, VitalKind::Spo2, 20, &[84.0; 20]);
    let (ida, idb) = (a.to_acknowledge("b1"), b.to_acknowledge("b1"));
    assert_ne!(ida, idb);
    let ack = event(1, T + 40 * S, BedEvent::Acknowledge { ids: ida });
    b.on_event(&ack);
    assert_eq!(b.audible(T + 41 * S), None, "the same episode is silenced on B");
    // A new desaturation after the acknowledgement is not.
    feed(&mut b, VitalKind::Spo2, 40, &[97.0; 5]);
    feed(&mut b, VitalKind::Spo2, 45, &[76.0]);
    assert_eq!(b.audible(T + 46 * S), Some(Priority::High));
}

#[test]
fn an_acknowledged_high_alarm_still_sounding_after_its_pause_escalates_again() {
    let mut w = WardAlarms::default();
    feed(&mut w, VitalKind::Spo2, 0, &[75.0; 2]);
    w.on_event(&event(1, T + 5 * S, BedEvent::Acknowledge { ids: w.to_acknowledge("b1") }));
    w.tick(T + 100 * S, true);
    assert!(!w.escalated(T + 100 * S), "paused: not unanswered");
    // Pause ends at 125 s; still sounding 60 s later it is unanswered again.
    w.tick(T + 186 * S, true);
    assert!(w.escalated(T + 186 * S));
}

#[test]
fn an_unacknowledged_high_priority_alarm_escalates() {
    let mut w = WardAlarms::default();
    feed(&mut w, VitalKind::Spo2, 0, &[75.0; 2]);
    w.take_changes();
    w.tick(T + 59 * S, true);
    assert!(!w.escalated(T + 59 * S));
    w.tick(T + 62 * S, true);
    assert!(w.escalated(T + 62 * S));
    assert!(w.take_changes().iter().any(|c| matches!(c, Change::Escalated(_))));
}
