//! History storage: compact frames, trends from raw readings and from the
//! per-minute aggregates, full disclosure, retention.

use std::sync::Arc;
use vigil_server::store::rows::{DeviceIdentity, NewBed, NewWard};
use vigil_server::store::{Store, StoreOutcome};
use vigil_shared::frame::{RawFrame, RawNumeric, RawWave};
use vigil_shared::{Frame, VitalKind, WaveKind};

const T0: i64 = 1_789_999_200_000; // a whole hour

async fn store(dir: &tempfile::TempDir) -> (Store, DeviceIdentity) {
    let store = Store::open(&dir.path().join("vigil.db"), Box::new(|_| {})).unwrap();
    store
        .create_ward(NewWard {
            id: "w".into(),
            name: "W".into(),
            beds: vec![NewBed { admitted_at: None, id: "b1".into(), label: "Bed 1".into(), patient: None }],
        })
        .await
        .unwrap();
    store.register_device("d1", "b1").await.unwrap();
    (store, DeviceIdentity { id: "d1".into(), bed: "b1".into() })
}

/// `n` samples of an ECG-like wave at 250 Hz digitised at 2.5 uV.
fn ecg(t0: i64, n: usize) -> RawWave {
    let samples = (0..n).map(|i| ((((i as f64) * 0.09).sin() * 0.8 / 0.0025).round() * 0.0025) as f32).collect();
    RawWave { kind: WaveKind::EcgII, t0, rate_hz: 250.0, samples }
}

fn frame(seq: u64, numerics: Vec<RawNumeric>, waves: Vec<RawWave>) -> Arc<Frame> {
    Arc::new(Frame::try_from(RawFrame { seq, numerics, waves, technical: vec![] }).unwrap())
}

fn hr(t: i64, value: f64) -> RawNumeric {
    RawNumeric { kind: VitalKind::Hr, t, value }
}

/// Heart rate every second for `hours`, 70 + a slow wave, one 3-second spike
/// to 190 at 5 h 17 min.
async fn fill_numerics(store: &Store, dev: &DeviceIdentity, hours: i64) {
    let mut seq = 0;
    for chunk in 0..hours * 60 {
        // one frame per minute of readings keeps the fill quick
        seq += 1;
        let numerics = (0..60)
            .map(|s| {
                let t = T0 + (chunk * 60 + s) * 1000;
                let spike = (5 * 3600 + 17 * 60..5 * 3600 + 17 * 60 + 3).contains(&((t - T0) / 1000));
                hr(t, if spike { 190.0 } else { 70.0 + 10.0 * ((t - T0) as f64 / 3.6e6).sin() })
            })
            .collect();
        let out = store.store_frame(dev, frame(seq, numerics, vec![]), T0 + chunk * 60_000).await.unwrap();
        assert!(matches!(out, StoreOutcome::Stored { .. }));
    }
}

#[tokio::test]
async fn long_trends_from_minute_aggregates_agree_with_the_raw_readings_and_keep_the_spike() {
    let dir = tempfile::tempdir().unwrap();
    let (store, dev) = store(&dir).await;
    fill_numerics(&store, &dev, 8).await;
    let end = T0 + 8 * 3_600_000;
    // 3-minute buckets: from the aggregates. 3-minute buckets computed from the
    // raw readings with a step that is not whole minutes cannot be asked for,
    // so compare minute-aggregate buckets with raw 30 s buckets merged by hand.
    let long = store.trend("b1", T0, end, 180_000).await.unwrap();
    let raw = store.trend("b1", T0, end, 30_000).await.unwrap();
    let (long, raw) = (&long[&VitalKind::Hr], &raw[&VitalKind::Hr]);
    assert_eq!(long.len(), 160, "8 h in 3 min buckets");
    for b in long {
        let inside: Vec<_> = raw.iter().filter(|r| r[0] >= b[0] && r[0] < b[0] + 180_000.0).collect();
        assert_eq!(inside.len(), 6);
        let mean = inside.iter().map(|r| r[1]).sum::<f64>() / 6.0;
        assert!((b[1] - mean).abs() < 1e-9, "mean {} vs raw {mean}", b[1]);
        assert_eq!(b[2], inside.iter().map(|r| r[2]).fold(f64::INFINITY, f64::min));
        assert_eq!(b[3], inside.iter().map(|r| r[3]).fold(f64::NEG_INFINITY, f64::max));
    }
    let spike = long.iter().find(|b| b[3] == 190.0).expect("the 3 s spike is in an envelope");
    assert_eq!(spike[0] as i64, T0 + (5 * 60 + 15) * 60_000);
    assert!(spike[1] < 90.0, "but not in the mean: {}", spike[1]);
    assert_eq!(long.iter().filter(|b| b[3] > 100.0).count(), 1);
}

