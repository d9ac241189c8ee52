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

/// The rows of a list, keyed by alarm id: a row's element, and its
/// Acknowledge button, belong to one alarm for as long as it is shown, and
/// only its attributes and text follow that alarm. Rebuilt by position, an
/// alarm beginning or ending higher up the list handed the button under a
/// finger to the alarm that moved into its place, between press and release.
fn alarm_rows(rows: Memo<Vec<Row>>, with_bed: bool) -> impl IntoView {
    view! {
        <For each=move || rows.get() key=|r| r.key.clone() children=move |r| alarm_row(rows, r, with_bed)/>
    }
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

fn alarm_row(rows: Memo<Vec<Row>>, first: Row, with_bed: bool) -> impl IntoView {
    let ctx = use_live();
    let (key, bed, condition, onset) =
        (first.key.clone(), first.bed.clone(), first.condition.clone(), first.onset.clone());
    let has_bed = !bed.is_empty();
    let href = format!("/bed/{bed}");
    let current = {
        let key = key.clone();
        Memo::new(move |_| rows.with(|rs| rs.iter().find(|r| r.key == key).cloned()))
    };
    // What the row shows now; an alarm leaving the list keeps its last look.
    let show = move |f: fn(&Row) -> String| {
        let first = first.clone();
        move || current.with(|c| f(c.as_ref().unwrap_or(&first)))
    };
    let bed_label = show(|r| r.bed_label.clone());
    let ack_bed = bed.clone();
    view! {
        <li class=show(|r| r.class.clone()) data-testid="alarm" data-id=key
            data-priority=show(|r| r.priority.to_string()) data-bed=bed data-condition=condition
            data-active=show(|r| yes_no(r.active)) data-acked=show(|r| yes_no(r.acked)) role="alert">
            <span class="a-marker" aria-label=show(|r| format!("{} priority", r.priority))>{show(|r| r.marker.to_string())}</span>
            {with_bed.then(|| if has_bed {
                view! { <a class="a-bed" href=href>{bed_label}</a> }.into_any()
            } else {
                view! { <span class="a-bed">{bed_label}</span> }.into_any()
            })}
            <span class="a-text" data-testid="alarm-text">{show(|r| r.text.clone())}</span>
            <span class="a-onset">"since " {onset}</span>
            <span class="a-status" data-testid="alarm-status">{show(|r| r.status.clone())}</span>
            <Show when=move || has_bed && ctx.may_act()>
                {
                    let bed = ack_bed.clone();
                    view! {
                        <button class="a-ack" data-testid="ack" on:click=move |_| actions::acknowledge(ctx, &bed)>
                            "Acknowledge"
                        </button>
                    }
                }
            </Show>
        </li>
    }
}

/// Alarm rows the bar shows without being opened: the most urgent two. The
/// rest scroll in the bar or open over the tiles; every bed's own alarm is
/// on its tile in any case, so the bar never pushes a bed off the screen.
pub const BAR_ROWS: usize = 2;

/// How long the opened list stays open over the tiles, ms.
pub const OPEN_FOR_MS: u64 = 30_000;

/// Every alarm shown on the ward, highest priority first, then oldest onset:
/// a compact bar of the most urgent ([`BAR_ROWS`]) with "+N more", opened
/// over the tiles on demand.
#[component]
pub fn AlarmList() -> impl IntoView {
    let ctx = use_live();
    let rows = Memo::new(move |_| {
        let now = ctx.now.get();
        ctx.with_alarms(|a| a.shown().into_iter().map(|x| row(&ctx, x, now)).collect::<Vec<_>>())
    });
    let open = RwSignal::new(false);
    // Opened, the list lies over the tiles: it closes by itself after
    // OPEN_FOR_MS, so it is never left covering the ward.
    let opened = StoredValue::new(0u64);
    let toggle = move |_| {
        let opening = !open.get_untracked();
        open.set(opening);
        if opening {
            opened.update_value(|n| *n += 1);
            #[cfg(feature = "hydrate")]
            {
                let this = opened.get_value();
                leptos::prelude::set_timeout(
                    move || {
                        if opened.get_value() == this {
                            open.set(false);
                        }
                    },
                    std::time::Duration::from_millis(OPEN_FOR_MS),
                );
            }
        }
    };
    let more = move || rows.read().len().saturating_sub(BAR_ROWS);
    view! {
        <section class="alarm-list" data-testid="alarm-list" aria-label="Alarms"
            data-open=move || yes_no(open.get()) data-count=move || rows.read().len().to_string()>
            <Show when=move || !rows.read().is_empty()
                fallback=|| view! { <p class="no-alarms muted" data-testid="no-alarms">"No active alarms"</p> }>
                <ul class="alarm-rows">{alarm_rows(rows, true)}</ul>
                <div class="alarm-list-head">
                    <span class="a-count">{move || match rows.read().len() { 1 => "1 alarm".to_string(), n => format!("{n} alarms") }}</span>
                    <Show when=move || { more() > 0 || open.get() }>
                        <button data-testid="alarm-more" aria-expanded=move || open.get().to_string()
                            on:click=toggle>
                            {move || if open.get() { "Fewer".to_string() } else { format!("+{} more", more()) }}
                        </button>
                    </Show>
                    {move || if ctx.may_act() {
                        view! {
                            <button data-testid="ack-all" title="Acknowledge every alarm shown: pauses their audio for 2 min"
                                on:click=move |_| actions::acknowledge_all(ctx)>
                                "Acknowledge all, pause 2 min"
                            </button>
                        }.into_any()
                    } else {
                        view! { <span class="muted" data-testid="watch-only" title="The ward's clinicians acknowledge alarms">"Watching only: clinicians acknowledge"</span> }.into_any()
                    }}
                </div>
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
                <ul>{alarm_rows(rows, false)}</ul>
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
