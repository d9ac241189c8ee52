//! The device protocol at its edges, one test per finding of the outside
//! probe (issue 26): reused sequence numbers, frames from the future, numbers
//! beyond 2^63, messages over the size limit, unknown fields, and a device
//! link that recovers from a lost counter and gives up on what can never be
//! accepted.

use crate::api::{send_frame, spawn_app, TestApp, Ws};
use futures_util::{SinkExt, StreamExt};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use vigil_server::clock::now_ms;
use vigil_server::device_link::{self, LinkConfig, LinkStats};
use vigil_shared::frame::{RawFrame, RawNumeric, RawWave, MAX_SEQ, MAX_WAVES, MAX_WAVE_SAMPLES};
use vigil_shared::protocol::device::{
    DeviceMessage, RejectCode, ServerToDevice, MAX_DEVICE_MESSAGE_BYTES, READ_LIMIT_BYTES,
};
use vigil_shared::{VitalKind, WaveKind};

/// A frame of one heart rate `hr`, `age_ms` before now.
fn frame_at(seq: u64, hr: f64, age_ms: i64) -> RawFrame {
    RawFrame {
        seq,
        numerics: vec![RawNumeric { kind: VitalKind::Hr, t: now_ms() - age_ms, value: hr }],
        waves: vec![],
        technical: vec![],
    }
}

async fn reply(ws: &mut Ws) -> ServerToDevice {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next()).await.expect("no reply in 10 s");
        match msg {
            Some(Ok(Message::Text(t))) => return serde_json::from_str(&t).unwrap(),
            Some(Ok(_)) => continue,
            other => panic!("connection ended: {other:?}"),
        }
    }
}

async fn stored_hr(app: &TestApp, bed: &str) -> Vec<f64> {
    let frames = app.store.frames_after(bed, 0, 1000).await.unwrap();
    frames
        .iter()
        .flat_map(|f| {
            let v: serde_json::Value = serde_json::from_str(&f.payload).unwrap();
            v["numerics"].as_array().unwrap().iter().map(|n| n["value"].as_f64().unwrap()).collect::<Vec<_>>()
        })
        .collect()
}

