//! The unusual-trend advisory: a slow combined drift against the patient's
//! own baseline, judged on this tablet. Lower than every alarm: no sound, no
//! flashing, never the tile's colour; out of the way while an alarm of one
//! of its parameters is active. A clinician dismisses it (recorded, on every
//! tablet) once seen.

use crate::actions;
use crate::components::sparkline::points;
use crate::context::use_live;
use crate::format;
use leptos::prelude::*;
use vigil_shared::drift::{Advisory, Driver, Param};

/// Minutes of each drifting parameter the bed view's chart shows.
const CHART_MIN: i64 = 120;
const W: f64 = 160.0;
const H: f64 = 40.0;

fn class(p: Param) -> &'static str {
    match p {
        Param::Hr => "hr",
        Param::Rr => "rr",
        Param::Spo2 => "spo2",
        Param::Sys => "bp",
        Param::Temp => "temp",
    }
}

/// The line on a tile, below the alarm line.
#[component]
pub fn TileAdvisory(bed: String) -> impl IntoView {
    let live = use_live();
    let reason = Signal::derive(move || live.with_alarms(|a| a.advisory(&bed).map(|x| x.assessment.reason.clone())));
    view! {
        <Show when=move || reason.get().is_some()>
            <div class="tile-advisory" data-testid="tile-advisory"
                title="Unusual trend against this patient's own last hours (advisory, not an alarm)">
                <span class="adv-marker" aria-hidden="true">"↗"</span>
                " Unusual trend: " {move || reason.get().unwrap_or_default()}
            </div>
        </Show>
    }
}

/// One drifting parameter: its last two hours and its baseline.
fn chart(d: &Driver, series: &[(i64, f64)]) -> impl IntoView {
    let newest = series.last().map_or(0, |p| p.0);
    let span = CHART_MIN * 60_000;
    let (lo, hi) =
        series.iter().map(|p| p.1).chain([d.baseline]).fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let pad = ((hi - lo) * 0.15).max(d.param.min_change() / 2.0);
    let (lo, hi) = (lo - pad, hi + pad);
    let line = points(series, span, newest, W, H, lo, hi);
    let base_y = H - ((d.baseline - lo) / (hi - lo)).clamp(0.0, 1.0) * H;
    let label =
        format!("{} {} → {} {}", d.kind.label(), d.kind.format(d.baseline), d.kind.format(d.recent), d.kind.unit());
    view! {
        <figure class=format!("adv-chart {}", class(d.param)) data-testid="advisory-chart" data-param=format!("{:?}", d.param).to_lowercase()>
            <svg viewBox=format!("0 0 {W} {H}") preserveAspectRatio="none" role="img"
                aria-label=format!("{label}, last {CHART_MIN} minutes; dashed: this patient's baseline")>
                <line class="adv-base" x1="0" x2=W.to_string() y1=format!("{base_y:.1}") y2=format!("{base_y:.1}")
                    vector-effect="non-scaling-stroke"/>
                <polyline points=line fill="none" vector-effect="non-scaling-stroke"/>
            </svg>
            <figcaption>{label}</figcaption>
        </figure>
    }
}

/// The bed view's advisory: why, since when, the drifting parameters, and
/// the dismissal.
#[component]
pub fn AdvisoryPanel(bed: String) -> impl IntoView {
    let ctx = use_live();
    let b = bed.clone();
    let shown = Memo::new(move |_| {
        ctx.with_alarms(|a| {
            let adv: Advisory = a.advisory(&b)?.clone();
            let drift = a.bed(&b)?.drift();
            let charts: Vec<(Driver, Vec<(i64, f64)>)> =
                adv.assessment.drivers.iter().map(|d| (d.clone(), drift.chart(d.param, CHART_MIN))).collect();
            Some((adv, charts))
        })
    });
    let (error, set_error) = signal(None::<String>);
    view! {
        {move || shown.get().map(|(adv, charts)| {
            let bed = bed.clone();
            let onset = adv.onset;
            let seen_at = adv.assessment.t;
            view! {
                <section class="panel advisory" data-testid="advisory" data-onset=onset.to_string() role="status">
                    <h2><span class="adv-marker" aria-hidden="true">"↗"</span> " Unusual trend (advisory)"</h2>
                    <p class="adv-reason" data-testid="advisory-reason">{adv.assessment.reason.clone()}</p>
                    <p class="muted">
                        "Against this patient's own last hours, since " {format::clock(onset, 0)}
                        ". An advisory, not an alarm: it never sounds. Review the patient."
                    </p>
                    {adv.by_model.then(|| view! {
                        <p class="muted" data-testid="advisory-by-model">
                            {match adv.confirmed {
                                None => "Raised early on a combined drift: two or more parameters moving together, each under what the rules need on its own.".to_string(),
                                Some(t) => format!("Raised early on a combined drift; the rules confirmed it at {}.", format::clock(t, 0)),
                            }}
                        </p>
                    })}
                    <div class="adv-charts">
                        {charts.iter().map(|(d, s)| chart(d, s)).collect_view()}
                    </div>
                    <Show when=move || ctx.may_act()>
                        <button class="dismiss" data-testid="dismiss-advisory" on:click={
                            let bed = bed.clone();
                            move |_| set_error.set(actions::dismiss_advisory(ctx, &bed, seen_at).err())
                        }>"Seen: dismiss"</button>
                    </Show>
                    <Show when=move || error.get().is_some()>
                        <span class="notice" role="alert">{move || error.get().unwrap_or_default()}</span>
                    </Show>
                </section>
            }
        })}
    }
}
