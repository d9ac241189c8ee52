//! The tablets' live feed: subscribe to beds, get what was missed from
//! storage, then live frames, in storage order per bed.

// Input from outside: no arithmetic that can overflow, wrap or panic.
#![deny(clippy::arithmetic_side_effects)]

use crate::auth::{self, Action, Principal};
use crate::clock::now_ms;
use crate::error::AppError;
use crate::relay::{frame_message_json, RelayItem};
use crate::state::AppState;
use crate::store::Appended;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinSet;
use vigil_shared::alarm::EventRequest;
use vigil_shared::frame::{Numeric, RawNumeric};
use vigil_shared::protocol::live::{ClientMessage, ServerMessage};
use vigil_shared::protocol::PROTOCOL_VERSION;

/// Frames read from storage per query when refilling a tablet.
const BACKFILL_PAGE: u32 = 500;
/// Messages queued for one tablet before its bed feeds wait for it.
const OUTBOX: usize = 2048;

/// How often an open socket checks that its session is still live (signed
/// out elsewhere, account disabled, ward assignment changed).
const RECHECK: std::time::Duration = std::time::Duration::from_secs(15);

/// Staff only, signed in, from this server's own pages (a browser's
/// `Origin` must be this server: no cross-site socket hijacking).
pub async fn live_ws(
    State(state): State<AppState>,
    headers: HeaderMap,
    principal: Option<Principal>,
    ws: WebSocketUpgrade,
) -> Result<Response, AppError> {
    if !auth::same_origin(&headers) {
        return Err(AppError::Forbidden("cross-origin socket refused".into()));
    }
    let p = principal.ok_or(AppError::Unauthorised)?;
    if !p.role.is_staff() {
        return Err(AppError::forbidden());
    }
    Ok(ws.max_message_size(64 * 1024).on_upgrade(move |socket| session(state, headers, p, socket)))
}

fn to_json(msg: &ServerMessage) -> Arc<str> {
    serde_json::to_string(msg).unwrap_or_else(|_| r#"{"type":"error","message":"encoding"}"#.into()).into()
}

async fn session(state: AppState, headers: HeaderMap, mut p: Principal, socket: WebSocket) {
    let (mut sink, mut stream) = socket.split();
    let (out, mut outbox) = mpsc::channel::<Arc<str>>(OUTBOX);
    let writer = tokio::spawn(async move {
        while let Some(text) = outbox.recv().await {
            if sink.send(Message::Text((&*text).into())).await.is_err() {
                break;
            }
        }
    });
    let mut feeds = JoinSet::new();
    let mut recheck = tokio::time::interval(RECHECK);
    recheck.tick().await;
    loop {
        let msg = tokio::select! {
            m = stream.next() => m,
            _ = recheck.tick() => {
                match auth::principal_of(&state.store, &headers).await {
                    Ok(Some(now)) if now.wards == p.wards => { p = now; continue }
                    Ok(Some(_)) => {
                        let _ = out.send(to_json(&ServerMessage::Error { message: "your ward assignment changed: reload".into() })).await;
                        break;
                    }
                    Ok(None) => {
                        let _ = out.send(to_json(&ServerMessage::Error { message: "signed out: sign in again".into() })).await;
                        break;
                    }
                    Err(_) => continue,
                }
            }
        };
        let Some(Ok(msg)) = msg else { break };
        let Message::Text(text) = msg else {
            if matches!(msg, Message::Close(_)) {
                break;
            }
            continue;
        };
        match serde_json::from_str::<ClientMessage>(&text) {
            Ok(ClientMessage::Ping { id }) => {
                let _ = out.send(to_json(&ServerMessage::Pong { id })).await;
            }
            Ok(ClientMessage::Event { request }) => match record_event(&state, &p, request).await {
                Ok(Some(reply)) => {
                    let _ = out.send(to_json(&reply)).await;
                }
                Ok(None) => {}
                Err(e) => {
                    // Not stored, so not confirmed: close the socket, and the
                    // tablet re-sends its unconfirmed requests when it is back.
                    tracing::error!(error = format!("{e:#}"), "storing an event failed; closing the tablet's socket");
                    let _ = out
                        .send(to_json(&ServerMessage::Error { message: "the event could not be stored".into() }))
                        .await;
                    break;
                }
            },
            Ok(ClientMessage::Subscribe { beds, since, recent_seconds }) => {
                feeds.abort_all();
                if let Err(e) = subscribe(&state, &p, &out, &mut feeds, beds, since, recent_seconds).await {
                    tracing::error!(error = format!("{e:#}"), "subscription failed");
                    let _ = out.send(to_json(&ServerMessage::Error { message: "subscription failed".into() })).await;
                }
            }
            Err(e) => {
                let _ = out.send(to_json(&ServerMessage::Error { message: format!("unreadable message: {e}") })).await;
            }
        }
    }
    feeds.abort_all();
    // Let the writer send what is queued (a last error), then stop.
    drop(out);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), writer).await;
}

