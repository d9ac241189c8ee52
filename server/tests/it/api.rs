//! A real server on port 0 with a fresh database each, real WebSockets, and
//! the device and tablet sides of protocol v1.

use crate::http::Req;
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{header, HeaderValue};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use vigil_server::auth::Role;
use vigil_server::config::Config;
use vigil_server::startup::Application;
use vigil_server::store::rows::{NewBed, NewWard};
use vigil_server::store::Store;
use vigil_shared::frame::{RawFrame, RawNumeric, RawWave};
use vigil_shared::protocol::device::{DeviceMessage, ServerToDevice};
use vigil_shared::protocol::live::{ClientMessage, ServerMessage};
use vigil_shared::{VitalKind, WaveKind};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

const T: i64 = 1_790_000_000_000;

pub struct TestApp {
    pub addr: std::net::SocketAddr,
    pub store: Store,
    pub tokens: Vec<String>,
    /// A session of a clinician of ward w1 (user name `rn-test`).
    pub session: String,
    _dir: tempfile::TempDir,
}

/// A server with two beds, a device token for each, and a fresh database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// The same, with the configuration changed by `change`.
pub async fn spawn_app_with(change: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        database: dir.path().join("vigil.db"),
        site_root: dir.path().join("site"),
        ..Config::default()
    };
    change(&mut config);
    let app = Application::build(config).await.unwrap();
    let addr = app.local_addr();
    let store = app.state().store.clone();
    store
        .create_ward(NewWard {
            id: "w1".into(),
            name: "Test ward".into(),
            beds: vec![
                // In the bed for six hours: what its monitor sent is this patient's.
                NewBed {
                    admitted_at: Some(vigil_server::clock::now_ms() - 6 * 3_600_000),
                    id: "b01".into(),
                    label: "Bed 1".into(),
                    patient: Some("A. Test".into()),
                },
                NewBed { admitted_at: None, id: "b02".into(), label: "Bed 2".into(), patient: None },
            ],
        })
        .await
        .unwrap();
    let tokens = vec![
        store.register_device("dev-1", "b01").await.unwrap(),
        store.register_device("dev-2", "b02").await.unwrap(),
    ];
    let session = vigil_server::auth::tool_session(&store, "rn-test", Role::Clinician, &["w1"]).await.unwrap();
    tokio::spawn(app.run_until(std::future::pending()));
    TestApp { addr, store, tokens, session, _dir: dir }
}

impl TestApp {
    pub async fn device(&self, token: &str) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
        let mut req = format!("ws://{}/ws/device", self.addr).into_client_request().unwrap();
        req.headers_mut().insert(header::AUTHORIZATION, HeaderValue::from_str(&format!("Bearer {token}")).unwrap());
        let (mut ws, _) = tokio_tungstenite::connect_async(req).await?;
        match next_device_msg(&mut ws).await {
            ServerToDevice::Welcome { .. } => Ok(ws),
            other => panic!("expected a welcome, got {other:?}"),
        }
    }

    /// A GET as the clinician of ward w1; the whole response, status line first.
    pub async fn get(&self, path: String) -> String {
        let r = Req::get(path).cookie(&self.session).send(self.addr).await;
        format!("HTTP/1.1 {}\r\n\r\n{}", r.status, r.body)
    }

    /// The live socket with the session `token` (None: signed out).
    pub async fn live_as(&self, token: Option<&str>) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
        let mut req = format!("ws://{}/ws/live", self.addr).into_client_request().unwrap();
        if let Some(t) = token {
            req.headers_mut().insert(header::COOKIE, HeaderValue::from_str(&format!("vigil_session={t}")).unwrap());
        }
        tokio_tungstenite::connect_async(req).await.map(|(ws, _)| ws)
    }

    pub async fn tablet(&self, since: &[(&str, u64)]) -> Ws {
        let mut ws = self.live_as(Some(&self.session)).await.unwrap();
        let sub = ClientMessage::Subscribe {
            beds: vec![],
            since: since.iter().map(|(b, c)| (b.to_string(), *c)).collect(),
            recent_seconds: Some(600),
        };
        ws.send(Message::Text(serde_json::to_string(&sub).unwrap().into())).await.unwrap();
        ws
    }
}

