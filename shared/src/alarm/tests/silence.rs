//! Data that stops, comes twice or comes late: a gap restarts a pending
//! delay, a re-delivered sample is not judged again, a silent bed raises "no
//! data" unless the tablet itself is offline, and a lost link raises its own
//! alarm, counted from when it failed.

use super::*;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

#[test]
fn a_gap_in_the_data_restarts_a_pending_delay_but_a_slow_feed_is_not_a_gap() {
    // 1 Hz: 4 s of HR 130, 40 s of nothing, 4 s of HR 130: never 6 s of evidence.
    let mut w = WardAlarms::default();
    feed(&mut w, VitalKind::Hr, 0, &[80.0, 130.0, 130.0, 130.0, 130.0]);
    feed(&mut w, VitalKind::Hr, 45, &[130.0; 5]);
    assert!(log(&w).is_empty());
    // A per-minute feed (minute averages): two low minutes in a row alarm.
    let mut w = WardAlarms::default();
    for (i, v) in [60.0, 60.0, 45.0, 45.0].into_iter().enumerate() {
        let t = T + i as i64 * 60 * S;
        w.on_frame("b1", &frame(i as u64 + 1, &[(VitalKind::Hr, t, v)]), t);
    }
    let a = &log(&w)[0];
    assert_eq!((a.id.condition, a.id.onset, a.raised), (vital(VitalKind::Hr, Band::Low), T + 120 * S, T + 180 * S));
}

#[test]
fn a_redelivered_or_older_sample_is_not_judged_again() {
    let mut w = WardAlarms::default();
    feed(&mut w, VitalKind::Hr, 0, &[130.0; 8]);
    let before = log(&w);
    // Re-delivery of older samples (e.g. after a reconnect) changes nothing.
    feed(&mut w, VitalKind::Hr, 0, &[80.0; 8]);
    assert_eq!(log(&w), before);
}

#[test]
fn silence_from_a_bed_raises_no_data_unless_the_tablet_itself_is_offline() {
    let mut w = WardAlarms::default();
    feed(&mut w, VitalKind::Hr, 0, &[80.0; 3]);
    let last = T + 2 * S;
    w.tick(last + 9 * S, true);
    assert!(w.shown().is_empty());
    w.tick(last + 10 * S, true);
    let shown = w.shown();
    assert_eq!(shown[0].id.condition, Condition::NoData);
    assert_eq!(shown[0].id.onset, last, "onset is the newest sample seen");
    feed(&mut w, VitalKind::Hr, 30, &[80.0]);
    assert!(w.shown().is_empty(), "data again ends it");

    let mut offline = WardAlarms::default();
    feed(&mut offline, VitalKind::Hr, 0, &[80.0; 3]);
    for s in 3..30 {
        offline.tick(T + s * S, false);
    }
    let shown: Vec<_> = offline.shown().iter().map(|a| a.id.condition).collect();
    assert_eq!(shown, vec![Condition::ConnectionLost], "one connection alarm, not one per bed");
}

#[test]
fn a_bed_that_went_silent_before_the_tablet_opened_raises_no_data_too() {
    use crate::protocol::live::BedInfo;
    let mut w = WardAlarms::default();
    let info = |last_frame| BedInfo { id: "b1".into(), label: "Bed 1".into(), patient: None, last_frame };
    w.on_ward(&[info(Some(T))]);
    // Before the bed's backfill has arrived, silence is not judged.
    w.tick(T + 30 * S, true);
    assert!(w.shown().is_empty());
    w.on_caught_up("b1");
    w.tick(T + 31 * S, true);
    assert_eq!(w.shown()[0].id.condition, Condition::NoData);
    // A bed that never sent anything (an empty bed) does not alarm.
    let mut w = WardAlarms::default();
    w.on_ward(&[info(None)]);
    w.tick(T + 60 * S, true);
    assert!(w.shown().is_empty());
}

#[test]
fn a_lost_connection_alarms_after_its_delay_and_ends_on_reconnect() {
    let mut w = WardAlarms::default();
    w.tick(T, false);
    w.tick(T + 2 * S, false);
    assert!(w.shown().is_empty(), "a quick reconnect does not alarm");
    w.tick(T + 3 * S, false);
    assert_eq!(w.shown()[0].text(), "Connection to server lost");
    assert_eq!(w.shown()[0].id.onset, T);
    w.tick(T + 9 * S, true);
    assert!(w.shown().is_empty());
    assert_eq!(w.connection_log().count(), 1);
}

#[test]
fn a_lost_connection_counts_from_when_the_link_failed_not_from_the_tick_that_noticed() {
    // The connection layer saw the link fail at T + 400 ms; the once-a-second
    // rules run at T + 1 s. The alarm's onset is the failure, and it falls due
    // 3 s after it, so the tablet can judge it then rather than a tick later.
    let mut w = WardAlarms::default();
    assert_eq!(w.connection_due(), None, "nothing due while connected");
    w.link_lost(T + 400);
    w.tick(T + S, false);
    assert_eq!(w.connection_due(), Some(T + 3_400));
    w.tick(T + 3_399, false);
    assert!(w.shown().is_empty());
    w.tick(T + 3_400, false);
    assert_eq!(w.shown()[0].id.onset, T + 400);
    assert_eq!(w.connection_due(), None, "raised: nothing more due");
    // A later report of the same outage (a retry failing) moves nothing.
    w.link_lost(T + 9 * S);
    w.tick(T + 10 * S, false);
    assert_eq!(w.shown().len(), 1);
    assert_eq!(w.shown()[0].id.onset, T + 400);
    // Back: ended; a new outage starts its own count.
    w.tick(T + 11 * S, true);
    assert_eq!(w.connection_due(), None);
    w.link_lost(T + 20 * S);
    assert_eq!(w.connection_due(), Some(T + 23 * S));
}
