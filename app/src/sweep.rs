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
    let strip = Strip { width_px, px_per_s };
    let oldest_shown = display_t - strip.window_ms() + gap_px / px_per_s * 1000.0;
    let runs = runs_between(samples, rate_hz, end_t, oldest_shown, display_t, strip);
    Sweep { runs, cursor_x: strip.x_of(display_t) }
}

/// The sweep's strip: its width and paper speed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Strip {
    pub width_px: f64,
    pub px_per_s: f64,
}

impl Strip {
    pub fn window_ms(&self) -> f64 {
        self.width_px / self.px_per_s * 1000.0
    }

    /// Where device time `t` is drawn.
    pub fn x_of(&self, t: f64) -> f64 {
        let w = self.window_ms();
        t.rem_euclid(w) / w * self.width_px
    }
}

/// The trace of the samples with `from_t < t <= to_t`, as runs to join with
/// lines (broken at a wrap or a missing sample).
pub fn runs_between(
    samples: &VecDeque<f32>,
    rate_hz: f64,
    end_t: i64,
    from_t: f64,
    to_t: f64,
    strip: Strip,
) -> Vec<Vec<(f64, f32)>> {
    let step_ms = 1000.0 / rate_hz;
    let n = samples.len();
    let mut runs: Vec<Vec<(f64, f32)>> = Vec::new();
    let mut current: Vec<(f64, f32)> = Vec::new();
    // First sample index with t > from_t.
    let first = {
        let back = ((end_t as f64 - from_t) / step_ms).floor();
        n.saturating_sub(back.max(0.0) as usize)
    };
    for (i, &v) in samples.iter().enumerate().skip(first) {
        let t = end_t as f64 - (n - i) as f64 * step_ms;
        if t > to_t {
            break;
        }
        if t <= from_t || v.is_nan() {
            if !current.is_empty() {
                runs.push(std::mem::take(&mut current));
            }
            continue;
        }
        let x = strip.x_of(t);
        if current.last().is_some_and(|&(px, _)| x < px) {
            runs.push(std::mem::take(&mut current));
        }
        current.push((x, v));
    }
    if !current.is_empty() {
        runs.push(current);
    }
    runs
}

/// What one animation frame of an incremental sweep must do, given what
/// the canvas already shows: everything drawn up to `drawn_t`.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Clear and draw the whole window (first frame, resize, a new scale, or
    /// the display time jumped).
    Full,
    /// Clear the strips (x from, x to) and draw the samples after `from_t`.
    Extend { clear: Vec<(f64, f64)>, from_t: f64 },
    /// Nothing moved.
    Nothing,
}

