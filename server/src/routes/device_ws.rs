//! Device ingest: authenticate, validate, store, acknowledge.
//!
//! A bad frame is refused with a `reject` naming the problem (and a code the
//! device can act on) and the stream goes on; nothing of it is stored. A
//! message over [`MAX_DEVICE_MESSAGE_BYTES`] is refused the same way (code
//! `too_large`); one over [`READ_LIMIT_BYTES`] is not read: it is logged and
//! the socket closed with code 1009 and the limit in the reason. A storage
//! failure closes the socket without acknowledging, so the device resends
//! after reconnecting.

// Input from outside: no arithmetic that can overflow, wrap or panic.
#![deny(clippy::arithmetic_side_effects)]

use crate::clock::now_ms;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::rows::DeviceIdentity;
use crate::store::StoreOutcome;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::Response;
use std::sync::Arc;
use vigil_shared::protocol::device::{
    DeviceMessage, RejectCode, ServerToDevice, FUTURE_TOLERANCE_MS, MAX_DEVICE_MESSAGE_BYTES, READ_LIMIT_BYTES,
};
use vigil_shared::protocol::PROTOCOL_VERSION;
use vigil_shared::Frame;

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

pub async fn device_ws(
    State(state): State<AppState>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Result<Response, AppError> {
    let Some(token) = bearer(&headers) else {
        tracing::warn!("device connection without a bearer token refused");
        return Err(AppError::Unauthorised);
    };
    let Some(device) = state.store.authenticate_device(token).await? else {
        tracing::warn!("device connection with an unknown or revoked token refused");
        return Err(AppError::Unauthorised);
    };
    let limit = READ_LIMIT_BYTES;
    Ok(ws.max_message_size(limit).max_frame_size(limit).on_upgrade(move |socket| session(state, device, socket)))
}

/// Whether a read failed because the message was over the size limit. The
/// WebSocket library says so only in its error's text (axum does not export
/// its error type); `a_message_over_the_limit_is_closed_with_1009_and_logged`
/// pins it.
fn too_big(e: &axum::Error) -> bool {
    let text = format!("{e:#}");
    text.contains("Message too long") || text.contains("Space limit exceeded")
}

async fn send(socket: &mut WebSocket, msg: &ServerToDevice) -> bool {
    match serde_json::to_string(msg) {
        Ok(text) => socket.send(Message::Text(text.into())).await.is_ok(),
        Err(_) => false,
    }
}

async fn session(state: AppState, device: DeviceIdentity, mut socket: WebSocket) {
    tracing::info!(device = %device.id, bed = %device.bed, "device connected");
    let last_stored_seq = match state.store.last_stored_seq(&device.id).await {
        Ok(v) => v,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "device welcome failed");
            return;
        }
    };
    let welcome = ServerToDevice::Welcome {
        protocol: PROTOCOL_VERSION,
        device: device.id.clone(),
        bed: device.bed.clone(),
        last_stored_seq,
    };
    if !send(&mut socket, &welcome).await {
        return;
    }
    while let Some(msg) = socket.recv().await {
        let reply = match msg {
            Ok(Message::Text(text)) => match handle_text(&state, &device, &text).await {
                Ok(reply) => reply,
                Err(e) => {
                    tracing::error!(device = %device.id, error = format!("{e:#}"), "storing failed; closing so the device resends");
                    let close = CloseFrame { code: 1011, reason: "storage unavailable; resend later".into() };
                    let _ = socket.send(Message::Close(Some(close))).await;
                    return;
                }
            },
            Ok(Message::Binary(b)) => {
                tracing::warn!(device = %device.id, bytes = b.len(), "binary device message rejected");
                ServerToDevice::Reject {
                seq: None,
                error: "binary messages are not part of protocol v1; send JSON text".into(),
                code: RejectCode::Invalid,
            }
            }
            Err(e) if too_big(&e) => {
                tracing::warn!(device = %device.id, limit = READ_LIMIT_BYTES, error = %e, "device message far over the size limit; closing");
                let reason = format!("message over {READ_LIMIT_BYTES} bytes: not read (the limit is {MAX_DEVICE_MESSAGE_BYTES})");
                let close = CloseFrame { code: 1009, reason: reason.into() };
                let _ = socket.send(Message::Close(Some(close))).await;
                break;
            }
            Err(e) => {
                tracing::info!(device = %device.id, error = %e, "device connection failed");
                break;
            }
            Ok(Message::Close(_)) => break,
            Ok(_) => continue,
        };
        if !send(&mut socket, &reply).await {
            break;
        }
    }
    tracing::info!(device = %device.id, "device disconnected");
}

/// One text message in, one reply out; `Err` only when storage failed.
async fn handle_text(state: &AppState, device: &DeviceIdentity, text: &str) -> anyhow::Result<ServerToDevice> {
    if text.len() > MAX_DEVICE_MESSAGE_BYTES {
        #[derive(serde::Deserialize)]
        struct SeqOnly {
            seq: Option<u64>,
        }
        let seq = serde_json::from_str::<SeqOnly>(text).ok().and_then(|m| m.seq);
        tracing::warn!(device = %device.id, ?seq, bytes = text.len(), "device message over the size limit rejected");
        let error = format!(
            "message of {} bytes is over the protocol's limit of {MAX_DEVICE_MESSAGE_BYTES} bytes; no frame the protocol allows is this large",
            text.len()
        );
        return Ok(ServerToDevice::Reject { seq, error, code: RejectCode::TooLarge });
    }
    let raw = match serde_json::from_str::<DeviceMessage>(text) {
        Ok(DeviceMessage::Frame(raw)) => raw,
        Err(e) => {
            // Say which frame, if its number can be read at all.
            let seq = serde_json::from_str::<serde_json::Value>(text).ok().and_then(|v| v.get("seq")?.as_u64());
            tracing::warn!(device = %device.id, ?seq, error = %e, "unreadable device message rejected");
            return Ok(ServerToDevice::Reject { seq, error: format!("unreadable message: {e}"), code: RejectCode::Invalid });
        }
    };
    let seq = raw.seq;
    let frame = match Frame::try_from(raw) {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(device = %device.id, seq, error = %e, "invalid frame rejected");
            return Ok(ServerToDevice::Reject { seq: Some(seq), error: e.to_string(), code: RejectCode::Invalid });
        }
    };
    let now = now_ms();
    let newest = frame.time_span().1;
    if newest > now.saturating_add(FUTURE_TOLERANCE_MS) {
        let ahead_s = newest.saturating_sub(now) / 1000;
        tracing::warn!(device = %device.id, seq, ahead_s, "frame dated in the future rejected");
        let error = format!(
            "frame {seq} is dated {ahead_s} s ahead of the server's clock (at most {} s allowed); set the device's clock",
            FUTURE_TOLERANCE_MS / 1000
        );
        return Ok(ServerToDevice::Reject { seq: Some(seq), error, code: RejectCode::Future });
    }
    Ok(match state.store.store_frame(device, Arc::new(frame), now).await? {
        StoreOutcome::Stored { .. } => ServerToDevice::Ack { seq, duplicate: false },
        StoreOutcome::Duplicate => ServerToDevice::Ack { seq, duplicate: true },
        StoreOutcome::SeqReused => {
            tracing::warn!(device = %device.id, seq, "frame reuses a stored seq with other content; rejected");
            let error = format!(
                "frame {seq}: this device already stored a different frame {seq}; its counter went back. \
                 Nothing was stored: reconnect and number from the welcome's last_stored_seq + 1"
            );
            ServerToDevice::Reject { seq: Some(seq), error, code: RejectCode::SeqReused }
        }
    })
}
