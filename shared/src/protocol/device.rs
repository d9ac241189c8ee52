//! Device <-> server messages.
//!
//! Delivery is at-least-once: the device numbers its frames, keeps every frame
//! until the server acknowledges it, and sends the unacknowledged ones again
//! after reconnecting. The server acknowledges a frame only once it is durably
//! stored, and stores each (device, seq) once; a re-sent frame is acknowledged
//! again with `duplicate: true`.

use crate::frame::RawFrame;
use serde::{Deserialize, Serialize};

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
    /// The device must not resend it unchanged.
    Reject { seq: Option<u64>, error: String },
}
