//! Writes the seed inputs of each fuzz target into `fuzz/corpus/<target>/`:
//! well-formed examples of each input (made here, from the protocol's own
//! types; no patient data), from which the fuzzer mutates.
//! `cargo run --manifest-path fuzz/Cargo.toml --bin seeds`

use std::path::Path;
use vigil_shared::alarm::{AlarmId, BedEvent, Condition, EventRequest};
use vigil_shared::frame::{RawFrame, RawNumeric, RawWave, Sensor, Technical, TechnicalCondition};
use vigil_shared::protocol::device::{DeviceMessage, RejectCode, ServerToDevice};
use vigil_shared::protocol::live::{ClientMessage, ServerMessage};
use vigil_shared::{Frame, VitalKind, WaveKind};

#[path = "../server/src/store/codec.rs"]
#[allow(dead_code)]
mod codec;

const T: i64 = 1_790_000_000_000;

fn frames() -> Vec<RawFrame> {
    let ecg: Vec<f32> = (0..250).map(|i| ((i as f32 * 0.09).sin() * 320.0).round() * 0.0025).collect();
    vec![
        RawFrame {
            seq: 1,
            numerics: vec![
                RawNumeric { kind: VitalKind::Hr, t: T, value: 72.0 },
                RawNumeric { kind: VitalKind::Spo2, t: T, value: 97.0 },
                RawNumeric { kind: VitalKind::NibpSys, t: T, value: 118.0 },
            ],
            waves: vec![RawWave { kind: WaveKind::EcgII, t0: T, rate_hz: 250.0, samples: ecg }],
            technical: vec![],
        },
        RawFrame {
            seq: 2,
            numerics: vec![RawNumeric { kind: VitalKind::Temp, t: T + 250, value: 37.25 }],
            waves: vec![RawWave { kind: WaveKind::Pleth, t0: T + 250, rate_hz: 125.0, samples: vec![0.3, 0.7, 1.1e-3] }],
            technical: vec![Technical { t: T + 250, condition: TechnicalCondition::LeadOff, sensor: Sensor::Ecg, active: true }],
        },
        RawFrame {
            seq: 3,
            numerics: vec![],
            waves: vec![RawWave { kind: WaveKind::Abp, t0: T + 500, rate_hz: 125.0, samples: vec![80.125, 120.5, 95.0] }],
            technical: vec![],
        },
    ]
}

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
}

fn main() {
    for (i, raw) in frames().into_iter().enumerate() {
        let msg = serde_json::to_vec(&DeviceMessage::Frame(raw.clone())).unwrap();
        write("device_message", &format!("frame-{i}"), &msg);
        let frame = Frame::try_from(raw).unwrap();
        write("stored_frame", &format!("body-{i}"), &codec::encode(&frame));
        let relayed = ServerMessage::Frame { bed: "b01".into(), cursor: i as u64 + 1, received: T + 300, frame };
        write("tablet_message", &format!("frame-{i}"), &serde_json::to_vec(&relayed).unwrap());
    }
    let replies = [
        ServerToDevice::Welcome { protocol: 1, device: "d".into(), bed: "b01".into(), last_stored_seq: Some(7) },
        ServerToDevice::Ack { seq: 8, duplicate: false },
        ServerToDevice::Reject { seq: Some(9), error: "x".into(), code: RejectCode::SeqReused },
    ];
    for (i, r) in replies.iter().enumerate() {
        write("device_message", &format!("reply-{i}"), &serde_json::to_vec(r).unwrap());
    }
    let ack = EventRequest {
        id: "r1".into(),
        bed: "b01".into(),
        actor: "RN".into(),
        event: BedEvent::Acknowledge { ids: vec![AlarmId { bed: "b01".into(), condition: Condition::NoData, onset: T }] },
    };
    let client = [
        ClientMessage::Subscribe { beds: vec!["b01".into()], since: [("b01".to_string(), 5u64)].into(), recent_seconds: Some(60) },
        ClientMessage::Ping { id: 3 },
        ClientMessage::Event { request: ack },
    ];
    for (i, m) in client.iter().enumerate() {
        write("tablet_message", &format!("client-{i}"), &serde_json::to_vec(m).unwrap());
    }
    let server = [
        ServerMessage::CaughtUp { bed: "b01".into(), cursor: Some(9) },
        ServerMessage::Pong { id: 3 },
        ServerMessage::EventRejected { request: "r1".into(), reason: "no".into() },
    ];
    for (i, m) in server.iter().enumerate() {
        write("tablet_message", &format!("server-{i}"), &serde_json::to_vec(m).unwrap());
    }
    // WFDB: a header alone (0), annotations (1), a header with a signal file (2).
    let header = "rec 2 250 1000\nrec.dat 212 200 12 0 0 0 0 ECG\nrec.dat 212 200(5)/mV 12 0 -3 123 0 V5\n# Age: 60\n";
    write("wfdb", "header", &[&[0u8][..], header.as_bytes()].concat());
    let mut ann = Vec::new();
    for (code, dt) in [(1u16, 100u16), (1, 250), (5, 240), (28, 10)] {
        ann.extend_from_slice(&((code << 10) | dt).to_le_bytes());
    }
    ann.extend_from_slice(&[0, 0]);
    write("wfdb", "annotations", &[&[1u8][..], &ann].concat());
    let signal: Vec<u8> = (0..60u8).map(|i| i.wrapping_mul(37)).collect();
    write("wfdb", "signal-212", &[&[2u8, header.len() as u8][..], header.as_bytes(), &signal].concat());
    let header16 = "r16 1 360\nr16.dat 16 200 16 1024 0 0 0 MLII\n";
    write("wfdb", "signal-16", &[&[2u8, header16.len() as u8][..], header16.as_bytes(), &signal].concat());
    for (i, c) in ["vigil_session=vgs_0123456789abcdef", "a=1; vigil_session=t; b=\"q\"\nvigil_session=u", "=; ;"]
        .iter()
        .enumerate()
    {
        write("cookie_token", &format!("{i}"), c.as_bytes());
    }
    for (i, q) in [
        "minutes=60&step=10",
        "minutes=1440&points=600&to=1790000000000",
        "from=1790000000000&to=1790000060000",
        "after=12&kind=sign_in&actor=rn&bed=b01&from=1&to=2&format=csv&limit=500",
    ]
    .iter()
    .enumerate()
    {
        write("query_params", &format!("{i}"), q.as_bytes());
    }
}
