//! PhysioNet recordings streamed as live devices (`vigil replay`).
//!
//! A [`Recording`] is read from a BIDMC CSV pair (`*_Numerics.csv` and, when
//! present, `*_Signals.csv`) or a WFDB record (`.hea` with its format 16 or
//! 212 `.dat`), then [`Player`] cuts it into frames against a clock, with the
//! record's time 0 mapped to the moment the replay starts.

use anyhow::{bail, Context};
use std::path::{Path, PathBuf};
use vigil_shared::bidmc::Table;
use vigil_shared::frame::{RawFrame, RawNumeric, RawWave};
use vigil_shared::wfdb::Header;
use vigil_shared::{SampleTime, VitalKind, WaveKind};

/// One waveform of a recording; `None` marks an invalid sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    pub kind: WaveKind,
    pub rate_hz: f64,
    pub samples: Vec<Option<f32>>,
}

/// A recording, times in ms from its start.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Recording {
    pub name: String,
    /// (offset ms, kind, value), in time order.
    pub numerics: Vec<(i64, VitalKind, f64)>,
    pub tracks: Vec<Track>,
    /// Readings dropped on reading because no monitor could have measured them.
    pub dropped_numerics: usize,
}

impl Recording {
    pub fn duration_ms(&self) -> i64 {
        let wave = self.tracks.iter().map(|t| (t.samples.len() as f64 * 1000.0 / t.rate_hz) as i64).max().unwrap_or(0);
        wave.max(self.numerics.last().map_or(0, |n| n.0 + 1000))
    }

    /// Reads a BIDMC CSV or a WFDB record, by the path's extension (`.csv`,
    /// `.hea`, or a record name without extension next to a `.hea`).
    pub fn open(path: &Path) -> anyhow::Result<Recording> {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if ext.eq_ignore_ascii_case("csv") {
            return read_bidmc(path);
        }
        let hea = if ext == "hea" { path.to_path_buf() } else { path.with_extension("hea") };
        if hea.exists() {
            return read_wfdb(&hea);
        }
        bail!("{} is neither a CSV file nor a WFDB record (no {} found)", path.display(), hea.display())
    }
}

fn vital_for(column: &str) -> Option<VitalKind> {
    Some(match column.to_ascii_uppercase().as_str() {
        "HR" => VitalKind::Hr,
        "PULSE" => VitalKind::Pulse,
        "SPO2" => VitalKind::Spo2,
        "RESP" => VitalKind::Rr,
        "ABPSYS" => VitalKind::ArtSys,
        "ABPDIAS" => VitalKind::ArtDia,
        "ABPMEAN" => VitalKind::ArtMean,
        "NBPSYS" => VitalKind::NibpSys,
        "NBPDIAS" => VitalKind::NibpDia,
        "NBPMEAN" => VitalKind::NibpMean,
        _ => return None,
    })
}

fn wave_for(description: &str) -> Option<WaveKind> {
    Some(match description.to_ascii_uppercase().as_str() {
        "II" | "MLII" => WaveKind::EcgII,
        "PLETH" => WaveKind::Pleth,
        "ABP" | "ART" => WaveKind::Abp,
        "RESP" => WaveKind::Resp,
        _ => return None,
    })
}

/// Keeps a reading only if a monitor could have reported it.
fn push_numeric(rec: &mut Recording, t: i64, kind: VitalKind, value: f64) {
    if kind.measurable_range().contains(&value) {
        rec.numerics.push((t, kind, value));
    } else {
        rec.dropped_numerics += 1;
    }
}

