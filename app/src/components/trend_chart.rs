use leptos::html::Canvas;
use leptos::prelude::*;
use vigil_shared::VitalKind;

/// Parameters drawn on the bed's trend chart, with their colour class and
/// vertical range.
pub const TREND_ROWS: [(VitalKind, &str, f64, f64); 4] = [
    (VitalKind::Hr, "hr", 30.0, 180.0),
    (VitalKind::Spo2, "spo2", 70.0, 100.0),
    (VitalKind::Rr, "rr", 0.0, 40.0),
    (VitalKind::NibpSys, "bp", 50.0, 200.0),
];

/// The last hour of the bed's numerics, drawn on a canvas (redrawn when the
/// ward changes, at most a few times a second).
#[component]
pub fn TrendChart(bed: String) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    #[cfg(feature = "hydrate")]
    {
        let live = crate::context::use_live();
        Effect::new(move |_| {
            live.version.track();
            if let Some(el) = canvas.get() {
                live.ward.with_value(|w| {
                    if let Some(b) = w.bed(&bed) {
                        crate::draw::trends(&el, b);
                    }
                });
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = &bed;
    view! {
        <div class="trends">
            <div class="trend-legend">
                <span class="hr">"HR"</span><span class="spo2">"SpO2"</span><span class="rr">"RR"</span><span class="bp">"BP sys (ART, else NIBP)"</span>
                <span class="muted">" last 60 min"</span>
            </div>
            <canvas node_ref=canvas data-testid="trend-chart"></canvas>
        </div>
    }
}
