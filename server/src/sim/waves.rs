//! Waveform synthesis: ECG lead II from Gaussian P-QRS-T waves placed on the
//! beat phase (after McSharry et al.'s dynamical model, simplified), a pulse
//! wave with a dicrotic notch for the PPG and the arterial line, and a
//! respiration wave. Heart-rate variability, baseline wander, noise and
//! occasional motion artefacts make it look like a real bedside signal.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::f64::consts::TAU;

/// (phase centre, amplitude mV, width) of P, Q, R, S, T within one beat.
const ECG_WAVES: [(f64, f64, f64); 5] =
    [(0.16, 0.12, 0.022), (0.285, -0.12, 0.008), (0.30, 1.15, 0.011), (0.32, -0.28, 0.009), (0.56, 0.30, 0.045)];

fn gauss(x: f64, centre: f64, width: f64) -> f64 {
    // Wrapped distance on the unit circle of the phase.
    let mut d = (x - centre).abs();
    if d > 0.5 {
        d = 1.0 - d;
    }
    (-(d * d) / (2.0 * width * width)).exp()
}

/// ECG value (mV) at beat phase `p` in [0, 1).
pub fn ecg_shape(p: f64) -> f64 {
    ECG_WAVES.iter().map(|&(c, a, w)| a * gauss(p, c, w)).sum()
}

/// Normalised arterial pulse (0..=1) at beat phase `p`: systolic upstroke,
/// dicrotic notch, diastolic run-off.
pub fn pulse_shape(p: f64) -> f64 {
    let v = 1.0 * gauss(p, 0.18, 0.07) + 0.38 * gauss(p, 0.45, 0.08) + 0.12 * gauss(p, 0.62, 0.12);
    (v / 1.02).clamp(0.0, 1.0)
}

/// Beat-phase oscillator with heart-rate variability. Clocks made from the
/// same seed beat together, so the ECG, the pleth and the arterial line of
/// one bed follow one heart ([`delayed`] adds each wave's transit).
#[derive(Debug, Clone)]
pub struct BeatClock {
    phase: f64,
    /// Rate multiplier for the current beat (varies beat to beat).
    beat_factor: f64,
    rng: StdRng,
}

impl BeatClock {
    pub fn new(seed: u64) -> Self {
        BeatClock { phase: 0.0, beat_factor: 1.0, rng: StdRng::seed_from_u64(seed) }
    }

    /// Advances by `dt` seconds at `bpm`; returns the new phase.
    pub fn advance(&mut self, dt: f64, bpm: f64) -> f64 {
        self.phase += dt * bpm.max(1.0) / 60.0 * self.beat_factor;
        if self.phase >= 1.0 {
            self.phase -= 1.0;
            // ~3 % beat-to-beat variability.
            self.beat_factor = 1.0 + self.rng.gen_range(-0.03..0.03);
        }
        self.phase
    }

    pub fn phase(&self) -> f64 {
        self.phase
    }
}

/// ECG phase of the R wave ([`ecg_shape`]) and pulse phase of the systolic
/// peak ([`pulse_shape`]).
const R_PHASE: f64 = 0.30;
const SYSTOLIC_PHASE: f64 = 0.18;

/// The pulse phase whose systolic peak comes `transit_s` after the R wave of
/// the ECG phase `ecg_phase`, at `bpm`.
pub fn delayed(ecg_phase: f64, bpm: f64, transit_s: f64) -> f64 {
    (ecg_phase - R_PHASE + SYSTOLIC_PHASE - transit_s * bpm.max(1.0) / 60.0).rem_euclid(1.0)
}

/// A short burst of motion artefact: large, low-frequency, noisy.
#[derive(Debug, Clone, Default)]
pub struct Artefact {
    remaining_s: f64,
    phase: f64,
}

impl Artefact {
    /// Starts a burst now and then (about every three minutes on average).
    pub fn maybe_start(&mut self, dt: f64, rng: &mut StdRng) {
        if self.remaining_s <= 0.0 && rng.gen_bool((dt / 180.0).min(1.0)) {
            self.remaining_s = rng.gen_range(0.8..2.5);
        }
    }

    /// Added signal (in units of the ECG, mV) at this step.
    pub fn sample(&mut self, dt: f64, rng: &mut StdRng) -> f64 {
        if self.remaining_s <= 0.0 {
            return 0.0;
        }
        self.remaining_s -= dt;
        self.phase += dt * 2.7 * TAU;
        0.6 * self.phase.sin() + rng.gen_range(-0.25..0.25)
    }

    pub fn active(&self) -> bool {
        self.remaining_s > 0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_r_wave_is_the_tallest_point_of_the_beat() {
        let (argmax, max) =
            (0..1000)
                .map(|i| (i, ecg_shape(i as f64 / 1000.0)))
                .fold((0, f64::MIN), |a, b| if b.1 > a.1 { b } else { a });
        assert!((295..=305).contains(&argmax), "{argmax}");
        assert!((1.0..1.3).contains(&max));
    }

    #[test]
    fn clocks_of_one_seed_beat_together_and_the_pulse_peaks_its_transit_after_the_r_wave() {
        let (mut ecg, mut pleth) = (BeatClock::new(3), BeatClock::new(3));
        let dt = 1.0 / 250.0;
        let n = (20.0 / dt) as usize;
        let e: Vec<f64> = (0..n).map(|_| ecg_shape(ecg.advance(dt, 80.0))).collect();
        let p: Vec<f64> = (0..n).map(|_| pulse_shape(delayed(pleth.advance(dt, 80.0), 80.0, 0.25))).collect();
        // Times of the local maxima above `level`.
        let peaks = |x: &[f64], level: f64| -> Vec<f64> {
            (1..x.len() - 1)
                .filter(|&i| x[i] > level && x[i] > x[i - 1] && x[i] >= x[i + 1])
                .map(|i| i as f64 * dt)
                .collect()
        };
        let (r, q) = (peaks(&e, 1.0), peaks(&p, 0.9));
        assert!(r.len() >= 25, "{} R waves", r.len());
        for a in &r[..r.len() - 1] {
            let b = q.iter().find(|&&b| b > *a).expect("a pulse after each R wave");
            assert!((b - a - 0.25).abs() < 0.03, "R at {a}, pulse peak at {b}");
        }
    }

    #[test]
    fn the_pulse_has_a_notch_after_the_systolic_peak() {
        let v: Vec<f64> = (0..100).map(|i| pulse_shape(i as f64 / 100.0)).collect();
        let peak = v.iter().cloned().fold(0.0, f64::max);
        assert!(peak > 0.9);
        // a local minimum between systolic peak (0.18) and dicrotic wave (0.45)
        let notch = (20..45).map(|i| v[i]).fold(f64::MAX, f64::min);
        assert!(notch < v[45] && notch < v[18]);
    }
}
