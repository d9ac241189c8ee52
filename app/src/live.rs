//! The tablet's link to the server (hydrate only).
//!
//! One WebSocket to `/ws/live`. On (re)connecting it subscribes with the
//! cursor it holds per bed, so the server refills exactly what was missed.
//! A silent link is detected by keep-alive pings, and the browser saying it
//! is offline (Wi-Fi gone) ends the link at once, without waiting for the
//! silence: an open WebSocket can outlive the network for a long time. A lost
//! link is shown at once and retried with exponential back-off and jitter.

use crate::context::{ConnStatus, LiveContext};
use crate::sound;
use futures_util::future::{select, Either};
use futures_util::{SinkExt, StreamExt};
use gloo_net::websocket::{futures::WebSocket, Message};
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::cell::Cell;
use std::rc::Rc;
use vigil_shared::protocol::live::{ClientMessage, ServerMessage};
use vigil_shared::ward::Applied;
use vigil_shared::VitalKind;

/// Seconds of recent data asked for on the first subscription.
const RECENT_SECONDS: u32 = 30;
/// Send a ping after this long without sending one.
const PING_EVERY_MS: i64 = 2_000;
/// Give up a connection attempt that has not opened after this long.
const CONNECT_TIMEOUT_MS: u32 = 5_000;
/// Declare the link dead after this long without any message.
const SILENT_LIMIT_MS: i64 = 6_000;
/// How often the session looks at its outbox and keep-alive, and a tablet
/// backing off whether the browser is online again.
const POLL_MS: u32 = 100;
/// Most a tablet waits to reconnect once the browser is back online.
const ONLINE_SPREAD_MS: f64 = 300.0;
/// Seconds between saves of the ward's last minutes to the browser.
const SAVE_EVERY_S: u64 = 5;

fn now() -> i64 {
    js_sys::Date::now() as i64
}

thread_local! {
    /// Whether this page load has fetched the beds' history.
    static HISTORY_LOADED: Cell<bool> = const { Cell::new(false) };
}

/// The browser knows it has no network (`navigator.onLine` is false).
fn browser_offline() -> bool {
    web_sys::window().is_some_and(|w| !w.navigator().on_line())
}