fn read_bidmc(path: &Path) -> anyhow::Result<Recording> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
    let (numerics_path, signals_path) = if name.contains("_Signals") {
        (sibling(path, "_Signals", "_Numerics", "numerics"), Some(path.to_path_buf()))
    } else {
        let s = sibling(path, "_Numerics", "_Signals", "signals_subset");
        (Some(path.to_path_buf()), s)
    };
    let mut rec =
        Recording { name: name.replace("_Numerics.csv", "").replace("_Signals.csv", ""), ..Default::default() };
    if let Some(np) = numerics_path {
        let text = std::fs::read_to_string(&np).with_context(|| format!("reading {}", np.display()))?;
        let table = Table::parse(&text).with_context(|| format!("parsing {}", np.display()))?;
        let time = table.column("Time [s]").context("numerics without a `Time [s]` column")?;
        let cols: Vec<(usize, VitalKind)> =
            table.columns.iter().enumerate().filter_map(|(i, c)| Some((i, vital_for(c)?))).collect();
        for row in &table.rows {
            let Some(t) = row[time] else { continue };
            for &(i, kind) in &cols {
                if let Some(v) = row[i] {
                    push_numeric(&mut rec, (t * 1000.0).round() as i64, kind, v);
                }
            }
        }
    }
    if let Some(sp) = signals_path.filter(|p| p.exists()) {
        let text = std::fs::read_to_string(&sp).with_context(|| format!("reading {}", sp.display()))?;
        let table = Table::parse(&text).with_context(|| format!("parsing {}", sp.display()))?;
        let time = table.column("Time [s]").context("signals without a `Time [s]` column")?;
        let rate = match (table.rows.first(), table.rows.get(1)) {
            (Some(a), Some(b)) => match (a[time], b[time]) {
                (Some(t0), Some(t1)) if t1 > t0 => (1.0 / (t1 - t0)).round(),
                _ => bail!("cannot tell the sample rate of {}", sp.display()),
            },
            _ => bail!("{} has fewer than two rows", sp.display()),
        };
        for (i, c) in table.columns.iter().enumerate() {
            // In the BIDMC signals, RESP is the impedance waveform.
            let Some(kind) = wave_for(c) else { continue };
            let samples = table.rows.iter().map(|r| r[i].map(|v| v as f32)).collect();
            rec.tracks.push(Track { kind, rate_hz: rate, samples });
        }
    }
    rec.numerics.sort_by_key(|n| n.0);
    Ok(rec)
}

/// The matching file of a BIDMC pair: same folder, else the sibling folder.
fn sibling(path: &Path, from: &str, to: &str, folder: &str) -> Option<PathBuf> {
    let name = path.file_name()?.to_str()?.replace(from, to);
    let same = path.with_file_name(&name);
    if same.exists() {
        return Some(same);
    }
    let other = path.parent()?.parent()?.join(folder).join(&name);
    other.exists().then_some(other)
}

fn read_wfdb(hea: &Path) -> anyhow::Result<Recording> {
    let text = std::fs::read_to_string(hea).with_context(|| format!("reading {}", hea.display()))?;
    let header = Header::parse(&text).with_context(|| format!("parsing {}", hea.display()))?;
    let mut rec = Recording { name: header.name.clone(), ..Default::default() };
    let mut files: Vec<&str> = header.signals.iter().map(|s| s.file.as_str()).collect();
    files.dedup();
    for file in files {
        let path = hea.with_file_name(file);
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let decoded = header.decode(file, &bytes).with_context(|| format!("decoding {}", path.display()))?;
        for (k, &i) in header.signals_in(file).iter().enumerate() {
            let spec = &header.signals[i];
            if let Some(kind) = wave_for(&spec.description) {
                let samples = decoded[k].iter().map(|&d| spec.physical(d).map(|v| v as f32)).collect();
                rec.tracks.push(Track { kind, rate_hz: header.fs, samples });
            } else if let Some(kind) = vital_for(&spec.description) {
                // Per-minute numerics records (MIMIC-II) write 0 for "not measured".
                let step = 1000.0 / header.fs;
                for (n, &d) in decoded[k].iter().enumerate() {
                    if let Some(v) = spec.physical(d).filter(|v| *v != 0.0) {
                        push_numeric(&mut rec, (n as f64 * step).round() as i64, kind, v);
                    }
                }
            }
        }
    }
    if rec.tracks.is_empty() && rec.numerics.is_empty() {
        bail!("{} has no signal Vigil knows (ECG II/MLII, PLETH, ABP, RESP or numerics)", hea.display());
    }
    rec.numerics.sort_by_key(|n| n.0);
    Ok(rec)
}