/// Checks, stores and relays an event. Returns what to tell this tablet only:
/// a refusal, or the earlier stored event when the request was a re-send;
/// `None` when the event was new (it reaches this tablet through the relay).
async fn record_event(
    state: &AppState,
    p: &Principal,
    mut request: EventRequest,
) -> anyhow::Result<Option<ServerMessage>> {
    let reject = |reason: String| Ok(Some(ServerMessage::EventRejected { request: request.id.clone(), reason }));
    match state.store.bed_wards().await?.get(&request.bed) {
        Some(ward) if p.may(Action::ActOnBed { ward }) => {}
        Some(ward) if p.watches(ward) => return reject("your role does not allow this".into()),
        // A bed of a ward not assigned is answered as one that does not exist.
        _ => return reject(format!("there is no bed {:?}", request.bed)),
    }
    // The actor is the signed-in account, whatever the tablet wrote.
    request.actor = p.username.clone();
    let (bed, id) = (request.bed.clone(), request.id.clone());
    let event = match state.store.append_event(request, now_ms()).await? {
        Appended::New(event) => event,
        Appended::Duplicate(event) => return Ok(Some(ServerMessage::Event { event })),
        Appended::Refused(reason) => return Ok(Some(ServerMessage::EventRejected { request: id, reason })),
    };
    tracing::info!(bed = %bed, seq = event.seq, kind = event.event.kind(), "audit event stored");
    state.relay.publish(&bed, RelayItem { cursor: None, json: to_json(&ServerMessage::Event { event }) });
    Ok(None)
}

/// Subscribes to the beds asked for, or every bed the principal may watch.
/// A bed asked for that the principal may not watch refuses the whole
/// subscription, with the same words as a bed that does not exist.
async fn subscribe(
    state: &AppState,
    p: &Principal,
    out: &mpsc::Sender<Arc<str>>,
    feeds: &mut JoinSet<()>,
    wanted: Vec<String>,
    since: BTreeMap<String, u64>,
    recent_seconds: Option<u32>,
) -> anyhow::Result<()> {
    let wards = state.store.bed_wards().await?;
    let may = |bed: &str| wards.get(bed).is_some_and(|w| p.watches(w));
    if let Some(bed) = wanted.iter().find(|b| !may(b)) {
        out.send(to_json(&ServerMessage::Error { message: format!("there is no bed {bed:?}: nothing subscribed") }))
            .await?;
        return Ok(());
    }
    let all = state.store.beds().await?.into_iter().filter(|b| may(&b.id));
    let beds: Vec<_> = if wanted.is_empty() { all.collect() } else { all.filter(|b| wanted.contains(&b.id)).collect() };
    out.send(to_json(&ServerMessage::Ward {
        protocol: PROTOCOL_VERSION,
        beds: beds.clone(),
        alarms: Some(state.config.alarms),
    }))
    .await?;
    let recent = recent_seconds.unwrap_or(state.config.recent_seconds_default).min(state.config.recent_seconds_max);
    for bed in beds {
        // Subscribe before reading storage: nothing committed in between is missed.
        let rx = state.relay.subscribe(&bed.id);
        let start = since.get(&bed.id).copied();
        feeds.spawn(feed(state.clone(), bed.id, start, recent, rx, out.clone()));
    }
    Ok(())
}

