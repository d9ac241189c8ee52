//! `vigil bench`: end-to-end latency, throughput and relay cost under a
//! ward's load, for Vigil and, in the same run, for the relays a hospital's
//! IoT team might put in the middle instead (Mosquitto, NATS, NATS with
//! JetStream).
//!
//! Every target gets the same load: M simulated beds (numerics ~1 Hz, ECG
//! 250 Hz, pleth 125 Hz, arterial pressure 125 Hz, respiration 25 Hz) in
//! 250 ms frames, each frame the same JSON text a Vigil device sends, and K
//! tablets-without-a-browser each subscribed to one ward of 16 beds. Latency
//! is tablet receive time minus the device time just after the newest sample
//! in the frame; both clocks are this machine's. The relay's CPU and memory
//! are read from /proc for its process alone; the load generator's own CPU is
//! reported beside it, since both share this machine's cores.
//!
//! [`capacity`] raises M (tablets in proportion) until p99 passes 100 ms or a
//! frame is lost, and reports the largest M that held.

mod measure;
mod mqtt;
mod nats;
mod report;
mod vigil;

pub use measure::{percentile, LATE_MS};
pub(crate) use measure::{proc_status_kib, Child, Tablet};
pub use report::{CapacityReport, Report};
pub(crate) use vigil::{health, provision};

use crate::clock::now_ms;
use crate::device_link::LinkStats;
use crate::sim::scenario::Scenario;
use crate::sim::{BedSim, Equipment};
use anyhow::bail;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use vigil_shared::frame::RawFrame;
use vigil_shared::protocol::device::DeviceMessage;

/// Beds per ward; each tablet subscribes to one ward.
pub const WARD_BEDS: usize = 16;

/// What carries the frames from the devices to the tablets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Target {
    /// `vigil serve`: authenticates, validates, stores durably (SQLite,
    /// fsync per group commit), then relays.
    #[default]
    Vigil,
    /// Debian's Mosquitto 2.0.11: MQTT 3.1.1 over TCP, QoS 1 both ways, in memory.
    Mosquitto,
    /// Debian's nats-server 2.9.10 over WebSocket, core NATS (no storage,
    /// no publish acknowledgement).
    Nats,
    /// nats-server over WebSocket with a JetStream file-storage stream of
    /// every subject; a frame counts once JetStream acknowledged storing it.
    NatsJetstream,
}

impl Target {
    pub const ALL: [Target; 4] = [Target::Vigil, Target::Mosquitto, Target::Nats, Target::NatsJetstream];

    pub fn name(self) -> &'static str {
        match self {
            Target::Vigil => "vigil",
            Target::Mosquitto => "mosquitto",
            Target::Nats => "nats",
            Target::NatsJetstream => "nats-jetstream",
        }
    }
}

#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub beds: usize,
    pub tablets: usize,
    pub warmup_s: u64,
    pub seconds: u64,
    pub arterial_line: bool,
    pub targets: Vec<Target>,
}

/// A ward as the tablets see it: its id and the ids of its beds.
#[derive(Debug, Clone)]
pub(crate) struct Ward {
    pub id: String,
    pub beds: Vec<String>,
}

/// The wards of a bench of `beds` beds: w1 = b001..b016, w2 = b017.., ...
pub(crate) fn wards(beds: usize) -> Vec<Ward> {
    (0..beds.div_ceil(WARD_BEDS))
        .map(|w| Ward {
            id: format!("w{}", w + 1),
            beds: (w * WARD_BEDS + 1..=((w + 1) * WARD_BEDS).min(beds)).map(|i| format!("b{i:03}")).collect(),
        })
        .collect()
}

/// One relay under test, started by the benchmark and stopped when dropped.
#[async_trait::async_trait]
pub(crate) trait Relay: Send + Sync {
    /// The relay's process, for CPU and memory.
    fn pid(&self) -> u32;
    /// Connects one tablet to every bed of `ward`; resolves once the
    /// subscription is in place, then records each frame in `tablet`.
    async fn tablet(&self, ward: &Ward, tablet: Arc<Tablet>) -> anyhow::Result<JoinHandle<()>>;
    /// Connects the device of `bed` (in `ward`) and sends every frame from
    /// `frames`, counting in `stats` what the relay acknowledged. The task
    /// ends once `frames` closed and everything sent was acknowledged (or a
    /// few seconds passed).
    async fn device(
        &self,
        ward: &Ward,
        bed: &str,
        frames: mpsc::Receiver<RawFrame>,
        stats: Arc<LinkStats>,
    ) -> anyhow::Result<JoinHandle<()>>;
}

async fn start(target: Target, dir: &Path, wards: &[Ward], arterial_line: bool) -> anyhow::Result<Box<dyn Relay>> {
    Ok(match target {
        Target::Vigil => Box::new(vigil::VigilRelay::start(dir, wards, arterial_line).await?),
        Target::Mosquitto => Box::new(mqtt::Mosquitto::start(dir).await?),
        Target::Nats => Box::new(nats::Nats::start(dir, false).await?),
        Target::NatsJetstream => Box::new(nats::Nats::start(dir, true).await?),
    })
}