#[tokio::test]
async fn full_disclosure_gives_back_every_sample_of_any_moment() {
    let dir = tempfile::tempdir().unwrap();
    let (store, dev) = store(&dir).await;
    // 20 s of ECG in 200 ms frames.
    let mut sent = Vec::new();
    for i in 0..100 {
        let w = ecg(T0 + i * 200, 50);
        sent.push(w.clone());
        store.store_frame(&dev, frame(i as u64 + 1, vec![], vec![w]), T0 + i * 200).await.unwrap();
    }
    let frames = store.frames_between("b1", T0 + 5_000, T0 + 6_000).await.unwrap();
    let got: Vec<RawWave> =
        frames.iter().flat_map(|f| serde_json::from_str::<RawFrame>(&f.payload).unwrap().waves).collect();
    assert_eq!(got, sent[25..30].to_vec(), "the five chunks of second 5, exactly as sent, in order");
    // A window starting inside a chunk includes that chunk.
    let frames = store.frames_between("b1", T0 + 5_100, T0 + 5_300).await.unwrap();
    assert_eq!(frames.len(), 2);
    assert!(store.frames_between("b1", T0 + 60_000, T0 + 70_000).await.unwrap().is_empty());
}

#[tokio::test]
async fn retention_deletes_old_waveforms_then_old_numerics_and_nothing_recent() {
    let dir = tempfile::tempdir().unwrap();
    let (store, dev) = store(&dir).await;
    let day = 86_400_000;
    // Frames received 40 days, 5 days and 1 hour before "now" = T0 + 40 days.
    let now = T0 + 40 * day;
    for (seq, at) in [(1, T0), (2, now - 5 * day), (3, now - 3_600_000)] {
        store.store_frame(&dev, frame(seq, vec![hr(at, 60.0 + seq as f64)], vec![ecg(at, 250)]), at).await.unwrap();
    }
    let pruned = store.enforce_retention(now - 72 * 3_600_000, now - 30 * day).await.unwrap();
    assert_eq!((pruned.frames, pruned.numerics, pruned.minutes), (2, 1, 1));
    let counts = store.counts().await.unwrap();
    assert_eq!(counts.frames, 1, "only the last hour's frame keeps its waveforms");
    let trend = store.trend("b1", T0, now, 60_000).await.unwrap();
    let values: Vec<f64> = trend[&VitalKind::Hr].iter().map(|b| b[1]).collect();
    assert_eq!(values, vec![62.0, 63.0], "the 5-day-old reading outlives its waveform");
    assert_eq!(store.enforce_retention(now - 72 * 3_600_000, now - 30 * day).await.unwrap(), Default::default());
    // A recent frame re-sent is still recognised (and its number with other
    // content refused); a new one gets a new cursor.
    let at = now - 3_600_000;
    let again = store.store_frame(&dev, frame(3, vec![hr(at, 63.0)], vec![ecg(at, 250)]), now).await.unwrap();
    assert_eq!(again, StoreOutcome::Duplicate);
    let reused = store.store_frame(&dev, frame(3, vec![hr(now, 1.0)], vec![]), now).await.unwrap();
    assert_eq!(reused, StoreOutcome::SeqReused);
    let StoreOutcome::Stored { cursor, .. } =
        store.store_frame(&dev, frame(4, vec![hr(now, 61.0)], vec![]), now).await.unwrap()
    else {
        panic!("stored")
    };
    assert!(cursor > 3, "cursors are never reused after deletion: {cursor}");
}

#[tokio::test]
async fn the_history_endpoints_check_their_input() {
    let app = crate::api::spawn_app().await;
    let get = |path: String| app.get(path);
    assert!(get("/api/beds/b01/trend?minutes=1440&points=600".into()).await.starts_with("HTTP/1.1 200"));
    assert!(get("/api/beds/b01/trend?minutes=4320".into()).await.contains(r#""step":480"#));
    assert!(get("/api/beds/b01/trend?minutes=60&points=5".into()).await.starts_with("HTTP/1.1 400"));
    assert!(get("/api/beds/b01/trend?minutes=60&points=100&step=5".into()).await.starts_with("HTTP/1.1 400"));
    assert!(get("/api/beds/b01/trend?minutes=99999".into()).await.starts_with("HTTP/1.1 400"));
    let w = |q: &str| get(format!("/api/beds/b01/waves?{q}"));
    assert!(w(&format!("from={T0}&to={}", T0 + 1000)).await.starts_with("HTTP/1.1 200"));
    assert!(w(&format!("from={T0}&to={T0}")).await.starts_with("HTTP/1.1 400"));
    assert!(w(&format!("from={T0}&to={}", T0 + 301_000)).await.starts_with("HTTP/1.1 400"));
    assert!(w("from=x&to=1").await.starts_with("HTTP/1.1 400"));
    assert!(get(format!("/api/beds/nope/waves?from={T0}&to={}", T0 + 1000)).await.starts_with("HTTP/1.1 404"));
}

#[tokio::test]
async fn the_waves_endpoint_returns_the_window_cut_from_stored_chunks() {
    let app = crate::api::spawn_app().await;
    let mut dev = app.device(&app.tokens[0]).await.unwrap();
    let f = RawFrame { seq: 1, numerics: vec![], waves: vec![ecg(T0, 1000)], technical: vec![] };
    crate::api::send_frame(&mut dev, f.clone()).await;
    let body = app.get(format!("/api/beds/b01/waves?from={}&to={}", T0 + 1000, T0 + 2000)).await;
    let json: serde_json::Value = serde_json::from_str(body.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    let chunk = &json["waves"]["ecg_ii"][0];
    assert_eq!(chunk["t0"], T0 + 1000);
    let samples: Vec<f32> = serde_json::from_value(chunk["samples"].clone()).unwrap();
    assert_eq!(samples, f.waves[0].samples[250..500].to_vec());
}