/// The step from a canvas showing the trace up to `drawn_t` to one showing
/// it up to `display_t`. Behind the cursor the canvas is already blank (the
/// last frame's gap), so only the gap's advance is cleared: from `gap_px`
/// ahead of the old cursor to `gap_px` ahead of the new one, widened to whole
/// device pixels (`dpr`) and split at the right edge. The trace is drawn
/// from the last sample already drawn, so the line stays joined. A jump
/// backwards, of more than `max_jump_ms`, or across the whole strip redraws
/// everything.
pub fn step(
    drawn_t: Option<f64>,
    display_t: f64,
    strip: Strip,
    gap_px: f64,
    rate_hz: f64,
    max_jump_ms: f64,
    dpr: f64,
) -> Step {
    let Some(drawn_t) = drawn_t else { return Step::Full };
    let dt = display_t - drawn_t;
    let gap_ms = gap_px / strip.px_per_s * 1000.0;
    if dt < 0.0 || dt > max_jump_ms || dt + gap_ms >= strip.window_ms() {
        return Step::Full;
    }
    if dt == 0.0 {
        return Step::Nothing;
    }
    let dpr = if dpr > 0.0 { dpr } else { 1.0 };
    let (x0, x1) =
        ((strip.x_of(drawn_t + gap_ms) * dpr).floor() / dpr, (strip.x_of(display_t + gap_ms) * dpr).ceil() / dpr);
    let clear = if x1 >= x0 { vec![(x0, x1)] } else { vec![(x0, strip.width_px), (0.0, x1)] };
    Step::Extend { clear, from_t: drawn_t - 1000.0 / rate_hz }
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
    fn an_incremental_sweep_draws_the_same_samples_as_a_full_one() {
        // 100 px at 100 px/s, 10 Hz, 40 samples ending at t = 4000; drawn
        // frame by frame from t = 2000 to 3900, 16 ms apart.
        let r = ring(40);
        let strip = Strip { width_px: 100.0, px_per_s: 100.0 };
        let (mut drawn, mut t) = (None, 2000.0);
        let mut on_canvas: std::collections::BTreeMap<i64, f32> = Default::default();
        while t <= 3900.0 {
            let runs = match step(drawn, t, strip, 10.0, 10.0, 500.0, 1.0) {
                Step::Full => {
                    on_canvas.clear();
                    layout(&r, 10.0, 4000, t, 100.0, 100.0, 10.0).runs
                }
                Step::Extend { clear, from_t } => {
                    on_canvas.retain(|&x, _| !clear.iter().any(|&(a, b)| (x as f64) > a && (x as f64) <= b));
                    runs_between(&r, 10.0, 4000, from_t, t, strip)
                }
                Step::Nothing => vec![],
            };
            for (x, v) in runs.into_iter().flatten() {
                on_canvas.insert(x.round() as i64, v);
            }
            drawn = Some(t);
            t += 16.0;
        }
        let t = t - 16.0;
        let full: std::collections::BTreeMap<i64, f32> = layout(&r, 10.0, 4000, t, 100.0, 100.0, 10.0)
            .runs
            .into_iter()
            .flatten()
            .map(|(x, v)| (x.round() as i64, v))
            .collect();
        assert_eq!(on_canvas, full);
    }

    #[test]
    fn a_jump_back_or_far_ahead_redraws_everything() {
        let strip = Strip { width_px: 100.0, px_per_s: 100.0 };
        let step = |drawn, t| step(drawn, t, strip, 10.0, 10.0, 500.0, 1.0);
        assert_eq!(step(None, 10.0), Step::Full);
        assert_eq!(step(Some(1000.0), 990.0), Step::Full);
        assert_eq!(step(Some(1000.0), 1600.0), Step::Full);
        assert_eq!(step(Some(1000.0), 1000.0), Step::Nothing);
        // A strip narrower than the jump plus the gap: redrawn whole.
        let narrow = Strip { width_px: 20.0, px_per_s: 100.0 };
        assert_eq!(super::step(Some(1000.0), 1150.0, narrow, 10.0, 10.0, 500.0, 1.0), Step::Full);
    }

    #[test]
    fn only_the_advance_of_the_gap_is_cleared_in_whole_device_pixels() {
        let strip = Strip { width_px: 100.0, px_per_s: 100.0 };
        let cleared = |drawn, t, dpr| match step(Some(drawn), t, strip, 10.0, 10.0, 500.0, dpr) {
            Step::Extend { clear, from_t } => (clear, from_t),
            other => panic!("{other:?}"),
        };
        let close = |a: &[(f64, f64)], b: &[(f64, f64)]| {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x.0 - y.0).abs() < 1e-9 && (x.1 - y.1).abs() < 1e-9)
        };
        // Cursor 40.0 -> 41.6 px with a 10 px gap: 50.0 .. 51.6 cleared,
        // widened to device pixels at dpr 2 (0.5 px): 50.0 .. 52.0. Drawing
        // starts from the last sample drawn (t = 300 at 10 Hz).
        let (clear, from_t) = cleared(400.0, 416.0, 2.0);
        assert!(close(&clear, &[(50.0, 52.0)]), "{clear:?}");
        assert_eq!(from_t, 300.0);
        // The gap ahead crosses the right edge: two strips.
        let (clear, _) = cleared(850.0, 925.0, 1.0);
        assert!(close(&clear, &[(95.0, 100.0), (0.0, 3.0)]), "{clear:?}");
    }

    #[test]
    fn paper_speed_is_25_mm_per_second_at_css_resolution() {
        assert!((PX_PER_S_25MM - 94.488).abs() < 1e-3);
        assert_eq!(value_range([1.0, f32::NAN, -2.0].iter()), Some((-2.0, 1.0)));
    }
}
