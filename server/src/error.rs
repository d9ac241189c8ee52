//! The one place where errors become HTTP responses.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Also what a request about a bed or patient the asker may not see
    /// gets: the answer never tells whether it exists.
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    /// Not signed in (or the session ended).
    #[error("sign in first")]
    Unauthorised,
    /// Signed in, but the role does not allow it (or a forged request).
    #[error("{0}")]
    Forbidden(String),
    /// A change refused for a reason the person may be told; nothing stored.
    #[error("{0}")]
    Conflict(String),
    /// Too many attempts; retry after the seconds given.
    #[error("{0}")]
    TooManyRequests(String, u64),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn forbidden() -> AppError {
        AppError::Forbidden("your role does not allow this".into())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, message) = match &self {
            AppError::NotFound => (StatusCode::NOT_FOUND, self.to_string()),
            AppError::BadRequest(m) => (StatusCode::BAD_REQUEST, m.clone()),
            AppError::Unauthorised => (StatusCode::UNAUTHORIZED, self.to_string()),
            AppError::Forbidden(m) => (StatusCode::FORBIDDEN, m.clone()),
            AppError::Conflict(m) => (StatusCode::CONFLICT, m.clone()),
            AppError::TooManyRequests(m, secs) => {
                let body = axum::Json(serde_json::json!({ "error": m }));
                return (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, secs.to_string())], body)
                    .into_response();
            }
            AppError::Internal(e) => {
                // The cause chain goes to the log, never to the client.
                tracing::error!(error = format!("{e:#}"), "request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error".to_string())
            }
        };
        (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
    }
}