/// Cuts a recording into frames as a clock advances.
pub struct Player {
    rec: Recording,
    start: SampleTime,
    speed: f64,
    seq: u64,
    next_numeric: usize,
    emitted: Vec<usize>,
}

impl Player {
    /// `start`: the device time that record time 0 maps to; `frames_until(start
    /// + x)` covers the record up to `x * speed`; `speed` 1.0 is real time.
    pub fn new(rec: Recording, start: SampleTime, speed: f64, first_seq: u64) -> Player {
        let emitted = vec![0; rec.tracks.len()];
        Player { rec, start, speed, seq: first_seq.saturating_sub(1), next_numeric: 0, emitted }
    }

    pub fn finished(&self) -> bool {
        self.next_numeric >= self.rec.numerics.len()
            && self.rec.tracks.iter().zip(&self.emitted).all(|(t, &e)| e >= t.samples.len())
    }

    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Device time of a record offset. Sample times keep the record's own
    /// pace even when the replay runs faster, so rates and intervals stay
    /// true (the alarm logic works on sample time); only the sending speeds up.
    fn device_time(&self, offset_ms: f64) -> SampleTime {
        self.start + offset_ms.round() as SampleTime
    }

    /// Frames for everything due up to `now`. Waveform runs are split at
    /// invalid samples, which become gaps.
    pub fn frames_until(&mut self, now: SampleTime) -> Vec<RawFrame> {
        let record_ms = (now - self.start) as f64 * self.speed;
        let mut numerics = Vec::new();
        while let Some(&(t, kind, value)) = self.rec.numerics.get(self.next_numeric) {
            if t as f64 > record_ms {
                break;
            }
            numerics.push(RawNumeric { kind, t: self.device_time(t as f64), value });
            self.next_numeric += 1;
        }
        let mut waves = Vec::new();
        for (i, track) in self.rec.tracks.iter().enumerate() {
            let due = ((record_ms * track.rate_hz / 1000.0).floor() as usize).min(track.samples.len());
            let mut k = self.emitted[i];
            while k < due {
                // skip invalid samples, then take a run of valid ones
                while k < due && track.samples[k].is_none() {
                    k += 1;
                }
                let run_start = k;
                while k < due && track.samples[k].is_some() && k - run_start < vigil_shared::frame::MAX_WAVE_SAMPLES {
                    k += 1;
                }
                if k > run_start {
                    let range = track.kind.measurable_range();
                    let samples: Vec<f32> = track.samples[run_start..k]
                        .iter()
                        .map(|v| v.unwrap_or(0.0).clamp(*range.start(), *range.end()))
                        .collect();
                    let t0 = self.device_time(run_start as f64 * 1000.0 / track.rate_hz);
                    waves.push(RawWave { kind: track.kind, t0, rate_hz: track.rate_hz, samples });
                }
            }
            self.emitted[i] = due;
        }
        // Respect the per-frame bounds: split into several frames if needed.
        let mut frames = Vec::new();
        let mut numerics = numerics.into_iter().peekable();
        let mut waves = waves.into_iter().peekable();
        while numerics.peek().is_some() || waves.peek().is_some() {
            self.seq += 1;
            let f = RawFrame {
                seq: self.seq,
                numerics: numerics.by_ref().take(vigil_shared::frame::MAX_NUMERICS).collect(),
                waves: waves.by_ref().take(vigil_shared::frame::MAX_WAVES).collect(),
                technical: vec![],
            };
            frames.push(f);
        }
        frames
    }
}