/// Removes the run's scratch directory (databases, broker configs) at the end.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One run of one target with `o.beds` beds and `o.tablets` tablets.
pub async fn run_once(target: Target, o: &BenchOptions) -> anyhow::Result<Report> {
    if o.beds == 0 || o.tablets == 0 || o.seconds == 0 {
        bail!("--beds, --tablets and --seconds must be at least 1");
    }
    let dir = std::env::temp_dir().join(format!("vigil-bench-{}-{}-{}", target.name(), std::process::id(), now_ms()));
    std::fs::create_dir_all(&dir)?;
    let scratch = Scratch(dir);
    let wards = wards(o.beds);
    let relay = start(target, &scratch.0, &wards, o.arterial_line).await?;

    // Tablets first, so each sees every frame of its ward from the first on.
    let mut tablets = Vec::new();
    for i in 0..o.tablets {
        let ward = &wards[i % wards.len()];
        let tablet = Arc::new(Tablet::default());
        let task = relay.tablet(ward, tablet.clone()).await?;
        tablets.push((i % wards.len(), tablet, task));
    }

    // Devices, each fed by its simulator every 250 ms, all starting together
    // once every device is connected.
    let (stop_tx, _) = tokio::sync::broadcast::channel::<()>(1);
    let (go_tx, go_rx) = tokio::sync::watch::channel(false);
    let generated = Arc::new(Generated::default());
    let mut devices = Vec::new();
    for (w, ward) in wards.iter().enumerate() {
        for bed in &ward.beds {
            let (tx, rx) = mpsc::channel(64);
            let stats = Arc::new(LinkStats::default());
            let link = relay.device(ward, bed, rx, stats.clone()).await?;
            let seed = 1000 + devices.len() as u64;
            let (stop, go) = (stop_tx.subscribe(), go_rx.clone());
            let generator = tokio::spawn(generate(tx, seed, o.arterial_line, go, stop, generated.clone()));
            devices.push((w, stats, generator, link));
        }
    }
    let _ = go_tx.send(true);
    let started = Instant::now();
    let warm = Duration::from_millis(500) + Duration::from_secs(o.warmup_s);
    for (_, tablet, _) in &tablets {
        tablet.measure_from(now_ms() + warm.as_millis() as i64);
    }
    tokio::time::sleep(warm).await;
    let (server_cpu, client_cpu) =
        (measure::CpuMeter::start(relay.pid()), measure::CpuMeter::start(std::process::id()));
    tokio::time::sleep(Duration::from_secs(o.seconds)).await;
    let ((server_cpu, measured_s), (client_cpu, _)) = (server_cpu.stop(), client_cpu.stop());
    let server_rss_kib = proc_status_kib(relay.pid(), "VmRSS:");
    let _ = stop_tx.send(());
    let run_s = started.elapsed().as_secs_f64();

    let mut report = Report {
        target,
        beds: o.beds,
        tablets: o.tablets,
        measured_s,
        server_cpu_percent: server_cpu,
        client_cpu_percent: client_cpu,
        server_rss_kib,
        ..Default::default()
    };
    // Every device gets the same 10 s to have its last frames acknowledged.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut acked_per_ward = vec![0u64; wards.len()];
    for (w, stats, generator, link) in devices {
        report.dropped += generator.await.unwrap_or(0);
        if tokio::time::timeout_at(deadline, &mut { link }).await.is_err() {
            tracing::warn!("a device still had unacknowledged frames 10 s after the end");
        }
        acked_per_ward[w] += stats.get(&stats.acked);
        report.frames_acked += stats.get(&stats.acked);
        report.frames_sent += stats.get(&stats.sent);
        report.rejected += stats.get(&stats.rejected);
        report.dropped += stats.get(&stats.dropped);
    }
    report.frames_generated = generated.frames.load(Ordering::Relaxed);
    report.samples_in_per_s = generated.samples.load(Ordering::Relaxed) as f64 / run_s;
    report.payload_bytes =
        generated.sized_bytes.load(Ordering::Relaxed) as f64 / generated.sized.load(Ordering::Relaxed).max(1) as f64;
    // The last frames are still on their way to the tablets.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    report.server_peak_rss_kib = proc_status_kib(relay.pid(), "VmHWM:");
    let mut samples_out = 0;
    for (w, tablet, task) in tablets {
        task.abort();
        let received = tablet.frames.load(Ordering::Relaxed);
        report.frames_expected += acked_per_ward[w];
        report.frames_received += received;
        report.missing += acked_per_ward[w].saturating_sub(received);
        report.late += tablet.late.load(Ordering::Relaxed);
        samples_out += tablet.samples.load(Ordering::Relaxed);
        report.latencies_ms.append(&mut tablet.take_latencies());
    }
    report.samples_out_per_s = samples_out as f64 / run_s;
    report.latencies_ms.sort_by(|a, b| a.total_cmp(b));
    drop(relay);
    Ok(report)
}

