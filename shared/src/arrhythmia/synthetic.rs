//! Synthetic waveforms for the tests: ECG with P, QRS and T waves, wide
//! ventricular complexes, pulse waves, deterministic noise.

pub const FS: f64 = 250.0;

/// A deterministic pseudo-random sequence in [-1, 1).
pub struct Noise(pub u64);
impl Noise {
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
    (0..(seconds * FS) as usize)
        .map(|i| {
            let t = i as f64 / FS;
            beats
                .iter()
                .filter(|&&b| (b - t).abs() < 0.5)
                .map(|&b| gauss(t, b, 0.03, 1.2) + gauss(t, b + 0.07, 0.03, -0.6))
                .sum()
        })
        .collect()
}

pub fn regular(from: f64, to: f64, per_min: f64) -> Vec<f64> {
    let rr = 60.0 / per_min;
    (0..).map(|k| from + k as f64 * rr).take_while(|&t| t < to).collect()
}
