//! The bed view's alarm panels: NEWS2 with the clinician's observations, the
//! limits editor, and the alarm history with the bed's audit events.

use crate::actions;
use crate::context::use_live;
use crate::format;
use leptos::prelude::*;
use vigil_shared::alarm::limits::{policy, validate, ALARMED};
use vigil_shared::alarm::{Band, Limits, Profile};
use vigil_shared::news2::{Consciousness, Oxygen, Parameter, Risk, SpO2Scale};
use vigil_shared::VitalKind;

fn risk_text(r: Risk) -> &'static str {
    match r {
        Risk::Low => "low risk",
        Risk::LowMedium => "low-medium: a 3 in one parameter (urgent ward review)",
        Risk::Medium => "medium risk (urgent response)",
        Risk::High => "high risk (emergency response)",
    }
}

fn parameter_name(p: Parameter) -> &'static str {
    match p {
        Parameter::RespirationRate => "respiration rate",
        Parameter::Spo2 => "SpO2",
        Parameter::AirOrOxygen => "air or oxygen",
        Parameter::SystolicBp => "systolic BP",
        Parameter::Pulse => "pulse",
        Parameter::Consciousness => "consciousness",
        Parameter::Temperature => "temperature",
    }
}

/// NEWS2 now, what it lacks, and the observations only a clinician can enter.
#[component]
pub fn News2Panel(bed: String) -> impl IntoView {
    let ctx = use_live();
    let b = bed.clone();
    let score = move || ctx.with_alarms(|a| a.bed(&b).and_then(|x| x.news2().map(|n| n.1.clone())));
    let b = bed.clone();
    let current = ctx.alarms.with_value(|a| a.bed(&b).map(|x| x.observation()).unwrap_or_default());
    let consciousness = RwSignal::new(current.consciousness);
    let oxygen = RwSignal::new(current.oxygen);
    let scale = RwSignal::new(current.scale);
    let record = move |_| {
        let result =
            actions::observe(ctx, &bed, consciousness.get_untracked(), oxygen.get_untracked(), scale.get_untracked());
        ctx.notice.set(Some(match result {
            Ok(()) => "Observation sent; NEWS2 uses it once the server has recorded it.".into(),
            Err(e) => e,
        }));
    };
    let options_c = [
        ("", "not assessed"),
        ("alert", "Alert"),
        ("new_confusion", "New confusion"),
        ("voice", "Voice"),
        ("pain", "Pain"),
        ("unresponsive", "Unresponsive"),
    ];
    view! {
        <section class="panel news2" data-testid="news2">
            <h2>"NEWS2"</h2>
            {move || match score() {
                None => view! { <p class="muted">"No scored parameter yet."</p> }.into_any(),
                Some(n) => {
                    let missing: Vec<&str> = n.missing.iter().map(|p| parameter_name(*p)).collect();
                    view! {
                        <p class="news2-total" data-testid="news2-total" data-risk=format!("{:?}", n.risk)>
                            <span class="score">{n.total}</span>
                            <span>{risk_text(n.risk)}</span>
                        </p>
                        {(!missing.is_empty()).then(|| view! {
                            <p class="incomplete" data-testid="news2-missing">
                                "Incomplete, lacks " {missing.join(", ")} ": the score can only rise."
                            </p>
                        })}
                        <ul class="news2-parts">
                            {n.parts.iter().filter_map(|(p, s)| s.map(|s| view! {
                                <li>{parameter_name(*p)} ": " {s}</li>
                            })).collect_view()}
                        </ul>
                    }.into_any()
                }
            }}
            <div class="obs-form">
                <label>"Consciousness (ACVPU) "
                    <select data-testid="obs-consciousness" on:change=move |ev| {
                        let v = event_target_value(&ev);
                        consciousness.set(serde_json::from_value::<Consciousness>(serde_json::Value::String(v)).ok());
                    }>
                        {options_c.iter().map(|(v, l)| {
                            let selected = current.consciousness
                                .map(|c| serde_json::to_value(c).ok().and_then(|x| x.as_str().map(String::from)).unwrap_or_default())
                                .unwrap_or_default() == *v;
                            view! { <option value=*v selected=selected>{*l}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label>"Breathing "
                    <select data-testid="obs-oxygen" on:change=move |ev| {
                        oxygen.set(match event_target_value(&ev).as_str() {
                            "air" => Some(Oxygen::Air),
                            "oxygen" => Some(Oxygen::Oxygen),
                            _ => None,
                        });
                    }>
                        <option value="" selected=current.oxygen.is_none()>"not assessed"</option>
                        <option value="air" selected=current.oxygen == Some(Oxygen::Air)>"Air"</option>
                        <option value="oxygen" selected=current.oxygen == Some(Oxygen::Oxygen)>"Oxygen"</option>
                    </select>
                </label>
                <label>"SpO2 scale "
                    <select data-testid="obs-scale" on:change=move |ev| {
                        scale.set(if event_target_value(&ev) == "2" { SpO2Scale::Scale2 } else { SpO2Scale::Scale1 });
                    }>
                        <option value="1" selected=current.scale == SpO2Scale::Scale1>"Scale 1"</option>
                        <option value="2" selected=current.scale == SpO2Scale::Scale2>"Scale 2 (target 88-92 %, prescribed)"</option>
                    </select>
                </label>
                <button data-testid="obs-record" on:click=record>"Record observation"</button>
            </div>
        </section>
    }
}

fn band_text(kind: VitalKind, v: Option<f64>) -> String {
    v.map(|v| kind.format(v)).unwrap_or_default()
}

/// One parameter's limits: four inputs (blank = off), checked with the rules
/// the server applies, sent as an event.
#[component]
fn LimitsRow(bed: String, kind: VitalKind) -> impl IntoView {
    let ctx = use_live();
    let b = bed.clone();
    let in_force = Memo::new(move |_| ctx.with_alarms(|a| a.bed(&b).map(|x| x.settings().clone()).unwrap_or_default()));
    let initial = in_force.get_untracked().limits(kind).unwrap_or_default();
    let inputs: [RwSignal<String>; 4] = Band::ALL.map(|band| RwSignal::new(band_text(kind, initial.get(band))));
    let save = move |_| {
        let settings = in_force.get_untracked();
        let mut limits = Limits::default();
        for (i, band) in Band::ALL.into_iter().enumerate() {
            let text = inputs[i].get_untracked();
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            match text.parse::<f64>() {
                Ok(v) => limits.set(band, Some(v)),
                Err(_) => {
                    ctx.notice.set(Some(format!("{} {}: {text:?} is not a number", kind.label(), band.code())));
                    return;
                }
            }
        }
        let result = validate(settings.profile, kind, &limits)
            .map_err(|e| e.to_string())
            .and_then(|()| actions::set_limits(ctx, &bed, kind, limits));
        ctx.notice.set(Some(match result {
            Ok(()) => format!("{} limits sent; they apply once the server has recorded them.", kind.label()),
            Err(e) => e,
        }));
    };
    let (min, max, step) =
        policy(in_force.get_untracked().profile, kind).map(|p| (p.min, p.max, p.step)).unwrap_or((0.0, 0.0, 1.0));
    let shown = move || {
        let l = in_force.get().limits(kind).unwrap_or_default();
        Band::ALL.map(|band| l.get(band).map(|v| kind.format(v)).unwrap_or_else(|| "off".into())).join(" / ")
    };
    view! {
        <tr data-testid="limits-row" data-kind=kind.code()>
            <th>{kind.label()}</th>
            {Band::ALL.into_iter().enumerate().map(|(i, band)| view! {
                <td><input type="number" step=step.to_string() min=min.to_string() max=max.to_string()
                    data-band=band.code() aria-label=format!("{} {}", kind.label(), band.code())
                    prop:value=move || inputs[i].get() on:input=move |ev| inputs[i].set(event_target_value(&ev))/></td>
            }).collect_view()}
            <td class="in-force" data-testid="limits-in-force">{shown}</td>
            <td><button data-testid="limits-save" on:click=save>"Set"</button></td>
        </tr>
    }
}

/// The patient's profile and limits.
#[component]
pub fn LimitsEditor(bed: String) -> impl IntoView {
    let ctx = use_live();
    let b = bed.clone();
    let profile = Memo::new(move |_| ctx.with_alarms(|a| a.bed(&b).map(|x| x.settings().profile).unwrap_or_default()));
    let b = bed.clone();
    let set_profile = move |ev| {
        let chosen = match event_target_value(&ev).as_str() {
            "paediatric" => Profile::Paediatric,
            "neonatal" => Profile::Neonatal,
            _ => Profile::Adult,
        };
        if let Err(e) = actions::set_profile(ctx, &b, chosen) {
            ctx.notice.set(Some(e));
        }
    };
    view! {
        <section class="panel limits" data-testid="limits">
            <h2>"Alarm limits"</h2>
            <label>"Profile "
                <select data-testid="profile" on:change=set_profile>
                    {Profile::ALL.into_iter().map(|p| view! {
                        <option value=format!("{p:?}").to_lowercase() selected=move || profile.get() == p>{p.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <table>
                <thead><tr>
                    <th></th><th>"extreme low !!!"</th><th>"low !!"</th><th>"high !!"</th><th>"extreme high !!!"</th>
                    <th>"in force"</th><th></th>
                </tr></thead>
                <tbody>
                    {ALARMED.into_iter().map(|kind| view! { <LimitsRow bed=bed.clone() kind/> }).collect_view()}
                </tbody>
            </table>
            <p class="muted">"Blank = off (only limits the profile has off). Limits stay within the profile's hard bounds."</p>
        </section>
    }
}

/// Every alarm of the bed this tablet knows, newest first, and who did what.
#[component]
pub fn AlarmHistory(bed: String) -> impl IntoView {
    let ctx = use_live();
    let b = bed.clone();
    let rows = move || {
        ctx.with_alarms(|a| {
            a.bed(&b)
                .map(|x| {
                    let mut v: Vec<_> = x
                        .log()
                        .map(|al| {
                            let title = match &al.rhythm {
                                Some(d) if d.keep => format!("{} (checked: {})", al.id.condition.title(), d.reason),
                                Some(_) => al.describe(),
                                None => al.id.condition.title(),
                            };
                            let f = |v: Option<f64>| match al.id.condition {
                                vigil_shared::alarm::Condition::Vital { kind, .. } => {
                                    v.map(|v| kind.format(v)).unwrap_or_default()
                                }
                                _ => v.map(|v| format!("{v:.0}")).unwrap_or_default(),
                            };
                            (
                                al.id.onset,
                                (
                                    al.id.to_string(),
                                    al.priority.marker(),
                                    title,
                                    format::clock(al.id.onset, 0),
                                    format!("{} s", (al.raised - al.id.onset) / 1000),
                                    al.ended.map(|e| format::clock(e, 0)).unwrap_or_else(|| "active".into()),
                                    f(al.limit),
                                    f(al.trigger),
                                    f(al.worst),
                                    al.ack.as_ref().map(|k| k.by.clone()).unwrap_or_default(),
                                ),
                            )
                        })
                        .collect();
                    // Arrhythmias the check suppressed: logged, never dropped.
                    v.extend(x.suppressed().map(|sp| {
                        (
                            sp.onset,
                            (
                                format!("{}/suppressed.{}@{}", b, sp.kind.challenge_name().to_lowercase(), sp.onset),
                                "–",
                                format!("{} suppressed: {}", sp.kind.label(), sp.reason),
                                format::clock(sp.onset, 0),
                                format!("{} s", (sp.at - sp.onset) / 1000),
                                "not raised".to_string(),
                                String::new(),
                                String::new(),
                                String::new(),
                                String::new(),
                            ),
                        )
                    }));
                    // Unusual-trend advisories, with who dismissed them.
                    v.extend(x.advisories().into_iter().map(|e| {
                        let a = &e.advisory;
                        (
                            a.onset,
                            (
                                format!("{}/advisory@{}", b, a.onset),
                                "↗",
                                format!("Unusual trend (advisory): {}", a.assessment.reason),
                                format::clock(a.onset, 0),
                                format!("{} s", (a.raised - a.onset) / 1000),
                                a.ended.map(|t| format::clock(t, 0)).unwrap_or_else(|| "active".into()),
                                String::new(),
                                String::new(),
                                String::new(),
                                e.dismissed.map(|(by, _)| format!("dismissed: {by}")).unwrap_or_default(),
                            ),
                        )
                    }));
                    v.sort_by_key(|(onset, _)| *onset);
                    let mut v: Vec<_> = v.into_iter().map(|(_, row)| row).collect();
                    v.reverse();
                    v
                })
                .unwrap_or_default()
        })
    };
    let b = bed.clone();
    let events = move || {
        ctx.with_alarms(|a| {
            a.bed(&b)
                .map(|x| {
                    x.events()
                        .rev()
                        .map(|e| (e.seq, format::clock(e.at, 0), e.actor.clone(), e.event.describe()))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    view! {
        <section class="panel history" data-testid="alarm-history">
            <h2>"Alarm history"</h2>
            <table>
                <thead><tr>
                    <th></th><th>"alarm"</th><th>"onset"</th><th>"delay"</th><th>"ended"</th>
                    <th>"limit"</th><th>"at alarm"</th><th>"worst"</th><th>"acknowledged by"</th>
                </tr></thead>
                <tbody>
                    {move || rows().into_iter().map(|r| view! {
                        <tr data-testid="history-row" data-id=r.0>
                            <td>{r.1}</td><td>{r.2}</td><td>{r.3}</td><td>{r.4}</td><td>{r.5}</td>
                            <td>{r.6}</td><td>{r.7}</td><td>{r.8}</td><td>{r.9}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <h3>"Changes and acknowledgements"</h3>
            <ul class="events" data-testid="bed-events">
                {move || events().into_iter().map(|(seq, at, actor, what)| view! {
                    <li data-seq=seq>{at} " · " {actor} " · " {what}</li>
                }).collect_view()}
            </ul>
        </section>
    }
}
