//! Vigil's own detection of the five arrhythmia alarms from the ECG, with the
//! same detectors the check uses and the Challenge 2015 definitions:
//! asystole (no QRS for 4 s on any working lead), extreme bradycardia (5 beats
//! below 40/min with no asystole's pause among them), extreme tachycardia (17 beats above 140/min), ventricular
//! tachycardia (5 or more wide complexes, see [`VENTRICULAR_WIDTH_S`], above 100/min) and
//! ventricular flutter/fibrillation (4 s of a large, smooth oscillation at
//! 2.5-9 Hz, kurtosis below 2.5: no QRS spikes standing out of it; a
//! regular flutter counts as much as an irregular fibrillation).
//!
//! Evaluated at a time the caller passes; it reports when each condition
//! begins (with its onset: the first sample that meets the definition) and
//! ends. Whether an alarm sounds is then the check's decision.

use super::monitor::{Channel, ChannelKind, RhythmMonitor};
use super::summary::summarise;
use super::ArrhythmiaKind;
use std::collections::BTreeMap;

/// A condition beginning or ending.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Edge {
    /// Began; `onset` is when the definition was first met (s).
    Began {
        kind: ArrhythmiaKind,
        onset: f64,
    },
    Ended {
        kind: ArrhythmiaKind,
        at: f64,
    },
}

/// The [`qrs_width`] from which a complex counts as ventricular. The slope
/// measure reads narrower than a caliper on paper: on MIT-BIH 100 and 103 the
/// median normal beat measures 39-56 ms, on 106 the median ventricular beat
/// 86-103 ms (`cargo run --release -p vigil-shared --example qrs_widths`).
pub const VENTRICULAR_WIDTH_S: f64 = 0.08;

/// Seconds of signal a lead needs before it is analysed (detector learning).
const WARM_UP_S: f64 = 6.0;

/// Width of the QRS complex at sample `index` (s): the span around the R peak
/// where the 0.5-40 Hz signal moves fast (15 % of the complex's steepest
/// slope), gaps under 12 ms bridged; `None` when that span is narrower than
/// [`MIN_QRS_WIDTH_S`]. Slope alone, not distance from a
/// baseline: at a fast rate the previous T wave is where the baseline would be.
pub fn qrs_width(ch: &Channel, index: u64) -> Option<f64> {
    let t = ch.time_of(index);
    width_at(&ch.filtered(t - 0.25, t + 0.2), ch.fs)
}

/// QRS width (s) of the complex whose R peak is 250 ms into `x` (the 0.5-40 Hz
/// signal from 250 ms before the peak to 200 ms after), as [`qrs_width`].
pub fn width_at(x: &[f32], fs: f64) -> Option<f64> {
    let r = (0.25 * fs) as usize;
    if x.len() < r + (0.15 * fs) as usize {
        return None;
    }
    let slope: Vec<f32> = x.windows(2).map(|w| (w[1] - w[0]).abs()).collect();
    let lo = r - (0.12 * fs) as usize;
    let hi = (r + (0.15 * fs) as usize).min(slope.len());
    let max_slope = slope[lo..hi].iter().copied().fold(0.0f32, f32::max);
    if max_slope <= 0.0 {
        return None;
    }
    // P and T waves rise and fall several times slower than the complex.
    let inside = |i: usize| slope[i] > SLOPE_FRACTION * max_slope;
    let bridge = ((0.012 * fs) as usize).max(1);
    let mut a = r;
    let mut gap = 0;
    while a > lo && gap <= bridge {
        a -= 1;
        gap = if inside(a) { 0 } else { gap + 1 };
    }
    let mut b = r;
    gap = 0;
    while b + 1 < hi && gap <= bridge {
        b += 1;
        gap = if inside(b) { 0 } else { gap + 1 };
    }
    let width = (b - gap).saturating_sub(a + gap) as f64 / fs;
    // Narrower than any QRS: the steep part is not at the mark (a glitch, a
    // step, a spike elsewhere), so the width is unknown, not narrow.
    (width >= MIN_QRS_WIDTH_S).then_some(width)
}

/// No beat on any lead for this long (s) is an asystole.
pub const ASYSTOLE_S: f64 = 4.0;

/// The fraction of a complex's steepest slope that counts as inside it.
const SLOPE_FRACTION: f32 = 0.15;
/// Below this (s) no measured width is a QRS complex's: the narrowest
/// normal beats of MIT-BIH read 36 ms at their 10th percentile (record 100).
pub const MIN_QRS_WIDTH_S: f64 = 0.03;

/// The median beat of `marks` on `ch` (sample by sample, from 250 ms before
/// each R peak to 200 ms after): noise on single beats averages out of it.
pub fn median_beat(ch: &Channel, marks: &[super::monitor::Mark]) -> Option<Vec<f32>> {
    let len = (0.45 * ch.fs) as usize;
    let segs: Vec<Vec<f32>> =
        marks.iter().map(|m| ch.filtered(m.t - 0.25, m.t + 0.2)).filter(|v| v.len() >= len).collect();
    if segs.len() < 3 {
        return None;
    }
    Some(
        (0..len)
            .map(|i| {
                let mut col: Vec<f32> = segs.iter().map(|v| v[i]).collect();
                col.sort_by(f32::total_cmp);
                col[col.len() / 2]
            })
            .collect(),
    )
}

