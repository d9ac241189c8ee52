//! Streaming QRS detection on one ECG lead, after Pan and Tompkins (IEEE TBME
//! 1985) with Hamilton and Tompkins' refinements: a 5-15 Hz band-pass, a
//! derivative, squaring, a 150 ms moving-window integral, adaptive signal and
//! noise levels, a T-wave check by slope and a search back for a missed beat.
//! An absolute floor (the response to a 0.08 mV complex) keeps a flat or
//! disconnected lead from producing beats out of its noise.
//!
//! Fed one sample at a time (physical units, mV); detected beats come out with
//! the sample index of their R peak, a little later than the sample itself
//! (about 0.3 s, more for a beat found by search back).

use super::filter::{Cascade, Ring};
use std::collections::VecDeque;

/// A detected QRS complex.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Beat {
    /// Sample index (from the detector's first sample) of the R peak.
    pub index: u64,
    /// Height of the integrated QRS energy, relative to the running signal level.
    pub strength: f32,
    /// Found by search back with the lower threshold.
    pub searched_back: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Peak {
    idx: u64,
    val: f64,
    slope: f64,
}

/// Streaming QRS detector for one lead at sampling rate `fs`.
#[derive(Debug, Clone, PartialEq)]
pub struct QrsDetector {
    fs: f64,
    band: Cascade,
    clean: Cascade,
    hist: [f64; 4],
    window: VecDeque<f64>,
    window_sum: f64,
    n: u64,
    prev_m: f64,
    cand: Option<Peak>,
    learning: Option<(f64, f64, Vec<Peak>)>,
    spki: f64,
    npki: f64,
    floor: f64,
    /// Delay (samples) of the band-pass at the QRS peak.
    band_delay: u64,
    last_qrs: Option<Peak>,
    last_r: Option<u64>,
    rr: VecDeque<f64>,
    searchback: Vec<Peak>,
    /// Band-passed signal (for the fiducial point).
    band_ring: Ring,
    /// Absolute derivative (for the T-wave check).
    slope_ring: Ring,
    /// 0.5-40 Hz signal, kept for morphology.
    pub clean_ring: Ring,
    last_value: Option<f64>,
    out: Vec<Beat>,
}

impl QrsDetector {
    /// A detector for a lead sampled at `fs` Hz keeping `keep_s` seconds of the
    /// cleaned signal for morphology.
    pub fn new(fs: f64, keep_s: f64) -> QrsDetector {
        let w = ((0.15 * fs).round() as usize).max(1);
        let mut d = QrsDetector {
            fs,
            band: Cascade::band_pass(fs, 5.0, 15.0, 2),
            clean: Cascade::band_pass(fs, 0.5, 40.0, 1),
            hist: [0.0; 4],
            window: VecDeque::with_capacity(w + 1),
            window_sum: 0.0,
            n: 0,
            prev_m: 0.0,
            cand: None,
            learning: Some((0.0, 0.0, Vec::new())),
            spki: 0.0,
            npki: 0.0,
            floor: 0.0,
            band_delay: 0,
            last_qrs: None,
            last_r: None,
            rr: VecDeque::new(),
            searchback: Vec::new(),
            band_ring: Ring::new((fs * 0.6) as usize),
            slope_ring: Ring::new((fs * 0.6) as usize),
            clean_ring: Ring::new((fs * keep_s.max(1.0)) as usize),
            last_value: None,
            out: Vec::new(),
        };
        d.floor = d.clone().synthetic_response(0.08) * 0.5;
        d.band_delay = band_delay(fs);
        d
    }

    /// Peak of the integrated energy for a triangular complex of `mv` height
    /// and 80 ms base, through a fresh copy of this pipeline.
    fn synthetic_response(mut self, mv: f64) -> f64 {
        let fs = self.fs;
        let half = 0.04 * fs;
        let mut peak: f64 = 0.0;
        for i in 0..(fs as usize) {
            let t = i as f64 - fs * 0.5;
            let x = if t.abs() < half { mv * (1.0 - t.abs() / half) } else { 0.0 };
            peak = peak.max(self.energy(x));
        }
        peak
    }

