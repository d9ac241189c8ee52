//! Signing in and out, and the signed-in account:
//! - `POST /api/session` `{username, password, code?}`: a new session cookie.
//! - `DELETE /api/session`: sign out here; `DELETE /api/sessions`: everywhere.
//! - `GET /api/me`: who is signed in (and the anti-forgery token).
//! - `POST /api/me/password` `{current, new}`: change the password.
//! - `POST /api/me/totp` `{password}`: begin a second factor;
//!   `POST /api/me/totp/confirm` `{code}`.

// Input from outside: no arithmetic that can overflow, wrap or panic.
#![deny(clippy::arithmetic_side_effects)]

use crate::auth::limiter::Attempt;
use crate::auth::{self, password, totp, Principal, Role};
use crate::clock::now_ms;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::accounts::By;
use crate::store::token_hash;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, Extensions, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    username: String,
    password: String,
    #[serde(default)]
    code: Option<String>,
}

/// Where a request came from: the peer, or behind a proxy the configuration
/// trusts (`[auth] trust_forwarded_for`), the address that proxy appended
/// last to `X-Forwarded-For` (earlier ones the client could have written).
pub fn client_ip(state: &AppState, ext: &Extensions, headers: &HeaderMap) -> IpAddr {
    let peer = ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    if !state.config.auth.trust_forwarded_for {
        return peer;
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .last()
        .and_then(|a| a.trim().parse().ok())
        .unwrap_or(peer)
}

/// The one answer to every failed sign-in: it never says which part was wrong.
fn wrong() -> AppError {
    AppError::Forbidden("wrong user name, password or code".into())
}

fn too_many(ms: i64) -> AppError {
    let secs = (ms.max(0) as u64).div_ceil(1000);
    AppError::TooManyRequests(format!("too many failed sign-ins: try again in {} min", secs.div_ceil(60)), secs)
}

/// Counts an attempt for `user` from `ip`, or refuses it (429).
pub fn let_in(state: &AppState, user: &str, ip: IpAddr, now: i64) -> Result<Attempt, AppError> {
    state.sign_ins.lock().map_err(|_| anyhow::anyhow!("limiter poisoned"))?.attempt(user, ip, now).map_err(too_many)
}

fn give_back(state: &AppState, attempt: Attempt) -> Result<(), AppError> {
    state.sign_ins.lock().map_err(|_| anyhow::anyhow!("limiter poisoned"))?.succeeded(attempt);
    Ok(())
}

pub async fn sign_in(
    State(state): State<AppState>,
    ext: Extensions,
    headers: HeaderMap,
    Json(body): Json<SignIn>,
) -> Result<Response, AppError> {
    auth::check_forgery(&headers, None)?;
    let (ip, now) = (client_ip(&state, &ext, &headers), now_ms());
    let username = body.username.trim().to_string();
    if username.is_empty() || username.len() > 64 {
        return Err(AppError::BadRequest("a user name has 1 to 64 characters".into()));
    }
    // Counted before the password is checked, so that parallel guesses
    // cannot all pass before the first is judged.
    let attempt = let_in(&state, &username, ip, now)?;
    let user = state.store.user_by_name(&username).await?;
    let (pw, hash) = (body.password.clone(), user.as_ref().map(|u| u.password_hash.clone()));
    // Verify even for an unknown name, so the time taken does not tell.
    let password_ok = tokio::task::spawn_blocking(move || {
        password::verify(&pw, hash.as_deref().unwrap_or_else(|| password::dummy_hash())) && hash.is_some()
    })
    .await
    .map_err(|e| anyhow::anyhow!("password check: {e}"))?;
    let user = user.filter(|u| password_ok && !u.disabled);
    let outcome = match &user {
        None => Err("password"),
        Some(u) => match (&u.totp_secret, body.code.as_deref()) {
            (Some(secret), Some(code)) if totp::verify(secret, code, now) => Ok(()),
            (Some(_), Some(_)) => Err("code"),
            // Right password: ask for the code (the attempt stays counted).
            (Some(_), None) => {
                let body = json!({ "error": "enter the code from your authenticator app", "code_required": true });
                return Ok((StatusCode::UNAUTHORIZED, Json(body)).into_response());
            }
            (None, _) => Ok(()),
        },
    };
    let user = match (outcome, user) {
        (Ok(()), Some(u)) => u,
        (reason, _) => {
            let payload = json!({ "address": ip.to_string(), "reason": reason.err().unwrap_or("password") });
            state.store.record("sign_in_failed", None, payload, By::new(username.clone()), now).await?;
            tracing::info!(%ip, "failed sign-in");
            return Err(wrong());
        }
    };
    give_back(&state, attempt)?;
    // Always a new token: whatever cookie came with the request is not reused.
    let (cookie, csrf) = auth::issue_session(&state, &headers, user.id, &user.username, ip.to_string()).await?;
    end_previous(&state, &headers, &user.username, now).await?;
    // Staff of a ward that requires a second factor and have none: the
    // session may only set one up.
    let enrol = state.config.auth.require_totp && user.role != Role::Caregiver.code() && user.totp_secret.is_none();
    let body = json!({
        "username": user.username, "display_name": user.display_name, "role": user.role, "csrf": csrf,
        "totp_setup_required": enrol,
    });
    Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response())
}