pub fn start(ctx: LiveContext) {
    if ctx.started.get_value() {
        return;
    }
    ctx.started.set_value(true);
    ctx.now.set(now());
    if let Some(user) = web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item("vigil.user").ok().flatten())
    {
        ctx.user.set(Some(user));
    }
    spawn_local(crate::offline::register_service_worker());
    spawn_local(async move {
        let mut seconds = 0u64;
        let mut saved_outbox: Vec<String> = Vec::new();
        let saving = Rc::new(Cell::new(false));
        let mut save_late_reported = false;
        let page_start = now();
        let mut next_second = page_start + 1_000;
        loop {
            // Once a second, or sooner when the connection alarm falls due
            // (so it is raised on time, not up to a second late).
            let due = ctx.alarms.with_value(|a| a.connection_due()).unwrap_or(i64::MAX);
            let wake = next_second.min(due);
            TimeoutFuture::new((wake - now()).clamp(10, 1_000) as u32).await;
            let t = now();
            ctx.now.set(t);
            // (A wall clock set back starts the seconds again from now.)
            if t >= next_second || next_second - t > 1_000 {
                next_second = t + 1_000;
                // The ward's last minutes and the unconfirmed requests to the
                // browser every 5 s when they changed (sooner would cost the
                // tablet more than it gains).
                seconds += 1;
                let outbox: Vec<String> = ctx.outbox.with_value(|o| o.iter().map(|p| p.request.id.clone()).collect());
                // The save runs on its own: a slow or stuck IndexedDB must
                // never hold up the alarm rules below. One at a time, so an
                // older snapshot can never overwrite a newer one.
                if seconds.is_multiple_of(SAVE_EVERY_S)
                    && (ctx.journal.with_value(|j| j.changed()) || outbox != saved_outbox)
                {
                    if saving.get() {
                        if !save_late_reported {
                            save_late_reported = true;
                            leptos::logging::warn!("the last save of the ward has not finished; this one waits");
                        }
                    } else {
                        save_late_reported = false;
                        saving.set(true);
                        let done = saving.clone();
                        spawn_local(async move {
                            crate::offline::save(ctx, t).await;
                            done.set(false);
                        });
                        saved_outbox = outbox;
                    }
                }
            }
            // The wall-clock alarm rules: the tablet's own connection (counted
            // from when the link failed), beds that went silent, escalation;
            // then what should sound.
            let status = ctx.status.get_untracked();
            let connected = matches!(status, ConnStatus::Live);
            let changed = ctx.alarms.try_update_value(|a| {
                // Only a failure this page saw (attempt 1 on): a ward restored
                // from the browser is "lost since it was saved", which says
                // nothing yet about the link, and this page was not open then.
                if let ConnStatus::Lost { since, attempt } = status {
                    if attempt > 0 {
                        a.link_lost(since.max(page_start));
                    }
                }
                a.tick(t, connected);
                !a.take_changes().is_empty()
            });
            if changed == Some(true) {
                ctx.version.update(|v| *v += 1);
            }
            sound::update(ctx, t);
        }
    });
    // Re-render at most four times a second, however fast frames arrive.
    let dirty = Rc::new(Cell::new(false));
    let flag = dirty.clone();
    spawn_local(async move {
        loop {
            TimeoutFuture::new(250).await;
            if flag.replace(false) {
                ctx.version.update(|v| *v += 1);
            }
        }
    });
    spawn_local(async move {
        restore(ctx).await;
        let mut attempt = 0u32;
        let mut session_no = 0u64;
        loop {
            session_no += 1;
            let reached_live = session(ctx, &dirty, session_no).await;
            if reached_live {
                attempt = 0;
            }
            attempt += 1;
            let since = match ctx.status.get_untracked() {
                ConnStatus::Lost { since, .. } if !reached_live => since,
                _ => now(),
            };
            ctx.status.set(ConnStatus::Lost { since, attempt });
            // A socket refused because the session ended (signed out
            // elsewhere, account disabled): to the sign-in page, not retries.
            if attempt == 2 && !browser_offline() && matches!(crate::session::fetch_me().await, Ok(None)) {
                crate::offline::forget().await;
                crate::session::go("/signin");
            }
            let base = (250.0 * 2f64.powi(attempt.min(5) as i32)).min(5_000.0);
            let wait = base * (0.75 + 0.5 * js_sys::Math::random());
            back_off(wait).await;
        }
    });
}

/// Opens the ward as this tablet last saved it, if recently: replayed
/// through the same handling as live messages (the alarm engine judges them
/// again), marked as restored and not live, with unconfirmed requests queued
/// again. The next connection resumes from the restored cursors.
async fn restore(ctx: LiveContext) {
    let Some(snapshot) = crate::offline::load(now()).await else { return };
    // Arrived no later than it was saved: so it shows as stale at once.
    for msg in &snapshot.messages {
        handle(ctx, msg, snapshot.saved_at);
    }
    crate::offline::restore_outbox(ctx, &snapshot);
    ctx.restored.set(Some(snapshot.saved_at));
    if !matches!(ctx.status.get_untracked(), ConnStatus::Live) {
        ctx.status.set(ConnStatus::Lost { since: snapshot.saved_at, attempt: 0 });
    }
    ctx.version.update(|v| *v += 1);
}

fn ws_url() -> Option<String> {
    let loc = web_sys::window()?.location();
    let scheme = if loc.protocol().ok()? == "https:" { "wss" } else { "ws" };
    Some(format!("{scheme}://{}/ws/live", loc.host().ok()?))
}

enum Event {
    Message(Option<Result<Message, gloo_net::websocket::WebSocketError>>),
    Tick,
}

/// Waits `wait_ms` before the next connection attempt, or less: when the
/// browser was offline and says it is online again (Wi-Fi back), the tablet
/// is blind until it reconnects, so it tries at once, after a short random
/// delay that spreads a ward's tablets.
async fn back_off(wait_ms: f64) {
    let was_offline = browser_offline();
    let deadline = now() + wait_ms as i64;
    while now() < deadline {
        TimeoutFuture::new(POLL_MS).await;
        if was_offline && !browser_offline() {
            TimeoutFuture::new((ONLINE_SPREAD_MS * js_sys::Math::random()) as u32).await;
            return;
        }
    }
}

