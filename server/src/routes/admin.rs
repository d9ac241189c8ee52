//! Administration: accounts, admissions, devices and the audit trail. Every
//! handler here asks the policy first; every change is audited with it.
//! - `GET|POST /api/admin/users`, `POST /api/admin/users/{id}/disable`
//! - `GET /api/wards`: the wards the asker may watch
//! - `GET /api/admin/patients`, `POST /api/admin/patients` `{bed, name}` (admit),
//!   `POST /api/admin/patients/{id}/move` `{bed}`, `.../{id}/discharge`
//! - `POST /api/admin/devices` `{id, bed}` (the token is shown once),
//!   `POST /api/admin/devices/{id}/revoke`
//! - `GET /api/audit?kind=&actor=&bed=&from=&to=&after=&format=csv`

// Input from outside: no arithmetic that can overflow, wrap or panic.
#![deny(clippy::arithmetic_side_effects)]

use crate::auth::{check_username, password, Action, Principal, Role};
use crate::clock::now_ms;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::accounts::{By, NewUser};
use crate::store::AuditFilter;
use super::params::AuditQuery;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

fn require(p: &Principal, action: Action<'_>) -> Result<(), AppError> {
    if p.may(action) {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

/// A name shown to people (patient, account, caregiver): 1 to 80 characters,
/// no control characters. Markup in it is shown as text, never run.
pub fn check_name(what: &str, name: &str) -> Result<String, AppError> {
    let name = name.trim();
    let n = name.chars().count();
    if n == 0 || n > 80 || name.chars().any(char::is_control) {
        return Err(AppError::BadRequest(format!("{what} must have 1 to 80 characters and no control characters")));
    }
    Ok(name.to_string())
}

pub async fn users(State(state): State<AppState>, p: Principal) -> Result<Response, AppError> {
    require(&p, Action::Administer)?;
    Ok(Json(state.store.users().await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    username: String,
    display_name: String,
    role: Role,
    password: String,
    #[serde(default)]
    wards: Vec<String>,
}

pub async fn create_user(
    State(state): State<AppState>,
    p: Principal,
    Json(body): Json<CreateUser>,
) -> Result<Response, AppError> {
    require(&p, Action::Administer)?;
    if body.role == Role::Caregiver {
        return Err(AppError::BadRequest("caregiver accounts come from invitations only".into()));
    }
    let username = check_username(&body.username)?;
    let display_name = check_name("a display name", &body.display_name)?;
    password::check_new(&body.password, &username).map_err(AppError::BadRequest)?;
    let hash = password::hash_blocking(body.password).await?;
    let user =
        NewUser { username, display_name, role: body.role.code().into(), password_hash: hash, wards: body.wards };
    let id = state.store.create_user(user, By::new(p.username), now_ms()).await?.map_err(AppError::Conflict)?;
    Ok(Json(json!({ "id": id })).into_response())
}

pub async fn disable_user(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    require(&p, Action::Administer)?;
    if id == p.user_id {
        return Err(AppError::Conflict("you cannot disable your own account".into()));
    }
    if !state.store.disable_user(id, By::new(p.username), now_ms()).await? {
        return Err(AppError::NotFound);
    }
    Ok(Json(json!({ "disabled": id })).into_response())
}

/// The wards the asker may watch, with their beds.
pub async fn wards(State(state): State<AppState>, p: Principal) -> Result<Response, AppError> {
    if !p.role.is_staff() {
        return Err(AppError::forbidden());
    }
    let bed_wards = state.store.bed_wards().await?;
    let wards: Vec<_> = state
        .store
        .wards()
        .await?
        .into_iter()
        .filter(|(id, _)| p.watches(id))
        .map(|(id, name)| {
            let beds: Vec<&String> = bed_wards.iter().filter(|(_, w)| **w == id).map(|(b, _)| b).collect();
            json!({ "id": id, "name": name, "beds": beds })
        })
        .collect();
    Ok(Json(wards).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewWardBody {
    id: String,
    name: String,
    beds: Vec<NewBedBody>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewBedBody {
    id: String,
    label: String,
}

/// Creates a ward with its beds (empty), all or nothing.
pub async fn create_ward(
    State(state): State<AppState>,
    p: Principal,
    Json(body): Json<NewWardBody>,
) -> Result<Response, AppError> {
    require(&p, Action::Administer)?;
    let id = check_username(&body.id)?;
    let name = check_name("a ward's name", &body.name)?;
    if body.beds.is_empty() || body.beds.len() > 64 {
        return Err(AppError::BadRequest("a ward has 1 to 64 beds".into()));
    }
    let mut beds: Vec<crate::store::rows::NewBed> = Vec::new();
    for b in &body.beds {
        let bed = check_username(&b.id)?;
        if beds.iter().any(|x| x.id == bed) {
            return Err(AppError::BadRequest(format!("the bed id {bed:?} is given twice")));
        }
        beds.push(crate::store::rows::NewBed {
            admitted_at: None,
            id: bed,
            label: check_name("a bed's label", &b.label)?,
            patient: None,
        });
    }
    let ward = crate::store::rows::NewWard { id: id.clone(), name, beds };
    state.store.add_ward(ward, By::new(p.username), now_ms()).await?.map_err(AppError::Conflict)?;
    Ok(Json(json!({ "ward": id })).into_response())
}

/// The patients admitted now, with their beds.
pub async fn patients(State(state): State<AppState>, p: Principal) -> Result<Response, AppError> {
    require(&p, Action::Administer)?;
    Ok(Json(state.store.admitted().await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Admit {
    bed: String,
    name: String,
}

pub async fn admit(State(state): State<AppState>, p: Principal, Json(body): Json<Admit>) -> Result<Response, AppError> {
    require(&p, Action::Administer)?;
    let name = check_name("a patient's name", &body.name)?;
    let id = state.store.admit(&body.bed, &name, By::new(p.username), now_ms()).await?.map_err(AppError::Conflict)?;
    Ok(Json(json!({ "patient": id })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Move {
    bed: String,
}

pub async fn move_patient(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    Json(body): Json<Move>,
) -> Result<Response, AppError> {
    require(&p, Action::Administer)?;
    state.store.move_patient(id, &body.bed, By::new(p.username), now_ms()).await?.map_err(AppError::Conflict)?;
    Ok(Json(json!({ "patient": id, "bed": body.bed })).into_response())
}

pub async fn discharge(State(state): State<AppState>, p: Principal, Path(id): Path<i64>) -> Result<Response, AppError> {
    require(&p, Action::Administer)?;
    state.store.discharge(id, By::new(p.username), now_ms()).await?.map_err(AppError::Conflict)?;
    Ok(Json(json!({ "discharged": id })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterDevice {
    id: String,
    bed: String,
}

/// Registers a device; its token is in this answer and nowhere else.
pub async fn register_device(
    State(state): State<AppState>,
    p: Principal,
    Json(body): Json<RegisterDevice>,
) -> Result<Response, AppError> {
    require(&p, Action::Administer)?;
    let id = check_username(&body.id)?;
    let token =
        state.store.add_device(&id, &body.bed, By::new(p.username), now_ms()).await?.map_err(AppError::Conflict)?;
    Ok(Json(json!({ "device": id, "bed": body.bed, "token": token })).into_response())
}

pub async fn revoke_device(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    require(&p, Action::Administer)?;
    if !state.store.remove_device(&id, By::new(p.username), now_ms()).await? {
        return Err(AppError::NotFound);
    }
    Ok(Json(json!({ "revoked": id })).into_response())
}

/// The audit trail, filtered; `format=csv` downloads it.
pub async fn audit(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    require(&p, Action::ReadAudit)?;
    let limit = q.check().map_err(AppError::BadRequest)?;
    let filter = AuditFilter { after: q.after, kind: q.kind, actor: q.actor, bed: q.bed, from: q.from, to: q.to };
    let entries = state.store.audit_filtered(filter, limit).await?;
    match q.format.as_deref() {
        None | Some("json") => Ok(Json(entries).into_response()),
        Some("csv") => {
            let mut out = String::from("seq,at,bed,actor,kind,payload,hash\n");
            for e in &entries {
                let cells = [
                    e.seq.to_string(),
                    e.at.to_string(),
                    e.bed.clone().unwrap_or_default(),
                    e.actor.clone(),
                    e.kind.clone(),
                    e.payload.clone(),
                    e.hash.clone(),
                ];
                out.push_str(&cells.iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(","));
                out.push('\n');
            }
            let headers = [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"vigil-audit.csv\""),
            ];
            Ok((headers, out).into_response())
        }
        Some(other) => Err(AppError::BadRequest(format!("format {other:?}: use json or csv"))),
    }
}

/// RFC 4180 quoting; a cell a spreadsheet would run as a formula is
/// prefixed with a quote mark.
fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_string() };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_control_characters_or_no_length_are_refused_and_markup_is_kept_as_text() {
        assert!(check_name("n", "  ").is_err());
        assert!(check_name("n", "A\u{0}B").is_err());
        assert!(check_name("n", &"x".repeat(81)).is_err());
        assert_eq!(check_name("n", " <b>O'Brien</b> ").unwrap(), "<b>O'Brien</b>");
    }

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell(r#"{"a":1,"b":"x"}"#), r#""{""a"":1,""b"":""x""}""#);
        assert_eq!(csv_cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }
}
