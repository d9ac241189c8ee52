//! Relay of stored frames to the tablets: one broadcast channel per bed.
//!
//! Each relayed item carries the complete `frame` message as JSON, built once
//! when the frame is stored, so fan-out to many tablets copies an `Arc`, not
//! a serialisation. A tablet that falls behind the channel's buffer is not
//! dropped silently: its socket notices the lag and refills from storage.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use tokio::sync::broadcast;

/// Frames buffered per bed for slow tablets before they must refill from storage.
const BED_BUFFER: usize = 256;

#[derive(Debug, Clone)]
pub struct RelayItem {
    /// The frame's cursor; `None` for an audit event (acknowledgement, limit
    /// change), which every subscriber gets whatever its cursor.
    pub cursor: Option<u64>,
    /// The complete `ServerMessage::Frame` or `ServerMessage::Event` as JSON.
    pub json: Arc<str>,
}

#[derive(Default, Clone)]
pub struct Relay {
    beds: Arc<RwLock<HashMap<String, broadcast::Sender<RelayItem>>>>,
}

impl Relay {
    fn sender(&self, bed: &str) -> broadcast::Sender<RelayItem> {
        if let Some(s) = self.beds.read().unwrap_or_else(|e| e.into_inner()).get(bed) {
            return s.clone();
        }
        let mut beds = self.beds.write().unwrap_or_else(|e| e.into_inner());
        beds.entry(bed.to_string()).or_insert_with(|| broadcast::channel(BED_BUFFER).0).clone()
    }

    pub fn subscribe(&self, bed: &str) -> broadcast::Receiver<RelayItem> {
        self.sender(bed).subscribe()
    }

    pub fn publish(&self, bed: &str, item: RelayItem) {
        // No receiver is fine: nobody is watching that bed right now.
        let _ = self.sender(bed).send(item);
    }
}

/// The `ServerMessage::Frame` JSON for a stored frame, built around the stored
/// payload without parsing it again.
pub fn frame_message_json(bed: &str, cursor: u64, received: i64, payload: &str) -> String {
    let bed = serde_json::to_string(bed).unwrap_or_else(|_| "\"\"".into());
    format!(r#"{{"type":"frame","bed":{bed},"cursor":{cursor},"received":{received},"frame":{payload}}}"#)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_shared::frame::{RawFrame, RawNumeric};
    use vigil_shared::protocol::live::ServerMessage;
    use vigil_shared::{Frame, VitalKind};

    #[test]
    fn the_spliced_message_is_the_same_as_serialising_the_whole_message() {
        let frame = Frame::try_from(RawFrame {
            seq: 3,
            numerics: vec![RawNumeric { kind: VitalKind::Hr, t: 1_790_000_000_000, value: 61.0 }],
            waves: vec![],
            technical: vec![],
        })
        .unwrap();
        let payload = serde_json::to_string(&frame).unwrap();
        let json = frame_message_json("bed \"7\"", 12, 99, &payload);
        let parsed: ServerMessage = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed, ServerMessage::Frame { bed: "bed \"7\"".into(), cursor: 12, received: 99, frame });
    }
}
