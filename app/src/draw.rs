//! Canvas drawing (hydrate only): waveform sweeps on every animation frame,
//! trend charts when the ward changes. Straight to the 2D canvas: plotters
//! would add to the bundle without drawing these faster.

use crate::components::trend_chart::TREND_ROWS;
use crate::components::waveform::{scale_for, Scale};
use crate::context::LiveContext;
use crate::sweep::{layout, runs_between, step, value_range, Step, Strip, PX_PER_S_25MM};
use leptos::prelude::WithValue;
use std::cell::RefCell;
use std::rc::Rc;
use vigil_shared::ward::BedState;
use vigil_shared::{VitalKind, WaveKind};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

/// The animation-frame callback, kept alive by itself while it runs.
type FrameCallback = Rc<RefCell<Option<Closure<dyn FnMut(f64)>>>>;

/// How far behind the newest sample the sweep draws, so that 250 ms chunks
/// arriving with network jitter still give a smooth sweep.
const PLAYOUT_DELAY_MS: f64 = 400.0;

pub fn colour(class: &str) -> &'static str {
    match class {
        "hr" => "#3ddc84",
        "spo2" => "#38d9f5",
        "bp" => "#ff6b6b",
        "rr" => "#ffd43b",
        _ => "#e6e6e6",
    }
}

fn context2d(el: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    el.get_context("2d").ok()??.dyn_into().ok()
}

/// Matches the canvas's pixel size to its CSS size; returns CSS width, height.
fn fit(el: &HtmlCanvasElement, ctx: &CanvasRenderingContext2d) -> (f64, f64) {
    let dpr = web_sys::window().map(|w| w.device_pixel_ratio()).unwrap_or(1.0);
    let (w, h) = (el.client_width().max(1) as f64, el.client_height().max(1) as f64);
    let (pw, ph) = ((w * dpr).round() as u32, (h * dpr).round() as u32);
    if el.width() != pw || el.height() != ph {
        el.set_width(pw);
        el.set_height(ph);
    }
    let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
    (w, h)
}

struct SweepState {
    /// Estimated (device time - tablet time) of the newest data, smoothed.
    offset: Option<f64>,
    seen_total: u64,
    /// Smoothed main-thread time of one draw, ms; published on the canvas as
    /// `data-draw-ms` every 10 frames so a tester can read what drawing costs.
    draw_ms: f64,
    frames: u32,
    /// What the canvas shows, if anything.
    drawn: Option<Drawn>,
}

/// What an incremental sweep has on its canvas: the trace up to device time
/// `t`, at this size and scale.
#[derive(Clone, Copy)]
struct Drawn {
    t: f64,
    size: (f64, f64, u32, u32),
    lo: f32,
    hi: f32,
}

/// The blank just ahead of the cursor, CSS px.
const GAP_PX: f64 = 14.0;

/// An auto-scaled trace's range, with a tenth of headroom on each side so
/// that a slowly drifting signal does not rescale (redraw) on every frame.
fn auto_range(runs: &[Vec<(f64, f32)>]) -> (f32, f32) {
    match value_range(runs.iter().flatten().map(|p| &p.1)) {
        Some((lo, hi)) if hi > lo => {
            let pad = (hi - lo) * 0.1;
            (lo - pad, hi + pad)
        }
        Some((lo, _)) => (lo - 1.0, lo + 1.0),
        None => (0.0, 1.0),
    }
}

