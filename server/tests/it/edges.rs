//! Numbers at their edges, one test per finding of the outside probe
//! (issue 26): every numeric query parameter is range-checked to a 400
//! before any work, and no arithmetic on one can wrap.

use crate::api::{spawn_app, TestApp};
use crate::authz::{Who, World};
use crate::http::Req;

async fn status(app: &TestApp, path: &str) -> String {
    let r = app.get(path.to_string()).await;
    r.lines().next().unwrap_or_default().to_string()
}

#[tokio::test]
async fn a_wave_window_from_i64_min_to_i64_max_is_refused_not_wrapped() {
    let app = spawn_app().await;
    for q in [
        "from=-9223371036854775808&to=9223372036854775807",
        "from=-9223372036854775808&to=-9223372036854475808",
        "from=9223372036854475807&to=9223372036854775807",
        "from=0&to=1000",
        "from=4102444800000&to=4102444801000",
    ] {
        let s = status(&app, &format!("/api/beds/b01/waves?{q}")).await;
        assert_eq!(s, "HTTP/1.1 400", "{q}");
    }
}

#[tokio::test]
async fn a_trend_ending_at_i64_min_is_refused_not_wrapped() {
    let app = spawn_app().await;
    for to in [i64::MIN, -1, 0, i64::MAX] {
        let s = status(&app, &format!("/api/beds/b01/trend?minutes=60&to={to}")).await;
        assert_eq!(s, "HTTP/1.1 400", "to={to}");
    }
    assert_eq!(status(&app, "/api/beds/b01/trend?minutes=60&to=1790000000000").await, "HTTP/1.1 200");
}

#[tokio::test]
async fn a_trend_of_millions_of_buckets_is_refused_before_any_work() {
    let app = spawn_app().await;
    let r = app.get("/api/beds/b01/trend?minutes=43200&step=1".into()).await;
    assert!(r.starts_with("HTTP/1.1 400") && r.contains("buckets"), "{r}");
    assert_eq!(status(&app, "/api/beds/b01/trend?minutes=60&step=1").await, "HTTP/1.1 200");
    assert_eq!(status(&app, "/api/beds/b01/trend?minutes=43200&points=2000").await, "HTTP/1.1 200");
}

#[tokio::test]
async fn an_audit_query_after_u64_max_is_a_400_not_a_500() {
    let w = World::new().await;
    let admin = w.sign_in(Who::Admin).await.unwrap();
    for q in ["after=18446744073709551615", "after=9223372036854775808", "limit=0", "limit=100001", "after=-1"] {
        let r = Req::get(format!("/api/audit?{q}")).cookie(&admin.token).send(w.app.addr).await;
        assert_eq!(r.status, 400, "{q}: {}", r.body);
    }
    let r = Req::get("/api/audit?after=9223372036854775807".to_string()).cookie(&admin.token).send(w.app.addr).await;
    assert_eq!((r.status, r.body.as_str()), (200, "[]"));
}

/// Frames of b01 received `age_s` seconds ago, straight into storage.
async fn store_aged(app: &TestApp, seqs: std::ops::RangeInclusive<u64>, age_s: i64) {
    use vigil_shared::frame::{RawFrame, RawNumeric};
    let device = vigil_server::store::rows::DeviceIdentity { id: "dev-1".into(), bed: "b01".into() };
    let now = vigil_server::clock::now_ms();
    for seq in seqs {
        let at = now - age_s * 1000 + seq as i64;
        let raw = RawFrame {
            seq,
            numerics: vec![RawNumeric { kind: vigil_shared::VitalKind::Hr, t: at, value: 70.0 }],
            waves: vec![],
            technical: vec![],
        };
        let frame = std::sync::Arc::new(vigil_shared::Frame::try_from(raw).unwrap());
        app.store.store_frame(&device, frame, at).await.unwrap();
    }
}

/// The frames of b01 a tablet subscribing with `since` gets before it is caught up.
async fn backfill(app: &TestApp, since: u64) -> usize {
    use vigil_shared::protocol::live::ServerMessage;
    let mut ws = app.tablet(&[("b01", since), ("b02", 0)]).await;
    let (mut frames, mut caught_up) = (0, 0);
    while caught_up < 2 {
        match crate::api::next_live_msg(&mut ws).await {
            ServerMessage::Frame { bed, .. } if bed == "b01" => frames += 1,
            ServerMessage::CaughtUp { .. } => caught_up += 1,
            _ => {}
        }
    }
    frames
}

#[tokio::test]
async fn a_subscription_since_cursor_0_replays_at_most_recent_seconds_max() {
    let app = spawn_app().await;
    // An hour old, then within the last minute; recent_seconds_max is 600.
    store_aged(&app, 1..=20, 3600).await;
    store_aged(&app, 21..=23, 30).await;
    assert_eq!(backfill(&app, 0).await, 3, "since 0 must not replay the whole retained history");
    // A cursor within the window still gets exactly what followed it.
    let cursor = app.store.frames_after("b01", 0, 100).await.unwrap()[20].cursor;
    assert_eq!(backfill(&app, cursor).await, 2);
}

#[tokio::test]
async fn a_subscription_since_a_cursor_never_given_out_still_gets_live_frames() {
    use crate::api::send_frame;
    use vigil_shared::protocol::live::ServerMessage;
    let app = spawn_app().await;
    store_aged(&app, 1..=2, 10).await;
    let mut ws = app.tablet(&[("b01", u64::MAX)]).await;
    loop {
        if let ServerMessage::CaughtUp { bed, cursor } = crate::api::next_live_msg(&mut ws).await {
            if bed == "b01" {
                assert!(cursor.unwrap() < u64::MAX, "the cursor is brought back to what is stored");
                break;
            }
        }
    }
    let mut dev = app.device(&app.tokens[0]).await.unwrap();
    let now = vigil_server::clock::now_ms();
    let raw = vigil_shared::frame::RawFrame {
        seq: 3,
        numerics: vec![vigil_shared::frame::RawNumeric { kind: vigil_shared::VitalKind::Hr, t: now, value: 71.0 }],
        waves: vec![],
        technical: vec![],
    };
    send_frame(&mut dev, raw).await;
    loop {
        if let ServerMessage::Frame { bed, .. } = crate::api::next_live_msg(&mut ws).await {
            assert_eq!(bed, "b01");
            break;
        }
    }
}