fn frame(seq: u64, hr: f64) -> RawFrame {
    RawFrame {
        seq,
        numerics: vec![RawNumeric { kind: VitalKind::Hr, t: T + seq as i64 * 1000, value: hr }],
        waves: vec![RawWave { kind: WaveKind::EcgII, t0: T, rate_hz: 250.0, samples: vec![0.1; 63] }],
        technical: vec![],
    }
}

pub async fn send_frame(ws: &mut Ws, f: RawFrame) -> ServerToDevice {
    let text = serde_json::to_string(&DeviceMessage::Frame(f)).unwrap();
    ws.send(Message::Text(text.into())).await.unwrap();
    next_device_msg(ws).await
}

async fn next_device_msg(ws: &mut Ws) -> ServerToDevice {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next()).await.expect("no reply in 10 s");
        if let Some(Ok(Message::Text(t))) = msg {
            return serde_json::from_str(&t).unwrap();
        }
        assert!(!matches!(msg, None | Some(Err(_))), "socket closed: {msg:?}");
    }
}

pub async fn next_live_msg(ws: &mut Ws) -> ServerMessage {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next()).await.expect("no message in 10 s");
        if let Some(Ok(Message::Text(t))) = msg {
            return serde_json::from_str(&t).unwrap();
        }
    }
}

/// Reads until a frame of `bed` arrives; returns its cursor and HR value.
async fn next_frame_of(ws: &mut Ws, bed: &str) -> (u64, f64) {
    loop {
        if let ServerMessage::Frame { bed: b, cursor, frame, .. } = next_live_msg(ws).await {
            if b == bed {
                return (cursor, frame.numerics()[0].value());
            }
        }
    }
}

pub async fn wait_caught_up(ws: &mut Ws, beds: usize) {
    let mut seen = 0;
    while seen < beds {
        if let ServerMessage::CaughtUp { .. } = next_live_msg(ws).await {
            seen += 1;
        }
    }
}

#[tokio::test]
async fn a_stored_frame_reaches_every_subscribed_tablet() {
    let app = spawn_app().await;
    let mut tablets = vec![app.tablet(&[]).await, app.tablet(&[]).await];
    for t in &mut tablets {
        match next_live_msg(t).await {
            ServerMessage::Ward { beds, .. } => {
                assert_eq!(beds.iter().map(|b| b.id.as_str()).collect::<Vec<_>>(), vec!["b01", "b02"]);
                assert_eq!(beds[0].patient.as_deref(), Some("A. Test"));
            }
            other => panic!("expected the ward first, got {other:?}"),
        }
        wait_caught_up(t, 2).await;
    }
    let mut dev = app.device(&app.tokens[0]).await.unwrap();
    assert_eq!(send_frame(&mut dev, frame(1, 72.0)).await, ServerToDevice::Ack { seq: 1, duplicate: false });
    for t in &mut tablets {
        assert_eq!(next_frame_of(t, "b01").await.1, 72.0);
    }
}

#[tokio::test]
async fn an_acknowledged_frame_is_already_in_the_database() {
    let app = spawn_app().await;
    let mut dev = app.device(&app.tokens[0]).await.unwrap();
    for seq in 1..=20 {
        assert!(matches!(send_frame(&mut dev, frame(seq, 60.0 + seq as f64)).await, ServerToDevice::Ack { .. }));
        // Read through a fresh connection: what was acknowledged is on disk.
        let fresh = Store::open(app.store.path(), Box::new(|_| {})).unwrap();
        assert_eq!(fresh.counts().await.unwrap().frames, seq as i64);
    }
    assert_eq!(app.store.counts().await.unwrap().samples, 20 * 64);
}

