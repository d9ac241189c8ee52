//! What one channel showed over a window before an alarm: its beats, rates,
//! gaps, and how trustworthy the signal was.

use super::detect::{median_beat, width_at};
use super::monitor::{Channel, ChannelKind, Mark};

/// Summary of one channel over `[from, to)`.
#[derive(Debug, Clone)]
pub struct Summary {
    pub kind: ChannelKind,
    pub name: String,
    pub from: f64,
    pub to: f64,
    /// Fraction of the window's one-second blocks that are flat, invalid or missing.
    pub flat: f64,
    pub beats: Vec<Mark>,
    /// Longest interval with no beat, counting the window's edges.
    pub max_gap: f64,
    /// Median heart (pulse) rate /min from the intervals, if two beats or more.
    pub rate: Option<f64>,
    /// Lowest rate over any 4 consecutive intervals (5 beats).
    pub min_rate5: Option<f64>,
    /// Highest rate over any 4 consecutive intervals (5 beats).
    pub max_rate5: Option<f64>,
    /// Highest rate over any 16 consecutive intervals (17 beats), else over all.
    pub max_rate17: Option<f64>,
    /// Coefficient of variation of the intervals.
    pub rr_cv: f64,
    /// Mean correlation of each beat with the channel's average beat (0-1).
    pub template: f64,
    /// Kurtosis of the filtered signal (ECG: high when QRS complexes stand out of it).
    pub kurtosis: f64,
    /// Coefficient of variation of pulse heights (pulse channels).
    pub size_cv: f64,
    /// ECG only: QRS width (s) of the window's median beat, once
    /// [`Summary::measure_width`] has measured it.
    pub width: Option<f64>,
    /// Median beat size: pulse height in the channel's units (mmHg for ABP),
    /// relative QRS strength on ECG.
    pub size: f64,
    /// ECG only, with the width: how much the signal midway between two
    /// detected beats looks like the median beat (median slope correlation,
    /// 0-1). Near 1 when a complex the detector missed sits between every
    /// two it found: a rhythm read at half its rate.
    pub hidden: Option<f64>,
}

/// The smallest arterial pulse pressure (mmHg) that is a heartbeat: below it
/// the arterial line shows no output (ripple, a damped line, chest movement).
pub const MIN_ARTERIAL_PULSE: f64 = 10.0;

impl Summary {
    /// Measures the QRS width of the window's median beat (ECG), which the
    /// check needs and the detector's frequent summaries do not.
    pub fn measure_width(mut self, channel: &Channel) -> Summary {
        if channel.kind == ChannelKind::Ecg {
            let beat = median_beat(channel, &self.beats);
            self.width = beat.as_deref().and_then(|b| width_at(b, channel.fs));
            self.hidden = beat.and_then(|b| hidden_complexes(channel, &self.beats, &b));
        }
        self
    }

    /// The channel carries a signal over the window: not flat, and for an
    /// arterial line, pulses big enough to be heartbeats.
    pub fn live(&self) -> bool {
        self.flat < 0.2 && (self.kind != ChannelKind::Abp || self.size >= MIN_ARTERIAL_PULSE)
    }
}

fn rate_over(rr: &[f64], k: usize) -> (Option<f64>, Option<f64>) {
    if rr.is_empty() {
        return (None, None);
    }
    let k = k.min(rr.len());
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for w in rr.windows(k) {
        let r = 60.0 * k as f64 / w.iter().sum::<f64>();
        lo = lo.min(r);
        hi = hi.max(r);
    }
    (Some(lo), Some(hi))
}

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 { v[m] } else { 0.5 * (v[m - 1] + v[m]) })
}

fn mean_sd(v: &[f64]) -> (f64, f64) {
    if v.is_empty() {
        return (0.0, 0.0);
    }
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    (m, (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n).sqrt())
}

/// Mean Pearson correlation of each segment with the average segment.
fn template_agreement(segments: &[Vec<f32>]) -> f64 {
    let len = segments.iter().map(Vec::len).min().unwrap_or(0);
    if segments.len() < 2 || len < 4 {
        return 0.0;
    }
    let mut avg = vec![0.0f64; len];
    for s in segments {
        for (a, &v) in avg.iter_mut().zip(s) {
            *a += v as f64 / segments.len() as f64;
        }
    }
    let corr = |s: &[f32]| {
        let (ma, _) = mean_sd(&avg);
        let ms = s[..len].iter().map(|&v| v as f64).sum::<f64>() / len as f64;
        let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
        for (a, &b) in avg.iter().zip(&s[..len]) {
            let (da, db) = (a - ma, b as f64 - ms);
            sab += da * db;
            saa += da * da;
            sbb += db * db;
        }
        if saa <= 0.0 || sbb <= 0.0 {
            0.0
        } else {
            sab / (saa * sbb).sqrt()
        }
    };
    segments.iter().map(|s| corr(s).max(0.0)).sum::<f64>() / segments.len() as f64
}