/// What the simulators made: frames, samples, and the JSON size of every
/// 16th frame (what each relay carries).
#[derive(Default)]
struct Generated {
    frames: AtomicU64,
    samples: AtomicU64,
    sized: AtomicU64,
    sized_bytes: AtomicU64,
}

/// One bed's simulator: a frame every 250 ms from `go` until `stop`; a frame
/// its device is not ready to take is dropped and counted (returned).
async fn generate(
    tx: mpsc::Sender<RawFrame>,
    seed: u64,
    arterial_line: bool,
    mut go: tokio::sync::watch::Receiver<bool>,
    stop: tokio::sync::broadcast::Receiver<()>,
    generated: Arc<Generated>,
) -> u64 {
    if go.wait_for(|&go| go).await.is_err() {
        return 0;
    }
    let scenario = Scenario::builtin("stable").expect("the stable scenario is built in");
    let equipment = Equipment { abp_hz: arterial_line.then_some(125.0), ..Equipment::default() };
    let sim = BedSim::new(scenario, equipment, seed, now_ms());
    crate::demo::stream_sim(sim, tx, stop, true, |frame| {
        let n = generated.frames.fetch_add(1, Ordering::Relaxed);
        generated.samples.fetch_add(measure::samples_in(frame), Ordering::Relaxed);
        if n.is_multiple_of(16) {
            let bytes = serde_json::to_vec(&DeviceMessage::Frame(frame.clone())).map_or(0, |b| b.len());
            generated.sized_bytes.fetch_add(bytes as u64, Ordering::Relaxed);
            generated.sized.fetch_add(1, Ordering::Relaxed);
        }
    })
    .await
}

/// Runs each target in turn with the same load.
pub async fn run(o: &BenchOptions) -> anyhow::Result<Vec<Report>> {
    let mut reports = Vec::new();
    for &target in &o.targets {
        reports.push(run_once(target, o).await?);
    }
    Ok(reports)
}

/// Bed counts the capacity mode tries after `--beds`, in order.
pub const CAPACITY_STEPS: [usize; 17] =
    [16, 32, 48, 64, 96, 128, 160, 192, 256, 320, 384, 512, 768, 1024, 1280, 1536, 2048];

/// The bed counts a capacity search runs: `from` itself, then every step
/// above it up to `max`.
pub fn capacity_steps(from: usize, max: usize) -> Vec<usize> {
    std::iter::once(from).chain(CAPACITY_STEPS.into_iter().filter(|&b| b > from)).filter(|&b| b <= max).collect()
}

/// Raises the bed count (tablets in the proportion of `o.tablets` to
/// `o.beds`) until a run fails to hold: p99 above [`LATE_MS`], or any frame
/// lost (a run that errors, e.g. a relay that stops answering, fails too).
/// Reports the largest count that held.
pub async fn capacity(o: &BenchOptions, max_beds: usize) -> anyhow::Result<Vec<CapacityReport>> {
    if o.beds == 0 || o.tablets == 0 || o.seconds == 0 || max_beds < o.beds {
        bail!("--beds, --tablets and --seconds must be at least 1, and --max-beds at least --beds");
    }
    let mut out = Vec::new();
    for &target in &o.targets {
        let mut c = CapacityReport { target, held: None, failed: None, error: None };
        for beds in capacity_steps(o.beds, max_beds) {
            let tablets = (o.tablets * beds).div_ceil(o.beds);
            let step = BenchOptions { beds, tablets, targets: vec![target], ..o.clone() };
            match run_once(target, &step).await {
                Ok(r) if r.held() => {
                    r.print_line();
                    c.held = Some(r);
                }
                Ok(r) => {
                    r.print_line();
                    c.failed = Some(r);
                    break;
                }
                Err(e) => {
                    println!("{:<15} {beds:>5} {tablets:>7}  failed: {e:#}", target.name());
                    c.error = Some((beds, format!("{e:#}")));
                    break;
                }
            }
        }
        out.push(c);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_capacity_search_starts_at_the_given_count_and_stops_at_the_maximum() {
        assert_eq!(capacity_steps(64, 200), vec![64, 96, 128, 160, 192]);
        assert_eq!(capacity_steps(50, 64), vec![50, 64]);
        assert_eq!(capacity_steps(2000, 4000), vec![2000, 2048]);
        assert_eq!(capacity_steps(3000, 4000), vec![3000]);
    }

    #[test]
    fn wards_hold_sixteen_beds_each() {
        let w = wards(40);
        assert_eq!(w.len(), 3);
        assert_eq!(w[0].beds.first().map(String::as_str), Some("b001"));
        assert_eq!(w[0].beds.len(), 16);
        assert_eq!(w[2].id, "w3");
        assert_eq!(w[2].beds, (33..=40).map(|i| format!("b{i:03}")).collect::<Vec<_>>());
    }
}
