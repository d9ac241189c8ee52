//! The WFDB and CSV readers checked against the real recordings. Expected
//! digital values were decoded independently (a few lines of Python with
//! `struct`, following the format description in `shared/data/README.md`).

use crate::data;
use vigil_server::replay::Recording;
use vigil_shared::wfdb::Header;
use vigil_shared::{VitalKind, WaveKind};

fn record(rel: &str) -> (Header, Vec<Vec<i32>>) {
    let hea = data(&format!("{rel}.hea"));
    let header = Header::parse(&std::fs::read_to_string(&hea).unwrap()).unwrap();
    let file = header.signals[0].file.clone();
    let bytes = std::fs::read(hea.with_file_name(&file)).unwrap();
    let decoded = header.decode(&file, &bytes).unwrap();
    (header, decoded)
}

#[test]
fn mit_bih_100_format_212_matches_independent_decoding_and_its_checksums() {
    let (h, d) = record("mitbih/100");
    assert_eq!((h.fs, h.n_samples, h.signals.len()), (360.0, Some(650_000), 2));
    assert_eq!(h.signals[0].description, "MLII");
    assert_eq!(d[0].len(), 650_000);
    assert_eq!([d[0][0], d[0][1000], d[0][1001], d[0][360_000]], [995, 945, 945, 943]);
    assert_eq!([d[1][0], d[1][1000], d[1][1001], d[1][360_000]], [1011, 970, 972, 972]);
    // physical = (digital - baseline) / gain; baseline is adc_zero (1024) here
    assert_eq!(h.signals[0].physical(d[0][1000]), Some((945.0 - 1024.0) / 200.0));
}

#[test]
fn challenge_a103l_format_16_matches_independent_decoding() {
    let (h, d) = record("challenge2015/a103l");
    assert_eq!((h.fs, h.n_samples), (250.0, Some(22_500)));
    assert_eq!(h.comments[0], "Asystole");
    assert_eq!([d[0][0], d[0][1], d[0][1000]], [399, 378, -571]);
    assert_eq!([d[1][0], d[2][0]], [8551, 2898]);
    let pleth = h.signals[2].physical(d[2][1000]).unwrap();
    assert!((pleth - 0.599_760_574_6).abs() < 1e-9, "{pleth}");
}

#[test]
fn a_challenge_record_replays_as_ecg_and_pleth_at_250_hz() {
    let rec = Recording::open(&data("challenge2015/a103l.hea")).unwrap();
    let kinds: Vec<_> = rec.tracks.iter().map(|t| (t.kind, t.rate_hz, t.samples.len())).collect();
    assert_eq!(kinds, vec![(WaveKind::EcgII, 250.0, 22_500), (WaveKind::Pleth, 250.0, 22_500)]);
    assert_eq!(rec.duration_ms(), 90_000);
}

#[test]
fn bidmc_21_numerics_and_signals_are_read_together() {
    let rec = Recording::open(&data("bidmc/numerics/bidmc_21_Numerics.csv")).unwrap();
    let first: Vec<_> = rec.numerics.iter().filter(|n| n.0 == 0).map(|n| (n.1, n.2)).collect();
    assert_eq!(
        first,
        vec![(VitalKind::Hr, 118.0), (VitalKind::Pulse, 117.0), (VitalKind::Rr, 14.0), (VitalKind::Spo2, 100.0)]
    );
    assert_eq!(rec.numerics.iter().filter(|n| n.1 == VitalKind::Hr).count(), 481);
    let waves: Vec<_> = rec.tracks.iter().map(|t| (t.kind, t.rate_hz)).collect();
    assert_eq!(waves, vec![(WaveKind::Resp, 125.0), (WaveKind::Pleth, 125.0), (WaveKind::EcgII, 125.0)]);
}

#[test]
fn mimic_numerics_come_a_minute_apart_with_not_measured_zeros_left_out() {
    let rec = Recording::open(&data("mimic2/s00001-2896-10-10-00-31n.hea")).unwrap();
    let hr: Vec<_> = rec.numerics.iter().filter(|n| n.1 == VitalKind::Hr).collect();
    assert!(hr.len() > 1_800, "{}", hr.len());
    assert!(hr.windows(2).all(|w| (w[1].0 - w[0].0) % 60_000 == 0));
    assert!(rec.numerics.iter().all(|n| n.2 != 0.0));
}

#[tokio::test]
async fn a_replayed_record_is_stored_sample_for_sample() {
    let app = crate::api::spawn_app().await;
    let rec = Recording::open(&data("challenge2015/a103l.hea")).unwrap();
    let sent: usize =
        rec.tracks.iter().map(|t| t.samples.iter().filter(|s| s.is_some()).count()).sum::<usize>() + rec.numerics.len();
    let server = format!("ws://{}", app.addr);
    // 90 s of record at 50x: under two seconds.
    vigil_server::replay::stream(&server, &app.tokens[0], rec, 50.0, false, std::future::pending()).await.unwrap();
    assert_eq!(app.store.counts().await.unwrap().samples, sent as i64);
}

#[test]
fn on_the_real_numerics_vigil_alarms_less_than_plain_thresholds_and_misses_no_named_event() {
    let report = vigil_server::burden::run(&data("")).unwrap();
    for ds in &report.datasets {
        let (plain, vigil): (u64, u64) = ds
            .counts
            .iter()
            .filter(|((what, _), _)| !what.starts_with("NEWS2"))
            .fold((0, 0), |(p, v), (_, (a, b))| (p + a, v + b));
        assert!(vigil < plain, "{}: vigil {vigil} alarms, plain thresholds {plain}", ds.name);
    }
    assert_eq!(report.events.len(), 7, "every named event was found in the data");
    for e in &report.events {
        assert_eq!(!e.vigil.is_empty(), e.should_alarm, "{} ({}): {:?}", e.record, e.expected, e.vigil);
    }
}

/// Real recordings replayed into frames and kept by the storage codec: every
/// sample comes back bit for bit; prints the bytes per sample.
#[test]
fn real_recordings_are_stored_losslessly_and_compactly() {
    use vigil_server::replay::Player;
    use vigil_server::store::codec;
    for (rel, at_most) in [
        ("mitbih/100.hea", 1.0),
        ("challenge2015/a103l.hea", 1.8),
        ("challenge2015/v101l.hea", 1.7),
        ("bidmc/numerics/bidmc_21_Numerics.csv", 2.6),
    ] {
        let rec = Recording::open(&data(rel)).unwrap();
        let t0 = 1_789_999_200_000;
        let mut player = Player::new(rec, t0, 1.0, 1);
        let (mut samples, mut bytes, mut raw_chunks, mut chunks, mut json) = (0usize, 0usize, 0usize, 0usize, 0usize);
        let mut now = t0;
        while !player.finished() && now < t0 + 120_000 {
            now += 250;
            for raw in player.frames_until(now) {
                let frame = vigil_shared::Frame::try_from(raw.clone()).unwrap();
                let body = codec::encode(&frame);
                assert_eq!(codec::decode(&body).unwrap(), frame, "{rel} seq {}", raw.seq);
                chunks += raw.waves.len();
                raw_chunks += codec::encode_is_raw(&frame);
                samples += frame.sample_count();
                bytes += body.len();
                json += serde_json::to_string(&frame).unwrap().len();
            }
        }
        let per = bytes as f64 / samples as f64;
        eprintln!(
            "{rel}: {samples} samples, {per:.2} B/sample stored ({:.2} as JSON), {raw_chunks}/{chunks} chunks as raw floats",
            json as f64 / samples as f64
        );
        assert!(per < at_most, "{rel}: {per:.2} bytes per sample");
    }
}
