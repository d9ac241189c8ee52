//! The evidence the arrhythmia check sees, per Challenge 2015 alarm of one
//! type, as CSV on stdout (one line per channel and window: 16 s "L", 8 s
//! "S", 4 s "R"; the usual-beat columns on "L" rows), with the label and the
//! decision: for designing rules and for trying learned checks outside the
//! product. With `COINC=1`, also per record on stderr: the share of each ECG
//! lead's beats in the 8 s that the other lead has within 150 ms; with
//! `PULSE=1`, per pulse channel: the smallest pulse of the last 8 s and the
//! longest interval there, relative to the 16 s medians; with `RUNS=1`, the
//! most alike 5 complexes faster than 100/min on any lead (mean correlation,
//! rate, mean width); with `FEATURES=1`, the learned check's features
//! (`vt_features`); with `LOCKED=1`, each lead's activity locked to each
//! pulse (`locked`: coherence, kurtosis, recent pulses). Reads `../shared/data` (or VIGIL_DATA_DIR).
//!
//! The records of the committed lockbox are left out.
//!
//! `cargo run --release -p vigil-shared --example alarm_evidence [-- TYPE]`
//! (TYPE as the headers name it; default `Ventricular_Tachycardia`)

use vigil_shared::arrhythmia::check::{decide, Evidence};
use vigil_shared::arrhythmia::record;
use vigil_shared::arrhythmia::ArrhythmiaKind;
use vigil_shared::wfdb::{Header, WfdbError};