/// Draws `kind` of `bed` on `el` on every animation frame until the canvas
/// leaves the page.
pub fn start_sweep(el: HtmlCanvasElement, live: LiveContext, bed: String, kind: WaveKind, class: &'static str) {
    let Some(ctx) = context2d(&el) else { return };
    let state = RefCell::new(SweepState { offset: None, seen_total: 0, draw_ms: 0.0, frames: 0, drawn: None });
    let perf = web_sys::window().and_then(|w| w.performance());
    let callback: FrameCallback = Rc::new(RefCell::new(None));
    let handle = callback.clone();
    *handle.borrow_mut() = Some(Closure::new(move |_ts: f64| {
        if !el.is_connected() {
            // Dropping the closure from inside itself is fine once it returns.
            let _ = callback.borrow_mut().take();
            return;
        }
        let now = js_sys::Date::now();
        let started = perf.as_ref().map(|p| p.now());
        let (w, h) = fit(&el, &ctx);
        let drew = live.ward.with_value(|ward| {
            let mut st = state.borrow_mut();
            let Some(ring) = ward.bed(&bed).and_then(|b| b.wave(kind)) else {
                if st.drawn.take().is_some() {
                    ctx.clear_rect(0.0, 0.0, w, h);
                }
                return false;
            };
            if ring.total() != st.seen_total {
                if ring.total() < st.seen_total {
                    st.drawn = None; // a new recording: start again
                }
                st.seen_total = ring.total();
                let _ = el.set_attribute("data-samples", &ring.total().to_string());
                let measured = ring.end_t() as f64 - now;
                st.offset = Some(match st.offset {
                    Some(o) if (measured - o).abs() < 2_000.0 => o.max(measured) * 0.2 + o * 0.8,
                    _ => measured,
                });
            }
            let display_t = (now + st.offset.unwrap_or(0.0) - PLAYOUT_DELAY_MS).min(ring.end_t() as f64);
            let strip = Strip { width_px: w, px_per_s: PX_PER_S_25MM };
            let size = (w, h, el.width(), el.height());
            let drawn = st.drawn.filter(|d| d.size == size);
            let (samples, rate, end_t) = (ring.samples(), ring.rate_hz(), ring.end_t());
            // Only the strip the cursor moved over is drawn again: a full
            // redraw of three sweeps at 60 frames a second cost a third of a
            // core of main-thread time in software-rendered Chromium.
            let dpr = f64::from(el.width()) / w.max(1.0);
            let mut plan = step(drawn.map(|d| d.t), display_t, strip, GAP_PX, rate, 500.0, dpr);
            let mut runs = Vec::new();
            if let (Step::Extend { clear, from_t }, Some(d)) = (&plan, drawn) {
                runs = runs_between(samples, rate, end_t, *from_t, display_t, strip);
                let out_of_scale = matches!(scale_for(kind), Scale::Auto)
                    && value_range(runs.iter().flatten().map(|p| &p.1)).is_some_and(|(lo, hi)| lo < d.lo || hi > d.hi);
                // Once a sweep (as the gap wraps) an auto-scaled trace is
                // fitted again if its range moved by more than 15 %.
                let refit = matches!(scale_for(kind), Scale::Auto) && clear.len() == 2 && {
                    let (lo, hi) = auto_range(&layout(samples, rate, end_t, display_t, w, PX_PER_S_25MM, GAP_PX).runs);
                    let span = d.hi - d.lo;
                    ((hi - lo) - span).abs() > 0.15 * span || ((hi + lo) - (d.hi + d.lo)).abs() / 2.0 > 0.15 * span
                };
                if out_of_scale || refit {
                    plan = Step::Full;
                }
            }
            let (lo, hi) = match (&plan, drawn) {
                (Step::Full, _) | (_, None) => {
                    runs = layout(samples, rate, end_t, display_t, w, PX_PER_S_25MM, GAP_PX).runs;
                    match scale_for(kind) {
                        Scale::Fixed(lo, hi) => (lo, hi),
                        Scale::Auto => auto_range(&runs),
                    }
                }
                (_, Some(d)) => (d.lo, d.hi),
            };
            match &plan {
                Step::Nothing => return false,
                Step::Full => ctx.clear_rect(0.0, 0.0, w, h),
                Step::Extend { clear, .. } => {
                    for &(x0, x1) in clear {
                        ctx.clear_rect(x0, 0.0, x1 - x0, h);
                    }
                }
            }
            st.drawn = Some(Drawn { t: display_t, size, lo, hi });
            let margin = 4.0;
            let y = |v: f32| margin + (1.0 - ((v - lo) / (hi - lo)).clamp(0.0, 1.0) as f64) * (h - 2.0 * margin);
            ctx.set_stroke_style_str(colour(class));
            ctx.set_line_width(1.6);
            // Round ends, so that the pieces drawn frame by frame join smoothly.
            ctx.set_line_cap("round");
            ctx.set_line_join("round");
            ctx.begin_path();
            for run in &runs {
                if let Some(&(x0, v0)) = run.first() {
                    ctx.move_to(x0, y(v0));
                    for &(x, v) in &run[1..] {
                        ctx.line_to(x, y(v));
                    }
                }
            }
            ctx.stroke();
            true
        });
        if let (true, Some(p), Some(t0)) = (drew, perf.as_ref(), started) {
            let mut st = state.borrow_mut();
            st.draw_ms = st.draw_ms * 0.95 + (p.now() - t0) * 0.05;
            st.frames += 1;
            if st.frames.is_multiple_of(10) {
                let _ = el.set_attribute("data-draw-ms", &format!("{:.3}", st.draw_ms));
                // Frames drawn so far: a tester's frames per second of the sweep.
                let _ = el.set_attribute("data-frames", &st.frames.to_string());
            }
        }
        if let Some(cb) = callback.borrow().as_ref() {
            request_frame(cb);
        }
    }));
    if let Some(cb) = handle.borrow().as_ref() {
        request_frame(cb);
    };
}

