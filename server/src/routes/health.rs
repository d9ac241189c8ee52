use crate::error::AppError;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;

/// Answers 200 with counts when the database answers; 500 otherwise.
pub async fn health(State(state): State<AppState>) -> Result<Json<serde_json::Value>, AppError> {
    let counts = state.store.counts().await?;
    Ok(Json(serde_json::json!({
        "status": "ok",
        "protocol": vigil_shared::protocol::PROTOCOL_VERSION,
        "version": env!("CARGO_PKG_VERSION"),
        "beds": counts.beds,
        "devices": counts.devices,
        "frames": counts.frames,
        "samples": counts.samples,
    })))
}
