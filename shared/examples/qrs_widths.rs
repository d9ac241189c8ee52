//! The QRS width measure (`arrhythmia::detect::qrs_width`) against the
//! MIT-BIH beat labels: the width of normal (N) and ventricular (V) beats on
//! both leads of each record, first 10 minutes, as the 10th, 50th and 90th
//! percentiles. Calibrates `VENTRICULAR_WIDTH_S` and the VT check's narrow and
//! wide limits. Reads `../shared/data/mitbih` (or `$VIGIL_DATA_DIR/mitbih`).
//!
//! `cargo run --release -p vigil-shared --example qrs_widths`

use std::collections::BTreeMap;
use vigil_shared::arrhythmia::detect::qrs_width;
use vigil_shared::arrhythmia::monitor::{Channel, ChannelKind};
use vigil_shared::wfdb::{parse_annotations, Header};

/// Annotation codes shown: normal and premature ventricular beats.
const CODES: [(u8, &str); 2] = [(1, "N"), (5, "V")];

fn percentiles(v: &mut [f64]) -> String {
    v.sort_by(f64::total_cmp);
    let at = |p: usize| 1000.0 * v[(v.len() - 1) * p / 100];
    format!("n {:>4}  {:>4.0} {:>4.0} {:>4.0} ms", v.len(), at(10), at(50), at(90))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = std::env::var("VIGIL_DATA_DIR").unwrap_or_else(|_| "../shared/data".into());
    let dir = format!("{base}/mitbih");
    println!("record lead   beat  widths (10th 50th 90th percentile)");
    for rec in ["100", "102", "103", "104", "105", "106", "107", "108"] {
        let h = Header::parse(&std::fs::read_to_string(format!("{dir}/{rec}.hea"))?)?;
        let file = h.signals[0].file.clone();
        let data = h.decode(&file, &std::fs::read(format!("{dir}/{file}"))?)?;
        let ann = parse_annotations(&std::fs::read(format!("{dir}/{rec}.atr"))?)?;
        let end = data[0].len().min((h.fs * 600.0) as usize);
        for (lead, spec) in h.signals.iter().enumerate().take(data.len()) {
            let mut ch = Channel::new(ChannelKind::Ecg, spec.description.clone(), h.fs, 0.0);
            let mut widths: BTreeMap<u8, Vec<f64>> = BTreeMap::new();
            let mut next = 0;
            for (i, &v) in data[lead][..end].iter().enumerate() {
                ch.push(spec.physical(v));
                // Each labelled beat once 300 ms of signal follow it, by the
                // detected beat within 100 ms of the label (after 10 s of learning).
                while next < ann.len() && ann[next].sample + (0.3 * h.fs) as u64 <= i as u64 {
                    let a = &ann[next];
                    next += 1;
                    if !CODES.iter().any(|c| c.0 == a.code) || (a.sample as f64) < 10.0 * h.fs {
                        continue;
                    }
                    let t = a.sample as f64 / h.fs;
                    if let Some(w) = ch.marks(t - 0.1, t + 0.1).first().and_then(|m| qrs_width(&ch, m.index)) {
                        widths.entry(a.code).or_default().push(w);
                    }
                }
            }
            for (code, name) in CODES {
                if let Some(v) = widths.get_mut(&code).filter(|v| v.len() >= 10) {
                    println!("{rec:<6} {:<6} {name:<5} {}", spec.description, percentiles(v));
                }
            }
        }
    }
    Ok(())
}
