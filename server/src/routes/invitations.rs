//! Caregiver invitations: a clinician of the ward (or an administrator)
//! invites a patient's caregiver; the caregiver opens the link, chooses a
//! user name and password, and from then on sees that one patient in the
//! family portal, until the invitation is revoked or the patient discharged.
//! - `POST /api/invitations` `{bed, caregiver_name}`: the link, shown once
//! - `GET /api/invitations`: those of the patients the asker may invite for
//! - `POST /api/invitations/{id}/revoke`
//! - `POST /api/invitations/accept` `{token, username, password}`: signed in

// Input from outside: no arithmetic that can overflow, wrap or panic.
#![deny(clippy::arithmetic_side_effects)]

use crate::auth::{self, password, Action, Principal};
use crate::clock::now_ms;
use crate::error::AppError;
use crate::routes::admin::check_name;
use crate::routes::session;
use crate::state::AppState;
use crate::store::accounts::{By, InvitationRow, NewInvitation};
use crate::store::token_hash;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Invite {
    bed: String,
    caregiver_name: String,
}

/// The ward of a bed the asker may invite for; otherwise not found (the
/// answer does not tell whether the bed exists).
async fn ward_for(state: &AppState, p: &Principal, bed: &str) -> Result<String, AppError> {
    let ward = state.store.bed_wards().await?.remove(bed).ok_or(AppError::NotFound)?;
    if p.may(Action::Invite { ward: &ward }) {
        Ok(ward)
    } else if p.watches(&ward) {
        Err(AppError::forbidden())
    } else {
        Err(AppError::NotFound)
    }
}

pub async fn create(
    State(state): State<AppState>,
    p: Principal,
    Json(body): Json<Invite>,
) -> Result<Response, AppError> {
    ward_for(&state, &p, &body.bed).await?;
    let name = check_name("the caregiver's name", &body.caregiver_name)?;
    let patient = state
        .store
        .patient_in_bed(&body.bed)
        .await?
        .ok_or_else(|| AppError::Conflict("no patient is admitted to this bed".into()))?;
    let token = auth::random_token("vgi");
    let now = now_ms();
    let expires_at = now.saturating_add(i64::from(state.config.auth.invitation_hours).saturating_mul(3_600_000));
    let inv =
        NewInvitation { token_hash: token_hash(&token), patient_id: patient.id, caregiver_name: name, now, expires_at };
    let id = state.store.create_invitation(inv, By::new(p.username)).await?;
    Ok(Json(json!({ "id": id, "link": format!("/invite/{token}"), "expires_at": expires_at })).into_response())
}

fn visible(p: &Principal, i: &InvitationRow) -> bool {
    match &i.ward {
        Some(w) => p.may(Action::Invite { ward: w }),
        None => p.may(Action::Administer),
    }
}

pub async fn list(State(state): State<AppState>, p: Principal) -> Result<Response, AppError> {
    if !p.role.is_staff() {
        return Err(AppError::forbidden());
    }
    let now = now_ms();
    let rows: Vec<_> = state
        .store
        .invitations()
        .await?
        .into_iter()
        .filter(|i| visible(&p, i))
        .map(|i| {
            let open = i.open(now);
            let mut v = serde_json::to_value(&i).unwrap_or_default();
            v["open"] = open.into();
            v
        })
        .collect();
    Ok(Json(rows).into_response())
}

pub async fn revoke(State(state): State<AppState>, p: Principal, Path(id): Path<i64>) -> Result<Response, AppError> {
    let inv = state.store.invitation(id).await?.filter(|i| visible(&p, i)).ok_or(AppError::NotFound)?;
    if !state.store.revoke_invitation(inv.id, By::new(p.username), now_ms()).await? {
        return Err(AppError::Conflict("this invitation was revoked already".into()));
    }
    Ok(Json(json!({ "revoked": id })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Accept {
    token: String,
    username: String,
    password: String,
}

/// Creates the caregiver's account and signs it in.
pub async fn accept(
    State(state): State<AppState>,
    ext: axum::http::Extensions,
    headers: HeaderMap,
    Json(body): Json<Accept>,
) -> Result<Response, AppError> {
    auth::check_forgery(&headers, None)?;
    let username = auth::check_username(&body.username)?;
    // Guessing tokens is rate-limited per address like signing in, and the
    // costly hash is made only for an invitation that can still be accepted.
    let (ip, now) = (session::client_ip(&state, &ext, &headers), now_ms());
    let attempt = session::let_in(&state, &format!("invitation from {ip}"), ip, now)?;
    let hash_of_token = token_hash(&body.token);
    let refused = || AppError::Conflict("this invitation is no longer valid: ask the ward for a new one".into());
    if !state.store.invitation_by_token(&hash_of_token).await?.is_some_and(|i| i.open(now)) {
        return Err(refused());
    }
    let _ = state.sign_ins.lock().map(|mut l| l.succeeded(attempt));
    // Judged only for a real invitation (the estimate costs CPU), and after
    // the attempt counts as a success: a weak password is no guess.
    password::check_new(&body.password, &username).map_err(AppError::BadRequest)?;
    let hash = password::hash_blocking(body.password).await?;
    let user =
        state.store.accept_invitation(&hash_of_token, &username, hash, now_ms()).await?.map_err(AppError::Conflict)?;
    let (cookie, csrf) = auth::issue_session(&state, &headers, user, &username, ip.to_string()).await?;
    session::end_previous(&state, &headers, &username, now).await?;
    Ok(([(header::SET_COOKIE, cookie)], Json(json!({ "username": username, "role": "caregiver", "csrf": csrf })))
        .into_response())
}
