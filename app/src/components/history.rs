//! A bed's history: trends over 1, 8, 24 or 72 hours (the server reduces them
//! to what the chart can show, with min/max envelopes so a spike is never
//! averaged away), and full disclosure: every waveform sample of any moment
//! in the retention window, paged like a paper strip.

use crate::components::trend_chart::TrendChart;
use leptos::html::Canvas;
use leptos::prelude::*;
use serde::Deserialize;
use std::collections::BTreeMap;
use vigil_shared::{VitalKind, WaveKind};

/// Ranges offered, minutes.
pub const RANGES: [(u32, &str); 4] = [(60, "1 h"), (480, "8 h"), (1440, "24 h"), (4320, "72 h")];
/// Width of one full-disclosure page, ms.
pub const STRIP_MS: i64 = 10_000;

/// `GET /api/beds/{bed}/trend`: per kind, `[t, mean, min, max]` buckets.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct TrendData {
    pub from: i64,
    pub to: i64,
    pub step: i64,
    pub series: BTreeMap<VitalKind, Vec<[f64; 4]>>,
}

/// One stored chunk of samples.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Chunk {
    pub t0: i64,
    pub rate_hz: f64,
    pub samples: Vec<f32>,
}

/// `GET /api/beds/{bed}/waves`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct WaveData {
    pub from: i64,
    pub to: i64,
    pub waves: BTreeMap<WaveKind, Vec<Chunk>>,
}

/// Wave strips shown in full disclosure, in order.
pub const STRIPS: [(WaveKind, &str); 3] = [(WaveKind::EcgII, "hr"), (WaveKind::Pleth, "spo2"), (WaveKind::Abp, "bp")];

#[component]
pub fn HistoryPanel(bed: String) -> impl IntoView {
    let minutes = RwSignal::new(60u32);
    // Start of the full-disclosure page shown, ms; None: not reviewing.
    let strip_at = RwSignal::new(None::<i64>);
    let long = NodeRef::<Canvas>::new();
    let status = RwSignal::new(String::new());
    #[cfg(feature = "hydrate")]
    {
        let bed = bed.clone();
        let data = RwSignal::new(None::<TrendData>);
        // Fetch on range change and every minute while a long range is shown.
        let tick = RwSignal::new(0u32);
        leptos::task::spawn_local(async move {
            loop {
                gloo_timers::future::TimeoutFuture::new(60_000).await;
                if tick.try_update(|t| *t += 1).is_none() {
                    break;
                }
            }
        });
        let fetch_bed = bed.clone();
        Effect::new(move |_| {
            let m = minutes.get();
            tick.track();
            if m == 60 {
                return;
            }
            let bed = fetch_bed.clone();
            status.set("loading…".into());
            leptos::task::spawn_local(async move {
                let url = format!("/api/beds/{bed}/trend?minutes={m}&points=600");
                match fetch_json::<TrendData>(&url).await {
                    Ok(d) => {
                        status.set(format!("{} min per point, min–max shaded", d.step / 60));
                        data.set(Some(d));
                    }
                    Err(e) => status.set(format!("history unavailable: {e}")),
                }
            });
        });
        Effect::new(move |_| {
            if let (Some(el), Some(d)) = (long.get(), data.get()) {
                crate::draw::long_trend(&el, &d);
            }
        });
    }
    let pick = move |ev: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        if let Some(el) = long.get() {
            let m = i64::from(minutes.get_untracked()) * 60_000;
            let now = js_sys::Date::now() as i64;
            let width = f64::from(el.client_width()) - crate::draw::TREND_LEFT;
            let frac = ((f64::from(ev.offset_x()) - crate::draw::TREND_LEFT) / width.max(1.0)).clamp(0.0, 1.0);
            strip_at.set(Some(now - m + (frac * m as f64) as i64 - STRIP_MS / 2));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let range_button = move |(m, label): (u32, &'static str)| {
        view! {
            <button class="range" class:on=move || minutes.get() == m data-testid=format!("range-{m}")
                on:click=move |_| minutes.set(m)>{label}</button>
        }
    };
    let live_bed = bed.clone();
    view! {
        <section class="history" data-testid="history">
            <div class="history-bar">
                <span class="h-title">"Trends"</span>
                {RANGES.into_iter().map(range_button).collect_view()}
                <span class="muted" data-testid="history-status">{move || status.get()}</span>
                <button class="range" data-testid="review-now"
                    on:click=move |_| strip_at.set(Some(now_ms() - STRIP_MS - 2_000))>"Review strip"</button>
            </div>
            <Show when=move || minutes.get() == 60>
                <TrendChart bed=live_bed.clone()/>
            </Show>
            <div class="trends" class:hidden=move || minutes.get() == 60>
                <div>
                    <div class="trend-legend">
                        <span class="hr">"HR"</span><span class="spo2">"SpO2"</span><span class="rr">"RR"</span>
                        <span class="bp">"BP sys"</span><span class="muted">" mean line, min–max band; click a moment to review its waveforms"</span>
                    </div>
                    <canvas node_ref=long data-testid="long-trend" data-buckets="0" on:click=pick></canvas>
                </div>
            </div>
            <FullDisclosure bed=bed.clone() at=strip_at/>
        </section>
    }
}

fn now_ms() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(feature = "hydrate"))]
    {
        0
    }
}

