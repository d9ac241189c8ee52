//! Device <-> server messages.
//!
//! Delivery is at-least-once: the device numbers its frames, keeps every frame
//! until the server acknowledges it, and sends the unacknowledged ones again
//! after reconnecting. The server acknowledges a frame only once it is durably
//! stored, and stores each (device, seq) once; a re-sent frame is acknowledged
//! again with `duplicate: true`.

// Input from outside: no arithmetic that can overflow, wrap or panic.
#![deny(clippy::arithmetic_side_effects)]

use crate::frame::RawFrame;
use serde::{Deserialize, Serialize};

/// The largest message a device may send, bytes (text or binary). The
/// largest frame the protocol allows (16 chunks of 4,096 samples, 256
/// numerics, 32 technical conditions) takes about 1.2 MB as compact JSON and
/// about 2.4 MB pretty-printed with two-space indents (tested below), so
/// every frame the protocol allows fits, however it is formatted. A larger
/// message up to [`READ_LIMIT_BYTES`] is read, logged and answered with a
/// `reject` (code `too_large`, with its `seq` if it has one) and the stream
/// goes on; beyond that it is not read at all: the server logs it and closes
/// the connection with code 1009 ("message too big") and a reason naming
/// the limit (a device still sending may see a reset instead).
pub const MAX_DEVICE_MESSAGE_BYTES: usize = 4 << 20;
/// The most the server reads of one message, to refuse it with a reason.
pub const READ_LIMIT_BYTES: usize = 2 * MAX_DEVICE_MESSAGE_BYTES;

/// How far ahead of the server's clock a frame's newest time may be, ms. A
/// monitor's clock may drift or be set a little fast (ages and the tablet
/// cope with that), but a frame dated further ahead is refused: it would
/// outlive retention, which deletes by reading time.
pub const FUTURE_TOLERANCE_MS: i64 = 15 * 60_000;

/// Device -> server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DeviceMessage {
    /// Samples to store and relay. Sent raw; the server validates.
    Frame(RawFrame),
}

/// Server -> device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerToDevice {
    /// Sent once after the connection is authenticated.
    Welcome {
        protocol: u32,
        device: String,
        bed: String,
        /// The highest sequence number already stored for this device, so a
        /// device that restarted can skip what the server has.
        last_stored_seq: Option<u64>,
    },
    /// Frame `seq` is durably stored (now, or already before when `duplicate`).
    Ack { seq: u64, duplicate: bool },
    /// Frame `seq` (if it could be read) was refused and nothing of it stored.
    /// The device must not resend it unchanged. `code` says what the device
    /// can do about it (absent from older servers: treat as `invalid`).
    Reject {
        seq: Option<u64>,
        error: String,
        #[serde(default)]
        code: RejectCode,
    },
}

/// Why a frame was refused, for the device's software to act on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectCode {
    /// Unreadable or outside the protocol's limits: drop it, count it, fix
    /// the device. Sending it again gets the same answer.
    #[default]
    Invalid,
    /// Over [`MAX_DEVICE_MESSAGE_BYTES`]: larger than any frame the protocol
    /// allows. Drop it and count it.
    TooLarge,
    /// Dated more than [`FUTURE_TOLERANCE_MS`] ahead of the server's clock:
    /// set the device's clock.
    Future,
    /// This `seq` is already stored with other content: the device's counter
    /// went back (a restart that lost it). Nothing of the frame was stored.
    /// Number from the `welcome`'s `last_stored_seq` + 1 on (reconnect to
    /// learn it) and send the frame again under its new number.
    SeqReused,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{Frame, RawNumeric, RawWave, Sensor, Technical, TechnicalCondition};
    use crate::frame::{MAX_NUMERICS, MAX_TECHNICAL, MAX_WAVES, MAX_WAVE_SAMPLES};
    use crate::vital::{VitalKind, WaveKind};

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// The largest frame the protocol allows, with samples that take the
    /// most characters to print.
    fn largest_frame() -> RawFrame {
        let t = 4_102_444_799_999;
        // A negative value with a full f32 mantissa and a two-digit exponent.
        let sample = -1.234_567_9e-30_f32;
        assert_eq!(serde_json::to_string(&sample).unwrap(), "-1.2345679e-30");
        RawFrame {
            seq: crate::frame::MAX_SEQ,
            numerics: vec![RawNumeric { kind: VitalKind::Spo2, t, value: 97.123_456_789_012_34 }; MAX_NUMERICS],
            waves: vec![
                RawWave { kind: WaveKind::EcgII, t0: t, rate_hz: 499.999_999_999_9, samples: vec![sample; MAX_WAVE_SAMPLES] };
                MAX_WAVES
            ],
            technical: vec![
                Technical { t, condition: TechnicalCondition::DeviceFault, sensor: Sensor::Spo2, active: false };
                MAX_TECHNICAL
            ],
        }
    }

    #[test]
    fn every_frame_the_protocol_allows_fits_the_message_limit_however_formatted() {
        let raw = largest_frame();
        assert!(Frame::try_from(raw.clone()).is_ok(), "the largest frame must be a valid one");
        let msg = DeviceMessage::Frame(raw);
        let compact = serde_json::to_string(&msg).unwrap().len();
        let pretty = serde_json::to_string_pretty(&msg).unwrap().len();
        assert!(compact > 1_000_000, "the test frame is not near the limits: {compact} bytes");
        assert!(pretty < MAX_DEVICE_MESSAGE_BYTES, "{pretty} bytes pretty-printed");
        assert!(compact * 3 < MAX_DEVICE_MESSAGE_BYTES, "{compact} bytes compact");
    }

    #[test]
    fn a_reject_from_an_older_server_without_a_code_reads_as_invalid() {
        let old: ServerToDevice = serde_json::from_str(r#"{"type":"reject","seq":3,"error":"x"}"#).unwrap();
        assert_eq!(old, ServerToDevice::Reject { seq: Some(3), error: "x".into(), code: RejectCode::Invalid });
        let json = serde_json::to_string(&ServerToDevice::Reject {
            seq: Some(4),
            error: "y".into(),
            code: RejectCode::SeqReused,
        })
        .unwrap();
        assert!(json.contains(r#""code":"seq_reused""#), "{json}");
    }
}
