//! `vigil store-bench`: what the embedded database sustains and costs.
//!
//! In one process, on a fresh database file: M simulated beds (numerics ~1 Hz,
//! ECG 250 Hz, pleth 125 Hz, arterial pressure 125 Hz, 250 ms frames, the
//! simulator's monitor-like digitisation) are generated faster than real time
//! and stored through the real writer (group commit, fsync per commit), each
//! bed waiting for its acknowledgement like a device. Reported: samples and
//! frames per second sustained, bytes on disk per bed per day (waveforms and
//! numerics apart), and the time of a 24-hour trend query on a bed with 24
//! hours of 1 Hz numerics, read from the per-minute aggregates and, for
//! comparison in the same run, from the raw readings.

use crate::sim::{BedSim, Equipment};
use crate::store::rows::{DeviceIdentity, NewBed, NewWard};
use crate::store::Store;
use anyhow::{bail, Context};
use std::sync::Arc;
use std::time::{Duration, Instant};
use vigil_shared::frame::{RawFrame, RawNumeric};
use vigil_shared::{Frame, VitalKind};

#[derive(Debug, Clone)]
pub struct StoreBenchOptions {
    pub beds: usize,
    /// Simulated seconds streamed per bed.
    pub seconds: u64,
}

/// A fixed start, so runs store the same data.
const T0: i64 = 1_789_999_200_000;

pub async fn run(o: StoreBenchOptions) -> anyhow::Result<()> {
    if o.beds == 0 || o.seconds == 0 {
        bail!("--beds and --seconds must be at least 1");
    }
    let dir = tempfile_dir()?;
    let db = dir.join("store-bench.db");
    let store = Store::open(&db, Box::new(|_| {}))?;
    store
        .create_ward(NewWard {
            id: "w".into(),
            name: "bench".into(),
            beds: (0..=o.beds)
                .map(|i| NewBed { admitted_at: None, id: format!("b{i:03}"), label: format!("Bed {i}"), patient: None })
                .collect(),
        })
        .await?;
    let mut devices = Vec::new();
    for i in 0..=o.beds {
        let (bed, id) = (format!("b{i:03}"), format!("dev-{i:03}"));
        store.register_device(&id, &bed).await?;
        devices.push(DeviceIdentity { id, bed });
    }
    let trend_device = devices.remove(0);

    // 1. Ingest.
    println!("vigil store-bench: {} beds x {} s of simulated monitoring (ECG 250 Hz, pleth 125 Hz, ABP 125 Hz, numerics 1 Hz)", o.beds, o.seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (i, dev) in devices.into_iter().enumerate() {
        let store = store.clone();
        let seconds = o.seconds;
        tasks.push(tokio::spawn(async move {
            let scenario = crate::demo::load_scenario("stable", std::path::Path::new("."))?;
            let equipment = Equipment { abp_hz: Some(125.0), ..Equipment::default() };
            let mut sim = BedSim::new(scenario, equipment, 500 + i as u64, T0);
            let (mut frames, mut samples) = (0u64, 0u64);
            for k in 1..=(seconds * 4) as i64 {
                let Some(raw) = sim.frame_until(T0 + k * 250) else { continue };
                let frame = Arc::new(Frame::try_from(raw)?);
                samples += frame.sample_count() as u64;
                frames += 1;
                store.store_frame(&dev, frame, T0 + k * 250).await?;
            }
            anyhow::Ok((frames, samples))
        }));
    }
    let (mut frames, mut samples) = (0u64, 0u64);
    for t in tasks {
        let (f, s) = t.await??;
        frames += f;
        samples += s;
    }
    let wall = started.elapsed().as_secs_f64();
    println!(
        "  ingest: {samples} samples in {frames} frames in {wall:.1} s = {:.0} samples/s, {:.0} frames/s ({:.0}x real time for {} beds)",
        samples as f64 / wall,
        frames as f64 / wall,
        o.seconds as f64 / wall,
        o.beds
    );

    // 2. Size per bed per day.
    let sizes = store.table_sizes().await?;
    let bed_days = (o.beds as f64 * o.seconds as f64) / 86_400.0;
    let per_day = |bytes: u64| bytes as f64 / bed_days / 1e6;
    println!(
        "  on disk per bed per day: frames (full disclosure) {:.1} MB, numerics {:.1} MB, minute aggregates {:.2} MB; {:.2} bytes per waveform sample",
        per_day(sizes.frames),
        per_day(sizes.numerics),
        per_day(sizes.minutes),
        sizes.frames as f64 / samples as f64
    );
    println!(
        "  so a bed kept 72 h of waveforms and 30 days of numerics takes {:.0} MB",
        per_day(sizes.frames) * 3.0 + per_day(sizes.numerics + sizes.minutes) * 30.0
    );

    // 3. The 24 h trend query.
    let kinds = [
        VitalKind::Hr,
        VitalKind::Pulse,
        VitalKind::Spo2,
        VitalKind::Rr,
        VitalKind::ArtSys,
        VitalKind::ArtDia,
        VitalKind::ArtMean,
    ];
    for block in 0..(24 * 3600 / 30) {
        let seq = block as u64 + 1;
        let numerics = (0..30)
            .flat_map(|s| {
                let t = T0 + (block * 30 + s) * 1000;
                kinds.iter().map(move |&kind| RawNumeric { kind, t, value: 60.0 + ((t / 1000) % 40) as f64 })
            })
            .collect();
        let frame = Frame::try_from(RawFrame { seq, numerics, waves: vec![], technical: vec![] })?;
        store.store_frame(&trend_device, Arc::new(frame), T0).await?;
    }
    let end = T0 + 86_400_000;
    let time = |step: i64| {
        let store = store.clone();
        let bed = trend_device.bed.clone();
        async move {
            let mut times = Vec::new();
            let mut buckets = 0;
            for _ in 0..15 {
                let t = Instant::now();
                let trend = store.trend(&bed, T0, end, step).await?;
                times.push(t.elapsed());
                buckets = trend.values().map(Vec::len).sum::<usize>();
            }
            times.sort();
            anyhow::Ok((times[times.len() / 2], buckets))
        }
    };
    let (aggregated, n_agg) = time(180_000).await?;
    let (raw, n_raw) = time(150_000).await?;
    println!(
        "  24 h trend of 7 parameters (1 Hz): {:.1} ms from minute aggregates ({n_agg} buckets of 3 min), {:.1} ms from raw readings ({n_raw} buckets of 150 s): {:.0}x (median of 15)",
        ms(aggregated),
        ms(raw),
        ms(raw) / ms(aggregated)
    );
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("vigil-store-bench-{}-{}", std::process::id(), crate::clock::now_ms()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}
