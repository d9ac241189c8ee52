//! Device ingest: authenticate, validate, store, acknowledge.
//!
//! A bad frame is refused with a `reject` naming the problem and the stream
//! goes on; nothing of it is stored. A storage failure closes the socket
//! without acknowledging, so the device resends after reconnecting.

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
use vigil_shared::protocol::device::{DeviceMessage, ServerToDevice};
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
    let limit = state.config.max_device_message_bytes;
    Ok(ws.max_message_size(limit).max_frame_size(limit).on_upgrade(move |socket| session(state, device, socket)))
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
            Ok(Message::Binary(_)) => ServerToDevice::Reject {
                seq: None,
                error: "binary messages are not part of protocol v1; send JSON text".into(),
            },
            Ok(Message::Close(_)) | Err(_) => break,
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
    let raw = match serde_json::from_str::<DeviceMessage>(text) {
        Ok(DeviceMessage::Frame(raw)) => raw,
        Err(e) => {
            // Say which frame, if its number can be read at all.
            let seq = serde_json::from_str::<serde_json::Value>(text).ok().and_then(|v| v.get("seq")?.as_u64());
            tracing::warn!(device = %device.id, ?seq, error = %e, "unreadable device message rejected");
            return Ok(ServerToDevice::Reject { seq, error: format!("unreadable message: {e}") });
        }
    };
    let seq = raw.seq;
    let frame = match Frame::try_from(raw) {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(device = %device.id, seq, error = %e, "invalid frame rejected");
            return Ok(ServerToDevice::Reject { seq: Some(seq), error: e.to_string() });
        }
    };
    let outcome = state.store.store_frame(device, Arc::new(frame), now_ms()).await?;
    Ok(ServerToDevice::Ack { seq, duplicate: outcome == StoreOutcome::Duplicate })
}