/// Streams a recording to a server as a device until it ends (or forever
/// with `repeat`), or until `stop` resolves.
pub async fn stream(
    server: &str,
    token: &str,
    rec: Recording,
    speed: f64,
    repeat: bool,
    stop: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    use crate::clock::now_ms;
    use crate::device_link::{self, LinkConfig, LinkStats};
    use std::sync::Arc;
    use std::time::Duration;

    let url = format!("{}/ws/device", server.trim_end_matches('/'));
    let stats = Arc::new(LinkStats::default());
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    let config = LinkConfig { url, token: token.to_string(), max_pending: 4_800 };
    let link = tokio::spawn(device_link::run(config, rx, stats.clone(), Duration::from_secs(10)));
    // Sequence numbers continue across loops and restarts: start from the clock
    // so a restarted replay never reuses a stored (device, seq).
    let mut first_seq = now_ms() as u64;
    // Each loop starts where the last one's sample times ended (a fast replay
    // runs ahead of the wall clock), so device time never goes backwards.
    let mut start = now_ms();
    let play = async {
        loop {
            let mut player = Player::new(rec.clone(), start, speed, first_seq);
            let wall_start = now_ms();
            let mut tick = tokio::time::interval(Duration::from_millis(250));
            while !player.finished() {
                tick.tick().await;
                // The player scales wall time elapsed by `speed` itself.
                for f in player.frames_until(start + (now_ms() - wall_start)) {
                    if tx.send(f).await.is_err() {
                        return;
                    }
                }
            }
            first_seq = player.seq() + 1;
            start = (start + rec.duration_ms()).max(now_ms());
            if !repeat {
                return;
            }
        }
    };
    tokio::select! {
        _ = play => {}
        _ = stop => {}
    }
    drop(tx);
    link.await.context("replay link task")??;
    println!(
        "frames sent: {}, acknowledged: {}, rejected: {}",
        stats.get(&stats.sent),
        stats.get(&stats.acked),
        stats.get(&stats.rejected)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec() -> Recording {
        Recording {
            name: "t".into(),
            numerics: vec![(0, VitalKind::Hr, 80.0), (1000, VitalKind::Hr, 81.0)],
            tracks: vec![Track {
                kind: WaveKind::Pleth,
                rate_hz: 100.0,
                samples: (0..200).map(|i| if (50..60).contains(&i) { None } else { Some(i as f32) }).collect(),
            }],
            dropped_numerics: 0,
        }
    }

    #[test]
    fn invalid_samples_become_gaps_and_times_follow_the_record() {
        let t0 = 1_790_000_000_000;
        let mut p = Player::new(rec(), t0, 1.0, 1);
        let frames = p.frames_until(t0 + 1000);
        assert_eq!(frames.len(), 1);
        let w = &frames[0].waves;
        assert_eq!(w.len(), 2);
        assert_eq!((w[0].t0, w[0].samples.len()), (t0, 50));
        assert_eq!((w[1].t0, w[1].samples.len()), (t0 + 600, 40));
        assert_eq!(frames[0].numerics.len(), 2);
        let rest = p.frames_until(t0 + 5000);
        assert_eq!(rest[0].waves[0].samples.len(), 100);
        assert!(p.finished());
    }

    #[test]
    fn double_speed_sends_twice_as_fast_but_keeps_sample_times_and_rates_true() {
        let t0 = 1_790_000_000_000;
        let mut p = Player::new(rec(), t0, 2.0, 1);
        let frames = p.frames_until(t0 + 500);
        assert_eq!(frames[0].numerics[1].t, t0 + 1000);
        assert_eq!(frames[0].waves[0].rate_hz, 100.0);
        assert_eq!(frames[0].waves[1].t0, t0 + 600);
    }

    #[test]
    fn every_frame_of_a_fast_replay_is_valid() {
        let t0 = 1_790_000_000_000;
        let mut p = Player::new(rec(), t0, 20.0, 1);
        for f in p.frames_until(t0 + 5_000) {
            vigil_shared::Frame::try_from(f).unwrap();
        }
    }
}
