//! What every benchmark run measures, whichever relay carries the frames:
//! latency at the tablets, frames and samples in and out, and the relay
//! process's CPU and memory read from /proc.

use anyhow::Context;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use vigil_shared::frame::RawFrame;

/// Frames slower than this from device to tablet are counted as late (the
/// target for p99 at the station).
pub const LATE_MS: f64 = 100.0;

/// One tablet's receipts, filled by its socket task.
#[derive(Debug)]
pub struct Tablet {
    pub frames: AtomicU64,
    pub samples: AtomicU64,
    pub late: AtomicU64,
    /// Frames whose newest sample is from this device time on (ms) are timed;
    /// set once the warm-up is over.
    measure_from_ms: AtomicI64,
    latencies_ms: Mutex<Vec<f64>>,
}

impl Default for Tablet {
    fn default() -> Self {
        Tablet {
            frames: AtomicU64::new(0),
            samples: AtomicU64::new(0),
            late: AtomicU64::new(0),
            measure_from_ms: AtomicI64::new(i64::MAX),
            latencies_ms: Mutex::new(Vec::new()),
        }
    }
}

impl Tablet {
    pub fn measure_from(&self, ms: i64) {
        self.measure_from_ms.store(ms, Ordering::Relaxed);
    }

    /// Records a frame received at `now_us` (µs since the epoch). Latency is
    /// receive time minus the device time just after the frame's newest
    /// sample, the moment the device could have sent it.
    pub fn received(&self, frame: &RawFrame, now_us: f64) {
        self.frames.fetch_add(1, Ordering::Relaxed);
        self.samples.fetch_add(samples_in(frame), Ordering::Relaxed);
        let Some(newest) = newest_sample_ms(frame) else { return };
        if newest >= self.measure_from_ms.load(Ordering::Relaxed) {
            let latency = now_us / 1000.0 - newest as f64;
            if latency > LATE_MS {
                self.late.fetch_add(1, Ordering::Relaxed);
            }
            self.latencies_ms.lock().unwrap_or_else(|p| p.into_inner()).push(latency);
        }
    }

    pub fn take_latencies(&self) -> Vec<f64> {
        std::mem::take(&mut *self.latencies_ms.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// The moment just after the newest sample of a frame (ms since the epoch).
pub fn newest_sample_ms(frame: &RawFrame) -> Option<i64> {
    let waves = frame.waves.iter().map(|w| w.t0 + (w.samples.len() as f64 * 1000.0 / w.rate_hz).round() as i64);
    waves.chain(frame.numerics.iter().map(|n| n.t)).max()
}

/// Samples in a frame: every waveform sample and every numeric reading.
pub fn samples_in(frame: &RawFrame) -> u64 {
    (frame.waves.iter().map(|w| w.samples.len()).sum::<usize>() + frame.numerics.len()) as u64
}

pub fn now_us() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_micros()).unwrap_or(0) as f64
}

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[(((sorted.len() - 1) as f64) * p).round() as usize]
}

/// A child process killed (and its scratch directory removed) when dropped.
pub(crate) struct Child(pub(crate) std::process::Child, pub(crate) PathBuf);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        let _ = std::fs::remove_dir_all(&self.1);
    }
}

/// `n` distinct free loopback ports (all bound at once, then released: the
/// child binds them next).
pub(crate) fn free_ports<const N: usize>() -> anyhow::Result<[u16; N]> {
    let listeners: Vec<std::net::TcpListener> =
        (0..N).map(|_| std::net::TcpListener::bind("127.0.0.1:0")).collect::<Result<_, _>>()?;
    let mut ports = [0; N];
    for (p, l) in ports.iter_mut().zip(&listeners) {
        *p = l.local_addr()?.port();
    }
    Ok(ports)
}

/// A child's stderr, kept in its scratch directory so a failed start can say why.
pub(crate) fn log_file(dir: &std::path::Path) -> anyhow::Result<std::process::Stdio> {
    Ok(std::fs::File::create(dir.join("stderr.log"))?.into())
}

/// The end of a child's stderr log, for an error message.
pub(crate) fn log_tail(dir: &std::path::Path) -> String {
    let text = std::fs::read_to_string(dir.join("stderr.log")).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(5)..].join("\n")
}

/// A program on PATH, or in /usr/sbin where Debian puts the brokers (not
/// on every user's PATH).
pub(crate) fn program(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/usr/local/sbin".into()])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from(name))
}

/// CPU time (user + system) of a process, in clock ticks.
pub fn proc_cpu_ticks(pid: u32) -> anyhow::Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may hold spaces) start after ')'.
    let rest = stat.rsplit_once(')').context("unexpected /proc stat")?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    Ok(f[11].parse::<u64>()? + f[12].parse::<u64>()?)
}

pub fn proc_status_kib(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(key)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

pub fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse().ok())
        .unwrap_or(100.0)
}

/// CPU use of a process between two readings, in % of one core.
pub struct CpuMeter {
    pid: u32,
    ticks: u64,
    at: std::time::Instant,
}

impl CpuMeter {
    pub fn start(pid: u32) -> Self {
        CpuMeter { pid, ticks: proc_cpu_ticks(pid).unwrap_or(0), at: std::time::Instant::now() }
    }

    /// (% of one core, seconds measured).
    pub fn stop(self) -> (f64, f64) {
        let ticks = proc_cpu_ticks(self.pid).unwrap_or(self.ticks);
        let seconds = self.at.elapsed().as_secs_f64();
        ((ticks - self.ticks) as f64 / clock_ticks() / seconds * 100.0, seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_shared::frame::{RawNumeric, RawWave};
    use vigil_shared::vital::{VitalKind, WaveKind};

    fn frame() -> RawFrame {
        RawFrame {
            seq: 1,
            numerics: vec![RawNumeric { kind: VitalKind::Hr, t: 1_800_000_000_100, value: 70.0 }],
            waves: vec![RawWave {
                kind: WaveKind::EcgII,
                t0: 1_800_000_000_000,
                rate_hz: 250.0,
                samples: vec![0.0; 62],
            }],
            technical: vec![],
        }
    }

    #[test]
    fn newest_sample_is_the_end_of_the_latest_chunk() {
        // 62 samples at 250 Hz from t0 end 248 ms later.
        assert_eq!(newest_sample_ms(&frame()), Some(1_800_000_000_248));
        assert_eq!(samples_in(&frame()), 63);
    }

    #[test]
    fn a_tablet_counts_every_frame_but_times_only_after_the_warm_up() {
        let t = Tablet::default();
        let f = frame();
        t.received(&f, 1_800_000_000_200.0 * 1000.0);
        t.measure_from(1_800_000_000_300);
        t.received(&f, 1_800_000_000_258.0 * 1000.0);
        t.measure_from(1_800_000_000_000);
        t.received(&f, 1_800_000_000_400.0 * 1000.0);
        assert_eq!(t.frames.load(Ordering::Relaxed), 3);
        assert_eq!(t.late.load(Ordering::Relaxed), 1);
        let l = t.take_latencies();
        assert_eq!(l.len(), 1);
        assert!((l[0] - 152.0).abs() < 1e-6);
    }

    #[test]
    fn percentiles_of_sorted_values() {
        let v: Vec<f64> = (1..=1000).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), 501.0);
        assert_eq!(percentile(&v, 0.99), 990.0);
        assert!(percentile(&[], 0.5).is_nan());
    }
}
