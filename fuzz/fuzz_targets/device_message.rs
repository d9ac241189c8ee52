//! A device's message as the server reads it (`/ws/device`): parsing and
//! validation never panic, and a frame that is accepted is stored and
//! relayed exactly: the storage codec gives it back bit for bit and a tablet
//! parses the relayed JSON to the same frame.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_shared::protocol::device::{DeviceMessage, ServerToDevice};
use vigil_shared::Frame;

#[path = "../../server/src/store/codec.rs"]
#[allow(dead_code)]
mod codec;

fuzz_target!(|data: &[u8]| {
    if let Ok(DeviceMessage::Frame(raw)) = serde_json::from_slice::<DeviceMessage>(data) {
        if let Ok(frame) = Frame::try_from(raw) {
            let _ = (frame.time_span(), frame.sample_count());
            let body = codec::encode(&frame);
            assert_eq!(codec::decode(&body).expect("a body the server made decodes"), frame);
            let relayed = serde_json::to_string(&frame).expect("a frame serialises");
            let on_tablet: Frame = serde_json::from_str(&relayed).expect("a relayed frame parses");
            assert_eq!(on_tablet, frame);
        }
    }
    let _ = serde_json::from_slice::<ServerToDevice>(data);
});
