//! `vigil fault-test`: nothing acknowledged is lost when the server dies.
//!
//! Starts `vigil serve` as a child process on a fresh database, streams M
//! simulated beds into it through the real device link (numerics ~1 Hz, ECG
//! 250 Hz, pleth 125 Hz, arterial pressure 125 Hz, in 250 ms frames), kills
//! the server with SIGKILL several times at random moments mid-stream and
//! starts it again on the same database and port. The devices reconnect by
//! themselves and resend what was not acknowledged. At the end every device
//! drains its buffer and the database is compared with what the devices
//! generated: each frame stored exactly once, and as many samples stored as
//! were sent.

use crate::bench::{health, provision, Child};
use crate::clock::now_ms;
use crate::device_link::{self, LinkConfig, LinkStats};
use crate::sim::{BedSim, Equipment};
use anyhow::{bail, Context};
use rand::Rng;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

#[derive(Debug, Clone)]
pub struct FaultOptions {
    pub beds: usize,
    pub kills: usize,
    pub seconds: u64,
}

/// Counts from one run; `passed` says whether the promise held.
#[derive(Debug, Default)]
pub struct FaultReport {
    pub kills: usize,
    pub frames_sent: u64,
    pub samples_sent: u64,
    pub frames_acked: u64,
    pub acked_as_duplicate: u64,
    pub dropped_by_device: u64,
    pub reconnects: u64,
    pub frames_stored: u64,
    pub frames_stored_distinct: u64,
    pub samples_stored: u64,
    pub missing: u64,
    pub unexpected: u64,
    pub problems: Vec<String>,
}

impl FaultReport {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }

    pub fn print(&self, o: &FaultOptions) {
        println!(
            "vigil fault-test: {} beds for {} s, server killed with SIGKILL {} times",
            o.beds, o.seconds, self.kills
        );
        println!("  devices: {} frames, {} samples sent", self.frames_sent, self.samples_sent);
        println!(
            "           {} acknowledged ({} of them re-sent after a kill and acknowledged as already stored), {} dropped from full buffers, {} reconnects",
            self.frames_acked, self.acked_as_duplicate, self.dropped_by_device, self.reconnects
        );
        println!(
            "  stored:  {} frames ({} distinct), {} samples; {} sent frames missing, {} stored frames never sent",
            self.frames_stored, self.frames_stored_distinct, self.samples_stored, self.missing, self.unexpected
        );
        if self.passed() {
            println!("  PASS: every acknowledged frame stored exactly once; samples stored = samples sent");
        } else {
            for p in &self.problems {
                println!("  FAIL: {p}");
            }
        }
    }
}

fn start_server(exe: &Path, addr: &str, db: &Path, dir: &Path) -> anyhow::Result<std::process::Child> {
    std::process::Command::new(exe)
        .args(["serve", "--listen", addr, "--site-root"])
        .arg(dir.join("site"))
        .arg("--database")
        .arg(db)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .context("starting the server")
}

