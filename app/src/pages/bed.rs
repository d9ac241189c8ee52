use crate::components::advisory::AdvisoryPanel;
use crate::components::alarms::BedAlarmPanel;
use crate::components::bed_panels::{AlarmHistory, LimitsEditor, News2Panel};
use crate::components::family_invite::FamilyInvite;
use crate::components::history::HistoryPanel;
use crate::components::waveform::Waveform;
use crate::context::use_live;
use crate::format;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use vigil_shared::{VitalKind, WaveKind};

/// One bed: live waveforms, large numerics, trends up to 72 hours, full
/// disclosure, the alarm history.
#[component]
pub fn BedPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    view! {
        {move || {
            let id = id();
            view! { <BedView id/> }
        }}
    }
}

#[component]
fn BedView(id: String) -> impl IntoView {
    let live = use_live();
    let text = {
        let id = id.clone();
        move |f| live.bed_text(&id, f)
    };
    let at = {
        let id = id.clone();
        move |f| live.bed_text_at(&id, f)
    };
    let big = |kind: VitalKind, class: &'static str, f: fn(&vigil_shared::ward::BedState) -> String| {
        view! {
            <div class=format!("big {class}") data-testid=format!("big-{}", kind.label().to_lowercase())>
                <span class="r-label">{kind.label()}</span>
                <span class="r-value">{text(f)}</span>
                <span class="r-unit">{kind.unit()}</span>
            </div>
        }
    };
    let has_abp = {
        let id = id.clone();
        move || live.with_ward(|w| w.bed(&id).is_some_and(|b| b.wave(WaveKind::Abp).is_some()))
    };
    let abp_id = id.clone();
    view! {
        <section class="bed-view" data-testid="bed-view" data-bed=id.clone()>
            <div class="bed-head">
                <a href="/" class="back">"← Ward"</a>
                <h1>{text(|b| b.info.label.clone())}</h1>
                <span class="patient">{text(|b| b.info.patient.clone().unwrap_or_default())}</span>
                <span class="technical">{text(format::technical)}</span>
            </div>
            <BedAlarmPanel bed=id.clone()/>
            <AdvisoryPanel bed=id.clone()/>
            <div class="bed-body">
                <div class="waves">
                    <Waveform bed=id.clone() kind=WaveKind::EcgII class="hr"/>
                    <Waveform bed=id.clone() kind=WaveKind::Pleth class="spo2"/>
                    <Show when=has_abp.clone()>
                        <Waveform bed=abp_id.clone() kind=WaveKind::Abp class="bp"/>
                    </Show>
                    <Waveform bed=id.clone() kind=WaveKind::Resp class="rr"/>
                </div>
                <div class="bigs">
                    {big(VitalKind::Hr, "hr", |b| format::shown(b, VitalKind::Hr))}
                    {big(VitalKind::Spo2, "spo2", |b| format::shown(b, VitalKind::Spo2))}
                    {big(VitalKind::Rr, "rr", |b| format::shown(b, VitalKind::Rr))}
                    <div class="big bp" data-testid="big-bp">
                        <span class="r-label">{at(|b, now| format::blood_pressure(b, now).1.to_string())}</span>
                        <span class="r-value">{at(|b, now| format::blood_pressure(b, now).0)}</span>
                        <span class="r-unit">"mmHg"</span>
                        <span class="r-age" data-testid="age-bp">{at(format::blood_pressure_age)}</span>
                    </div>
                    <div class="big temp" data-testid="big-temp">
                        <span class="r-label">{VitalKind::Temp.label()}</span>
                        <span class="r-value">{at(|b, now| format::shown_at(b, VitalKind::Temp, now))}</span>
                        <span class="r-unit">{VitalKind::Temp.unit()}</span>
                        <span class="r-age" data-testid="age-temp">{at(|b, now| format::age_of(b, VitalKind::Temp, now))}</span>
                    </div>
                </div>
            </div>
            <HistoryPanel bed=id.clone()/>
            <div class="bed-panels">
                <News2Panel bed=id.clone()/>
                <LimitsEditor bed=id.clone()/>
            </div>
            <AlarmHistory bed=id.clone()/>
            <FamilyInvite bed=id.clone()/>
        </section>
    }
}
