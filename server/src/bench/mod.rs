//! `vigil bench`: end-to-end latency and server cost under a ward's load.
//!
//! Starts `vigil serve` as a child process on loopback with a fresh database,
//! streams M simulated beds into it (numerics ~1 Hz, ECG 250 Hz, pleth 125 Hz,
//! optionally arterial pressure 125 Hz and respiration 25 Hz, in 250 ms
//! frames) and subscribes K tablets-without-a-browser to every bed over the
//! app's own protocol. Latency is tablet receive time minus the device time
//! just after the newest sample in the frame (the moment the device could
//! have sent it); both clocks are this machine's. The server's CPU and memory
//! are read from /proc for the child alone.

use crate::clock::now_ms;
use crate::demo::{self, SimDevice};
use crate::store::rows::{NewBed, NewWard};
use crate::store::Store;
use anyhow::{bail, Context};
use futures_util::{SinkExt, StreamExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use vigil_shared::protocol::live::{ClientMessage, ServerMessage};

#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub beds: usize,
    pub subscribers: usize,
    pub warmup_s: u64,
    pub seconds: u64,
    pub arterial_line: bool,
}

#[derive(Debug, Default)]
pub struct Report {
    pub latencies_ms: Vec<f64>,
    pub frames_stored: i64,
    pub samples_stored: i64,
    pub frames_expected_per_tablet: i64,
    pub frames_received: Vec<u64>,
    pub server_cpu_percent: f64,
    pub server_rss_kib: u64,
    pub server_peak_rss_kib: u64,
    pub measured_s: f64,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[(((sorted.len() - 1) as f64) * p).round() as usize]
}

impl Report {
    pub fn print(&self, o: &BenchOptions) {
        let mut l = self.latencies_ms.clone();
        l.sort_by(|a, b| a.total_cmp(b));
        let received: u64 = self.frames_received.iter().sum();
        let expected = self.frames_expected_per_tablet * self.frames_received.len() as i64;
        println!(
            "vigil bench: {} beds, {} tablets, {} s measured after {} s warm-up",
            o.beds,
            o.subscribers,
            self.measured_s.round(),
            o.warmup_s
        );
        println!(
            "  latency device -> tablet (ms): p50 {:.1}  p99 {:.1}  p99.9 {:.1}  max {:.1}  (n = {})",
            percentile(&l, 0.5),
            percentile(&l, 0.99),
            percentile(&l, 0.999),
            l.last().copied().unwrap_or(f64::NAN),
            l.len()
        );
        println!(
            "  stored: {} frames, {} samples ({:.0} samples/s in)",
            self.frames_stored,
            self.samples_stored,
            self.samples_stored as f64 / (self.measured_s + o.warmup_s as f64)
        );
        println!(
            "  relayed: {received} of {expected} frames expected across tablets ({} missing)",
            expected - received as i64
        );
        println!(
            "  server: CPU {:.1} % of one core, RSS {} MiB (peak {} MiB)",
            self.server_cpu_percent,
            self.server_rss_kib / 1024,
            self.server_peak_rss_kib / 1024
        );
    }
}

fn proc_cpu_ticks(pid: u32) -> anyhow::Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may hold spaces) start after ')'.
    let rest = stat.rsplit_once(')').context("unexpected /proc stat")?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    Ok(f[11].parse::<u64>()? + f[12].parse::<u64>()?)
}

pub(crate) fn proc_status_kib(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(key)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse().ok())
        .unwrap_or(100.0)
}

pub(crate) async fn health(addr: &str) -> Option<serde_json::Value> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.ok()?;
    s.write_all(b"GET /health HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n").await.ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).await.ok()?;
    serde_json::from_str(out.split_once("\r\n\r\n")?.1).ok()
}

pub(crate) struct Child(pub(crate) std::process::Child, pub(crate) PathBuf);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        let _ = std::fs::remove_dir_all(&self.1);
    }
}

