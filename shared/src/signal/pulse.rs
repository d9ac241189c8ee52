//! Streaming pulse detection on a photoplethysmogram (PPG) or an arterial
//! pressure wave, after Zong et al.'s slope sum function (Computers in
//! Cardiology 2003, the `wabp` of PhysioNet): a 16 Hz low-pass, the sum of the
//! rising slopes over the last 128 ms, a threshold that follows the recent
//! pulses, a refractory period of 300 ms. The threshold never falls below four
//! times the lower quartile of the slope sum over the last seconds, so a flat
//! or noisy line makes no pulses out of its noise (a pulsatile wave spends
//! most of each beat falling, so its lower quartile stays near zero even at a
//! fast rate). A tall dicrotic wave on an arterial line can count as a second
//! pulse: timing alone cannot tell it from the weak beat of pulsus alternans
//! at a fast rate, and missing that beat is the worse error.

use super::filter::{Biquad, Ring};
use std::collections::VecDeque;

/// A detected pulse.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pulse {
    /// Sample index where the slope sum crossed the threshold (the upstroke).
    pub index: u64,
    /// Foot-to-peak height of the pulse in the signal's units.
    pub amplitude: f32,
}

/// Streaming pulse detector for one pulsatile channel sampled at `fs`.
#[derive(Debug, Clone, PartialEq)]
pub struct PulseDetector {
    fs: f64,
    lp: Biquad,
    prev: Option<f64>,
    window: VecDeque<f64>,
    ssf: f64,
    n: u64,
    /// Running level of the slope-sum peaks of accepted pulses.
    level: Option<f64>,
    /// Slope sums of the last 8 s, kept coarse (one in every 8) for the noise floor.
    recent: VecDeque<f64>,
    /// The noise floor of `recent`, recomputed when it changes.
    floor: f64,
    rising: Option<(u64, f64)>,
    last: Option<u64>,
    /// Low-passed signal, kept for amplitudes and morphology.
    pub ring: Ring,
    last_value: Option<f64>,
    out: Vec<Pulse>,
}

impl PulseDetector {
    pub fn new(fs: f64, keep_s: f64) -> PulseDetector {
        PulseDetector {
            fs,
            lp: Biquad::low_pass(fs, 16.0),
            prev: None,
            window: VecDeque::new(),
            ssf: 0.0,
            n: 0,
            level: None,
            recent: VecDeque::new(),
            floor: 0.0,
            rising: None,
            last: None,
            ring: Ring::new((fs * keep_s.max(2.0)) as usize),
            last_value: None,
            out: Vec::new(),
        }
    }

    pub fn fs(&self) -> f64 {
        self.fs
    }

    pub fn samples(&self) -> u64 {
        self.n
    }

    fn noise_floor(&self) -> f64 {
        if self.recent.is_empty() {
            return 0.0;
        }
        let mut v: Vec<f64> = self.recent.iter().copied().collect();
        let q = v.len() / 4;
        v.select_nth_unstable_by(q, f64::total_cmp);
        v[q] * 4.0
    }

    /// Feeds one sample (`None` for an invalid one, which holds the last value).
    pub fn push(&mut self, value: Option<f64>) {
        let x = match value.filter(|v| v.is_finite()) {
            Some(v) => {
                self.last_value = Some(v);
                v
            }
            None => self.last_value.unwrap_or(0.0),
        };
        if self.n == 0 {
            self.lp.settle(x);
        }
        let y = self.lp.step(x);
        self.ring.push(y as f32);
        let dy = (y - self.prev.unwrap_or(y)).max(0.0);
        self.prev = Some(y);
        self.window.push_back(dy);
        self.ssf += dy;
        if self.window.len() > ((0.128 * self.fs).round() as usize).max(1) {
            self.ssf -= self.window.pop_front().unwrap_or(0.0);
        }
        let n = self.n;
        self.n += 1;
        if n.is_multiple_of(8) {
            self.recent.push_back(self.ssf.max(0.0));
            if self.recent.len() as f64 > 8.0 * self.fs / 8.0 {
                self.recent.pop_front();
            }
            self.floor = self.noise_floor();
        }
        // Learn the level from the first 3 s: the largest slope sums.
        let learn = (3.0 * self.fs) as u64;
        if n < learn {
            return;
        }
        if self.level.is_none() {
            let mut v: Vec<f64> = self.recent.iter().copied().collect();
            v.sort_by(f64::total_cmp);
            self.level = Some(v.get(v.len() * 95 / 100).copied().unwrap_or(0.0));
        }
        let level = self.level.unwrap_or(0.0);
        let threshold = (0.45 * level).max(self.floor).max(1e-9);
        let refractory = (0.3 * self.fs) as u64;
        match self.rising {
            None => {
                if self.ssf > threshold && self.last.is_none_or(|l| n - l > refractory) {
                    self.rising = Some((n, self.ssf));
                }
            }
            Some((start, peak)) => {
                if self.ssf > peak {
                    self.rising = Some((start, self.ssf));
                } else if self.ssf < 0.5 * peak || (n - start) as f64 > 0.25 * self.fs {
                    self.rising = None;
                    self.accept(start, peak);
                }
            }
        }
        // No pulse for 2 s: let the level come down towards the noise.
        if let Some(l) = self.last {
            if (n - l) as f64 > 2.0 * self.fs && n.is_multiple_of((self.fs as u64 / 2).max(1)) {
                self.level = Some(level * 0.85);
            }
        } else if n > learn && (n - learn) as f64 > 2.0 * self.fs && n.is_multiple_of((self.fs as u64 / 2).max(1)) {
            self.level = Some(level * 0.85);
        }
    }

    fn accept(&mut self, start: u64, peak: f64) {
        let fs = self.fs;
        // Amplitude: the rise from the lowest point in the 150 ms before the
        // upstroke to the highest in the 300 ms after it.
        let lo = self.ring.range(start.saturating_sub((0.15 * fs) as u64), start + 1).fold(f32::INFINITY, f32::min);
        let hi = self.ring.range(start, start + (0.3 * fs) as u64).fold(f32::NEG_INFINITY, f32::max);
        let amplitude = if lo.is_finite() && hi.is_finite() { (hi - lo).max(0.0) } else { 0.0 };
        self.level = Some(match self.level {
            Some(l) => 0.75 * l + 0.25 * peak,
            None => peak,
        });
        self.last = Some(start);
        self.out.push(Pulse { index: start, amplitude });
    }

    /// Pulses detected since the last call, in order.
    pub fn take_pulses(&mut self) -> Vec<Pulse> {
        std::mem::take(&mut self.out)
    }
}
