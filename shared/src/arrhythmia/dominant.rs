//! The patient's usual beat on an ECG lead and whether it carries on through
//! the window before an alarm.
//!
//! The usual beat is the lead's median beat over the 14 s before the check's
//! 16 s window. Every complex detected in the window is compared with it: a
//! ventricular run is five or more complexes in a row unlike it, and a run
//! the detector missed leaves a pause in it.

use super::check::{Evidence, LONG_S, MIN_QRS_KURTOSIS};
use super::detect::median_beat;
use super::monitor::{Channel, ChannelKind, KEEP_S};
use super::summary::{pearson, summarise, Summary};

/// Correlation with the usual beat (its 450 ms around the R wave) from which
/// a detected complex is that beat.
pub const SAME_BEAT: f64 = 0.9;

/// The beat-shape agreement before the window that makes a lead's usual
/// beat well defined.
pub const USUAL_TEMPLATE: f64 = 0.8;

/// Longest pause (s) in the usual QRS that refutes V-fib: fixed, half the
/// 4 s of its definition whatever pause the other V-fib rule is tuned to.
pub const VF_USUAL_GAP_S: f64 = 2.0;

/// Rate (/min) from which a regular wave is flutter, not a usual beat.
pub const FLUTTER_RATE: f64 = 150.0;

/// The usual beat of one lead and how it carried on through the window.
#[derive(Debug, Clone, PartialEq)]
pub struct Dominant {
    /// Before the window: the rate of the usual rhythm (/min), its beats'
    /// agreement in shape (0-1), whether the lead carried a signal through
    /// (no more than a tenth of it flat or not yet received), and the QRS
    /// width of the usual beat (s).
    pub rate: Option<f64>,
    pub template: f64,
    pub live: bool,
    pub width: Option<f64>,
    /// Kurtosis of the lead's filtered signal before the window: high when
    /// its beats are QRS spikes, about 1.5-3 for a smooth wave.
    pub kurtosis: f64,
    /// Complexes detected in the window, and how many were the usual beat.
    pub beats: usize,
    pub usual: usize,
    /// The fastest rate (/min) of 5 usual beats in a row in the window: a
    /// run of complexes that look like the usual beat on this lead but come
    /// faster than its rhythm (a VT can look like it on one lead).
    pub usual_rate5: Option<f64>,
    /// Most complexes in a row in the window unlike the usual beat.
    pub longest_other_run: usize,
    /// Longest interval (s) of the window with no usual beat, its edges counted.
    pub max_gap: f64,
}

/// The usual beat of ECG lead `channel` before the 16 s window ending at
/// `at`, and how it carried on through the window; `None` for a pulse
/// channel or a lead with fewer than 3 beats before the window.
pub fn carrying_on(channel: &Channel, at: f64) -> Option<Dominant> {
    if channel.kind != ChannelKind::Ecg {
        return None;
    }
    let (from, to) = (at - KEEP_S, at - LONG_S);
    let before = summarise(channel, from, to).measure_width(channel);
    let beat = median_beat(channel, &before.beats)?;
    let to_f64 = |x: &[f32]| x.iter().map(|&v| v as f64).collect::<Vec<f64>>();
    let reference = to_f64(&beat);
    let marks = channel.marks(to, at);
    let usual: Vec<bool> = marks
        .iter()
        .map(|m| {
            let x = channel.filtered(m.t - 0.25, m.t + 0.2);
            x.len() >= beat.len() && pearson(&reference, &to_f64(&x[..beat.len()])) >= SAME_BEAT
        })
        .collect();
    let times: Vec<f64> = marks.iter().zip(&usual).filter(|(_, &u)| u).map(|(m, _)| m.t).collect();
    let (mut run, mut longest_other_run) = (0, 0);
    let (mut prev, mut max_gap) = (to, 0.0f64);
    for (m, &same) in marks.iter().zip(&usual) {
        if same {
            run = 0;
            max_gap = max_gap.max(m.t - prev);
            prev = m.t;
        } else {
            run += 1;
            longest_other_run = longest_other_run.max(run);
        }
    }
    Some(Dominant {
        rate: before.rate,
        template: before.template,
        live: before.live() && before.flat < 0.1,
        width: before.width,
        kurtosis: before.kurtosis,
        beats: marks.len(),
        usual: usual.iter().filter(|&&u| u).count(),
        usual_rate5: times
            .windows(5)
            .map(|w| 240.0 / (w[4] - w[0]))
            .fold(None, |m: Option<f64>, r| Some(m.map_or(r, |m| m.max(r)))),
        longest_other_run,
        max_gap: max_gap.max(at - prev),
    })
}

/// The lead, not flat over the 16 s, on which the usual beat came through
/// them most often never more than [`VF_USUAL_GAP_S`] apart, that usual beat being
/// a QRS complex: alike before the window ([`USUAL_TEMPLATE`]), spikes
/// standing out of the signal, slower than flutter before and through the
/// window. A wave that is fibrillation, flutter or chest compressions before
/// the window is none.
pub fn usual_qrs_throughout(ev: &Evidence) -> Option<(&Summary, &Dominant)> {
    ev.long
        .iter()
        .zip(&ev.usual)
        .filter_map(|(s, d)| d.as_ref().map(|d| (s, d)))
        .filter(|(s, d)| {
            s.live()
                && s.flat < 0.1
                && d.live
                && d.template >= USUAL_TEMPLATE
                && d.kurtosis >= MIN_QRS_KURTOSIS
                && d.rate.is_some_and(|r| r < FLUTTER_RATE)
                && d.usual_rate5.is_none_or(|r| r < FLUTTER_RATE)
                && d.max_gap <= VF_USUAL_GAP_S
        })
        .max_by_key(|(_, d)| d.usual)
}