    pub fn fs(&self) -> f64 {
        self.fs
    }

    /// Samples consumed so far.
    pub fn samples(&self) -> u64 {
        self.n
    }

    /// The current detection threshold over the floor (for quality indices).
    pub fn levels(&self) -> (f64, f64, f64) {
        (self.spki, self.npki, self.floor)
    }

    /// Band-pass, derivative (mV/s), square, moving mean over 150 ms.
    fn energy(&mut self, x: f64) -> f64 {
        if self.n == 0 {
            self.band.settle(x);
            self.clean.settle(x);
        }
        let b = self.band.step(x);
        let c = self.clean.step(x);
        self.clean_ring.push(c as f32);
        self.band_ring.push(b as f32);
        let d = (2.0 * b + self.hist[0] - self.hist[2] - 2.0 * self.hist[3]) * self.fs / 8.0;
        self.hist = [b, self.hist[0], self.hist[1], self.hist[2]];
        self.slope_ring.push(d.abs() as f32);
        let e = d * d;
        self.window.push_back(e);
        self.window_sum += e;
        if self.window.len() > ((0.15 * self.fs).round() as usize).max(1) {
            self.window_sum -= self.window.pop_front().unwrap_or(0.0);
        }
        self.n += 1;
        (self.window_sum / self.window.len() as f64).max(0.0)
    }

    /// Feeds one sample (mV; `None` for an invalid sample, which holds the last value).
    pub fn push(&mut self, value: Option<f64>) {
        let x = match value.filter(|v| v.is_finite()) {
            Some(v) => {
                self.last_value = Some(v);
                v
            }
            None => self.last_value.unwrap_or(0.0),
        };
        let m = self.energy(x);
        let n = self.n - 1;
        let fs = self.fs;
        match self.cand.as_mut() {
            None => {
                if m > self.prev_m {
                    self.cand = Some(Peak { idx: n, val: m, slope: 0.0 });
                }
            }
            Some(c) => {
                if m > c.val {
                    c.idx = n;
                    c.val = m;
                } else if m < c.val * 0.5 || (n - c.idx) as f64 > 0.3 * fs {
                    let mut p = *c;
                    self.cand = None;
                    let w = (0.15 * fs) as u64;
                    p.slope = self.slope_ring.range(p.idx.saturating_sub(w), p.idx + 1).fold(0.0f32, f32::max) as f64;
                    self.confirmed(p);
                }
            }
        }
        self.prev_m = m;

        if let Some((max, sum, _)) = self.learning.as_mut() {
            *max = max.max(m);
            *sum += m;
            if n as f64 >= 2.0 * fs {
                let (max, sum, peaks) = self.learning.take().unwrap_or_default();
                self.spki = (max / 3.0).max(self.floor);
                self.npki = sum / (n + 1) as f64 * 0.5;
                for p in peaks {
                    self.classify(p);
                }
            }
        } else {
            self.search_back(n);
        }
    }

    fn confirmed(&mut self, p: Peak) {
        if let Some((_, _, peaks)) = self.learning.as_mut() {
            peaks.push(p);
        } else {
            self.classify(p);
        }
    }

    fn thresholds(&self) -> (f64, f64) {
        let t1 = (self.npki + 0.25 * (self.spki - self.npki)).max(self.floor);
        (t1, (t1 * 0.5).max(self.floor))
    }

    fn classify(&mut self, p: Peak) {
        let fs = self.fs;
        if let Some(last) = self.last_qrs {
            if ((p.idx - last.idx.min(p.idx)) as f64) < 0.2 * fs {
                return;
            }
        }
        let (t1, _) = self.thresholds();
        if p.val > t1 {
            let t_wave =
                self.last_qrs.is_some_and(|last| (p.idx - last.idx) as f64 <= 0.36 * fs && p.slope < 0.5 * last.slope);
            if t_wave {
                self.npki = 0.125 * p.val + 0.875 * self.npki;
            } else {
                self.spki = 0.125 * p.val + 0.875 * self.spki;
                self.qrs(p, false);
            }
        } else {
            self.npki = 0.125 * p.val + 0.875 * self.npki;
            self.searchback.push(p);
        }
    }