/// A session this browser had before ends with a new sign-in in it.
pub async fn end_previous(state: &AppState, headers: &HeaderMap, username: &str, now: i64) -> Result<(), AppError> {
    if let Some(old) = auth::session_token(headers) {
        state.store.end_sessions(&token_hash(&old), false, By::new(username), now).await?;
    }
    Ok(())
}

async fn end(state: AppState, headers: HeaderMap, p: Principal, everywhere: bool) -> Result<Response, AppError> {
    let token = auth::session_token(&headers).ok_or(AppError::Unauthorised)?;
    let n = state.store.end_sessions(&token_hash(&token), everywhere, By::new(p.username), now_ms()).await?;
    let cookie = auth::session_cookie(&state.config.auth, &headers, None);
    Ok(([(header::SET_COOKIE, cookie)], Json(json!({ "ended": n }))).into_response())
}

pub async fn sign_out(State(state): State<AppState>, headers: HeaderMap, p: Principal) -> Result<Response, AppError> {
    end(state, headers, p, false).await
}

pub async fn sign_out_everywhere(
    State(state): State<AppState>,
    headers: HeaderMap,
    p: Principal,
) -> Result<Response, AppError> {
    end(state, headers, p, true).await
}

/// Who is signed in, with the anti-forgery token the page sends back.
pub async fn me(State(state): State<AppState>, p: Principal) -> Result<Json<serde_json::Value>, AppError> {
    let user = state.store.user_by_name(&p.username).await?.ok_or(AppError::Unauthorised)?;
    Ok(Json(json!({
        "username": p.username, "display_name": p.display_name, "role": p.role, "wards": p.wards,
        "totp": user.totp_secret.is_some(), "csrf": p.csrf,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    current: String,
    new: String,
}

/// Every session of the account ends, this one too: sign in again.
pub async fn change_password(
    State(state): State<AppState>,
    ext: Extensions,
    headers: HeaderMap,
    p: Principal,
    Json(body): Json<PasswordChange>,
) -> Result<Response, AppError> {
    password::check_new(&body.new, &p.username).map_err(AppError::BadRequest)?;
    let user = confirm_password(&state, &ext, &headers, &p, body.current).await?;
    let hash = password::hash_blocking(body.new).await?;
    state.store.set_password(user.id, hash, By::new(p.username), now_ms()).await?;
    let cookie = auth::session_cookie(&state.config.auth, &headers, None);
    Ok(([(header::SET_COOKIE, cookie)], Json(json!({ "changed": true }))).into_response())
}

/// The signed-in account's own password again, before a change that would
/// let a stolen session keep the account (password, second factor):
/// rate-limited like a sign-in.
async fn confirm_password(
    state: &AppState,
    ext: &Extensions,
    headers: &HeaderMap,
    p: &Principal,
    given: String,
) -> Result<crate::store::accounts::UserRow, AppError> {
    let ip = client_ip(state, ext, headers);
    let attempt = let_in(state, &p.username, ip, now_ms())?;
    let user = state.store.user_by_name(&p.username).await?.ok_or(AppError::Unauthorised)?;
    let stored = user.password_hash.clone();
    let ok = tokio::task::spawn_blocking(move || password::verify(&given, &stored))
        .await
        .map_err(|e| anyhow::anyhow!("password check: {e}"))?;
    if !ok {
        return Err(AppError::Forbidden("the current password is wrong".into()));
    }
    give_back(state, attempt)?;
    Ok(user)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BeginTotp {
    password: String,
}

/// A new second-factor secret, active once a first code is confirmed. Needs
/// the password: a session alone must not replace an account's second factor.
pub async fn begin_totp(
    State(state): State<AppState>,
    ext: Extensions,
    headers: HeaderMap,
    p: Principal,
    Json(body): Json<BeginTotp>,
) -> Result<Json<serde_json::Value>, AppError> {
    if !p.role.is_staff() {
        return Err(AppError::forbidden());
    }
    confirm_password(&state, &ext, &headers, &p, body.password).await?;
    let secret = totp::new_secret();
    state.store.begin_totp(p.user_id, secret.clone()).await?;
    state
        .store
        .record("totp_enrolment_started", None, json!({ "user_id": p.user_id }), By::new(p.username.clone()), now_ms())
        .await?;
    Ok(Json(json!({ "secret": secret, "uri": totp::uri(&secret, &p.username) })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Code {
    code: String,
}

pub async fn confirm_totp(
    State(state): State<AppState>,
    p: Principal,
    Json(body): Json<Code>,
) -> Result<Json<serde_json::Value>, AppError> {
    if !p.role.is_staff() {
        return Err(AppError::forbidden());
    }
    let user = state.store.user_by_name(&p.username).await?.ok_or(AppError::Unauthorised)?;
    let pending = user.totp_pending.ok_or_else(|| AppError::Conflict("start the second factor first".into()))?;
    if !totp::verify(&pending, &body.code, now_ms()) {
        return Err(AppError::Forbidden("that code is not right: check the app's clock and try the next one".into()));
    }
    state.store.enable_totp(p.user_id, By::new(p.username), now_ms()).await?;
    Ok(Json(json!({ "totp": true })))
}
