//! The patient's usual beat on an ECG lead and whether it carries on through
//! the window before an alarm.
//!
//! The usual beat is the lead's median beat over the 14 s before the check's
//! 16 s window. Every complex detected in the window is compared with it: a
//! ventricular run is five or more complexes in a row unlike it, and a run
//! the detector missed leaves a pause in it.

use super::check::LONG_S;
use super::detect::median_beat;
use super::monitor::{Channel, ChannelKind, KEEP_S};
use super::summary::{pearson, summarise};

/// Correlation with the usual beat (its 450 ms around the R wave) from which
/// a detected complex is that beat.
pub const SAME_BEAT: f64 = 0.9;

/// The usual beat of one lead and how it carried on through the window.
#[derive(Debug, Clone, PartialEq)]
pub struct Dominant {
    /// Before the window: the rate of the usual rhythm (/min), its beats'
    /// agreement in shape (0-1), whether the lead carried a signal, and the
    /// QRS width of the usual beat (s).
    pub rate: Option<f64>,
    pub template: f64,
    pub live: bool,
    pub width: Option<f64>,
    /// Complexes detected in the window, and how many were the usual beat.
    pub beats: usize,
    pub usual: usize,
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
        live: before.live(),
        width: before.width,
        beats: marks.len(),
        usual: usual.iter().filter(|&&u| u).count(),
        longest_other_run,
        max_gap: max_gap.max(at - prev),
    })
}
