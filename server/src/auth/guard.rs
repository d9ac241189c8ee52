//! Pages are for the people who may see them: the server decides before
//! anything is rendered, not the page after. Signed out, a page sends you to
//! sign in; a caregiver asking for a staff page (any bed's URL) goes to the
//! family portal; staff asking for the family portal go to the ward.

use super::{principal_of, Role};
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// Sign-in, accepting an invitation.
    Public,
    /// The ward overview and bed views.
    Staff,
    /// Administration and the audit view.
    Admin,
    /// The family portal.
    Family,
    /// One's own account: password, second factor.
    Account,
}

/// Which page a path is, or None for what is not a page (assets, API, sockets).
pub fn page_of(path: &str) -> Option<Page> {
    // "/admin/" is "/admin": a trailing slash does not step around the guard.
    let path = if path.len() > 1 { path.trim_end_matches('/') } else { path };
    match path {
        "/account" => Some(Page::Account),
        "/" => Some(Page::Staff),
        "/signin" => Some(Page::Public),
        "/admin" => Some(Page::Admin),
        "/family" => Some(Page::Family),
        p if p.starts_with("/bed/") => Some(Page::Staff),
        p if p.starts_with("/invite/") => Some(Page::Public),
        _ => None,
    }
}

/// Where a role is sent instead of a page it may not see; None: it may.
pub fn redirect_for(page: Page, role: Option<Role>) -> Option<&'static str> {
    match (page, role) {
        (Page::Public, _) => None,
        (_, None) => Some("/signin"),
        (Page::Account, Some(_)) => None,
        (Page::Staff, Some(Role::Admin | Role::Clinician)) => None,
        (Page::Admin, Some(Role::Admin)) => None,
        (Page::Family, Some(Role::Caregiver)) => None,
        (Page::Staff | Page::Admin, Some(Role::Caregiver)) => Some("/family"),
        (Page::Admin | Page::Family, Some(_)) => Some("/"),
    }
}

pub async fn guard_pages(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(page) = page_of(req.uri().path()) else { return next.run(req).await };
    if page == Page::Public {
        return next.run(req).await;
    }
    let principal = match principal_of(&state.store, req.headers()).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    if principal.as_ref().is_some_and(|p| p.must_enrol(state.config.auth.require_totp)) && page != Page::Account {
        return Redirect::to("/account").into_response();
    }
    match redirect_for(page, principal.as_ref().map(|p| p.role)) {
        None => {
            // A bed's page only for a bed of a ward the principal watches;
            // any other is not found, whether it exists or not.
            if let (Some(p), Some(bed)) = (&principal, req.uri().path().strip_prefix("/bed/")) {
                match state.store.bed_wards().await {
                    Ok(w) if w.get(bed).is_some_and(|ward| p.watches(ward)) => {}
                    Ok(_) => return AppError::NotFound.into_response(),
                    Err(e) => return AppError::Internal(e).into_response(),
                }
            }
            next.run(req).await
        }
        Some("/signin") => {
            let next_path = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
            let next_enc: String = next_path
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"/-_.".contains(&b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            Redirect::to(&format!("/signin?next={next_enc}")).into_response()
        }
        Some(to) => Redirect::to(to).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_kind_sends_each_role_to_the_right_place() {
        assert_eq!(page_of("/bed/b07"), Some(Page::Staff));
        assert_eq!(page_of("/pkg/vigil.wasm"), None);
        assert_eq!(page_of("/api/me"), None);
        let all = [None, Some(Role::Admin), Some(Role::Clinician), Some(Role::Caregiver)];
        assert_eq!(page_of("/admin/"), Some(Page::Admin));
        let table: Vec<_> = [Page::Public, Page::Staff, Page::Admin, Page::Family, Page::Account]
            .iter()
            .map(|&p| all.iter().map(|&r| redirect_for(p, r)).collect::<Vec<_>>())
            .collect();
        assert_eq!(
            table,
            vec![
                vec![None, None, None, None],
                vec![Some("/signin"), None, None, Some("/family")],
                vec![Some("/signin"), None, Some("/"), Some("/family")],
                vec![Some("/signin"), Some("/"), Some("/"), None],
                vec![Some("/signin"), None, None, None],
            ]
        );
    }
}
