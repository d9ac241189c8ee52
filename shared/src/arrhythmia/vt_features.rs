//! The evidence of a V-tach alarm as a fixed list of numbers, for the learned
//! second look ([`super::vt_net`]) at the alarms the rules keep. Each feature
//! is a plain measure of the [`Evidence`] (no channel order: the most and the
//! least of the ECG leads, the best pulse), with a stated value when the
//! channel it needs is missing, so the same evidence always gives the same
//! numbers, natively and in the browser.

use super::check::Evidence;
use super::monitor::ChannelKind;
use super::summary::Summary;

/// The feature names, in order (the weights file records them too).
pub const NAMES: [&str; N_FEATURES] = [
    "ecg_leads",
    "ecg_template_max",
    "ecg_template_min",
    "ecg_kurtosis_max",
    "ecg_kurtosis_min",
    "ecg_width_max",
    "ecg_width_min",
    "ecg_rate5_max",
    "ecg_recent_rate5_max",
    "ecg_rr_cv_min",
    "ecg_flat_max",
    "ecg_hidden_max",
    "usual_template_max",
    "usual_share_max",
    "usual_share_min",
    "other_run_max",
    "other_run_min",
    "usual_gap_max",
    "pulse_live",
    "pulse_template",
    "pulse_rate",
    "pulse_rr_cv",
    "pulse_size_cv",
    "pulse_gap",
    "pulse_size_recent_ratio",
    "pulse_rate_recent_ratio",
    "ecg_to_pulse_rate",
];

pub const N_FEATURES: usize = 27;

/// Most and least of `f` over the ECG leads of `set` (`none` when there is no
/// value).
fn spread(set: &[Summary], f: impl Fn(&Summary) -> Option<f64>, none: f64) -> (f64, f64) {
    let v: Vec<f64> = set.iter().filter(|s| s.kind == ChannelKind::Ecg).filter_map(f).collect();
    if v.is_empty() {
        return (none, none);
    }
    (v.iter().copied().fold(f64::NEG_INFINITY, f64::max), v.iter().copied().fold(f64::INFINITY, f64::min))
}

/// The features of `ev` (any alarm type; meaningful for V-tach).
pub fn features(ev: &Evidence) -> [f32; N_FEATURES] {
    let leads = ev.long.iter().filter(|s| s.kind == ChannelKind::Ecg).count() as f64;
    let (tmpl_max, tmpl_min) = spread(&ev.long, |s| Some(s.template), 0.0);
    let (kurt_max, kurt_min) = spread(&ev.long, |s| Some(s.kurtosis.min(50.0)), 0.0);
    let (width_max, width_min) = spread(&ev.short, |s| s.width, 0.0);
    let (rate5_max, _) = spread(&ev.short, |s| s.max_rate5, 0.0);
    let (recent_max, _) = spread(&ev.recent, |s| s.max_rate5, 0.0);
    let (_, rr_cv_min) = spread(&ev.short, |s| s.beats.len().ge(&3).then_some(s.rr_cv), 1.0);
    let (flat_max, _) = spread(&ev.short, |s| Some(s.flat), 1.0);
    let (hidden_max, _) = spread(&ev.long, |s| s.hidden, 0.0);
    let usual: Vec<_> = ev.usual.iter().flatten().collect();
    let most = |f: &dyn Fn(&super::dominant::Dominant) -> f64, none: f64| {
        usual
            .iter()
            .map(|u| f(u))
            .fold(None, |m: Option<(f64, f64)>, v| Some(m.map_or((v, v), |(a, b)| (a.max(v), b.min(v)))))
            .unwrap_or((none, none))
    };
    let (u_tmpl_max, _) = most(&|u| u.template, 0.0);
    let (share_max, share_min) = most(&|u| u.usual as f64 / u.beats.max(1) as f64, 0.0);
    let (run_max, run_min) = most(&|u| (u.longest_other_run as f64).min(40.0), 40.0);
    let (gap_max, _) = most(&|u| u.max_gap.min(16.0), 16.0);
    let best = ev
        .short
        .iter()
        .enumerate()
        .filter(|(_, s)| s.kind.is_pulse() && s.beats.len() >= 3)
        .max_by(|(_, a), (_, b)| a.template.total_cmp(&b.template))
        .map(|(i, _)| i);
    let pulse = best.map(|i| &ev.short[i]);
    // How the pulse changed in the last 4 s against the 16 s: a run of VT
    // shrinks or quickens it, artefact on the ECG leaves it as it was.
    let (size_ratio, rate_ratio) = best
        .map(|i| {
            let (l, r) = (&ev.long[i], &ev.recent[i]);
            let size = if l.size > 0.0 && !r.beats.is_empty() { (r.size / l.size).min(3.0) } else { 0.0 };
            let rate = match (l.rate, r.rate) {
                (Some(l), Some(r)) if l > 0.0 => (r / l).min(3.0),
                _ => 0.0,
            };
            (size, rate)
        })
        .unwrap_or((0.0, 0.0));
    let (p_live, p_tmpl, p_rate, p_cv, p_size_cv, p_gap) = match pulse {
        Some(s) => (
            f64::from(u8::from(s.live())),
            s.template,
            s.rate.unwrap_or(0.0),
            s.rr_cv.min(2.0),
            s.size_cv.min(2.0),
            s.max_gap.min(8.0),
        ),
        None => (0.0, 0.0, 0.0, 1.0, 1.0, 8.0),
    };
    [
        leads,
        tmpl_max,
        tmpl_min,
        kurt_max,
        kurt_min,
        1000.0 * width_max,
        1000.0 * width_min,
        rate5_max.min(400.0),
        recent_max.min(400.0),
        rr_cv_min.min(2.0),
        flat_max,
        hidden_max,
        u_tmpl_max,
        share_max,
        share_min,
        run_max,
        run_min,
        gap_max,
        p_live,
        p_tmpl,
        p_rate.min(300.0),
        p_cv,
        p_size_cv,
        p_gap,
        size_ratio,
        rate_ratio,
        if p_rate > 0.0 { (rate5_max / p_rate).min(5.0) } else { 0.0 },
    ]
    .map(|v| v as f32)
}