/// Whether each condition holds at time `t`, with its onset.
pub fn conditions(monitor: &RhythmMonitor, t: f64) -> BTreeMap<ArrhythmiaKind, f64> {
    let mut out = BTreeMap::new();
    let leads: Vec<&Channel> = monitor
        .channels
        .iter()
        .filter(|c| c.kind == ChannelKind::Ecg && c.duration() >= WARM_UP_S && c.next_time() >= t - 0.5)
        .collect();
    if leads.is_empty() {
        return out;
    }
    // Asystole: the newest beat on every lead at least 4 s old.
    let newest: Vec<f64> = leads.iter().map(|c| c.marks(t - 30.0, t + 1.0).last().map_or(c.start, |m| m.t)).collect();
    let last_beat = newest.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if t - last_beat >= ASYSTOLE_S {
        out.insert(ArrhythmiaKind::Asystole, last_beat);
    }
    // Rate conditions on the lead whose beats agree best in shape.
    let primary = leads
        .iter()
        .map(|c| (summarise(c, t - 16.0, t), *c))
        .max_by(|a, b| a.0.template.total_cmp(&b.0.template))
        .map(|(_, c)| c);
    let Some(lead) = primary else { return out };
    let beats = lead.marks(t - 30.0, t + 1.0);
    let times: Vec<f64> = beats.iter().map(|m| m.t).collect();
    let rate = |w: &[f64]| 60.0 * (w.len() - 1) as f64 / (w[w.len() - 1] - w[0]);
    if times.len() >= 5 {
        // A pause as long as an asystole's, with no beat on any lead, is that
        // alarm, not this one: the beats that end it would otherwise sound
        // again as a brady. A beat on another lead makes it no asystole.
        let w = &times[times.len() - 5..];
        let asystole =
            |a: f64, b: f64| b - a >= ASYSTOLE_S && leads.iter().all(|c| c.marks(a + 0.05, b - 0.05).is_empty());
        if rate(w) < 40.0 && !w.windows(2).any(|p| asystole(p[0], p[1])) {
            out.insert(ArrhythmiaKind::ExtremeBradycardia, w[0]);
        }
    }
    if times.len() >= 17 {
        let w = &times[times.len() - 17..];
        if rate(w) > 140.0 && t - w[16] < 2.0 {
            out.insert(ArrhythmiaKind::ExtremeTachycardia, w[0]);
        }
    }
    if beats.len() >= 5 {
        let run = &beats[beats.len() - 5..];
        let w: Vec<f64> = run.iter().map(|m| m.t).collect();
        let fast = rate(&w) > 100.0 && w.windows(2).all(|p| p[1] - p[0] < 0.6) && t - w[4] < 2.0;
        if fast {
            let wide =
                run.iter().filter(|m| qrs_width(lead, m.index).is_some_and(|x| x >= VENTRICULAR_WIDTH_S)).count();
            if wide >= 4 {
                out.insert(ArrhythmiaKind::VentricularTachycardia, w[0]);
            }
        }
    }
    // Flutter/fibrillation: the last 4 s of some lead.
    for c in &leads {
        let x = c.filtered(t - 4.0, t);
        if x.len() < (3.5 * c.fs) as usize {
            continue;
        }
        let n = x.len() as f64;
        let mean = x.iter().map(|&v| v as f64).sum::<f64>() / n;
        let sd = (x.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n).sqrt();
        if sd < 0.08 {
            continue;
        }
        let kurt = x.iter().map(|&v| ((v as f64 - mean) / sd).powi(4)).sum::<f64>() / n;
        let crossings = x.windows(2).filter(|w| (w[0] as f64 - mean) * (w[1] as f64 - mean) < 0.0).count();
        let hz = crossings as f64 / 2.0 / (n / c.fs);
        if kurt < 2.5 && (2.5..=9.0).contains(&hz) {
            out.insert(ArrhythmiaKind::VentricularFlutterFib, t - 4.0);
            // Flutter read as a run of wide complexes is the same event: the
            // graver name stands alone.
            out.remove(&ArrhythmiaKind::VentricularTachycardia);
            break;
        }
    }
    out
}

/// Seconds a condition must be absent before it ends (so a condition that
/// flickers at the edge of its definition is one alarm, not many).
pub const HOLD_S: f64 = 3.0;

/// Tracks which conditions hold and reports their edges.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RhythmDetector {
    /// Active conditions: onset, and when last seen holding.
    active: BTreeMap<ArrhythmiaKind, (f64, f64)>,
}

impl RhythmDetector {
    pub fn new() -> RhythmDetector {
        RhythmDetector::default()
    }

    /// The conditions now active, with their onsets.
    pub fn active(&self) -> BTreeMap<ArrhythmiaKind, f64> {
        self.active.iter().map(|(k, (onset, _))| (*k, *onset)).collect()
    }

    /// Evaluates at `t` and returns what began and what ended.
    pub fn evaluate(&mut self, monitor: &RhythmMonitor, t: f64) -> Vec<Edge> {
        let now = conditions(monitor, t);
        let mut edges = Vec::new();
        for (&kind, &onset) in &now {
            match self.active.get_mut(&kind) {
                Some(seen) => seen.1 = t,
                None => {
                    self.active.insert(kind, (onset, t));
                    edges.push(Edge::Began { kind, onset });
                }
            }
        }
        self.active.retain(|&kind, &mut (_, seen)| {
            let gone = !now.contains_key(&kind) && t - seen >= HOLD_S;
            if gone {
                edges.push(Edge::Ended { kind, at: seen });
            }
            !gone
        });
        edges
    }

    /// Forgets everything (a gap in the signal).
    pub fn reset(&mut self) {
        self.active.clear();
    }
}