fn request_frame(cb: &Closure<dyn FnMut(f64)>) {
    if let Some(w) = web_sys::window() {
        let _ = w.request_animation_frame(cb.as_ref().unchecked_ref());
    }
}

/// The last hour of a bed's numerics: one lane per parameter, a line every
/// ten minutes, now at the right edge.
/// Writes a trend lane's scale; returns the lane's top.
fn lane_labels(ctx: &CanvasRenderingContext2d, lane: usize, lane_h: f64, lo: f64, hi: f64) -> f64 {
    let top = lane as f64 * lane_h;
    ctx.set_fill_style_str("#8a93a0");
    let _ = ctx.fill_text(&format!("{hi:.0}"), 4.0, top + 12.0);
    let _ = ctx.fill_text(&format!("{lo:.0}"), 4.0, top + lane_h - 4.0);
    top
}

/// Left margin of the trend charts (the scale labels), CSS px.
pub const TREND_LEFT: f64 = 44.0;

/// A long trend from the server: per lane a min-max band and the mean line,
/// a missing bucket drawn as a gap. Publishes `data-buckets`.
pub fn long_trend(el: &HtmlCanvasElement, d: &crate::components::history::TrendData) {
    let Some(ctx) = context2d(el) else { return };
    let (w, h) = fit(el, &ctx);
    ctx.clear_rect(0.0, 0.0, w, h);
    let left = TREND_LEFT;
    let span = (d.to - d.from).max(1) as f64;
    let step_ms = (d.step * 1000).max(1);
    let x = |t: f64| left + (w - left) * ((t - d.from as f64) / span).clamp(0.0, 1.0);
    let lane_h = h / TREND_ROWS.len() as f64;
    ctx.set_font("11px system-ui, sans-serif");
    // An hour grid (every 6 h beyond a day).
    let every = if span > 86_400_000.0 { 6 * 3_600_000 } else { 3_600_000 };
    ctx.set_stroke_style_str("#2b3038");
    ctx.set_line_width(1.0);
    let mut g = (d.from / every + 1) * every;
    while g < d.to {
        ctx.begin_path();
        ctx.move_to(x(g as f64), 0.0);
        ctx.line_to(x(g as f64), h);
        ctx.stroke();
        ctx.set_fill_style_str("#8a93a0");
        let _ = ctx.fill_text(&crate::format::clock(g, 0)[..5], x(g as f64) + 2.0, h - 2.0);
        g += every;
    }
    let mut drawn = 0usize;
    for (i, (kind, class, lo, hi)) in TREND_ROWS.iter().enumerate() {
        let top = lane_labels(&ctx, i, lane_h, *lo, *hi);
        let kind = match kind {
            VitalKind::NibpSys if d.series.contains_key(&VitalKind::ArtSys) => VitalKind::ArtSys,
            k => *k,
        };
        let Some(buckets) = d.series.get(&kind) else { continue };
        let y = |v: f64| top + 4.0 + (1.0 - ((v - lo) / (hi - lo)).clamp(0.0, 1.0)) * (lane_h - 8.0);
        let bw = ((w - left) * step_ms as f64 / span).max(1.0);
        ctx.set_global_alpha(0.35);
        ctx.set_fill_style_str(colour(class));
        for b in buckets {
            let (top_y, bottom_y) = (y(b[3]), y(b[2]));
            ctx.fill_rect(x(b[0]), top_y, bw, (bottom_y - top_y).max(1.0));
        }
        ctx.set_global_alpha(1.0);
        ctx.set_stroke_style_str(colour(class));
        ctx.set_line_width(1.4);
        ctx.begin_path();
        let mut prev: Option<f64> = None;
        for b in buckets {
            let (px, py) = (x(b[0]) + bw / 2.0, y(b[1]));
            if prev.is_none_or(|p| b[0] - p > 1.5 * step_ms as f64) {
                ctx.move_to(px, py);
            } else {
                ctx.line_to(px, py);
            }
            prev = Some(b[0]);
        }
        ctx.stroke();
        drawn += buckets.len();
    }
    let _ = el.set_attribute("data-buckets", &drawn.to_string());
}