/// One bed's feed: refill from storage after `since` (or the last `recent`
/// seconds), then relay live frames, refilling again whenever it lagged.
async fn feed(
    state: AppState,
    bed: String,
    since: Option<u64>,
    recent: u32,
    mut rx: broadcast::Receiver<RelayItem>,
    out: mpsc::Sender<Arc<str>>,
) {
    let result: anyhow::Result<()> = async {
        // A cursor older than the longest refill a tablet may ask for is
        // moved up to it: one subscription never replays more than
        // `recent_seconds_max` of a bed (older data is the trend's and full
        // disclosure's, read in bounded requests).
        let oldest = i64::from(state.config.recent_seconds_max).saturating_mul(1000);
        let floor = state.store.cursor_before_time(&bed, now_ms().saturating_sub(oldest)).await?;
        // And one beyond every stored cursor (cursors are never reused, so it
        // was never given out) would hold back every frame to come.
        let newest = state.store.cursor_before_time(&bed, i64::MAX).await?;
        let mut last = match since {
            Some(c) => c.max(floor).min(newest.max(floor)),
            None => {
                let since = now_ms().saturating_sub(i64::from(recent).saturating_mul(1000));
                state.store.cursor_before_time(&bed, since).await?
            }
        };
        // Settings first, so the frames that follow are judged with them.
        send_events(&state, &bed, &out).await?;
        send_latest(&state, &bed, &out).await?;
        refill(&state, &bed, &mut last, &out).await?;
        out.send(to_json(&ServerMessage::CaughtUp { bed: bed.clone(), cursor: Some(last) })).await?;
        loop {
            match rx.recv().await {
                Ok(RelayItem { cursor: None, json }) => out.send(json).await?,
                Ok(RelayItem { cursor: Some(cursor), json }) if cursor > last => {
                    last = cursor;
                    out.send(json).await?;
                }
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::debug!(bed = %bed, skipped = n, "tablet lagged; refilling from storage");
                    // Events may have been among what was skipped; re-sending
                    // them is harmless (tablets apply an event once).
                    send_events(&state, &bed, &out).await?;
                    refill(&state, &bed, &mut last, &out).await?;
                }
                Err(broadcast::error::RecvError::Closed) => return Ok(()),
            }
        }
    }
    .await;
    if let Err(e) = result {
        tracing::debug!(bed = %bed, error = format!("{e:#}"), "bed feed ended");
    }
}

/// The bed's newest intermittent values within the age limit, so a tablet
/// opened an hour after a cuff measurement still shows it, with its time.
/// Only the patient now in the bed, since they came to it: an empty bed, or
/// the previous patient's last cuff reading, sends nothing.
async fn send_latest(state: &AppState, bed: &str, out: &mpsc::Sender<Arc<str>>) -> anyhow::Result<()> {
    let Some(patient) = state.store.patient_in_bed(bed).await? else { return Ok(()) };
    let now = now_ms();
    let max_age = i64::from(state.config.latest_max_age_hours).saturating_mul(3_600_000);
    let from = now.saturating_sub(max_age).max(patient.bed_since);
    // Device clocks run a little ahead of ours at times; a minute is allowed.
    let rows = state.store.latest_numerics(bed, from, now.saturating_add(60_000)).await?;
    let numerics: Vec<Numeric> = rows
        .into_iter()
        .filter(|(kind, _, _)| kind.is_intermittent())
        .filter_map(|(kind, t, value)| Numeric::check(0, RawNumeric { kind, t, value }).ok())
        .collect();
    if !numerics.is_empty() {
        out.send(to_json(&ServerMessage::Latest { bed: bed.to_string(), numerics })).await?;
    }
    Ok(())
}

async fn send_events(state: &AppState, bed: &str, out: &mpsc::Sender<Arc<str>>) -> anyhow::Result<()> {
    for event in state.store.bed_events(bed, now_ms()).await? {
        out.send(to_json(&ServerMessage::Event { event })).await?;
    }
    Ok(())
}

async fn refill(state: &AppState, bed: &str, last: &mut u64, out: &mpsc::Sender<Arc<str>>) -> anyhow::Result<()> {
    loop {
        let rows = state.store.frames_after(bed, *last, BACKFILL_PAGE).await?;
        if rows.is_empty() {
            return Ok(());
        }
        for r in rows {
            *last = r.cursor;
            out.send(frame_message_json(bed, r.cursor, r.received_at, &r.payload).into()).await?;
        }
    }
}