pub async fn run(o: BenchOptions) -> anyhow::Result<Report> {
    if o.beds == 0 || o.subscribers == 0 || o.seconds == 0 {
        bail!("--beds, --subscribers and --seconds must be at least 1");
    }
    let dir = std::env::temp_dir().join(format!("vigil-bench-{}-{}", std::process::id(), now_ms()));
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("bench.db");
    let devices = provision(&db, o.beds, o.arterial_line).await?;
    // The tablets sign in as a clinician of the bench's ward.
    let session = {
        let store = Store::open(&db, Box::new(|_| {}))?;
        crate::auth::tool_session(&store, "bench-tablet", crate::auth::Role::Clinician, &["w1"]).await?
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let addr = format!("127.0.0.1:{port}");
    let child = std::process::Command::new(std::env::current_exe()?)
        .args(["serve", "--listen", &addr, "--site-root"])
        .arg(dir.join("site"))
        .arg("--database")
        .arg(&db)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .context("starting the server")?;
    let child = Child(child, dir);
    let pid = child.0.id();
    let started = Instant::now();
    while health(&addr).await.is_none() {
        if started.elapsed() > Duration::from_secs(30) {
            bail!("the server did not answer /health within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Tablets first, so each sees every frame from the first on.
    let warm_until = now_ms() + (o.warmup_s * 1000) as i64;
    let mut tablets = Vec::new();
    for _ in 0..o.subscribers {
        let mut req = format!("ws://{addr}/ws/live").into_client_request()?;
        req.headers_mut().insert("cookie", format!("{}={}", crate::auth::COOKIE, session).parse()?);
        let (mut ws, _) = tokio_tungstenite::connect_async(req).await?;
        let sub = ClientMessage::Subscribe { beds: vec![], since: Default::default(), recent_seconds: Some(0) };
        ws.send(Message::Text(serde_json::to_string(&sub)?.into())).await?;
        tablets.push(tokio::spawn(async move {
            let (mut received, mut latencies) = (0u64, Vec::new());
            while let Some(Ok(msg)) = ws.next().await {
                let Message::Text(text) = msg else { continue };
                let now_us = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_micros())
                    .unwrap_or(0) as f64;
                if let Ok(ServerMessage::Frame { frame, .. }) = serde_json::from_str::<ServerMessage>(&text) {
                    received += 1;
                    let newest = frame.waves().iter().map(|w| w.t_end()).max().unwrap_or(frame.time_span().1);
                    if newest >= warm_until {
                        latencies.push(now_us / 1000.0 - newest as f64);
                    }
                }
            }
            (received, latencies)
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    let ticks = clock_ticks();
    let total = Duration::from_secs(o.warmup_s + o.seconds);
    let measure = async {
        tokio::time::sleep(Duration::from_secs(o.warmup_s)).await;
        let (t0, c0) = (Instant::now(), proc_cpu_ticks(pid).unwrap_or(0));
        tokio::time::sleep(Duration::from_secs(o.seconds)).await;
        let (t1, c1) = (Instant::now(), proc_cpu_ticks(pid).unwrap_or(0));
        ((c1 - c0) as f64 / ticks / (t1 - t0).as_secs_f64() * 100.0, (t1 - t0).as_secs_f64())
    };
    let server_url = format!("ws://{addr}");
    let sim = demo::simulate(&server_url, devices, PathBuf::from("."), tokio::time::sleep(total));
    let (cpu, sim) = tokio::join!(measure, sim);
    sim?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let h = health(&addr).await.context("final health")?;
    let mut report = Report {
        frames_stored: h["frames"].as_i64().unwrap_or(0),
        samples_stored: h["samples"].as_i64().unwrap_or(0),
        server_cpu_percent: cpu.0,
        measured_s: cpu.1,
        server_rss_kib: proc_status_kib(pid, "VmRSS:"),
        server_peak_rss_kib: proc_status_kib(pid, "VmHWM:"),
        ..Default::default()
    };
    report.frames_expected_per_tablet = report.frames_stored;
    drop(child);
    for t in tablets {
        let (received, mut lat) = t.await?;
        report.frames_received.push(received);
        report.latencies_ms.append(&mut lat);
    }
    Ok(report)
}

pub(crate) async fn provision(db: &Path, beds: usize, arterial_line: bool) -> anyhow::Result<Vec<SimDevice>> {
    let store = Store::open(db, Box::new(|_| {}))?;
    store
        .create_ward(NewWard {
            id: "w1".into(),
            name: "bench".into(),
            beds: (1..=beds)
                .map(|i| NewBed { id: format!("b{i:03}"), label: format!("Bed {i}"), patient: None })
                .collect(),
        })
        .await?;
    let mut devices = Vec::new();
    for i in 1..=beds {
        let bed = format!("b{i:03}");
        let device = format!("bench-{bed}");
        let token = store.register_device(&device, &bed).await?;
        devices.push(SimDevice { bed, device, token, scenario: "stable".into(), arterial_line });
    }
    Ok(devices)
}
