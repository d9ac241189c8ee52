//! History: numeric trends and full-disclosure waveforms of one bed.

// Input from outside: no arithmetic that can overflow, wrap or panic.
#![deny(clippy::arithmetic_side_effects)]

use crate::auth::Principal;
use crate::clock::now_ms;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;
use std::collections::BTreeMap;
use vigil_shared::frame::{RawFrame, EARLIEST_TIME, LATEST_TIME};
use vigil_shared::WaveKind;

/// Longest trend range: the default numerics retention, 30 days.
const MAX_MINUTES: u32 = 30 * 24 * 60;
/// Longest full-disclosure window one request returns.
pub const MAX_WAVE_WINDOW_MS: i64 = 5 * 60_000;
/// Most buckets one trend request may ask for (per kind): a screen shows
/// far fewer, and it bounds the work of one request.
pub const MAX_TREND_BUCKETS: i64 = 5000;

/// A time given in a query: within the times a frame may carry (2000-2100),
/// so no sum or difference of two of them can overflow.
fn time_param(name: &str, t: i64) -> Result<i64, AppError> {
    if (EARLIEST_TIME..=LATEST_TIME).contains(&t) {
        Ok(t)
    } else {
        Err(AppError::BadRequest(format!("{name} must be a time in ms between {EARLIEST_TIME} and {LATEST_TIME}")))
    }
}

#[derive(Deserialize)]
pub struct TrendQuery {
    /// How far back from `to`, minutes (1..=43200).
    #[serde(default = "default_minutes")]
    minutes: u32,
    /// End of the range, ms since the epoch; now by default.
    to: Option<i64>,
    /// How many buckets the screen can show (10..=2000); the step follows.
    points: Option<u32>,
    /// Or the bucket width itself, seconds (1..=3600).
    step: Option<u32>,
}

fn default_minutes() -> u32 {
    60
}

/// A bed the asker may watch; any other is "not found", whether it exists or not.
pub async fn may_watch(state: &AppState, p: &Principal, bed: &str) -> Result<(), AppError> {
    match state.store.bed_wards().await?.get(bed) {
        Some(ward) if p.watches(ward) => Ok(()),
        _ => Err(AppError::NotFound),
    }
}

/// The bucket width for `minutes` shown in `points`: whole seconds, and
/// whole minutes from half a minute up (so 8 hours and longer read the
/// per-minute aggregates, never every reading). Never more than `points`.
pub fn step_for(minutes: u32, points: u32) -> i64 {
    // Whole minutes of u32 and a positive divisor: nothing here can overflow.
    let ceil = |a: i64, b: i64| a.saturating_add(b).saturating_sub(1).checked_div(b).unwrap_or(a);
    let raw = ceil(i64::from(minutes).saturating_mul(60_000), i64::from(points.max(1)));
    if raw >= 30_000 {
        ceil(raw, 60_000).saturating_mul(60_000)
    } else {
        ceil(raw, 1000).max(1).saturating_mul(1000)
    }
}

/// `{ "bed", "from", "to", "step" (s), "series": { "hr": [[t, mean, min, max], ...] } }`
pub async fn trend(
    State(state): State<AppState>,
    p: Principal,
    Path(bed): Path<String>,
    Query(q): Query<TrendQuery>,
) -> Result<Json<serde_json::Value>, AppError> {
    if !(1..=MAX_MINUTES).contains(&q.minutes) {
        return Err(AppError::BadRequest(format!("minutes must be 1..={MAX_MINUTES}")));
    }
    let step_ms = match (q.step, q.points) {
        (Some(s), None) if (1..=3600).contains(&s) => i64::from(s).saturating_mul(1000),
        (None, Some(p)) if (10..=2000).contains(&p) => step_for(q.minutes, p),
        (None, None) => step_for(q.minutes, 600),
        _ => return Err(AppError::BadRequest("give either step (1..=3600 s) or points (10..=2000), not both".into())),
    };
    let span_ms = i64::from(q.minutes).saturating_mul(60_000);
    let buckets = span_ms.checked_div(step_ms).unwrap_or(i64::MAX);
    if buckets > MAX_TREND_BUCKETS {
        return Err(AppError::BadRequest(format!(
            "{} minutes in steps of {} s is {} buckets; at most {MAX_TREND_BUCKETS}",
            q.minutes,
            step_ms / 1000,
            buckets
        )));
    }
    let to = time_param("to", q.to.unwrap_or_else(now_ms))?;
    may_watch(&state, &p, &bed).await?;
    let from = to.saturating_sub(span_ms);
    // Buckets start on whole steps, so the first one may begin before `from`.
    let series = state.store.trend(&bed, from.div_euclid(step_ms).saturating_mul(step_ms), to, step_ms).await?;
    Ok(Json(serde_json::json!({ "bed": bed, "from": from, "to": to, "step": step_ms / 1000, "series": series })))
}

#[derive(Deserialize)]
pub struct WaveQuery {
    from: i64,
    to: i64,
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
    let (from, to) = (time_param("from", q.from)?, time_param("to", q.to)?);
    if to <= from || to.saturating_sub(from) > MAX_WAVE_WINDOW_MS {
        return Err(AppError::BadRequest(format!(
            "from must be before to, at most {} s apart",
            MAX_WAVE_WINDOW_MS / 1000
        )));
    }
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

#[cfg(test)]
mod tests {
    use super::step_for;

    #[test]
    fn steps_fit_the_screen_and_long_ranges_use_whole_minutes() {
        assert_eq!(step_for(60, 600), 6_000, "1 h in 600 points: 6 s");
        assert_eq!(step_for(8 * 60, 600), 60_000, "8 h: 48 s rounds up to a minute");
        assert_eq!(step_for(24 * 60, 600), 180_000, "24 h: 144 s rounds up to 3 min");
        assert_eq!(step_for(72 * 60, 600), 480_000, "72 h: 7.2 min rounds up to 8 min");
        assert_eq!(step_for(1, 2000), 1000, "never below a second");
        for (m, p) in [(60, 600), (480, 600), (1440, 600), (4320, 600), (1440, 37)] {
            assert!(i64::from(m) * 60_000 / step_for(m, p) <= i64::from(p), "{m} min in {p} points");
        }
    }
}