#[cfg(feature = "hydrate")]
async fn fetch_json<T: serde::de::DeserializeOwned>(url: &str) -> Result<T, String> {
    let resp = gloo_net::http::Request::get(url).send().await.map_err(|e| e.to_string())?;
    if !resp.ok() {
        return Err(format!("HTTP {}", resp.status()));
    }
    resp.json::<T>().await.map_err(|e| e.to_string())
}

/// Ten seconds of every waveform of the bed from `at`, paged with buttons.
#[component]
fn FullDisclosure(bed: String, at: RwSignal<Option<i64>>) -> impl IntoView {
    let canvases: Vec<(WaveKind, &'static str, NodeRef<Canvas>)> =
        STRIPS.iter().map(|&(k, c)| (k, c, NodeRef::<Canvas>::new())).collect();
    let note = RwSignal::new(String::new());
    #[cfg(feature = "hydrate")]
    {
        let canvases = canvases.clone();
        Effect::new(move |_| {
            let Some(from) = at.get() else { return };
            let bed = bed.clone();
            let canvases = canvases.clone();
            note.set("loading…".into());
            leptos::task::spawn_local(async move {
                let url = format!("/api/beds/{bed}/waves?from={from}&to={}", from + STRIP_MS);
                match fetch_json::<WaveData>(&url).await {
                    Ok(d) => {
                        let n: usize = d.waves.values().flatten().map(|c| c.samples.len()).sum();
                        note.set(if n == 0 { "no waveforms stored for this moment".into() } else { String::new() });
                        for (kind, class, node) in &canvases {
                            if let Some(el) = node.get_untracked() {
                                let chunks = d.waves.get(kind).map(Vec::as_slice).unwrap_or(&[]);
                                crate::draw::strip(&el, chunks, d.from, d.to, *kind, class);
                            }
                        }
                    }
                    Err(e) => note.set(format!("waveforms unavailable: {e}")),
                }
            });
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (&bed, note);
    let step = move |ms: i64| at.update(|a| *a = a.map(|t| t + ms));
    let window = move || {
        at.get().map(|t| format!("{}–{} UTC", crate::format::clock(t, 0), crate::format::clock(t + STRIP_MS, 0)))
    };
    view! {
        <div class="disclosure" data-testid="disclosure" class:hidden=move || at.get().is_none()>
            <div>
                <div class="history-bar">
                    <span class="h-title">"Full disclosure"</span>
                    <button class="range" data-testid="strip-back-60" on:click=move |_| step(-60_000)>"◀◀ 1 min"</button>
                    <button class="range" data-testid="strip-back" on:click=move |_| step(-STRIP_MS)>"◀ 10 s"</button>
                    <span data-testid="strip-window">{window}</span>
                    <button class="range" data-testid="strip-forward" on:click=move |_| step(STRIP_MS)>"10 s ▶"</button>
                    <button class="range" data-testid="strip-forward-60" on:click=move |_| step(60_000)>"1 min ▶▶"</button>
                    <span class="muted" data-testid="strip-note">{move || note.get()}</span>
                    <button class="range" data-testid="strip-close" on:click=move |_| at.set(None)>"Close"</button>
                </div>
                {canvases.iter().map(|(kind, class, node)| view! {
                    <div class=format!("strip {class}")>
                        <span class="wave-label">{kind.label()}" "<small>{kind.unit()}</small></span>
                        <canvas node_ref=*node data-testid=format!("strip-{}", kind.label().to_lowercase().replace(' ', "-"))
                            data-samples="0"></canvas>
                    </div>
                }).collect_view()}
            </div>
        </div>
    }
}
