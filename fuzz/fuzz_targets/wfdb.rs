//! The WFDB reader (PhysioNet records: headers, signal files in formats 16
//! and 212, annotation files): never panics on any bytes. The first byte
//! picks what the rest is read as.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_shared::wfdb::{parse_annotations, Header};

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    match which % 3 {
        0 => {
            if let Ok(text) = std::str::from_utf8(rest) {
                if let Ok(h) = Header::parse(text) {
                    for s in &h.signals {
                        let _ = s.physical(0);
                    }
                }
            }
        }
        1 => {
            let _ = parse_annotations(rest);
        }
        _ => {
            // A header line count of bytes, the header, then a signal file.
            let Some((&len, rest)) = rest.split_first() else { return };
            let (head, body) = rest.split_at(usize::from(len).min(rest.len()));
            let Ok(text) = std::str::from_utf8(head) else { return };
            let Ok(h) = Header::parse(text) else { return };
            let files: Vec<String> = h.signals.iter().map(|s| s.file.clone()).collect();
            for file in files {
                if let Ok(signals) = h.decode(&file, body) {
                    for (i, samples) in signals.iter().enumerate() {
                        if let (Some(spec), Some(&v)) = (h.signals.get(i), samples.first()) {
                            let _ = spec.physical(v);
                        }
                    }
                }
            }
        }
    }
});
