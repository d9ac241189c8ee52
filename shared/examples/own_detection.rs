//! Vigil's own arrhythmia detection on the real recordings: alarms begun per
//! type over each 30-minute MIT-BIH record (lead 1 and 2 together), and how
//! many Challenge 2015 alarms of each type and label it raises itself in the
//! last 15 s before the monitor did. Reads `../shared/data` (or VIGIL_DATA_DIR).
//!
//! `cargo run --release -p vigil-shared --example own_detection`

#![allow(clippy::needless_range_loop)] // channels and samples are indexed in step

use std::collections::BTreeMap;
use vigil_shared::arrhythmia::detect::{Edge, RhythmDetector};
use vigil_shared::arrhythmia::monitor::{Channel, ChannelKind, RhythmMonitor};
use vigil_shared::arrhythmia::ArrhythmiaKind;
use vigil_shared::wfdb::Header;
fn main() {
    let base = std::env::var("VIGIL_DATA_DIR").unwrap_or_else(|_| "../shared/data".into());
    let dir = format!("{base}/mitbih");
    for rec in ["100", "102", "103", "104", "105", "106", "107", "108"] {
        let h = Header::parse(&std::fs::read_to_string(format!("{dir}/{rec}.hea")).unwrap()).unwrap();
        let f = h.signals[0].file.clone();
        let d = h.decode(&f, &std::fs::read(format!("{dir}/{f}")).unwrap()).unwrap();
        let mut m = RhythmMonitor::new();
        for s in &h.signals {
            m.add(Channel::new(ChannelKind::Ecg, s.description.clone(), h.fs, 0.0));
        }
        let mut det = RhythmDetector::new();
        let mut counts: BTreeMap<ArrhythmiaKind, u32> = BTreeMap::new();
        let step = (h.fs / 4.0) as usize;
        for i in 0..d[0].len() {
            for c in 0..d.len() {
                m.channels[c].push(h.signals[c].physical(d[c][i]));
            }
            if (i + 1) % step == 0 {
                for e in det.evaluate(&m, (i + 1) as f64 / h.fs) {
                    if let Edge::Began { kind, .. } = e {
                        *counts.entry(kind).or_default() += 1;
                    }
                }
            }
        }
        println!("MIT-BIH {rec}: alarms begun in 30 min: {counts:?}");
    }
    let cdir = std::path::PathBuf::from(format!("{base}/challenge2015"));
    let labels = std::fs::read_to_string(cdir.join("ALARMS")).unwrap();
    let mut tally: BTreeMap<(String, u8), (u32, u32)> = BTreeMap::new();
    for line in labels.lines() {
        let f: Vec<&str> = line.split(',').collect();
        let h = Header::parse(&std::fs::read_to_string(cdir.join(format!("{}.hea", f[0]))).unwrap()).unwrap();
        let file = h.signals[0].file.clone();
        let d = h.decode(&file, &std::fs::read(cdir.join(&file)).unwrap()).unwrap();
        let mut m = RhythmMonitor::new();
        let mut idx = Vec::new();
        for (i, s) in h.signals.iter().enumerate() {
            if let Some(k) = ChannelKind::from_description(&s.description) {
                m.add(Channel::new(k, s.description.clone(), h.fs, 0.0));
                idx.push(i);
            }
        }
        let mut det = RhythmDetector::new();
        let kind = ArrhythmiaKind::from_challenge_name(f[1]).unwrap();
        let mut seen = false;
        let step = (h.fs / 4.0) as usize;
        let n = d[0].len();
        for i in 0..n {
            for (c, &s) in idx.iter().enumerate() {
                m.channels[c].push(h.signals[s].physical(d[s][i]));
            }
            if (i + 1) % step == 0 {
                let t = (i + 1) as f64 / h.fs;
                det.evaluate(&m, t);
                if t > 90.0 - 15.0 && det.active().contains_key(&kind) {
                    seen = true;
                }
            }
        }
        let e = tally.entry((f[1].to_string(), f[2].parse().unwrap())).or_default();
        e.0 += seen as u32;
        e.1 += 1;
    }
    for ((t, l), (s, n)) in tally {
        println!("{t} label {l}: own detector raised it in the last 15 s for {s}/{n}");
    }
}