/// Marks a moment of a (re)connection for anyone timing the catch-up
/// (BENCHMARKS.md, section 3): `vigil-live` when the server's ward arrives,
/// `vigil-caught-up` when every bed has been refilled from storage
/// (`performance.getEntriesByName(...)`).
fn mark(name: &str) {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark(name);
    }
}

/// The outbox requests not yet sent on this connection, marked as sent.
fn unsent(ctx: LiveContext, session_no: u64) -> Vec<String> {
    ctx.outbox
        .try_update_value(|o| {
            o.iter_mut()
                .filter(|p| p.session != session_no)
                .filter_map(|p| {
                    p.session = session_no;
                    serde_json::to_string(&ClientMessage::Event { request: p.request.clone() }).ok()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Takes in one server message: ward state, alarms, confirmations.
fn handle(ctx: LiveContext, msg: &ServerMessage, t: i64) {
    ctx.journal.update_value(|j| j.record(msg));
    match msg {
        ServerMessage::Event { event } => {
            ctx.alarms.update_value(|a| a.on_event(event));
            ctx.outbox.update_value(|o| o.retain(|p| p.request.id != event.request));
        }
        ServerMessage::EventRejected { request, reason } => {
            ctx.outbox.update_value(|o| o.retain(|p| &p.request.id != request));
            ctx.notice.set(Some(format!("Not recorded: {reason}")));
        }
        _ => {}
    }
    let applied = ctx.ward.try_update_value(|w| w.apply(msg, t));
    match (applied, msg) {
        (Some(Applied::Frame { fresh: true, .. }), ServerMessage::Frame { bed, frame, .. }) => {
            ctx.alarms.update_value(|a| a.on_frame(bed, frame, t));
        }
        (Some(Applied::Ward), ServerMessage::Ward { beds, alarms, .. }) => {
            ctx.alarms.update_value(|a| {
                if let Some(options) = alarms {
                    a.set_options(*options);
                }
                a.on_ward(beds);
            });
        }
        (Some(Applied::CaughtUp { bed }), _) => {
            ctx.alarms.update_value(|a| a.on_caught_up(&bed));
        }
        _ => {}
    }
}

/// One connection, until it fails. Returns whether it got as far as live.
async fn session(ctx: LiveContext, dirty: &Rc<Cell<bool>>, session_no: u64) -> bool {
    if browser_offline() {
        return false;
    }
    let Some(url) = ws_url() else { return false };
    let Ok(ws) = WebSocket::open(&url) else { return false };
    let (mut tx, mut rx) = ws.split();
    let since = ctx.ward.with_value(|w| w.resume_cursors());
    let subscribe = ClientMessage::Subscribe { beds: vec![], since, recent_seconds: Some(RECENT_SECONDS) };
    let Ok(text) = serde_json::to_string(&subscribe) else { return false };
    // Sending waits for the socket to open; a connection attempt that hangs
    // (a black-holed network) must not hang the tablet with it.
    match select(tx.send(Message::Text(text)), TimeoutFuture::new(CONNECT_TIMEOUT_MS)).await {
        Either::Left((Ok(()), _)) => {}
        _ => return false,
    }
    let mut live = false;
    // The beds whose refill from storage has not ended yet (`CaughtUp`).
    let mut catching_up: Option<std::collections::BTreeSet<String>> = None;
    let (mut last_message, mut last_ping, mut ping_id) = (now(), now(), 0u64);
    let mut timer = Box::pin(TimeoutFuture::new(POLL_MS));
    loop {
        let event = match select(rx.next(), timer.as_mut()).await {
            Either::Left((msg, _)) => Event::Message(msg),
            Either::Right(_) => Event::Tick,
        };
        match event {
            Event::Message(Some(Ok(Message::Text(text)))) => {
                last_message = now();
                match serde_json::from_str::<ServerMessage>(&text) {
                    Ok(msg) => {
                        if let ServerMessage::Ward { beds, .. } = &msg {
                            live = true;
                            mark("vigil-live");
                            ctx.status.set(ConnStatus::Live);
                            ctx.restored.set(None);
                            // Trends from before this tablet opened: once per page
                            // load, a ward restored from the browser included.
                            if !HISTORY_LOADED.replace(true) {
                                for b in beds {
                                    load_history(ctx, b.id.clone());
                                }
                            }
                            catching_up = Some(beds.iter().map(|b| b.id.clone()).collect());
                        }
                        if let (ServerMessage::CaughtUp { bed, .. }, Some(left)) = (&msg, catching_up.as_mut()) {
                            left.remove(bed);
                        }
                        if catching_up.as_ref().is_some_and(|left| left.is_empty()) {
                            catching_up = None;
                            mark("vigil-caught-up");
                        }
                        handle(ctx, &msg, now());
                        dirty.set(true);
                    }
                    Err(e) => leptos::logging::warn!("unreadable message from the server: {e}"),
                }
            }
            Event::Message(Some(Ok(Message::Bytes(_)))) => {}
            Event::Message(Some(Err(_)) | None) => return live,
            Event::Tick => {
                timer = Box::pin(TimeoutFuture::new(POLL_MS));
                for text in unsent(ctx, session_no) {
                    if tx.send(Message::Text(text)).await.is_err() {
                        return live;
                    }
                }
                let t = now();
                if t - last_message > SILENT_LIMIT_MS || browser_offline() {
                    return live;
                }
                if t - last_ping >= PING_EVERY_MS {
                    ping_id += 1;
                    last_ping = t;
                    let Ok(text) = serde_json::to_string(&ClientMessage::Ping { id: ping_id }) else { return live };
                    if tx.send(Message::Text(text)).await.is_err() {
                        return live;
                    }
                }
            }
        }
    }
}

/// Minutes of per-minute means fetched for the unusual-trend baseline (the
/// older baseline reaches back six hours).
const BASELINE_MINUTES: u32 = 420;

type Series = Vec<(VitalKind, Vec<(i64, f64)>)>;

/// A bed's trend series from the history endpoint (`[[t, mean, ..], ..]`).
async fn fetch_series(url: &str) -> Option<Series> {
    let resp = gloo_net::http::Request::get(url).send().await.ok()?;
    if !resp.ok() {
        return None;
    }
    let json: serde_json::Value = serde_json::from_str(&resp.text().await.ok()?).ok()?;
    let series = json.get("series")?.as_object()?;
    Some(
        series
            .iter()
            .filter_map(|(k, pts)| {
                let kind: VitalKind = serde_json::from_value(serde_json::Value::String(k.clone())).ok()?;
                let pts = pts
                    .as_array()?
                    .iter()
                    .filter_map(|p| Some((p.get(0)?.as_f64()? as i64, p.get(1)?.as_f64()?)))
                    .collect();
                Some((kind, pts))
            })
            .collect(),
    )
}

/// Fetches the bed's last hour of numerics and merges it under the live
/// trend, and its last hours of per-minute means for the trend baseline.
pub fn load_history(ctx: LiveContext, bed: String) {
    spawn_local(async move {
        let Some(parsed) = fetch_series(&format!("/api/beds/{bed}/trend?minutes=60&step=10")).await else { return };
        // The ward may not have arrived yet when a bed is opened directly.
        for _ in 0..40 {
            let merged = ctx.ward.try_update_value(|w| match w.bed_mut(&bed) {
                Some(b) => {
                    for (kind, pts) in &parsed {
                        b.merge_trend(*kind, pts);
                    }
                    true
                }
                None => false,
            });
            if merged == Some(true) {
                // NEWS2 needs the newest NIBP and temperature, which can be an
                // hour old: more than the live backfill brings.
                ctx.alarms.update_value(|a| {
                    for (kind, pts) in &parsed {
                        if let Some(&(t, v)) = pts.last() {
                            a.seed(&bed, *kind, t, v);
                        }
                    }
                });
                ctx.version.update(|v| *v += 1);
                break;
            }
            TimeoutFuture::new(500).await;
        }
        let url = format!("/api/beds/{bed}/trend?minutes={BASELINE_MINUTES}&step=60");
        if let Some(minutes) = fetch_series(&url).await {
            ctx.alarms.update_value(|a| a.seed_trends(&bed, &minutes));
            ctx.version.update(|v| *v += 1);
        }
    });
}
