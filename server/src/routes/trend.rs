use crate::clock::now_ms;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;
use std::collections::BTreeMap;
use vigil_shared::VitalKind;

#[derive(Deserialize)]
pub struct TrendQuery {
    /// How far back, minutes (1..=4320).
    #[serde(default = "default_minutes")]
    minutes: u32,
    /// Bucket width, seconds (1..=3600): each bucket gives mean, min and max,
    /// so a short spike is still visible in a long range.
    #[serde(default = "default_step")]
    step: u32,
}

fn default_minutes() -> u32 {
    60
}
fn default_step() -> u32 {
    5
}

/// `{ "bed": id, "step": s, "series": { "hr": [[t, mean, min, max], ...], ... } }`
pub async fn trend(
    State(state): State<AppState>,
    Path(bed): Path<String>,
    Query(q): Query<TrendQuery>,
) -> Result<Json<serde_json::Value>, AppError> {
    if !(1..=4320).contains(&q.minutes) || !(1..=3600).contains(&q.step) {
        return Err(AppError::BadRequest("minutes must be 1..=4320 and step 1..=3600".into()));
    }
    if !state.store.bed_exists(&bed).await? {
        return Err(AppError::NotFound);
    }
    let since = now_ms() - i64::from(q.minutes) * 60_000;
    let raw = state.store.trend(&bed, since).await?;
    let series: BTreeMap<VitalKind, Vec<[f64; 4]>> =
        raw.into_iter().map(|(kind, points)| (kind, bucket(&points, i64::from(q.step) * 1000))).collect();
    Ok(Json(serde_json::json!({ "bed": bed, "step": q.step, "series": series })))
}

/// Mean, min and max per bucket of `step_ms`, from time-ordered points.
fn bucket(points: &[(i64, f64)], step_ms: i64) -> Vec<[f64; 4]> {
    let mut out: Vec<[f64; 4]> = Vec::new();
    let mut current: Option<(i64, f64, f64, f64, u32)> = None;
    for &(t, v) in points {
        let b = t.div_euclid(step_ms) * step_ms;
        match &mut current {
            Some((cb, sum, lo, hi, n)) if *cb == b => {
                *sum += v;
                *lo = lo.min(v);
                *hi = hi.max(v);
                *n += 1;
            }
            _ => {
                if let Some((cb, sum, lo, hi, n)) = current {
                    out.push([cb as f64, sum / f64::from(n), lo, hi]);
                }
                current = Some((b, v, v, v, 1));
            }
        }
    }
    if let Some((cb, sum, lo, hi, n)) = current {
        out.push([cb as f64, sum / f64::from(n), lo, hi]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::bucket;

    #[test]
    fn buckets_keep_the_spike_in_their_envelope() {
        let pts = [(0, 60.0), (1000, 62.0), (2000, 180.0), (5000, 70.0)];
        assert_eq!(bucket(&pts, 5000), vec![[0.0, 302.0 / 3.0, 60.0, 180.0], [5000.0, 70.0, 70.0, 70.0]]);
    }
}