async fn wait_healthy(addr: &str) -> anyhow::Result<()> {
    let started = Instant::now();
    while health(addr).await.is_none() {
        if started.elapsed() > Duration::from_secs(30) {
            bail!("the server did not answer /health within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// What a device generated: seq -> sample count.
type Sent = BTreeMap<u64, u64>;

pub async fn run(o: FaultOptions) -> anyhow::Result<FaultReport> {
    if o.beds == 0 || o.seconds < 5 {
        bail!("--beds must be at least 1 and --seconds at least 5");
    }
    let dir = std::env::temp_dir().join(format!("vigil-fault-{}-{}", std::process::id(), now_ms()));
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("fault.db");
    let devices = provision(&db, o.beds, true).await?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let addr = format!("127.0.0.1:{port}");
    let exe = std::env::current_exe()?;
    let mut child = Child(start_server(&exe, &addr, &db, &dir)?, dir.clone());
    wait_healthy(&addr).await?;

    let url = format!("ws://{addr}/ws/device");
    let (stop_tx, _) = tokio::sync::broadcast::channel::<()>(1);
    let mut streams = Vec::new();
    for (i, d) in devices.iter().enumerate() {
        let stats = Arc::new(LinkStats::default());
        let (tx, rx) = mpsc::channel(64);
        // Big enough that nothing is dropped in this test; the bound and its
        // policy (oldest dropped, counted) are tested in device_link.
        let config = LinkConfig { url: url.clone(), token: d.token.clone(), max_pending: 100_000 };
        let link = tokio::spawn(device_link::run(config, rx, stats.clone(), Duration::from_secs(120)));
        let stop_rx = stop_tx.subscribe();
        let generator = tokio::spawn(async move {
            let equipment = Equipment { abp_hz: Some(125.0), ..Equipment::default() };
            let scenario = crate::demo::load_scenario("stable", Path::new(".")).expect("built-in scenario");
            let sim = BedSim::new(scenario, equipment, 7_000 + i as u64, now_ms());
            let mut sent = Sent::new();
            crate::demo::stream_sim(sim, tx, stop_rx, false, |frame| {
                let samples = frame.numerics.len() + frame.waves.iter().map(|w| w.samples.len()).sum::<usize>();
                sent.insert(frame.seq, samples as u64);
            })
            .await;
            sent
        });
        streams.push((d.device.clone(), stats, generator, link));
    }

    // Kill at random moments spread over the run, restart after a pause.
    let slot = Duration::from_secs(o.seconds).div_f64((o.kills + 1) as f64);
    let mut report = FaultReport::default();
    let run_started = Instant::now();
    for k in 0..o.kills {
        let at = slot.mul_f64(k as f64 + rand::thread_rng().gen_range(0.6..1.4));
        tokio::time::sleep(at.saturating_sub(run_started.elapsed())).await;
        child.0.kill().context("SIGKILL to the server")?;
        child.0.wait()?;
        report.kills += 1;
        tokio::time::sleep(Duration::from_millis(rand::thread_rng().gen_range(300..2000))).await;
        child.0 = start_server(&exe, &addr, &db, &dir)?;
        wait_healthy(&addr).await?;
    }
    tokio::time::sleep(Duration::from_secs(o.seconds).saturating_sub(run_started.elapsed())).await;
    let _ = stop_tx.send(());

    let mut sent_by_device: BTreeMap<String, Sent> = BTreeMap::new();
    for (device, stats, generator, link) in streams {
        let sent = generator.await.context("device generator")?;
        match tokio::time::timeout(Duration::from_secs(180), link).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => report.problems.push(format!("{device}: link failed: {e}")),
            Ok(Err(e)) => report.problems.push(format!("{device}: link task: {e}")),
            Err(_) => report.problems.push(format!("{device}: did not drain within 180 s")),
        }
        report.frames_acked += stats.get(&stats.acked);
        report.acked_as_duplicate += stats.get(&stats.duplicates);
        report.dropped_by_device += stats.get(&stats.dropped);
        report.reconnects += stats.get(&stats.connects).saturating_sub(1);
        let rejected = stats.get(&stats.rejected);
        if rejected > 0 {
            report.problems.push(format!("{device}: {rejected} frames rejected"));
        }
        sent_by_device.insert(device, sent);
    }
    report.frames_sent = sent_by_device.values().map(|s| s.len() as u64).sum();
    report.samples_sent = sent_by_device.values().flat_map(|s| s.values()).sum();
    compare(&db, &sent_by_device, &mut report)?;
    drop(child);
    Ok(report)
}

/// Reads what the database holds and checks it against what was sent.
fn compare(db: &PathBuf, sent: &BTreeMap<String, Sent>, report: &mut FaultReport) -> anyhow::Result<()> {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut stored: BTreeMap<String, Vec<(u64, u64)>> = BTreeMap::new();
    let mut stmt = conn.prepare("SELECT device_id, seq, samples FROM frames")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        stored.entry(r.get(0)?).or_default().push((r.get::<_, i64>(1)? as u64, r.get::<_, i64>(2)? as u64));
    }
    for (device, rows) in &stored {
        report.frames_stored += rows.len() as u64;
        let distinct: BTreeSet<u64> = rows.iter().map(|r| r.0).collect();
        report.frames_stored_distinct += distinct.len() as u64;
        report.samples_stored += rows.iter().map(|r| r.1).sum::<u64>();
        let expected = sent.get(device);
        for (seq, samples) in rows {
            match expected.and_then(|e| e.get(seq)) {
                None => report.unexpected += 1,
                Some(n) if n != samples => {
                    report.problems.push(format!("{device} seq {seq}: {samples} samples stored, {n} sent"))
                }
                Some(_) => {}
            }
        }
    }
    for (device, frames) in sent {
        let have: BTreeSet<u64> = stored.get(device).map(|r| r.iter().map(|r| r.0).collect()).unwrap_or_default();
        report.missing += frames.keys().filter(|s| !have.contains(s)).count() as u64;
    }
    if report.frames_stored != report.frames_stored_distinct {
        report
            .problems
            .push(format!("{} frames stored more than once", report.frames_stored - report.frames_stored_distinct));
    }
    if report.missing > 0 {
        report.problems.push(format!("{} sent frames are not stored", report.missing));
    }
    if report.unexpected > 0 {
        report.problems.push(format!("{} stored frames were never sent", report.unexpected));
    }
    if report.samples_stored != report.samples_sent {
        report.problems.push(format!("{} samples stored, {} sent", report.samples_stored, report.samples_sent));
    }
    if report.dropped_by_device > 0 {
        report.problems.push(format!("{} frames dropped by full device buffers", report.dropped_by_device));
    }
    if report.frames_acked < report.frames_sent {
        report.problems.push(format!("{} of {} frames acknowledged", report.frames_acked, report.frames_sent));
    }
    Ok(())
}