fn main() {
    let base = std::env::var("VIGIL_DATA_DIR").unwrap_or_else(|_| "../shared/data".into());
    let dir = std::path::PathBuf::from(format!("{base}/challenge2015"));
    let labels = std::fs::read_to_string(dir.join("ALARMS")).unwrap();
    let want = std::env::args().nth(1).unwrap_or_else(|| "Ventricular_Tachycardia".into());
    println!("rec,truth,keep,win,ch,kind,flat,beats,rate,max5,min5,rrcv,tmpl,kurt,sizecv,width,size,gap,u_rate,u_tmpl,u_w,u_beats,u_usual,u_r5,u_run,u_gap,reason");
    for line in labels.lines() {
        let f: Vec<&str> = line.split(',').collect();
        // The lockbox is never looked at record by record while designing.
        if f[1] != want || vigil_shared::arrhythmia::lockbox::contains(f[0]) {
            continue;
        }
        let h = Header::parse(&std::fs::read_to_string(dir.join(format!("{}.hea", f[0]))).unwrap()).unwrap();
        let rec = record::load(&h, |file| {
            std::fs::read(dir.join(file)).map_err(|e| WfdbError::Data { file: file.into(), message: e.to_string() })
        })
        .unwrap();
        let kind = ArrhythmiaKind::from_challenge_name(f[1]).unwrap();
        let ev = Evidence::gather(&rec.monitor, kind, rec.duration);
        let d = decide(&ev, &Default::default());
        if std::env::var("LOCKED").is_ok() {
            for (i, row) in ev.locked.iter().enumerate() {
                for (j, l) in row.iter().enumerate() {
                    if let Some(l) = l {
                        eprintln!(
                            "{},{},{},{}->{},{:.2},{:.1},{},flat {:.2},\"{}\"",
                            f[0],
                            f[2],
                            u8::from(d.keep),
                            ev.long[i].name,
                            ev.long[j].name,
                            l.coherence,
                            l.kurtosis,
                            l.recent,
                            ev.long[i].flat,
                            d.reason
                        );
                    }
                }
            }
        }
        if std::env::var("FEATURES").is_ok() {
            let x = vigil_shared::arrhythmia::vt_features::features(&ev);
            let x: Vec<String> = x.iter().map(|v| format!("{v}")).collect();
            eprintln!("{},{},{},{}", f[0], f[2], u8::from(d.keep), x.join(","));
        }
        let ecg: Vec<_> =
            ev.short.iter().filter(|s| s.kind == vigil_shared::arrhythmia::monitor::ChannelKind::Ecg).collect();
        if ecg.len() >= 2 && std::env::var("COINC").is_ok() {
            let co = |a: &vigil_shared::arrhythmia::summary::Summary,
                      b: &vigil_shared::arrhythmia::summary::Summary| {
                let n = a.beats.len().max(1) as f64;
                a.beats.iter().filter(|m| b.beats.iter().any(|o| (o.t - m.t).abs() <= 0.15)).count() as f64 / n
            };
            eprintln!(
                "{},{},{},{:.2},{:.2},{},{},\"{}\"",
                f[0],
                f[2],
                u8::from(d.keep),
                co(ecg[0], ecg[1]),
                co(ecg[1], ecg[0]),
                ecg[0].beats.len(),
                ecg[1].beats.len(),
                d.reason
            );
        }
        if std::env::var("RUNS").is_ok() {
            use vigil_shared::arrhythmia::monitor::ChannelKind;
            let mut best = (0.0f64, String::new(), 0.0f64, 0.0f64);
            for ch in rec.monitor.channels.iter().filter(|c| c.kind == ChannelKind::Ecg) {
                let at = rec.duration;
                let marks = ch.marks(at - 16.0, at);
                let filt = ch.filtered(at - 17.0, at);
                let first = ch.index_at(at - 17.0);
                let seg = |m: &vigil_shared::arrhythmia::monitor::Mark| -> Option<Vec<f64>> {
                    let a = (m.index.checked_sub((0.1 * ch.fs) as u64)?).checked_sub(first)? as usize;
                    filt.get(a..a + (0.2 * ch.fs) as usize).map(|x| x.iter().map(|&v| v as f64).collect())
                };
                let corr = |a: &[f64], b: &[f64]| {
                    let n = a.len() as f64;
                    let ma = a.iter().sum::<f64>() / n;
                    let mb = b.iter().sum::<f64>() / n;
                    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
                    for (x, y) in a.iter().zip(b) {
                        ab += (x - ma) * (y - mb);
                        aa += (x - ma).powi(2);
                        bb += (y - mb).powi(2);
                    }
                    if aa <= 0.0 || bb <= 0.0 {
                        0.0
                    } else {
                        ab / (aa * bb).sqrt()
                    }
                };
                for w in marks.windows(5) {
                    let rate = 240.0 / (w[4].t - w[0].t);
                    if rate <= 100.0 {
                        continue;
                    }
                    let segs: Vec<Vec<f64>> = w.iter().filter_map(seg).collect();
                    if segs.len() < 5 {
                        continue;
                    }
                    let mut c = 0.0;
                    let mut k = 0;
                    for i in 0..5 {
                        for j in i + 1..5 {
                            c += corr(&segs[i], &segs[j]);
                            k += 1;
                        }
                    }
                    let c = c / k as f64;
                    let widths: Vec<f64> =
                        w.iter().filter_map(|m| vigil_shared::arrhythmia::detect::qrs_width(ch, m.index)).collect();
                    let mw = if widths.is_empty() { 0.0 } else { widths.iter().sum::<f64>() / widths.len() as f64 };
                    if c > best.0 {
                        best = (c, ch.name.clone(), rate, mw);
                    }
                }
            }
            eprintln!(
                "{},{},{},{:.3},{},{:.0},{:.3},\"{}\"",
                f[0],
                f[2],
                u8::from(d.keep),
                best.0,
                best.1,
                best.2,
                best.3,
                d.reason
            );
        }
        if std::env::var("PULSE").is_ok() {
            for (i, s) in ev.long.iter().enumerate() {
                if !s.kind.is_pulse() || s.beats.len() < 6 {
                    continue;
                }
                let mut sz: Vec<f32> = s.beats.iter().map(|b| b.size).collect();
                sz.sort_by(f32::total_cmp);
                let med = sz[sz.len() / 2] as f64;
                let mut iv: Vec<f64> = s.beats.windows(2).map(|w| w[1].t - w[0].t).collect();
                iv.sort_by(f64::total_cmp);
                let mi = iv[iv.len() / 2];
                let late: Vec<_> = s.beats.iter().filter(|b| b.t >= ev.at - 8.0).collect();
                let min_sz = late.iter().map(|b| b.size as f64).fold(f64::INFINITY, f64::min) / med;
                let mut max_iv = late.windows(2).map(|w| w[1].t - w[0].t).fold(0.0, f64::max);
                if let Some(l) = late.last() {
                    max_iv = max_iv.max(ev.at - l.t);
                }
                eprintln!(
                    "{},{},{},{},{:.3},{:.2},{:.2},{:.2},{:.3},\"{}\"",
                    f[0],
                    f[2],
                    u8::from(d.keep),
                    s.name,
                    s.template,
                    min_sz,
                    max_iv / mi,
                    60.0 / mi,
                    ev.short[i].template,
                    d.reason
                );
            }
        }
        for (win, set) in [("L", &ev.long), ("S", &ev.short), ("R", &ev.recent)] {
            for (i, s) in set.iter().enumerate() {
                let u = if win == "L" { ev.usual[i].as_ref() } else { None };
                let o = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.3}"));
                println!(
                    "{},{},{},{},{},{:?},{:.2},{},{},{},{},{:.3},{:.3},{:.2},{:.3},{},{:.2},{:.2},{},{},{},{},{},{},{},{},\"{}\"",
                    f[0], f[2], u8::from(d.keep), win, s.name, s.kind, s.flat, s.beats.len(), o(s.rate), o(s.max_rate5), o(s.min_rate5),
                    s.rr_cv, s.template, s.kurtosis, s.size_cv, o(s.width), s.size, s.max_gap,
                    o(u.and_then(|u| u.rate)), u.map_or(String::new(), |u| format!("{:.3}", u.template)), o(u.and_then(|u| u.width)),
                    u.map_or(String::new(), |u| u.beats.to_string()), u.map_or(String::new(), |u| u.usual.to_string()),
                    o(u.and_then(|u| u.usual_rate5)), u.map_or(String::new(), |u| u.longest_other_run.to_string()),
                    u.map_or(String::new(), |u| format!("{:.2}", u.max_gap)), d.reason
                );
            }
        }
    }
}
