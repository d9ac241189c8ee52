//! History: numeric trends and full-disclosure waveforms of one bed.

// Input from outside: no arithmetic that can overflow, wrap or panic.
#![deny(clippy::arithmetic_side_effects)]

use crate::auth::Principal;
use crate::clock::now_ms;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::Json;
use super::params::{TrendQuery, WaveQuery};
use std::collections::BTreeMap;
use vigil_shared::frame::RawFrame;
use vigil_shared::WaveKind;

pub use super::params::{step_for, MAX_TREND_BUCKETS, MAX_WAVE_WINDOW_MS};

/// A bed the asker may watch; any other is "not found", whether it exists or not.
pub async fn may_watch(state: &AppState, p: &Principal, bed: &str) -> Result<(), AppError> {
    match state.store.bed_wards().await?.get(bed) {
        Some(ward) if p.watches(ward) => Ok(()),
        _ => Err(AppError::NotFound),
    }
}

/// `{ "bed", "from", "to", "step" (s), "series": { "hr": [[t, mean, min, max], ...] } }`
pub async fn trend(
    State(state): State<AppState>,
    p: Principal,
    Path(bed): Path<String>,
    Query(q): Query<TrendQuery>,
) -> Result<Json<serde_json::Value>, AppError> {
    let r = q.check(now_ms()).map_err(AppError::BadRequest)?;
    may_watch(&state, &p, &bed).await?;
    // Buckets start on whole steps, so the first one may begin before `from`.
    let series = state.store.trend(&bed, r.first_bucket, r.to, r.step_ms).await?;
    let (from, to, step_ms) = (r.from, r.to, r.step_ms);
    Ok(Json(serde_json::json!({ "bed": bed, "from": from, "to": to, "step": step_ms / 1000, "series": series })))
}

/// Full disclosure: every waveform sample of `from..to` (device ms, at most
/// five minutes), per wave kind, as stored chunks cut to the window.
/// `{ "bed", "from", "to", "waves": { "ecg_ii": [{ "t0", "rate_hz", "samples" }] } }`
pub async fn waves(
    State(state): State<AppState>,
    p: Principal,
    Path(bed): Path<String>,
    Query(q): Query<WaveQuery>,
) -> Result<Json<serde_json::Value>, AppError> {
    let (from, to) = q.check().map_err(AppError::BadRequest)?;
    may_watch(&state, &p, &bed).await?;
    let frames = state.store.frames_between(&bed, from, to).await?;
    let mut waves: BTreeMap<WaveKind, Vec<serde_json::Value>> = BTreeMap::new();
    for stored in frames {
        let raw: RawFrame = serde_json::from_str(&stored.payload).map_err(|e| AppError::Internal(e.into()))?;
        for w in raw.waves {
            if let Some(part) = crate::store::codec::wave_window(&w, from, to.saturating_sub(1)) {
                waves
                    .entry(part.kind)
                    .or_default()
                    .push(serde_json::json!({ "t0": part.t0, "rate_hz": part.rate_hz, "samples": part.samples }));
            }
        }
    }
    for chunks in waves.values_mut() {
        chunks.sort_by_key(|c| c["t0"].as_i64());
    }
    Ok(Json(serde_json::json!({ "bed": bed, "from": from, "to": to, "waves": waves })))
}
