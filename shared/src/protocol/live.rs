//! Tablet <-> server messages on the live socket.
//!
//! A tablet subscribes to beds, optionally saying for each bed the last cursor
//! it already holds. The server first sends what the tablet missed (from
//! storage, in order), then [`ServerMessage::CaughtUp`], then live frames as
//! they are stored. Cursors are the server's storage order: strictly increasing
//! per bed, so a tablet can resume exactly where it stopped.

// Input from outside: no arithmetic that can overflow, wrap or panic.
#![deny(clippy::arithmetic_side_effects)]

use crate::alarm::{AlarmOptions, EventRequest, StoredEvent};
use crate::frame::{Frame, Numeric};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a tablet knows about a bed and its patient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BedInfo {
    pub id: String,
    pub label: String,
    /// The admitted patient's display name (e.g. "M. Jones"); `None` when empty.
    pub patient: Option<String>,
    /// When the server received the bed's newest frame (ms since the epoch),
    /// so a tablet opened after a monitor went silent still knows it went silent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_frame: Option<i64>,
}

/// Tablet -> server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// Start (or replace) the subscription. `beds` empty means every bed of the
    /// ward. `since` maps a bed to the last cursor held; beds missing from it get
    /// the last `recent_seconds` of data (bounded by the server) first.
    Subscribe {
        #[serde(default)]
        beds: Vec<String>,
        #[serde(default)]
        since: BTreeMap<String, u64>,
        #[serde(default)]
        recent_seconds: Option<u32>,
    },
    /// Keep-alive; answered with `Pong` carrying the same id.
    Ping { id: u64 },
    /// An acknowledgement, limit change or observation. Answered by the stored
    /// event (relayed to every tablet of the bed) or by `EventRejected`.
    Event { request: EventRequest },
}

/// Server -> tablet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// The beds the subscription covers, sent first, with the ward's alarm
    /// settings (audio pause, escalation, delays) when the server has them.
    Ward {
        protocol: u32,
        beds: Vec<BedInfo>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        alarms: Option<AlarmOptions>,
    },
    /// One stored frame of one bed.
    Frame {
        bed: String,
        cursor: u64,
        /// Server receive time, ms since the epoch (for latency and staleness).
        received: i64,
        frame: Frame,
    },
    /// The bed's newest value of each intermittent parameter (NIBP,
    /// temperature: [`crate::VitalKind::is_intermittent`]) measured within the
    /// server's age limit, sent on subscribing before the bed's frames, so a
    /// tablet opened after a cuff measurement shows it, with its age. Each
    /// reading is checked as a frame's; none is a live reading to alarm on.
    Latest {
        bed: String,
        numerics: Vec<Numeric>,
    },
    /// Everything stored for `bed` up to `cursor` has been sent; live from here.
    CaughtUp {
        bed: String,
        cursor: Option<u64>,
    },
    Pong {
        id: u64,
    },
    /// An event from the audit log of a subscribed bed: on subscribing, the
    /// bed's settings and recent acknowledgements; then each new one.
    Event {
        event: StoredEvent,
    },
    /// The request was refused and nothing was stored.
    EventRejected {
        request: String,
        reason: String,
    },
    /// The last message could not be handled; the subscription is unchanged.
    Error {
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{RawFrame, RawNumeric};
    use crate::vital::VitalKind;

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn subscribe_defaults_to_every_bed_with_no_cursor() {
        let msg: ClientMessage = serde_json::from_str(r#"{"type":"subscribe"}"#).unwrap();
        assert_eq!(msg, ClientMessage::Subscribe { beds: vec![], since: BTreeMap::new(), recent_seconds: None });
    }

    #[test]
    fn frame_messages_round_trip() {
        let frame = Frame::try_from(RawFrame {
            seq: 1,
            numerics: vec![RawNumeric { kind: VitalKind::Rr, t: 1_790_000_000_000, value: 14.0 }],
            waves: vec![],
            technical: vec![],
        })
        .unwrap();
        let msg = ServerMessage::Frame { bed: "b01".into(), cursor: 42, received: 1_790_000_000_100, frame };
        let json = serde_json::to_string(&msg).unwrap();
        assert!(json.starts_with(r#"{"type":"frame","bed":"b01","cursor":42"#), "{json}");
        assert_eq!(serde_json::from_str::<ServerMessage>(&json).unwrap(), msg);
    }

    #[test]
    fn latest_values_round_trip_and_a_bad_one_is_refused() {
        let json = r#"{"type":"latest","bed":"b01","numerics":[{"kind":"nibp_sys","t":1790000000000,"value":118.0}]}"#;
        let msg: ServerMessage = serde_json::from_str(json).unwrap();
        let ServerMessage::Latest { bed, numerics } = &msg else { panic!("{msg:?}") };
        assert_eq!((bed.as_str(), numerics[0].kind(), numerics[0].value()), ("b01", VitalKind::NibpSys, 118.0));
        assert_eq!(serde_json::to_string(&msg).unwrap(), json);
        let bad = json.replace("118.0", "-5");
        assert!(serde_json::from_str::<ServerMessage>(&bad).is_err());
        let bad = json.replace("1790000000000", "5");
        assert!(serde_json::from_str::<ServerMessage>(&bad).is_err());
    }

    #[test]
    fn a_relayed_frame_with_a_bad_value_is_refused_by_the_tablet_too() {
        let json = r#"{"type":"frame","bed":"b01","cursor":1,"received":0,
            "frame":{"seq":1,"numerics":[{"kind":"spo2","t":1790000000000,"value":180}]}}"#;
        assert!(serde_json::from_str::<ServerMessage>(json).is_err());
    }
}