    fn search_back(&mut self, n: u64) {
        let Some(last) = self.last_qrs else { return };
        let gap = (n - last.idx) as f64;
        let rr = if self.rr.len() >= 2 { self.rr.iter().sum::<f64>() / self.rr.len() as f64 } else { self.fs };
        if gap > 1.66 * rr {
            let (_, t2) = self.thresholds();
            let best = self
                .searchback
                .iter()
                .filter(|p| p.val > t2 && (p.idx - last.idx) as f64 >= 0.36 * self.fs)
                .max_by(|a, b| a.val.total_cmp(&b.val))
                .copied();
            if let Some(p) = best {
                self.spki = 0.25 * p.val + 0.75 * self.spki;
                self.qrs(p, true);
            }
        }
        // A lead that lost its signal for long: let the signal level come down
        // towards the noise (never below the floor).
        if gap > 2.5 * self.fs && (n - last.idx).is_multiple_of((self.fs as u64).max(1)) {
            self.spki = (self.spki * 0.8).max(self.npki * 2.0).max(self.floor);
        }
    }

    fn qrs(&mut self, p: Peak, searched_back: bool) {
        let fs = self.fs;
        // Fiducial: the first band-passed deflection of at least 90 % of the
        // largest in the 250 ms before the energy peak (the onset side of a wide
        // complex), moved back by the band-pass delay, refined on the cleaned
        // signal within 40 ms.
        let from = p.idx.saturating_sub((0.25 * fs) as u64).max(self.band_ring.first_index());
        let window: Vec<f32> = self.band_ring.range(from, p.idx + 1).map(f32::abs).collect();
        let top = window.iter().copied().fold(0.0f32, f32::max);
        let mut k = window.iter().position(|&v| v >= 0.9 * top).unwrap_or(0);
        while k + 1 < window.len() && window[k + 1] >= window[k] {
            k += 1;
        }
        let j = (from + k as u64).saturating_sub(self.band_delay);
        let r = (0.04 * fs) as u64;
        let lo = j.saturating_sub(r).max(self.clean_ring.first_index());
        let mut idx = j;
        let mut best = -1.0f32;
        for (k, v) in self.clean_ring.range(lo, j + r + 1).enumerate() {
            if v.abs() > best {
                best = v.abs();
                idx = lo + k as u64;
            }
        }
        if let Some(prev) = self.last_r {
            if idx <= prev {
                return;
            }
            let rr = (idx - prev) as f64;
            if rr < 3.0 * fs {
                self.rr.push_back(rr);
                if self.rr.len() > 8 {
                    self.rr.pop_front();
                }
            }
        }
        self.last_r = Some(idx);
        self.last_qrs = Some(p);
        self.searchback.retain(|q| q.idx > p.idx);
        self.out.push(Beat { index: idx, strength: (p.val / self.spki.max(1e-12)) as f32, searched_back });
    }

    /// Beats detected since the last call, in order.
    pub fn take_beats(&mut self) -> Vec<Beat> {
        std::mem::take(&mut self.out)
    }
}

/// Lag (samples) of the band-pass's largest output after a 40 ms-wide complex.
fn band_delay(fs: f64) -> u64 {
    let mut band = Cascade::band_pass(fs, 5.0, 15.0, 2);
    let half = 0.02 * fs;
    let centre = (fs * 0.5) as usize;
    let mut best = (0usize, 0.0f64);
    for i in 0..(fs as usize) {
        let t = i as f64 - centre as f64;
        let x = if t.abs() < half { 1.0 - t.abs() / half } else { 0.0 };
        let y = band.step(x).abs();
        if y > best.1 {
            best = (i, y);
        }
    }
    best.0.saturating_sub(centre) as u64
}

/// Runs a detector over a whole lead and returns every beat (a convenience for
/// tools and tests; the monitor feeds samples as they come).
pub fn detect_all(fs: f64, samples: impl IntoIterator<Item = Option<f64>>) -> Vec<Beat> {
    let mut d = QrsDetector::new(fs, 1.0);
    let mut beats = Vec::new();
    for s in samples {
        d.push(s);
        beats.append(&mut d.out);
    }
    beats
}
