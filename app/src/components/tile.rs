use crate::components::advisory::TileAdvisory;
use crate::components::sparkline::{points, Sparkline};
use crate::context::use_live;
use crate::format;
use leptos::prelude::*;
use vigil_shared::ward::Freshness;
use vigil_shared::VitalKind;

/// Minutes of heart-rate history in a tile's sparkline.
const SPARK_MS: i64 = 10 * 60 * 1000;

/// One numeric on a tile: label, value, unit, in the parameter's colour;
/// an intermittent one with its age.
#[component]
fn Reading(
    kind: VitalKind,
    #[prop(into)] value: Signal<String>,
    class: &'static str,
    #[prop(optional, into)] age: Option<Signal<String>>,
) -> impl IntoView {
    view! {
        <div class=format!("reading {class}") data-testid=format!("value-{}", kind.label().to_lowercase())>
            {match age {
                // An intermittent value's age sits under its label, so the
                // row keeps its width.
                Some(age) => view! {
                    <span class="r-label r-stack">{kind.label()}<span class="r-age" data-testid="age">{age}</span></span>
                }.into_any(),
                None => view! { <span class="r-label">{kind.label()}</span> }.into_any(),
            }}
            <span class="r-value">{value}</span>
            <span class="r-unit">{kind.unit()}</span>
        </div>
    }
}

/// A bed at a glance: values, freshness, device conditions, HR sparkline.
#[component]
pub fn BedTile(id: String) -> impl IntoView {
    let live = use_live();
    let text = {
        let id = id.clone();
        move |f| live.bed_text(&id, f)
    };
    let at = {
        let id = id.clone();
        move |f| live.bed_text_at(&id, f)
    };

    let bed_id = id.clone();
    let freshness = Signal::derive(move || {
        let now = live.now.get();
        live.with_ward(|w| w.bed(&bed_id).map(|b| b.freshness(now)).unwrap_or(Freshness::NoData))
    });
    let fresh_class = Signal::derive(move || match freshness.get() {
        Freshness::Live => "fresh live",
        Freshness::NoData => "fresh nodata",
        Freshness::Stale { .. } => "fresh stale",
    });
    let bed_id = id.clone();
    let spark = Signal::derive(move || {
        live.with_ward(|w| {
            w.bed(&bed_id)
                .and_then(|b| {
                    b.trend(VitalKind::Hr).map(|t| {
                        let series: Vec<(i64, f64)> = t.iter().copied().collect();
                        let newest = series.last().map(|p| p.0).unwrap_or(0);
                        let shown = series.iter().filter(|p| newest - p.0 <= SPARK_MS).map(|p| p.1);
                        let (lo, hi) = shown.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
                        // At least 20/min of range, so a steady rate draws a steady line.
                        let mid = (lo + hi) / 2.0;
                        let half = ((hi - lo) / 2.0).max(10.0);
                        points(&series, SPARK_MS, newest, 120.0, 28.0, mid - half, mid + half)
                    })
                })
                .unwrap_or_default()
        })
    });

    // The bed's most urgent alarm, worded with value against limit.
    let bed_id = id.clone();
    let top = Signal::derive(move || {
        let now = live.now.get();
        live.with_alarms(|a| {
            let shown = a.shown_for(&bed_id);
            shown.first().map(|x| {
                let more = if shown.len() > 1 { format!(" (+{})", shown.len() - 1) } else { String::new() };
                (
                    x.priority.code(),
                    format!("{} {}{more}", x.priority.marker(), x.describe()),
                    format::alarm_class(x, now),
                )
            })
        })
    });
    let tile_class = move || match top.get() {
        Some((p, _, class)) => format!("tile tile-{p} {}", if class.contains("flashing") { "flashing" } else { "" }),
        None => "tile".into(),
    };
    view! {
        <a class=tile_class href=format!("/bed/{id}") data-testid="bed-tile" data-bed=id.clone() data-fresh=fresh_class
            data-alarm=move || top.get().map(|t| t.0).unwrap_or("none")>
            <div class="tile-head">
                <span class="bed-label">{text(|b| b.info.label.clone())}</span>
                <span class="patient">{text(|b| b.info.patient.clone().unwrap_or_else(|| "(no patient)".into()))}</span>
                <span class=fresh_class data-testid="freshness">{move || format::freshness(freshness.get())}</span>
            </div>
            <div class="tile-alarm" data-testid="tile-alarm">{move || top.get().map(|t| t.1).unwrap_or_default()}</div>
            <div class="tile-notes">
                <div class="technical" data-testid="technical">{text(format::technical)}</div>
                <TileAdvisory bed=id.clone()/>
            </div>
            <div class="readings">
                <Reading kind=VitalKind::Hr value=text(|b| format::shown(b, VitalKind::Hr)) class="hr"/>
                <Reading kind=VitalKind::Spo2 value=text(|b| format::shown(b, VitalKind::Spo2)) class="spo2"/>
                <Reading kind=VitalKind::Rr value=text(|b| format::shown(b, VitalKind::Rr)) class="rr"/>
                <div class="reading bp" data-testid="value-bp">
                // mmHg, as NIBP and ART say on every monitor (the bed view writes it).
                <span class="r-label r-stack" title="mmHg">
                    {at(|b, now| format::blood_pressure(b, now).1.to_string())}
                    <span class="r-age" data-testid="age">{at(format::blood_pressure_age)}</span>
                </span>
                <span class="r-value">{at(|b, now| format::blood_pressure(b, now).0)}</span>
                </div>
                <Reading kind=VitalKind::Temp value=at(|b, now| format::shown_at(b, VitalKind::Temp, now)) class="temp"
                    age=at(|b, now| format::age_of(b, VitalKind::Temp, now))/>
            </div>
            <Sparkline points=spark class="hr" label="Heart rate, last 10 minutes"/>
        </a>
    }
}
