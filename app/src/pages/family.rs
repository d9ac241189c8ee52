//! The family portal: one patient's vital signs, in large type and plain
//! words, a little late, with their trends; phone-sized first. No alarms, no
//! limits, no staff notes, nothing about anyone else (the server sends
//! nothing else: see `server/src/routes/family.rs` for what and why).

use crate::format;
use crate::plain::{self, PlainVital};
use leptos::prelude::*;
use serde::Deserialize;
use std::collections::BTreeMap;
use vigil_shared::VitalKind;

/// How often the portal asks for new values, ms.
pub const POLL_MS: u32 = 5_000;

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Reading {
    pub kind: VitalKind,
    pub t: i64,
    pub value: f64,
}

/// `GET /api/family`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct FamilyData {
    pub patient: String,
    pub bed: String,
    pub ward: String,
    pub as_of: i64,
    pub delay_seconds: u32,
    pub trend_hours: u32,
    pub contact: String,
    pub vitals: Vec<Reading>,
    pub series: BTreeMap<VitalKind, Vec<[f64; 4]>>,
}

#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))] // made only in the browser
enum State {
    Loading,
    Ready(FamilyData),
    /// The invitation was revoked, the patient discharged, or the session ended.
    Ended,
    Unreachable(String),
}

/// The smallest range a trend is drawn over, so that a steady patient's
/// line looks steady: a heart rate moving between 76 and 78 must not fill
/// the box like a crisis.
pub fn min_span(kind: VitalKind) -> f64 {
    match kind {
        VitalKind::Hr | VitalKind::Pulse => 40.0,
        VitalKind::Spo2 => 10.0,
        VitalKind::Rr => 16.0,
        VitalKind::Temp => 3.0,
        _ => 60.0,
    }
}

/// A small line of the means, as an SVG path in a 100 x 30 box, over at
/// least `min_span` of the parameter (centred on the values).
pub fn spark_path(points: &[[f64; 4]], min_span: f64) -> String {
    let (lo, hi) = points.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), p| (l.min(p[1]), h.max(p[1])));
    if points.len() < 2 || !lo.is_finite() {
        return String::new();
    }
    let (t0, t1) = (points[0][0], points[points.len() - 1][0]);
    let span = (hi - lo).max(min_span).max(1e-9);
    let lo = (lo + hi) / 2.0 - span / 2.0;
    points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let x = (p[0] - t0) / (t1 - t0).max(1.0) * 100.0;
            let y = 28.0 - (p[1] - lo) / span * 26.0;
            format!("{}{x:.1},{y:.1}", if i == 0 { "M" } else { " L" })
        })
        .collect()
}

fn kind_of(what: &str) -> Option<VitalKind> {
    Some(match what {
        "Heart rate" => VitalKind::Hr,
        "Oxygen level" => VitalKind::Spo2,
        "Breathing" => VitalKind::Rr,
        "Blood pressure" => VitalKind::NibpSys,
        "Temperature" => VitalKind::Temp,
        _ => return None,
    })
}