#[tokio::test]
async fn a_reused_seq_with_other_content_is_refused_and_the_stored_frame_kept() {
    let app = spawn_app().await;
    let mut dev = app.device(&app.tokens[0]).await.unwrap();
    let first = frame_at(1, 70.0, 5_000);
    assert_eq!(send_frame(&mut dev, first.clone()).await, ServerToDevice::Ack { seq: 1, duplicate: false });
    // The same frame again is a duplicate...
    assert_eq!(send_frame(&mut dev, first.clone()).await, ServerToDevice::Ack { seq: 1, duplicate: true });
    // ...but the same number with other readings is not: nothing is acknowledged and dropped.
    let mut other = first.clone();
    other.numerics[0].value = 130.0;
    match send_frame(&mut dev, other).await {
        ServerToDevice::Reject { seq: Some(1), code: RejectCode::SeqReused, error } => {
            assert!(error.contains("last_stored_seq"), "the device is told how to recover: {error}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(stored_hr(&app, "b01").await, vec![70.0]);
}

#[tokio::test]
async fn a_frame_dated_beyond_the_tolerance_is_refused_and_a_slightly_fast_clock_is_not() {
    let app = spawn_app().await;
    let mut dev = app.device(&app.tokens[0]).await.unwrap();
    match send_frame(&mut dev, frame_at(1, 70.0, -3_600_000)).await {
        ServerToDevice::Reject { seq: Some(1), code: RejectCode::Future, error } => {
            assert!(error.contains("ahead of the server's clock"), "{error}")
        }
        other => panic!("{other:?}"),
    }
    let mut far = frame_at(2, 70.0, 0);
    far.numerics[0].t = 4_070_908_800_000; // 2099
    assert!(matches!(send_frame(&mut dev, far).await, ServerToDevice::Reject { code: RejectCode::Future, .. }));
    // A monitor ten minutes fast is still heard.
    assert_eq!(send_frame(&mut dev, frame_at(3, 71.0, -600_000)).await, ServerToDevice::Ack { seq: 3, duplicate: false });
    assert_eq!(stored_hr(&app, "b01").await, vec![71.0]);
}

#[tokio::test]
async fn seq_from_2_pow_63_is_rejected_and_the_welcome_stays_right() {
    let app = spawn_app().await;
    let mut dev = app.device(&app.tokens[0]).await.unwrap();
    for seq in [MAX_SEQ + 1, u64::MAX] {
        assert!(matches!(
            send_frame(&mut dev, frame_at(seq, 70.0, 1000)).await,
            ServerToDevice::Reject { code: RejectCode::Invalid, .. }
        ));
    }
    assert_eq!(
        send_frame(&mut dev, frame_at(MAX_SEQ, 70.0, 1000)).await,
        ServerToDevice::Ack { seq: MAX_SEQ, duplicate: false }
    );
    drop(dev);
    assert_eq!(app.store.last_stored_seq("dev-1").await.unwrap(), Some(MAX_SEQ));
}

#[tokio::test]
async fn unknown_fields_in_a_device_frame_are_rejected_by_name() {
    let app = spawn_app().await;
    let mut dev = app.device(&app.tokens[0]).await.unwrap();
    let mut v = serde_json::to_value(DeviceMessage::Frame(frame_at(1, 70.0, 1000))).unwrap();
    v["bed"] = "b02".into();
    dev.send(Message::Text(v.to_string().into())).await.unwrap();
    match reply(&mut dev).await {
        ServerToDevice::Reject { seq: Some(1), error, .. } => assert!(error.contains("unknown field `bed`"), "{error}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(app.store.counts().await.unwrap().frames, 0);
}

#[tokio::test]
async fn a_frame_at_the_protocols_limits_fits_the_message_limit_and_is_stored() {
    let app = spawn_app().await;
    let mut dev = app.device(&app.tokens[0]).await.unwrap();
    let t0 = now_ms() - 60_000;
    let mut big = frame_at(1, 70.0, 1000);
    big.waves = vec![
        RawWave { kind: WaveKind::EcgII, t0, rate_hz: 500.0, samples: vec![-1.234_567_8e-3; MAX_WAVE_SAMPLES] };
        MAX_WAVES
    ];
    let text = serde_json::to_string_pretty(&DeviceMessage::Frame(big)).unwrap();
    assert!(text.len() > 1 << 20, "the old 1 MiB limit refused frames like this: {} bytes", text.len());
    dev.send(Message::Text(text.into())).await.unwrap();
    assert_eq!(reply(&mut dev).await, ServerToDevice::Ack { seq: 1, duplicate: false });
}

#[tokio::test]
async fn a_message_over_the_limit_is_rejected_with_a_reason_and_the_stream_goes_on() {
    let app = spawn_app().await;
    let mut dev = app.device(&app.tokens[0]).await.unwrap();
    let text = format!("{{\"type\":\"frame\",\"seq\":7,\"pad\":\"{}\"}}", "x".repeat(MAX_DEVICE_MESSAGE_BYTES));
    dev.send(Message::Text(text.into())).await.unwrap();
    match reply(&mut dev).await {
        ServerToDevice::Reject { seq: Some(7), code: RejectCode::TooLarge, error } => {
            assert!(error.contains(&MAX_DEVICE_MESSAGE_BYTES.to_string()), "{error}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(send_frame(&mut dev, frame_at(8, 70.0, 1000)).await, ServerToDevice::Ack { seq: 8, duplicate: false });
}

#[tokio::test]
async fn a_message_far_over_the_limit_is_not_read_and_the_device_can_reconnect() {
    let app = spawn_app().await;
    let mut dev = app.device(&app.tokens[0]).await.unwrap();
    let text = format!("{{\"type\":\"frame\",\"seq\":1,\"pad\":\"{}\"}}", "x".repeat(READ_LIMIT_BYTES));
    // The server stops reading mid-message: the device sees a close with
    // code 1009 or, still sending, a reset. Never an acknowledgement.
    let sent = dev.send(Message::Text(text.into())).await;
    if sent.is_ok() {
        match tokio::time::timeout(Duration::from_secs(10), dev.next()).await.expect("no answer in 10 s") {
            Some(Ok(Message::Close(Some(c)))) => {
                assert_eq!(u16::from(c.code), 1009);
                assert!(c.reason.contains(&READ_LIMIT_BYTES.to_string()), "{}", c.reason);
            }
            Some(Ok(Message::Text(t))) => panic!("answered {t}"),
            _ => {}
        }
    }
    assert_eq!(app.store.counts().await.unwrap().frames, 0);
    let mut again = app.device(&app.tokens[0]).await.unwrap();
    assert_eq!(send_frame(&mut again, frame_at(1, 70.0, 1000)).await, ServerToDevice::Ack { seq: 1, duplicate: false });
}

/// Streams `frames` through a new device link (a device process that has
/// just started) and waits until it is done.
async fn stream(app: &TestApp, frames: Vec<RawFrame>) -> Arc<LinkStats> {
    let (tx, rx) = mpsc::channel(frames.len() + 1);
    for f in frames {
        tx.send(f).await.unwrap();
    }
    drop(tx);
    let stats = Arc::new(LinkStats::default());
    let config = LinkConfig { url: format!("ws://{}/ws/device", app.addr), token: app.tokens[0].clone(), max_pending: 100 };
    tokio::time::timeout(Duration::from_secs(30), device_link::run(config, rx, stats.clone(), Duration::from_secs(10)))
        .await
        .expect("the link did not finish")
        .unwrap();
    stats
}

#[tokio::test]
async fn a_restarted_device_numbers_past_the_stored_frames_and_loses_nothing() {
    let app = spawn_app().await;
    let before = stream(&app, (1..=5).map(|s| frame_at(s, 60.0 + s as f64, 60_000 - s as i64 * 1000)).collect()).await;
    assert_eq!(before.get(&before.acked), 5);
    // The device restarts, its counter back at 1, and measures new readings.
    let after = stream(&app, (1..=5).map(|s| frame_at(s, 80.0 + s as f64, 30_000 - s as i64 * 1000)).collect()).await;
    assert_eq!((after.get(&after.acked), after.get(&after.duplicates), after.get(&after.rejected)), (5, 0, 0));
    assert_eq!(after.get(&after.renumbered), 1);
    let mut hr = stored_hr(&app, "b01").await;
    hr.sort_by(f64::total_cmp);
    assert_eq!(hr, vec![61.0, 62.0, 63.0, 64.0, 65.0, 81.0, 82.0, 83.0, 84.0, 85.0], "every reading stored once");
    assert_eq!(app.store.last_stored_seq("dev-1").await.unwrap(), Some(10));
}

#[tokio::test]
async fn a_device_link_gives_up_on_frames_the_server_refuses_and_counts_them() {
    let app = spawn_app().await;
    let frames = vec![frame_at(1, 70.0, 3000), frame_at(2, 900.0, 2000), frame_at(3, 72.0, 1000)];
    let stats = stream(&app, frames).await;
    assert_eq!((stats.get(&stats.acked), stats.get(&stats.rejected)), (2, 1));
    assert_eq!(stored_hr(&app, "b01").await, vec![70.0, 72.0]);
}
