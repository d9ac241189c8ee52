//! Synthetic waveforms for the tests: ECG with P, QRS and T waves, wide
//! ventricular complexes, pulse waves, deterministic noise.

pub const FS: f64 = 250.0;

/// A deterministic pseudo-random sequence in [-1, 1).
pub struct Noise(pub u64);
impl Noise {
    #[allow(clippy::should_implement_trait)] // an endless sequence, not an iterator
    pub fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % 2_000_001) as f64 / 1_000_000.0 - 1.0
    }
}

pub fn gauss(t: f64, at: f64, width: f64, height: f64) -> f64 {
    height * (-((t - at) / width).powi(2) / 2.0).exp()
}

/// ECG (mV) with beats at `beats` (s): P, QRS and T waves, plus noise.
pub fn ecg(seconds: f64, beats: &[f64], noise_mv: f64) -> Vec<f64> {
    let mut n = Noise(7);
    if beats.is_empty() {
        return (0..(seconds * FS) as usize).map(|_| noise_mv * n.next()).collect();
    }
    (0..(seconds * FS) as usize)
        .map(|i| {
            let t = i as f64 / FS;
            let mut v = 0.0;
            for &b in beats.iter().filter(|&&b| (b - t).abs() < 0.6) {
                v += gauss(t, b - 0.16, 0.025, 0.12)
                    + gauss(t, b - 0.02, 0.008, -0.1)
                    + gauss(t, b, 0.012, 1.2)
                    + gauss(t, b + 0.025, 0.01, -0.25)
                    + gauss(t, b + 0.3, 0.05, 0.3);
            }
            v + noise_mv * n.next()
        })
        .collect()
}

/// Pulse wave (arbitrary units) with upstrokes at `beats` (s).
pub fn pulse(seconds: f64, beats: &[f64]) -> Vec<f64> {
    (0..(seconds * FS) as usize)
        .map(|i| {
            let t = i as f64 / FS;
            beats
                .iter()
                .filter(|&&b| t >= b && t - b < 1.5)
                .map(|&b| {
                    let x = t - b;
                    if x < 0.12 {
                        (x / 0.12 * std::f64::consts::FRAC_PI_2).sin()
                    } else {
                        (-(x - 0.12) / 0.35).exp()
                    }
                })
                .sum::<f64>()
                + 0.5
        })
        .collect()
}

/// Wide ventricular complexes (about 160 ms) with no P wave, at `beats`.
pub fn wide_beats(seconds: f64, beats: &[f64]) -> Vec<f64> {
    ventricular(seconds, beats, 0.03)
}

/// Ventricular complexes with no P wave at `beats`: a biphasic swing whose
/// phases have a standard deviation of `sigma` s.
pub fn ventricular(seconds: f64, beats: &[f64], sigma: f64) -> Vec<f64> {
    (0..(seconds * FS) as usize)
        .map(|i| {
            let t = i as f64 / FS;
            beats
                .iter()
                .filter(|&&b| (b - t).abs() < 0.5)
                .map(|&b| gauss(t, b, sigma, 1.2) + gauss(t, b + 2.33 * sigma, sigma, -0.6))
                .sum()
        })
        .collect()
}

/// Arterial pressure (mmHg) with upstrokes at `beats` (s): 80 diastolic, a
/// systolic rise of 45 over 160 ms, then a dicrotic wave 320 ms after the upstroke that
/// rises again by 45 % of the pulse (what a slope-sum detector can mistake
/// for a second pulse).
pub fn arterial(seconds: f64, beats: &[f64]) -> Vec<f64> {
    (0..(seconds * FS) as usize)
        .map(|i| {
            let t = i as f64 / FS;
            80.0 + beats
                .iter()
                .filter(|&&b| t >= b && t - b < 2.0)
                .map(|&b| {
                    let x = t - b;
                    let systolic = if x < 0.16 {
                        (x / 0.16 * std::f64::consts::FRAC_PI_2).sin()
                    } else {
                        (-(x - 0.16) / 0.12).exp()
                    };
                    let dicrotic = if x < 0.32 {
                        0.0
                    } else if x < 0.38 {
                        0.45 * ((x - 0.32) / 0.06 * std::f64::consts::FRAC_PI_2).sin()
                    } else {
                        0.45 * (-(x - 0.38) / 0.25).exp()
                    };
                    45.0 * (systolic + dicrotic)
                })
                .sum::<f64>()
        })
        .collect()
}

/// 40 s of fibrillation: an irregular 5-7 Hz wave on the ECG.
pub fn fibrillation() -> Vec<f64> {
    (0..(40.0 * FS) as usize)
        .map(|i| {
            let t = i as f64 / FS;
            0.3 * (t * 5.3 * std::f64::consts::TAU).sin() + 0.2 * (t * 6.9 * std::f64::consts::TAU + 1.0).sin()
        })
        .collect()
}

pub fn regular(from: f64, to: f64, per_min: f64) -> Vec<f64> {
    let rr = 60.0 / per_min;
    (0..).map(|k| from + k as f64 * rr).take_while(|&t| t < to).collect()
}

/// A steady bed as a monitor streams it: 250 ms frames of ECG (`per_min`
/// beats, light noise) and pleth at [`FS`], with HR, SpO2 and RR once a
/// second, starting at device time `t0` (ms).
pub fn bed_frames(seconds: f64, per_min: f64, t0: i64) -> Vec<crate::Frame> {
    use crate::frame::{RawFrame, RawNumeric, RawWave};
    use crate::{VitalKind, WaveKind};
    let e = ecg(seconds, &regular(0.4, seconds, per_min), 0.02);
    let p = pulse(seconds, &regular(0.6, seconds, per_min));
    let chunk = (FS / 4.0) as usize;
    (0..e.len().min(p.len()))
        .step_by(chunk)
        .enumerate()
        .map(|(k, start)| {
            let t = t0 + (start as f64 / FS * 1000.0) as i64;
            let end = (start + chunk).min(e.len());
            let numerics = if k % 4 == 3 {
                [(VitalKind::Hr, per_min), (VitalKind::Spo2, 97.0), (VitalKind::Rr, 15.0)]
                    .map(|(kind, value)| RawNumeric { kind, t: t + 250, value })
                    .to_vec()
            } else {
                vec![]
            };
            let wave = |kind, x: &[f64]| RawWave {
                kind,
                t0: t,
                rate_hz: FS,
                samples: x[start..end].iter().map(|&v| v as f32).collect(),
            };
            let raw = RawFrame {
                seq: k as u64 + 1,
                numerics,
                waves: vec![wave(WaveKind::EcgII, &e), wave(WaveKind::Pleth, &p)],
                technical: vec![],
            };
            crate::Frame::try_from(raw).expect("a valid synthetic frame")
        })
        .collect()
}

/// A rhythm monitor fed `channels` (kind, name, samples at [`FS`]) in step
/// from time 0, as a bed streams them.
pub fn monitor(channels: &[(super::monitor::ChannelKind, &str, &[f64])]) -> super::monitor::RhythmMonitor {
    use super::monitor::{Channel, RhythmMonitor};
    let mut m = RhythmMonitor::new();
    for (kind, name, _) in channels {
        m.add(Channel::new(*kind, *name, FS, 0.0));
    }
    let n = channels.iter().map(|c| c.2.len()).min().unwrap_or(0);
    for i in 0..n {
        for (k, (_, _, data)) in channels.iter().enumerate() {
            m.channels[k].push(Some(data[i]));
        }
    }
    m
}
