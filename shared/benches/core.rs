//! Micro-benchmarks of the functional core that runs in every tablet:
//! `cargo bench -p vigil-shared --bench core` (BENCHMARKS.md has the figures;
//! `-- --test` runs each once, as CI does, so they do not rot).
//!
//! Throughput is in samples (waveform samples plus numeric readings) so the
//! figures compare with a bed's load: ECG 250 Hz + pleth 125 Hz + respiration
//! 25 Hz + ~5 numerics a second is ~405 samples/s per bed.

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use vigil_shared::alarm::{AlarmOptions, WardAlarms};
use vigil_shared::arrhythmia::check::check;
use vigil_shared::arrhythmia::monitor::{Channel, ChannelKind, RhythmMonitor};
use vigil_shared::arrhythmia::synthetic::{bed_frames, ecg, pulse, regular, FS};
use vigil_shared::arrhythmia::ArrhythmiaKind;
use vigil_shared::frame::RawFrame;
use vigil_shared::news2::{self, Consciousness, News2Input, Oxygen, SpO2Scale};
use vigil_shared::signal::pulse::PulseDetector;
use vigil_shared::signal::qrs::QrsDetector;
use vigil_shared::Frame;

const SECONDS: f64 = 60.0;
const T0: i64 = 1_800_000_000_000;

fn signals() -> (Vec<f64>, Vec<f64>) {
    let e = ecg(SECONDS, &regular(0.4, SECONDS, 78.0), 0.02);
    let p = pulse(SECONDS, &regular(0.6, SECONDS, 78.0));
    (e, p)
}

fn signal(c: &mut Criterion) {
    let (e, p) = signals();
    let mut g = c.benchmark_group("signal");
    g.throughput(Throughput::Elements(e.len() as u64));
    g.bench_function("qrs detector, 1 min ECG at 250 Hz", |b| {
        b.iter(|| {
            let mut d = QrsDetector::new(FS, 10.0);
            for &v in &e {
                d.push(Some(v));
            }
            black_box(d.take_beats().len())
        })
    });
    g.bench_function("pulse detector, 1 min pleth at 250 Hz", |b| {
        b.iter(|| {
            let mut d = PulseDetector::new(FS, 10.0);
            for &v in &p {
                d.push(Some(v));
            }
            black_box(d.take_pulses().len())
        })
    });
    g.throughput(Throughput::Elements(2 * e.len() as u64));
    g.bench_function("rhythm monitor, 1 min ECG + pleth", |b| b.iter(|| black_box(monitor(&e, &p).now())));
    g.finish();

    // The arrhythmia check of one alarm against a monitor holding 60 s.
    let m = monitor(&e, &p);
    let mut g = c.benchmark_group("arrhythmia check");
    for kind in ArrhythmiaKind::ALL {
        g.bench_function(kind.challenge_name(), |b| b.iter(|| black_box(check(&m, kind, SECONDS - 0.5))));
    }
    g.finish();
}

fn monitor(e: &[f64], p: &[f64]) -> RhythmMonitor {
    let mut m = RhythmMonitor::new();
    let ecg = m.add(Channel::new(ChannelKind::Ecg, "II", FS, 0.0));
    let ppg = m.add(Channel::new(ChannelKind::Ppg, "PLETH", FS, 0.0));
    for (&a, &b) in e.iter().zip(p) {
        m.channels[ecg].push(Some(a));
        m.channels[ppg].push(Some(b));
    }
    m
}

fn engine(c: &mut Criterion) {
    let frames = bed_frames(SECONDS, 78.0, T0);
    let samples: usize = frames.iter().map(Frame::sample_count).sum();
    let mut g = c.benchmark_group("alarm engine");
    g.throughput(Throughput::Elements(samples as u64));
    g.bench_function("one bed, 1 min of frames (ECG, pleth, numerics), with rhythm", |b| {
        b.iter_batched(
            || WardAlarms::new(AlarmOptions::default()),
            |mut w| {
                for f in &frames {
                    let now = f.time_span().1 + 20;
                    w.on_frame("b1", f, now);
                    w.tick(now, true);
                }
                black_box(w)
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();

    let text: Vec<String> = frames.iter().map(|f| serde_json::to_string(&RawFrame::from(f.clone())).unwrap()).collect();
    let bytes: usize = text.iter().map(String::len).sum();
    let mut g = c.benchmark_group("frames");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("parse and validate 1 min of one bed's frames (JSON)", |b| {
        b.iter(|| {
            for t in &text {
                let raw: RawFrame = serde_json::from_str(t).unwrap();
                black_box(Frame::try_from(raw).unwrap());
            }
        })
    });
    g.finish();
}

fn news2(c: &mut Criterion) {
    let input = News2Input {
        respiration_rate: Some(22.0),
        spo2: Some(93.0),
        scale: SpO2Scale::Scale1,
        oxygen: Some(Oxygen::Air),
        systolic_bp: Some(104.0),
        pulse: Some(112.0),
        consciousness: Some(Consciousness::Alert),
        temperature: Some(38.4),
    };
    c.bench_function("news2 score", |b| b.iter(|| black_box(news2::score(black_box(&input)))));
}

criterion_group!(benches, signal, engine, news2);
criterion_main!(benches);
