//! Geometry of a sweeping waveform, as bedside monitors draw it: a cursor
//! moves left to right at a fixed paper speed, new trace is written at the
//! cursor, the old trace ahead of it stays until overwritten, and a small gap
//! just ahead of the cursor shows where the sweep is.

use std::collections::VecDeque;

/// 25 mm/s at 96 CSS px per inch (3.78 px/mm).
pub const PX_PER_S_25MM: f64 = 25.0 * 96.0 / 25.4;

#[derive(Debug, Clone, PartialEq)]
pub struct Sweep {
    /// Runs of (x px, value) to join with lines; a break between runs is a
    /// wrap of the sweep or missing data.
    pub runs: Vec<Vec<(f64, f32)>>,
    pub cursor_x: f64,
}

/// Lays out `samples` (newest last, the newest ending at device time `end_t`)
/// at display time `display_t` on a `width_px` wide strip.
pub fn layout(
    samples: &VecDeque<f32>,
    rate_hz: f64,
    end_t: i64,
    display_t: f64,
    width_px: f64,
    px_per_s: f64,
    gap_px: f64,
) -> Sweep {
    let window_ms = width_px / px_per_s * 1000.0;
    let gap_ms = gap_px / px_per_s * 1000.0;
    let step_ms = 1000.0 / rate_hz;
    let n = samples.len();
    let oldest_shown = display_t - window_ms + gap_ms;
    let x_of = |t: f64| t.rem_euclid(window_ms) / window_ms * width_px;
    let mut runs: Vec<Vec<(f64, f32)>> = Vec::new();
    let mut current: Vec<(f64, f32)> = Vec::new();
    // First sample index with t > oldest_shown.
    let first = {
        let back = ((end_t as f64 - oldest_shown) / step_ms).floor();
        n.saturating_sub(back.max(0.0) as usize)
    };
    for (i, &v) in samples.iter().enumerate().skip(first) {
        let t = end_t as f64 - (n - i) as f64 * step_ms;
        if t > display_t {
            break;
        }
        if t <= oldest_shown || v.is_nan() {
            if !current.is_empty() {
                runs.push(std::mem::take(&mut current));
            }
            continue;
        }
        let x = x_of(t);
        if current.last().is_some_and(|&(px, _)| x < px) {
            runs.push(std::mem::take(&mut current));
        }
        current.push((x, v));
    }
    if !current.is_empty() {
        runs.push(current);
    }
    Sweep { runs, cursor_x: x_of(display_t) }
}

/// Lowest and highest finite value, for auto-scaling.
pub fn value_range<'a>(values: impl Iterator<Item = &'a f32>) -> Option<(f32, f32)> {
    values.filter(|v| v.is_finite()).fold(None, |acc, &v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(n: usize) -> VecDeque<f32> {
        (0..n).map(|i| i as f32).collect()
    }

    #[test]
    fn a_full_window_wraps_into_two_runs_with_a_gap_at_the_cursor() {
        // 100 px at 100 px/s = a 1 s window; 10 Hz; 30 samples, the last at t = 2900.
        let s = layout(&ring(30), 10.0, 3000, 2450.0, 100.0, 100.0, 10.0);
        assert!((s.cursor_x - 45.0).abs() < 1e-9);
        assert_eq!(s.runs.len(), 2);
        let xs: Vec<f64> = s.runs.iter().flatten().map(|p| p.0).collect();
        // old trace to the right of the cursor, new trace up to it, nothing in the gap
        assert!(xs.iter().all(|&x| !(x > 45.0 + 1e-9 && x < 55.0 - 1e-9)), "{xs:?}");
        assert!((s.runs[0][0].0 - 60.0).abs() < 1e-9);
        // the newest sample shown is the last one at or before display time
        assert_eq!(s.runs[1].last().unwrap().1, 24.0);
    }

    #[test]
    fn missing_samples_break_the_trace() {
        let mut r = ring(10);
        r[5] = f32::NAN;
        let s = layout(&r, 10.0, 1000, 1000.0, 1000.0, 100.0, 0.0);
        assert_eq!(s.runs.len(), 2);
        assert_eq!(s.runs[0].len(), 5);
        assert_eq!(s.runs[1].len(), 4);
    }

    #[test]
    fn paper_speed_is_25_mm_per_second_at_css_resolution() {
        assert!((PX_PER_S_25MM - 94.488).abs() < 1e-3);
        assert_eq!(value_range([1.0, f32::NAN, -2.0].iter()), Some((-2.0, 1.0)));
    }
}
