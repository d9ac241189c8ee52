//! Acknowledgements, limit changes and observations: checked, stored once in
//! the hash-chained audit log, relayed to every tablet of the bed.

use crate::api::{next_live_msg, spawn_app, wait_caught_up, TestApp, Ws};
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;
use vigil_server::store::ChainCheck;
use vigil_shared::alarm::{AlarmId, BedEvent, Condition, EventRequest, Limits, StoredEvent};
use vigil_shared::protocol::live::{ClientMessage, ServerMessage};
use vigil_shared::VitalKind;

fn ack(id: &str, bed: &str) -> EventRequest {
    EventRequest {
        id: id.into(),
        bed: bed.into(),
        actor: "RN Okafor".into(),
        event: BedEvent::Acknowledge {
            ids: vec![AlarmId { bed: bed.into(), condition: Condition::NoData, onset: 1_790_000_000_000 }],
        },
    }
}

fn hr_limits(id: &str, high: f64) -> EventRequest {
    EventRequest {
        id: id.into(),
        bed: "b01".into(),
        actor: "Dr Lindqvist".into(),
        event: BedEvent::SetLimits {
            kind: VitalKind::Hr,
            limits: Limits { extreme_low: Some(40.0), low: Some(50.0), high: Some(high), extreme_high: Some(150.0) },
        },
    }
}

/// Audit entries before any event: the test clinician's account and sign-in.
const SEQ0: u64 = 2;

/// The audit entries of the test's events (not of accounts and sign-ins).
async fn bed_events(app: &TestApp) -> Vec<vigil_server::store::AuditEntry> {
    app.store.audit(SEQ0, 100).await.unwrap()
}

async fn send(ws: &mut Ws, request: EventRequest) {
    let text = serde_json::to_string(&ClientMessage::Event { request }).unwrap();
    ws.send(Message::Text(text.into())).await.unwrap();
}

/// The next event or refusal, skipping frames.
async fn next_event(ws: &mut Ws) -> ServerMessage {
    loop {
        let msg = next_live_msg(ws).await;
        if matches!(
            msg,
            ServerMessage::Event { .. } | ServerMessage::EventRejected { .. } | ServerMessage::Error { .. }
        ) {
            return msg;
        }
    }
}

fn stored(msg: ServerMessage) -> StoredEvent {
    match msg {
        ServerMessage::Event { event } => event,
        other => panic!("expected a stored event, got {other:?}"),
    }
}

async fn two_tablets(app: &TestApp) -> (Ws, Ws) {
    let mut a = app.tablet(&[]).await;
    let mut b = app.tablet(&[]).await;
    wait_caught_up(&mut a, 2).await;
    wait_caught_up(&mut b, 2).await;
    (a, b)
}

#[tokio::test]
async fn an_acknowledgement_on_one_tablet_reaches_every_tablet_and_is_audited() {
    let app = spawn_app().await;
    let (mut a, mut b) = two_tablets(&app).await;
    send(&mut a, ack("tab-a-1", "b01")).await;
    let on_a = stored(next_event(&mut a).await);
    let on_b = stored(next_event(&mut b).await);
    assert_eq!(on_a, on_b);
    // The actor is the signed-in account, not the name the tablet wrote.
    assert_eq!((on_a.seq, on_a.actor.as_str(), on_a.request.as_str()), (SEQ0 + 1, "rn-test", "tab-a-1"));
    let audit = bed_events(&app).await;
    assert_eq!(audit.len(), 1);
    assert_eq!((audit[0].kind.as_str(), audit[0].bed.as_deref()), ("acknowledge", Some("b01")));
    assert!(matches!(app.store.check_audit_chain(&[]).await.unwrap(), ChainCheck::Intact { entries, .. } if entries == SEQ0 + 1));
}

#[tokio::test]
async fn a_request_sent_twice_is_stored_once() {
    let app = spawn_app().await;
    let (mut a, _b) = two_tablets(&app).await;
    send(&mut a, ack("tab-a-1", "b01")).await;
    let first = stored(next_event(&mut a).await);
    send(&mut a, ack("tab-a-1", "b01")).await;
    let again = stored(next_event(&mut a).await);
    assert_eq!(first, again);
    assert_eq!(bed_events(&app).await.len(), 1);
}