#[tokio::test]
async fn a_resent_frame_is_acknowledged_but_stored_once() {
    let app = spawn_app().await;
    let mut dev = app.device(&app.tokens[0]).await.unwrap();
    assert_eq!(send_frame(&mut dev, frame(1, 70.0)).await, ServerToDevice::Ack { seq: 1, duplicate: false });
    assert_eq!(send_frame(&mut dev, frame(1, 70.0)).await, ServerToDevice::Ack { seq: 1, duplicate: true });
    // and after a reconnect, the welcome says what is stored already
    drop(dev);
    let mut req = format!("ws://{}/ws/device", app.addr).into_client_request().unwrap();
    req.headers_mut()
        .insert(header::AUTHORIZATION, HeaderValue::from_str(&format!("Bearer {}", app.tokens[0])).unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    assert!(matches!(next_device_msg(&mut ws).await, ServerToDevice::Welcome { last_stored_seq: Some(1), .. }));
    assert_eq!(send_frame(&mut ws, frame(1, 70.0)).await, ServerToDevice::Ack { seq: 1, duplicate: true });
    assert_eq!(app.store.counts().await.unwrap().frames, 1);
}

#[tokio::test]
async fn bad_frames_are_rejected_with_a_reason_and_the_streams_go_on() {
    let app = spawn_app().await;
    let mut bad = app.device(&app.tokens[0]).await.unwrap();
    let mut good = app.device(&app.tokens[1]).await.unwrap();

    match send_frame(&mut bad, frame(1, 900.0)).await {
        ServerToDevice::Reject { seq: Some(1), error, .. } => assert!(error.contains("Hr value 900"), "{error}"),
        other => panic!("{other:?}"),
    }
    let garbage = [
        r#"{"type":"frame","seq":2,"numerics":[{"kind":"hr","t":1790000000000,"value":NaN}]}"#,
        r#"{"type":"frame","seq":3,"numerics":[{"kind":"glucose","t":1790000000000,"value":5}]}"#,
        "not json at all",
        r#"{"type":"frame","seq":4}"#,
    ];
    for g in garbage {
        bad.send(Message::Text(g.into())).await.unwrap();
        assert!(matches!(next_device_msg(&mut bad).await, ServerToDevice::Reject { .. }), "{g}");
    }
    bad.send(Message::Binary(vec![1, 2, 3].into())).await.unwrap();
    assert!(matches!(next_device_msg(&mut bad).await, ServerToDevice::Reject { seq: None, .. }));
    assert_eq!(app.store.counts().await.unwrap().frames, 0, "nothing of a bad frame is stored");

    // the same device goes on, and so does the other one
    assert_eq!(send_frame(&mut bad, frame(5, 80.0)).await, ServerToDevice::Ack { seq: 5, duplicate: false });
    assert_eq!(send_frame(&mut good, frame(1, 81.0)).await, ServerToDevice::Ack { seq: 1, duplicate: false });
}

#[tokio::test]
async fn unknown_missing_and_revoked_tokens_are_refused() {
    let app = spawn_app().await;
    let refused = |r: Result<Ws, tokio_tungstenite::tungstenite::Error>| match r {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => resp.status() == 401,
        _ => false,
    };
    assert!(refused(app.device("vgd_not_a_token").await));
    assert!(refused(tokio_tungstenite::connect_async(format!("ws://{}/ws/device", app.addr)).await.map(|(w, _)| w)));
    assert!(app.store.revoke_device("dev-1").await.unwrap());
    assert!(refused(app.device(&app.tokens[0]).await));
    assert!(app.device(&app.tokens[1]).await.is_ok());
}

#[tokio::test]
async fn a_tablet_resuming_from_a_cursor_gets_exactly_what_it_missed_in_order() {
    let app = spawn_app().await;
    let mut dev = app.device(&app.tokens[0]).await.unwrap();
    for seq in 1..=5 {
        send_frame(&mut dev, frame(seq, 60.0 + seq as f64)).await;
    }
    let mut first = app.tablet(&[]).await;
    let mut cursors = Vec::new();
    for _ in 0..5 {
        cursors.push(next_frame_of(&mut first, "b01").await);
    }
    assert_eq!(cursors.iter().map(|c| c.1).collect::<Vec<_>>(), vec![61.0, 62.0, 63.0, 64.0, 65.0]);
    drop(first);

    for seq in 6..=8 {
        send_frame(&mut dev, frame(seq, 60.0 + seq as f64)).await;
    }
    let mut resumed = app.tablet(&[("b01", cursors[4].0)]).await;
    let mut got = Vec::new();
    loop {
        match next_live_msg(&mut resumed).await {
            ServerMessage::Frame { bed, frame, .. } if bed == "b01" => got.push(frame.numerics()[0].value()),
            ServerMessage::CaughtUp { bed, .. } if bed == "b01" => break,
            _ => {}
        }
    }
    assert_eq!(got, vec![66.0, 67.0, 68.0]);
    // and live from there
    send_frame(&mut dev, frame(9, 69.0)).await;
    assert_eq!(next_frame_of(&mut resumed, "b01").await.1, 69.0);
}

#[tokio::test]
async fn the_health_and_trend_endpoints_answer() {
    let app = spawn_app().await;
    let mut dev = app.device(&app.tokens[0]).await.unwrap();
    // a reading from now, so it is inside the trend window
    let now = vigil_server::clock::now_ms();
    let f = RawFrame {
        seq: 1,
        numerics: vec![RawNumeric { kind: VitalKind::Spo2, t: now, value: 93.0 }],
        waves: vec![],
        technical: vec![],
    };
    send_frame(&mut dev, f).await;
    let get = |path: &str| app.get(path.to_string());
    let health = get("/health").await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.contains(r#""frames":1"#), "{health}");
    let trend = get("/api/beds/b01/trend?minutes=5&step=5").await;
    assert!(trend.contains(r#""spo2":[["#), "{trend}");
    assert!(get("/api/beds/nope/trend").await.starts_with("HTTP/1.1 404"));
    assert!(get("/api/beds/b01/trend?minutes=0").await.starts_with("HTTP/1.1 400"));
}

#[tokio::test]
async fn a_device_keeps_what_the_server_has_not_acknowledged_and_sends_it_when_the_server_comes() {
    use std::sync::Arc;
    use vigil_server::device_link::{self, LinkConfig, LinkStats};

    // A port with no server behind it yet.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        listen: format!("127.0.0.1:{port}").parse().unwrap(),
        database: dir.path().join("vigil.db"),
        site_root: dir.path().join("site"),
        ..Config::default()
    };
    let state = vigil_server::startup::open_state(config.clone()).unwrap();
    state
        .store
        .create_ward(NewWard {
            id: "w".into(),
            name: "w".into(),
            beds: vec![NewBed { admitted_at: None, id: "b01".into(), label: "1".into(), patient: None }],
        })
        .await
        .unwrap();
    let token = state.store.register_device("dev", "b01").await.unwrap();

    let stats = Arc::new(LinkStats::default());
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    let link = LinkConfig { url: format!("ws://127.0.0.1:{port}/ws/device"), token, max_pending: 100 };
    let task = tokio::spawn(device_link::run(link, rx, stats.clone(), Duration::from_secs(30)));
    for seq in 1..=30 {
        tx.send(frame(seq, 70.0)).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(stats.get(&stats.acked), 0, "nothing can be acknowledged without a server");

    let app = Application::with_state(state, config.listen).await.unwrap();
    let store = app.state().store.clone();
    tokio::spawn(app.run_until(std::future::pending()));
    drop(tx);
    tokio::time::timeout(Duration::from_secs(20), task).await.expect("link finished").unwrap().unwrap();
    assert_eq!(stats.get(&stats.acked), 30);
    assert_eq!(stats.get(&stats.dropped), 0);
    assert_eq!(store.counts().await.unwrap().frames, 30);
}

#[tokio::test]
async fn a_tablet_opened_after_a_cuff_measurement_gets_it_with_its_time_and_nothing_of_another_patient() {
    let app = spawn_app_with(|c| c.latest_max_age_hours = 2).await;
    let now = vigil_server::clock::now_ms();
    let at = |min: i64| now - min * 60_000;
    let reading = |kind, t, value| RawNumeric { kind, t, value };
    // Bed 1: a cuff measurement 12 min ago, one 3 h ago (beyond the limit), a
    // temperature 40 min ago, and a heart rate 12 min ago.
    let mut dev = app.device(&app.tokens[0]).await.unwrap();
    let f = RawFrame {
        seq: 1,
        numerics: vec![
            reading(VitalKind::NibpSys, at(180), 150.0),
            reading(VitalKind::Temp, at(40), 37.9),
            reading(VitalKind::NibpSys, at(12), 118.0),
            reading(VitalKind::NibpDia, at(12), 76.0),
            reading(VitalKind::Hr, at(12), 88.0),
        ],
        waves: vec![],
        technical: vec![],
    };
    assert!(matches!(send_frame(&mut dev, f).await, ServerToDevice::Ack { .. }));
    // Bed 2, empty, measures a cuff pressure; then a patient is admitted to
    // it. That reading is nobody's to show, and never this patient's.
    let mut dev2 = app.device(&app.tokens[1]).await.unwrap();
    let f2 = RawFrame {
        seq: 1,
        numerics: vec![reading(VitalKind::NibpSys, at(5), 190.0), reading(VitalKind::NibpDia, at(5), 110.0)],
        waves: vec![],
        technical: vec![],
    };
    assert!(matches!(send_frame(&mut dev2, f2).await, ServerToDevice::Ack { .. }));
    let empty = app.tablet(&[]).await;
    let (latest, _) = latest_until_caught_up(empty).await;
    assert_eq!(latest.len(), 1, "an empty bed sends none: {latest:?}");
    app.store
        .admit("b02", "B. New", vigil_server::store::accounts::By::new("admin"), vigil_server::clock::now_ms())
        .await
        .unwrap()
        .unwrap();

    let (latest, frames_before) = latest_until_caught_up(app.tablet(&[]).await).await;
    assert_eq!(frames_before, 0, "the latest values come before the bed's frames");
    assert_eq!(latest.len(), 1, "bed 2's reading predates its patient: {latest:?}");
    let (bed, numerics) = &latest[0];
    assert_eq!(bed, "b01");
    let got: Vec<_> = numerics.iter().map(|n| (n.kind(), n.t(), n.value())).collect();
    assert_eq!(
        got,
        vec![(VitalKind::NibpSys, at(12), 118.0), (VitalKind::NibpDia, at(12), 76.0), (VitalKind::Temp, at(40), 37.9)]
    );
}

/// The `latest` messages a new subscription gets, and how many of bed 1's
/// frames came before the first of them.
async fn latest_until_caught_up(mut tablet: Ws) -> (Vec<(String, Vec<vigil_shared::frame::Numeric>)>, usize) {
    let (mut latest, mut frames_before, mut caught_up) = (Vec::new(), 0, 0);
    while caught_up < 2 {
        match next_live_msg(&mut tablet).await {
            ServerMessage::Latest { bed, numerics } => latest.push((bed, numerics)),
            ServerMessage::Frame { bed, .. } if bed == "b01" && latest.is_empty() => frames_before += 1,
            ServerMessage::CaughtUp { .. } => caught_up += 1,
            _ => {}
        }
    }
    (latest, frames_before)
}