/// Summarises `channel` over `[from, to)`.
pub fn summarise(channel: &Channel, from: f64, to: f64) -> Summary {
    let beats = channel.marks(from, to);
    let raw = channel.raw(from, to);
    let fs = channel.fs;
    let expected = ((to - from) * fs).round().max(1.0) as usize;
    // Flat or invalid one-second blocks; samples not received count as flat.
    let block = (fs as usize).max(1);
    let blocks = expected.div_ceil(block);
    // Half a second or more not received counts as a flat block.
    let missing_blocks = (expected.saturating_sub(raw.len()) + block / 2) / block;
    let eps = match channel.kind {
        ChannelKind::Ecg => 0.02,
        ChannelKind::Abp => 2.0,
        ChannelKind::Ppg => 1e-4,
    };
    let mut flat_blocks = missing_blocks;
    for b in raw.chunks(block) {
        let valid: Vec<f32> = b.iter().copied().filter(|v| v.is_finite()).collect();
        let lo = valid.iter().copied().fold(f32::INFINITY, f32::min);
        let hi = valid.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let spread = if hi >= lo { hi - lo } else { 0.0 };
        if valid.len() < b.len() / 2 || spread <= eps {
            flat_blocks += 1;
        }
    }
    let flat = (flat_blocks as f64 / blocks.max(1) as f64).min(1.0);

    let times: Vec<f64> = beats.iter().map(|m| m.t).collect();
    let mut max_gap: f64 = 0.0;
    let mut prev = from;
    for &t in &times {
        max_gap = max_gap.max(t - prev);
        prev = t;
    }
    max_gap = max_gap.max(to - prev);
    let rr: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    let rate = median(&mut rr.iter().map(|r| 60.0 / r).collect::<Vec<_>>());
    let (min_rate5, max_rate5) = rate_over(&rr, 4);
    let (_, max_rate17) = rate_over(&rr, 16);
    let (m, sd) = mean_sd(&rr);
    let rr_cv = if m > 0.0 { sd / m } else { 0.0 };

    let filtered = channel.filtered(from, to);
    let first = channel.index_at(from);
    let (pre, post) = match channel.kind {
        ChannelKind::Ecg => (0.1, 0.1),
        _ => (0.1, 0.35),
    };
    let segments: Vec<Vec<f32>> = beats
        .iter()
        .filter_map(|b| {
            let a = b.index.checked_sub((pre * fs) as u64)?.checked_sub(first)? as usize;
            let e = a + ((pre + post) * fs) as usize;
            filtered.get(a..e).map(<[f32]>::to_vec)
        })
        .collect();
    let template = template_agreement(&segments);
    let vals: Vec<f64> = filtered.iter().filter(|v| v.is_finite()).map(|&v| v as f64).collect();
    let (fm, fsd) = mean_sd(&vals);
    let kurtosis =
        if fsd > 0.0 { vals.iter().map(|v| ((v - fm) / fsd).powi(4)).sum::<f64>() / vals.len() as f64 } else { 0.0 };
    let sizes: Vec<f64> = beats.iter().map(|b| b.size as f64).collect();
    let (sm, ssd) = mean_sd(&sizes);
    let size = median(&mut sizes.clone()).unwrap_or(0.0);
    let size_cv = if sm > 0.0 { ssd / sm } else { 0.0 };
    Summary {
        kind: channel.kind,
        name: channel.name.clone(),
        from,
        to,
        flat,
        beats,
        max_gap,
        rate,
        min_rate5,
        max_rate5,
        max_rate17,
        rr_cv,
        template,
        kurtosis,
        size_cv,
        width: None,
        size,
        hidden: None,
    }
}

/// The median, over consecutive beat pairs, of the correlation between the
/// slope of the median beat (`beat`, as [`median_beat`] cuts it) and the
/// slope of the signal cut the same way around the pair's midpoint. Slopes,
/// not levels: a T wave is a slow hump, a QRS complex a fast swing. Exactly
/// midway: a regular rhythm read at half its rate hides its complexes there.
/// (Searching 100 ms either side also matched P and T waves on real leads
/// and kept 4 more of the 550 false V-tach alarms.)
fn hidden_complexes(channel: &Channel, beats: &[Mark], beat: &[f32]) -> Option<f64> {
    let slope = |x: &[f32]| x.windows(2).map(|w| (w[1] - w[0]) as f64).collect::<Vec<f64>>();
    let reference = slope(beat);
    let mut corrs: Vec<f64> = beats
        .windows(2)
        .filter_map(|w| {
            let mid = (w[0].t + w[1].t) / 2.0;
            let x = channel.filtered(mid - 0.25, mid + 0.2);
            (x.len() >= beat.len()).then(|| pearson(&reference, &slope(&x[..beat.len()])).max(0.0))
        })
        .collect();
    median(&mut corrs)
}

pub(super) fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let (ma, sa) = mean_sd(a);
    let (mb, sb) = mean_sd(b);
    if sa <= 0.0 || sb <= 0.0 {
        return 0.0;
    }
    a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum::<f64>() / (a.len() as f64 * sa * sb)
}