#[tokio::test]
async fn bad_requests_are_refused_with_a_reason_and_change_nothing() {
    let app = spawn_app().await;
    let (mut a, _b) = two_tablets(&app).await;
    send(&mut a, hr_limits("r1", 400.0)).await;
    let ServerMessage::EventRejected { request, reason } = next_event(&mut a).await else { panic!("not refused") };
    assert_eq!(request, "r1");
    assert!(reason.contains("outside the allowed"), "{reason}");
    send(&mut a, ack("r2", "b99")).await;
    let ServerMessage::EventRejected { reason, .. } = next_event(&mut a).await else { panic!("not refused") };
    assert!(reason.contains("no bed"), "{reason}");
    // An acknowledgement naming another bed's alarm.
    let mut cross = ack("r3", "b01");
    cross.event = BedEvent::Acknowledge {
        ids: vec![AlarmId { bed: "b02".into(), condition: Condition::NoData, onset: 1_790_000_000_000 }],
    };
    send(&mut a, cross).await;
    assert!(matches!(next_event(&mut a).await, ServerMessage::EventRejected { .. }));
    // Not JSON for an event at all.
    a.send(Message::Text(r#"{"type":"event","request":{"id":"x"}}"#.into())).await.unwrap();
    assert!(matches!(next_event(&mut a).await, ServerMessage::Error { .. }));
    assert!(bed_events(&app).await.is_empty());
}

#[tokio::test]
async fn a_tablet_that_subscribes_later_gets_the_bed_settings_before_its_frames() {
    let app = spawn_app().await;
    let (mut a, _b) = two_tablets(&app).await;
    send(&mut a, hr_limits("r1", 130.0)).await;
    stored(next_event(&mut a).await);
    let mut late = app.tablet(&[]).await;
    let mut got = None;
    loop {
        match next_live_msg(&mut late).await {
            ServerMessage::Event { event } if event.bed == "b01" => got = Some(event),
            ServerMessage::CaughtUp { bed, .. } if bed == "b01" => break,
            _ => {}
        }
    }
    let event = got.expect("the limit change arrives before the bed is caught up");
    assert_eq!(event.actor, "rn-test");
    assert!(matches!(event.event, BedEvent::SetLimits { kind: VitalKind::Hr, .. }));
}

#[tokio::test]
async fn the_audit_log_refuses_changes_and_a_forged_entry_breaks_the_chain() {
    let app = spawn_app().await;
    let (mut a, _b) = two_tablets(&app).await;
    for (i, high) in [125.0, 130.0, 135.0].into_iter().enumerate() {
        send(&mut a, hr_limits(&format!("r{i}"), high)).await;
        stored(next_event(&mut a).await);
    }
    assert!(matches!(app.store.check_audit_chain(&[]).await.unwrap(), ChainCheck::Intact { entries, .. } if entries == SEQ0 + 3));
    let db = rusqlite::Connection::open(app.store.path()).unwrap();
    let update = db.execute("UPDATE audit SET actor = 'someone else' WHERE seq = 2", []);
    assert!(update.unwrap_err().to_string().contains("append-only"));
    assert!(db.execute("DELETE FROM audit WHERE seq = 3", []).is_err());
    // Someone with the file and a SQL shell removes the guard and edits an entry.
    db.execute_batch("DROP TRIGGER audit_no_update; UPDATE audit SET actor = 'someone else' WHERE seq = 2;").unwrap();
    let check = app.store.check_audit_chain(&[]).await.unwrap();
    assert!(matches!(&check, ChainCheck::Broken { seq: None, reason } if reason.contains("audit_no_update")), "{check:?}");
    // With the guard put back, the edited entry itself shows.
    db.execute_batch(
        "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
             BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
    )
    .unwrap();
    assert!(matches!(app.store.check_audit_chain(&[]).await.unwrap(), ChainCheck::Broken { seq: Some(2), .. }));
}

#[tokio::test]
async fn limits_are_checked_against_the_bed_profile_and_a_new_tablet_gets_the_settings_that_build_it() {
    let app = spawn_app().await;
    let (mut a, _b) = two_tablets(&app).await;
    // Adult bounds refuse HR high 260; neonatal bounds (up to 300) allow it.
    send(&mut a, hr_limits("r1", 260.0)).await;
    assert!(matches!(next_event(&mut a).await, ServerMessage::EventRejected { .. }));
    let mut profile = ack("r2", "b01");
    profile.event = BedEvent::SetProfile { profile: vigil_shared::alarm::Profile::Neonatal };
    send(&mut a, profile).await;
    stored(next_event(&mut a).await);
    let mut neonatal = hr_limits("r3", 260.0);
    neonatal.event = BedEvent::SetLimits {
        kind: VitalKind::Hr,
        limits: Limits { extreme_low: Some(80.0), low: Some(100.0), high: Some(260.0), extreme_high: Some(280.0) },
    };
    send(&mut a, neonatal).await;
    stored(next_event(&mut a).await);
    for i in 0..3 {
        let mut obs = ack(&format!("o{i}"), "b01");
        obs.event = BedEvent::Observe { consciousness: None, oxygen: None, scale: Default::default() };
        send(&mut a, obs).await;
        stored(next_event(&mut a).await);
    }
    // A tablet subscribing now: profile, the limit change after it, the newest observation.
    let mut late = app.tablet(&[]).await;
    let mut kinds = Vec::new();
    loop {
        match next_live_msg(&mut late).await {
            ServerMessage::Event { event } if event.bed == "b01" => kinds.push((event.event.kind(), event.request)),
            ServerMessage::CaughtUp { bed, .. } if bed == "b01" => break,
            _ => {}
        }
    }
    let expected =
        vec![("set_profile", "r2".to_string()), ("set_limits", "r3".to_string()), ("observe", "o2".to_string())];
    assert_eq!(kinds, expected);
    // Times never go backwards along the log.
    let audit = app.store.audit(0, 100).await.unwrap();
    assert!(audit.windows(2).all(|w| w[0].at <= w[1].at));
}