/// One page of full disclosure: the stored chunks of `from..to`, gaps left
/// empty. Publishes `data-samples`.
pub fn strip(
    el: &HtmlCanvasElement,
    chunks: &[crate::components::history::Chunk],
    from: i64,
    to: i64,
    kind: WaveKind,
    class: &str,
) {
    let Some(ctx) = context2d(el) else { return };
    let (w, h) = fit(el, &ctx);
    ctx.clear_rect(0.0, 0.0, w, h);
    // One-second grid, as on paper.
    ctx.set_stroke_style_str("#2b3038");
    ctx.set_line_width(1.0);
    let span = (to - from).max(1) as f64;
    let mut s = from.div_euclid(1000) * 1000 + 1000;
    while s < to {
        let gx = (s - from) as f64 / span * w;
        ctx.begin_path();
        ctx.move_to(gx, 0.0);
        ctx.line_to(gx, h);
        ctx.stroke();
        s += 1000;
    }
    let (lo, hi) = match scale_for(kind) {
        Scale::Fixed(lo, hi) => (f64::from(lo), f64::from(hi)),
        Scale::Auto => {
            let all = chunks.iter().flat_map(|c| c.samples.iter().copied());
            let (lo, hi) = all.fold((f32::INFINITY, f32::NEG_INFINITY), |(l, u), v| (l.min(v), u.max(v)));
            if lo.is_finite() && hi > lo {
                (f64::from(lo), f64::from(hi))
            } else {
                (0.0, 1.0)
            }
        }
    };
    let y = |v: f32| 2.0 + (1.0 - ((f64::from(v) - lo) / (hi - lo)).clamp(0.0, 1.0)) * (h - 4.0);
    ctx.set_stroke_style_str(colour(class));
    ctx.set_line_width(1.2);
    ctx.begin_path();
    let mut count = 0usize;
    let mut last_t: Option<f64> = None;
    for c in chunks {
        let period = 1000.0 / c.rate_hz;
        for (i, &v) in c.samples.iter().enumerate() {
            let t = c.t0 as f64 + i as f64 * period;
            let px = (t - from as f64) / span * w;
            if last_t.is_none_or(|lt| t - lt > 2.5 * period) {
                ctx.move_to(px, y(v));
            } else {
                ctx.line_to(px, y(v));
            }
            last_t = Some(t);
            count += 1;
        }
    }
    ctx.stroke();
    let _ = el.set_attribute("data-samples", &count.to_string());
}

pub fn trends(el: &HtmlCanvasElement, bed: &BedState) {
    let Some(ctx) = context2d(el) else { return };
    let (w, h) = fit(el, &ctx);
    ctx.clear_rect(0.0, 0.0, w, h);
    let now = js_sys::Date::now() as i64;
    let span = vigil_shared::ward::TREND_WINDOW_MS;
    let left = TREND_LEFT;
    let lane_h = h / TREND_ROWS.len() as f64;
    ctx.set_font("11px system-ui, sans-serif");
    ctx.set_stroke_style_str("#2b3038");
    ctx.set_line_width(1.0);
    for m in (0..=60).step_by(10) {
        let x = left + (w - left) * (1.0 - m as f64 / 60.0);
        ctx.begin_path();
        ctx.move_to(x, 0.0);
        ctx.line_to(x, h);
        ctx.stroke();
    }
    for (i, (kind, class, lo, hi)) in TREND_ROWS.iter().enumerate() {
        let top = lane_labels(&ctx, i, lane_h, *lo, *hi);
        // Blood pressure: the arterial line when there is one.
        let kind = match kind {
            VitalKind::NibpSys if bed.trend(VitalKind::ArtSys).is_some() => &VitalKind::ArtSys,
            k => k,
        };
        let Some(trend) = bed.trend(*kind) else { continue };
        let y = |v: f64| top + 4.0 + (1.0 - ((v - lo) / (hi - lo)).clamp(0.0, 1.0)) * (lane_h - 8.0);
        ctx.set_stroke_style_str(colour(class));
        ctx.set_line_width(1.4);
        ctx.begin_path();
        let mut prev: Option<i64> = None;
        for &(t, v) in trend.iter().filter(|(t, _)| now - t <= span) {
            let x = left + (w - left) * (1.0 - (now - t) as f64 / span as f64);
            // A gap of more than a minute is drawn as a gap.
            if prev.is_none_or(|p| t - p > 60_000) {
                ctx.move_to(x, y(v));
            } else {
                ctx.line_to(x, y(v));
            }
            prev = Some(t);
        }
        ctx.stroke();
    }
}
