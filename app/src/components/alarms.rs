//! Alarms on screen: the ward's alarm list, a bed's alarm panel, the shift
//! and sound bar. IEC 60601-1-8: priority by colour *and* marker and text;
//! high flashes fast, medium slowly, low is steady; audio paused never hides
//! an alarm.

use crate::actions;
use crate::context::{use_live, LiveContext};
use crate::format;
use leptos::prelude::*;
use vigil_shared::alarm::Alarm;

/// What a row shows, computed once per render.
#[derive(Clone, PartialEq)]
struct Row {
    key: String,
    bed: String,
    bed_label: String,
    priority: &'static str,
    marker: &'static str,
    condition: String,
    text: String,
    onset: String,
    status: String,
    class: String,
    active: bool,
    acked: bool,
}

fn row(ctx: &LiveContext, a: &Alarm, now: i64) -> Row {
    let bed_label = if a.id.bed.is_empty() {
        "This tablet".to_string()
    } else {
        ctx.ward.with_value(|w| w.bed(&a.id.bed).map(|b| b.info.label.clone())).unwrap_or_else(|| a.id.bed.clone())
    };
    Row {
        key: a.id.to_string(),
        bed: a.id.bed.clone(),
        bed_label,
        priority: a.priority.code(),
        marker: a.priority.marker(),
        condition: a.id.condition.code(),
        text: a.describe(),
        onset: format::clock(a.id.onset, 0),
        status: format::alarm_status(a, now),
        class: format::alarm_class(a, now),
        active: a.active(),
        acked: a.ack.is_some(),
    }
}

fn alarm_row(r: Row, with_bed: bool) -> impl IntoView {
    let ctx = use_live();
    let bed = r.bed.clone();
    let href = format!("/bed/{}", r.bed);
    view! {
        <li class=r.class data-testid="alarm" data-id=r.key data-priority=r.priority data-bed=r.bed.clone()
            data-condition=r.condition data-active=if r.active { "yes" } else { "no" }
            data-acked=if r.acked { "yes" } else { "no" } role="alert">
            <span class="a-marker" aria-label=format!("{} priority", r.priority)>{r.marker}</span>
            {with_bed.then(|| if r.bed.is_empty() {
                view! { <span class="a-bed">{r.bed_label.clone()}</span> }.into_any()
            } else {
                view! { <a class="a-bed" href=href>{r.bed_label.clone()}</a> }.into_any()
            })}
            <span class="a-text" data-testid="alarm-text">{r.text}</span>
            <span class="a-onset">"since " {r.onset}</span>
            <span class="a-status" data-testid="alarm-status">{r.status}</span>
            {(!r.bed.is_empty() && ctx.may_act()).then(|| view! {
                <button class="a-ack" data-testid="ack" on:click=move |_| actions::acknowledge(ctx, &bed)>
                    "Acknowledge"
                </button>
            })}
        </li>
    }
}

/// Every alarm shown on the ward, highest priority first, then oldest onset.
#[component]
pub fn AlarmList() -> impl IntoView {
    let ctx = use_live();
    let rows = Memo::new(move |_| {
        let now = ctx.now.get();
        ctx.with_alarms(|a| a.shown().into_iter().map(|x| row(&ctx, x, now)).collect::<Vec<_>>())
    });
    view! {
        <section class="alarm-list" data-testid="alarm-list" aria-label="Alarms">
            <Show when=move || !rows.read().is_empty()>
                <div class="alarm-list-head">
                    <span>{move || format!("{} alarms", rows.read().len())}</span>
                    {move || if ctx.may_act() {
                        view! {
                            <button data-testid="ack-all" on:click=move |_| actions::acknowledge_all(ctx)>
                                "Acknowledge all (pause audio 2 min)"
                            </button>
                        }.into_any()
                    } else {
                        view! { <span class="muted" data-testid="watch-only">"Watching only: the ward's clinicians acknowledge alarms"</span> }.into_any()
                    }}
                </div>
                <ul>
                    {move || rows.get().into_iter().map(|r| alarm_row(r, true)).collect_view()}
                </ul>
            </Show>
        </section>
    }
}

/// A bed's alarms shown now.
#[component]
pub fn BedAlarmPanel(bed: String) -> impl IntoView {
    let ctx = use_live();
    let rows = Memo::new(move |_| {
        let now = ctx.now.get();
        ctx.with_alarms(|a| a.shown_for(&bed).into_iter().map(|x| row(&ctx, x, now)).collect::<Vec<_>>())
    });
    view! {
        <section class="bed-alarms" data-testid="bed-alarms">
            <Show when=move || !rows.read().is_empty() fallback=|| view! { <p class="muted">"No alarms."</p> }>
                <ul>{move || rows.get().into_iter().map(|r| alarm_row(r, false)).collect_view()}</ul>
            </Show>
        </section>
    }
}

/// Who is on shift and whether sound is on. While sound is off a standing
/// warning says so, with the button that turns it on.
#[component]
pub fn ShiftBar() -> impl IntoView {
    let ctx = use_live();
    // The person on shift is the signed-in account: the server records
    // every acknowledgement under it, whatever a tablet would write.
    let start = move || {
        let name = ctx.me.get_untracked().map(|m| m.username).unwrap_or_default();
        if let Err(e) = actions::start_shift(ctx, &name) {
            ctx.notice.set(Some(e));
        }
    };
    let sound_state = move || if ctx.sound.with(|s| s.on) { "on" } else { "off" };
    view! {
        <div class="shift" data-testid="sound" data-state=sound_state
            data-bursts=move || ctx.sound.with(|s| s.bursts.to_string())
            data-last=move || ctx.sound.with(|s| s.last.map(|p| p.code()).unwrap_or("none"))>
            {move || match (ctx.user.get(), ctx.sound.with(|s| s.on)) {
                (Some(user), true) => view! {
                    <span class="shift-on">"♪ Sound on · " {user}</span>
                    <button class="link" on:click=move |_| actions::end_shift(ctx)>"End shift"</button>
                }.into_any(),
                (Some(user), false) => view! {
                    <span class="sound-off" role="alert">"SOUND OFF: alarms on this tablet are silent"</span>
                    <button data-testid="enable-sound" on:click=move |_| actions::enable_sound(ctx)>
                        {format!("Turn sound on ({user})")}
                    </button>
                }.into_any(),
                (None, _) => view! {
                    <span class="sound-off" role="alert">"SOUND OFF · no one on shift"</span>
                    <form class="shift-form" on:submit=move |ev| { ev.prevent_default(); start(); }>
                        <button data-testid="start-shift" type="submit" disabled=move || ctx.me.with(|m| m.is_none())>
                            {move || match ctx.me.get() {
                                Some(me) => format!("Start shift as {} and turn sound on", me.display_name),
                                None => "Start shift and turn sound on".to_string(),
                            }}
                        </button>
                    </form>
                }.into_any(),
            }}
            <Show when=move || ctx.notice.get().is_some()>
                <span class="notice" data-testid="notice" role="alert">{move || ctx.notice.get().unwrap_or_default()}</span>
                <button class="link" on:click=move |_| ctx.notice.set(None)>"Dismiss"</button>
            </Show>
        </div>
    }
}