#[component]
pub fn FamilyPage() -> impl IntoView {
    let state = RwSignal::new(State::Loading);
    let now = RwSignal::new(0i64);
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async move {
        loop {
            now.set(js_sys::Date::now() as i64);
            let next = match gloo_net::http::Request::get("/api/family").send().await {
                Ok(r) if r.ok() => match r.json::<FamilyData>().await {
                    Ok(d) => State::Ready(d),
                    Err(e) => State::Unreachable(e.to_string()),
                },
                Ok(r) if matches!(r.status(), 401 | 403 | 404) => State::Ended,
                Ok(r) => State::Unreachable(format!("the server answered {}", r.status())),
                Err(e) => State::Unreachable(e.to_string()),
            };
            let ended = next == State::Ended;
            if state.try_set(next).is_some() || ended {
                break;
            }
            gloo_timers::future::TimeoutFuture::new(POLL_MS).await;
        }
    });
    let offset = move || {
        #[cfg(feature = "hydrate")]
        {
            -(js_sys::Date::new_0().get_timezone_offset() as i64)
        }
        #[cfg(not(feature = "hydrate"))]
        0
    };
    let card = move |v: PlainVital, d: &FamilyData| {
        let trend = kind_of(v.what)
            .and_then(|k| {
                let series = d
                    .series
                    .get(&k)
                    .or_else(|| (k == VitalKind::NibpSys).then(|| d.series.get(&VitalKind::ArtSys)).flatten());
                series.map(|s| spark_path(s, min_span(k)))
            })
            .unwrap_or_default();
        view! {
            <article class="vital-card" data-testid="family-vital" data-what=v.what>
                <h2>{v.what}</h2>
                <p class="vital-value"><span data-testid="family-value">{v.value}</span>" "<span class="vital-unit">{v.unit}</span></p>
                <p class="muted">{v.about}</p>
                <svg class="vital-trend" viewBox="0 0 100 30" role="img" aria-label=format!("{} over the last hours", v.what)>
                    <path d=trend fill="none" stroke="currentColor" stroke-width="2" vector-effect="non-scaling-stroke"/>
                </svg>
            </article>
        }
        .into_any()
    };
    view! {
        <section class="family" data-testid="family">
            {move || match state.get() {
                State::Loading => view! { <p class="muted">"Loading…"</p> }.into_any(),
                State::Ended => view! {
                    <div data-testid="family-ended" role="alert">
                        <h1>"Your access has ended"</h1>
                        <p>"The invitation was withdrawn or your relative has left the ward. Ask the ward if you think this is a mistake."</p>
                        <a href="/signin" rel="external">"Sign in again"</a>
                    </div>
                }.into_any(),
                State::Unreachable(e) => view! {
                    <p class="notice" role="alert">{format!("Vigil cannot be reached just now ({e}). This page tries again by itself.")}</p>
                }.into_any(),
                State::Ready(d) => {
                    let values: Vec<(VitalKind, f64)> = d.vitals.iter().map(|r| (r.kind, r.value)).collect();
                    let lines = plain::vitals(&values);
                    let newest = d.vitals.iter().map(|r| r.t).max();
                    let age = newest.map(|t| plain::ago(now.get() - t)).unwrap_or_default();
                    let cards: Vec<AnyView> = lines.into_iter().map(|v| card(v, &d)).collect();
                    let empty = cards.is_empty();
                    view! {
                        <header>
                            <h1 data-testid="family-patient">{d.patient.clone()}</h1>
                            <p>{format!("{} · {}", d.ward, d.bed)}</p>
                        </header>
                        <p class="family-note" data-testid="family-note">
                            {format!("Values are shown {} late and measured {}. ", delay_words(d.delay_seconds), if age.is_empty() { "—".to_string() } else { age })}
                            {format!("As of {}.", &format::clock(d.as_of, offset())[..5])}
                        </p>
                        {empty.then(|| view! { <p class="muted" data-testid="family-none">"No recent measurements to show."</p> })}
                        <div class="vital-cards">{cards}</div>
                        <p class="family-reassure">
                            {format!("This page is for information and raises no alarms. The ward's monitors and nurses watch {} all the time. If you are worried, call {}.", d.patient, d.contact)}
                        </p>
                        <button class="link" data-testid="family-sign-out" on:click=move |_| sign_out()>"Sign out"</button>
                    }.into_any()
                }
            }}
        </section>
    }
}

fn delay_words(s: u32) -> String {
    match s {
        0 => "without delay".into(),
        s if s < 120 => format!("{s} seconds"),
        s => format!("{} minutes", s / 60),
    }
}

fn sign_out() {
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async move {
        let csrf = crate::session::fetch_me().await.ok().flatten().map(|m| m.csrf).unwrap_or_default();
        let _ = crate::session::send_json("DELETE", "/api/session", &serde_json::json!({}), &csrf).await;
        crate::session::go("/signin");
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trend_line_spans_the_box_and_a_flat_series_is_a_flat_line() {
        let p = spark_path(&[[0.0, 70.0, 60.0, 80.0], [60.0, 80.0, 75.0, 85.0], [120.0, 75.0, 70.0, 80.0]], 1.0);
        assert_eq!(p, "M0.0,28.0 L50.0,2.0 L100.0,15.0");
        assert_eq!(spark_path(&[[0.0, 97.0, 97.0, 97.0], [60.0, 97.0, 97.0, 97.0]], 10.0), "M0.0,15.0 L100.0,15.0");
        assert_eq!(spark_path(&[[0.0, 1.0, 1.0, 1.0]], 1.0), "");
    }

    #[test]
    fn a_steady_heart_rate_draws_a_nearly_flat_line_not_a_crisis() {
        let p = spark_path(&[[0.0, 76.0, 76.0, 76.0], [60.0, 78.0, 78.0, 78.0]], min_span(VitalKind::Hr));
        // Two beats a minute over a 40/min range: 1.3 of the box's 26 units.
        assert_eq!(p, "M0.0,15.7 L100.0,14.3");
    }
}
