use leptos::prelude::*;

/// SVG `points` for a series over a `w` x `h` box, newest at the right.
pub fn points(series: &[(i64, f64)], span_ms: i64, newest: i64, w: f64, h: f64, lo: f64, hi: f64) -> String {
    let range = (hi - lo).max(1e-9);
    series
        .iter()
        .filter(|(t, _)| newest - t <= span_ms)
        .map(|&(t, v)| {
            let x = w - (newest - t) as f64 / span_ms as f64 * w;
            let y = h - ((v - lo) / range).clamp(0.0, 1.0) * h;
            format!("{x:.1},{y:.1}")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A small trend line (no axes), drawn as SVG so the server renders it too.
#[component]
pub fn Sparkline(
    /// The points to draw.
    #[prop(into)]
    points: Signal<String>,
    /// CSS class for the colour of the parameter.
    class: &'static str,
    label: &'static str,
) -> impl IntoView {
    view! {
        <svg class=format!("spark {class}") viewBox="0 0 120 28" preserveAspectRatio="none" role="img" aria-label=label>
            <polyline points=points fill="none" vector-effect="non-scaling-stroke"/>
        </svg>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn points_scale_into_the_box_with_the_newest_on_the_right() {
        let s = super::points(&[(0, 50.0), (500, 100.0), (1000, 150.0)], 1000, 1000, 100.0, 10.0, 50.0, 150.0);
        assert_eq!(s, "0.0,10.0 50.0,5.0 100.0,0.0");
    }
}
