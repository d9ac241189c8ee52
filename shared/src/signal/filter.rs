//! Small causal filters that run one sample at a time: second-order
//! Butterworth sections (bilinear transform, designed for any sampling rate),
//! a running sum and a fixed-length ring of recent values.

use std::collections::VecDeque;
use std::f64::consts::PI;

/// One second-order IIR section in direct form II transposed.
#[derive(Debug, Clone, PartialEq)]
pub struct Biquad {
    b: [f64; 3],
    a: [f64; 2],
    z: [f64; 2],
}

impl Biquad {
    fn design(fs: f64, fc: f64, high: bool) -> Biquad {
        // Bilinear transform with pre-warping of a 2nd-order Butterworth (Q = 1/sqrt 2).
        let fc = fc.min(fs * 0.45);
        let k = (PI * fc / fs).tan();
        let q = std::f64::consts::FRAC_1_SQRT_2;
        let norm = 1.0 / (1.0 + k / q + k * k);
        let (b0, b1, b2) =
            if high { (norm, -2.0 * norm, norm) } else { (k * k * norm, 2.0 * k * k * norm, k * k * norm) };
        let a1 = 2.0 * (k * k - 1.0) * norm;
        let a2 = (1.0 - k / q + k * k) * norm;
        Biquad { b: [b0, b1, b2], a: [a1, a2], z: [0.0; 2] }
    }

    /// A 2nd-order Butterworth low-pass with cut-off `fc` Hz.
    pub fn low_pass(fs: f64, fc: f64) -> Biquad {
        Biquad::design(fs, fc, false)
    }

    /// A 2nd-order Butterworth high-pass with cut-off `fc` Hz.
    pub fn high_pass(fs: f64, fc: f64) -> Biquad {
        Biquad::design(fs, fc, true)
    }

    /// Starts the filter in the steady state for a constant input `x`, so a
    /// signal's offset does not ring through it.
    pub fn settle(&mut self, x: f64) {
        let dc = (self.b[0] + self.b[1] + self.b[2]) / (1.0 + self.a[0] + self.a[1]);
        let y = dc * x;
        self.z[1] = self.b[2] * x - self.a[1] * y;
        self.z[0] = self.b[1] * x - self.a[0] * y + self.z[1];
    }

    #[inline]
    pub fn step(&mut self, x: f64) -> f64 {
        let y = self.b[0] * x + self.z[0];
        self.z[0] = self.b[1] * x - self.a[0] * y + self.z[1];
        self.z[1] = self.b[2] * x - self.a[1] * y;
        y
    }
}

/// A cascade of sections applied in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Cascade(pub Vec<Biquad>);

impl Cascade {
    /// Band-pass from `low` to `high` Hz: `order2` sections of each side.
    pub fn band_pass(fs: f64, low: f64, high: f64, order2: usize) -> Cascade {
        let mut v = Vec::new();
        for _ in 0..order2 {
            v.push(Biquad::high_pass(fs, low));
            v.push(Biquad::low_pass(fs, high));
        }
        Cascade(v)
    }

    pub fn settle(&mut self, x: f64) {
        let mut v = x;
        for s in &mut self.0 {
            s.settle(v);
            v = s.step(v);
        }
    }

    #[inline]
    pub fn step(&mut self, x: f64) -> f64 {
        self.0.iter_mut().fold(x, |v, s| s.step(v))
    }
}

/// A ring of the last `capacity` values, indexed by absolute sample number.
#[derive(Debug, Clone, PartialEq)]
pub struct Ring {
    buf: VecDeque<f32>,
    capacity: usize,
    /// Absolute index of the next value pushed.
    next: u64,
}

impl Ring {
    pub fn new(capacity: usize) -> Ring {
        Ring { buf: VecDeque::with_capacity(capacity), capacity: capacity.max(1), next: 0 }
    }

    #[inline]
    pub fn push(&mut self, v: f32) {
        if self.buf.len() == self.capacity {
            self.buf.pop_front();
        }
        self.buf.push_back(v);
        self.next += 1;
    }

    /// Absolute index of the next value to be pushed (= values pushed so far).
    pub fn next_index(&self) -> u64 {
        self.next
    }

    /// Absolute index of the oldest value held.
    pub fn first_index(&self) -> u64 {
        self.next - self.buf.len() as u64
    }

    pub fn get(&self, index: u64) -> Option<f32> {
        index.checked_sub(self.first_index()).and_then(|i| self.buf.get(i as usize)).copied()
    }

    /// Values from absolute index `from` to `to` (exclusive), clamped to what
    /// is held: a span partly or wholly outside it gives what overlaps.
    pub fn range(&self, from: u64, to: u64) -> impl Iterator<Item = f32> + '_ {
        let first = self.first_index();
        let from = from.clamp(first, self.next);
        let to = to.clamp(from, self.next);
        self.buf.range((from - first) as usize..(to - first) as usize).copied()
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn gain_at(mut f: impl FnMut(f64) -> f64, fs: f64, hz: f64) -> f64 {
        let n = (fs * 10.0) as usize;
        let mut peak: f64 = 0.0;
        for i in 0..n {
            let y = f((2.0 * PI * hz * i as f64 / fs).sin());
            if i > n / 2 {
                peak = peak.max(y.abs());
            }
        }
        peak
    }

    #[test]
    fn butterworth_sections_pass_the_band_and_stop_the_rest() {
        for fs in [125.0, 250.0, 360.0] {
            let mut lp = Biquad::low_pass(fs, 15.0);
            assert!(
                (gain_at(|x| lp.step(x), fs, 15.0) - std::f64::consts::FRAC_1_SQRT_2).abs() < 0.02,
                "-3 dB at fc, fs {fs}"
            );
            let mut lp = Biquad::low_pass(fs, 15.0);
            assert!(gain_at(|x| lp.step(x), fs, 2.0) > 0.99);
            let mut hp = Biquad::high_pass(fs, 5.0);
            assert!(gain_at(|x| hp.step(x), fs, 0.5) < 0.02);
            let mut bp = Cascade::band_pass(fs, 5.0, 15.0, 1);
            assert!(gain_at(|x| bp.step(x), fs, 10.0) > 0.7);
        }
    }

    #[test]
    fn a_settled_filter_does_not_ring_on_an_offset() {
        let mut hp = Cascade::band_pass(250.0, 5.0, 15.0, 2);
        hp.settle(1000.0);
        for _ in 0..100 {
            assert!(hp.step(1000.0).abs() < 1e-6);
        }
    }

    #[test]
    fn the_ring_keeps_the_newest_values_by_absolute_index() {
        let mut r = Ring::new(3);
        for v in 0..5 {
            r.push(v as f32);
        }
        assert_eq!((r.first_index(), r.next_index()), (2, 5));
        assert_eq!(r.get(1), None);
        assert_eq!(r.get(4), Some(4.0));
        assert_eq!(r.range(0, 10).collect::<Vec<_>>(), vec![2.0, 3.0, 4.0]);
        assert_eq!(r.range(7, 9).count(), 0, "a span after the newest value is empty");
        assert_eq!(r.range(0, 1).count(), 0, "a span before the oldest value is empty");
    }
}
