//! What a person at the tablet does to alarms, as event requests.
//!
//! A request is checked here with the same rules the server applies (so a
//! mistake is explained at once), queued in the outbox, and sent by the live
//! link; it stays queued, and is re-sent after a reconnect, until the server
//! confirms it by relaying the stored event. Nothing is applied from a
//! request except the audio pause of an acknowledgement: silence must not
//! wait for the network. Limits and observations take effect when the stored
//! event comes back, with its stored time, exactly as on every other tablet.

use crate::context::{LiveContext, Pending};
use leptos::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};
use vigil_shared::alarm::{BedEvent, EventRequest, Limits, Profile, StoredEvent};
use vigil_shared::news2::{Consciousness, Oxygen, SpO2Scale};
use vigil_shared::VitalKind;

static COUNTER: AtomicU64 = AtomicU64::new(0);
static TABLET: AtomicU64 = AtomicU64::new(0);

/// A request id unique to this page load: a random tablet part and a counter.
fn request_id() -> String {
    if TABLET.load(Ordering::Relaxed) == 0 {
        #[cfg(feature = "hydrate")]
        let random = (js_sys::Math::random() * 1e15) as u64 + 1;
        #[cfg(not(feature = "hydrate"))]
        let random = 1;
        TABLET.store(random, Ordering::Relaxed);
    }
    let n = COUNTER.fetch_add(1, Ordering::Relaxed) + 1;
    format!("t{:x}-{n}", TABLET.load(Ordering::Relaxed))
}

/// The tablet clock (0 when rendered on the server).
pub fn now() -> i64 {
    #[cfg(feature = "hydrate")]
    return js_sys::Date::now() as i64;
    #[cfg(not(feature = "hydrate"))]
    0
}

/// Checks and queues a request; the error is what to tell the user.
pub fn submit(ctx: LiveContext, bed: &str, event: BedEvent) -> Result<(), String> {
    let Some(actor) = ctx.user.get_untracked() else {
        return Err("Start your shift first: every acknowledgement and change is recorded with your name.".into());
    };
    let request = EventRequest { id: request_id(), bed: bed.to_string(), actor, event };
    let profile = ctx.alarms.with_value(|a| a.bed(bed).map(|b| b.settings().profile).unwrap_or_default());
    request.validate(profile).map_err(|e| e.to_string())?;
    if let BedEvent::Acknowledge { .. } = &request.event {
        // Silence now, on this tablet; the stored event confirms it everywhere.
        let local = StoredEvent {
            seq: 0,
            at: now(),
            bed: request.bed.clone(),
            actor: request.actor.clone(),
            request: request.id.clone(),
            event: request.event.clone(),
        };
        ctx.alarms.update_value(|a| a.on_event(&local));
        ctx.version.update(|v| *v += 1);
    }
    ctx.outbox.update_value(|o| o.push(Pending { request, session: 0 }));
    ctx.notice.set(None);
    Ok(())
}

fn report(ctx: LiveContext, result: Result<(), String>) {
    if let Err(e) = result {
        ctx.notice.set(Some(e));
    }
}

/// Acknowledges (audio pause) what is shown now for a bed.
pub fn acknowledge(ctx: LiveContext, bed: &str) {
    let ids = ctx.alarms.with_value(|a| a.to_acknowledge(bed));
    if !ids.is_empty() {
        report(ctx, submit(ctx, bed, BedEvent::Acknowledge { ids }));
    }
}

/// Acknowledges every bed's alarms shown now, and the tablet's own.
pub fn acknowledge_all(ctx: LiveContext) {
    let beds: Vec<String> = ctx.alarms.with_value(|a| {
        let mut beds: Vec<String> = a.shown().iter().map(|x| x.id.bed.clone()).filter(|b| !b.is_empty()).collect();
        beds.sort();
        beds.dedup();
        beds
    });
    if let Some(user) = ctx.user.get_untracked() {
        ctx.alarms.update_value(|a| a.acknowledge_connection(now(), &user));
    }
    for bed in beds {
        acknowledge(ctx, &bed);
    }
    ctx.version.update(|v| *v += 1);
}

pub fn set_limits(ctx: LiveContext, bed: &str, kind: VitalKind, limits: Limits) -> Result<(), String> {
    submit(ctx, bed, BedEvent::SetLimits { kind, limits })
}

pub fn set_profile(ctx: LiveContext, bed: &str, profile: Profile) -> Result<(), String> {
    submit(ctx, bed, BedEvent::SetProfile { profile })
}

pub fn observe(
    ctx: LiveContext,
    bed: &str,
    consciousness: Option<Consciousness>,
    oxygen: Option<Oxygen>,
    scale: SpO2Scale,
) -> Result<(), String> {
    submit(ctx, bed, BedEvent::Observe { consciousness, oxygen, scale })
}

/// Hides the bed's unusual-trend advisory (the one in force at sample time
/// `active_at`) on every tablet until a new one; recorded with the
/// clinician's name.
pub fn dismiss_advisory(ctx: LiveContext, bed: &str, active_at: i64) -> Result<(), String> {
    submit(ctx, bed, BedEvent::DismissAdvisory { active_at })
}

/// Starts a shift: who is here, and sound on (this click is the user gesture
/// browsers require before they play audio).
pub fn start_shift(ctx: LiveContext, name: &str) -> Result<(), String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err("Sign in first: the shift is the signed-in account's.".into());
    }
    ctx.user.set(Some(name.to_string()));
    #[cfg(feature = "hydrate")]
    {
        crate::sound::enable(ctx);
        if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = storage.set_item("vigil.user", name);
        }
    }
    Ok(())
}

/// Switches sound on for the person already on shift (after a reload).
pub fn enable_sound(ctx: LiveContext) {
    #[cfg(feature = "hydrate")]
    crate::sound::enable(ctx);
    #[cfg(not(feature = "hydrate"))]
    let _ = ctx;
}

/// Ends the shift: no name, so no acknowledgements, until the next one starts.
pub fn end_shift(ctx: LiveContext) {
    ctx.user.set(None);
    #[cfg(feature = "hydrate")]
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.remove_item("vigil.user");
    }
}
