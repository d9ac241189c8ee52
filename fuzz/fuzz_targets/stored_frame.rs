//! The storage codec's decoder on any bytes (a damaged or tampered database
//! row): never panics; whatever it accepts is a valid frame that encodes and
//! decodes back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../server/src/store/codec.rs"]
#[allow(dead_code)]
mod codec;

fuzz_target!(|data: &[u8]| {
    if let Ok(frame) = codec::decode(data) {
        let body = codec::encode(&frame);
        assert_eq!(codec::decode(&body).expect("re-encoded body decodes"), frame);
    }
});
