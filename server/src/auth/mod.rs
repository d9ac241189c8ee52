//! Who is asking: staff and caregiver accounts, sessions in cookies, the
//! anti-forgery checks, and the authorisation [`policy`].
//!
//! # Layout
//! - [`policy`]: roles, the [`Principal`] behind a request, and the one
//!   function that says what it may do.
//! - [`password`]: argon2id hashing and password rules.
//! - [`totp`]: the optional second factor (RFC 6238).
//! - [`limiter`]: sign-in attempts, rate-limited per user name and address.
//! - this module: the session cookie, the extractor that turns it into a
//!   [`Principal`], the CSRF and origin checks, the first administrator, and
//!   the guard that keeps pages from people who may not see them.
//!
//! A session is a random 256-bit token in an `HttpOnly`, `SameSite=Strict`
//! cookie (`Secure` behind TLS); only its SHA-256 is stored. A new token is
//! made at every sign-in, so a token planted before sign-in is never
//! promoted (no session fixation). State-changing requests carry the
//! session's anti-forgery token in `X-Vigil-Csrf` (a header no other site
//! can make a browser send), and a browser's `Origin`, when sent, must be
//! this server.

pub mod cookies;
pub mod guard;
pub mod limiter;
pub mod password;
pub mod policy;
pub mod totp;

pub use policy::{Action, CareOf, Principal, Role};

use crate::error::AppError;
use crate::state::AppState;
use crate::store::accounts::{By, NewUser, SessionRow};
use crate::store::{token_hash, Store};
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::{header, request::Parts, HeaderMap, Method};

/// The session cookie's name.
pub use cookies::COOKIE;
/// The anti-forgery header.
pub const CSRF_HEADER: &str = "x-vigil-csrf";

/// How sessions behave (`[auth]` table).
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// How long a session lasts from sign-in, hours (a shift and a bit).
    pub session_hours: u32,
    /// Always mark the cookie `Secure`. Without it the cookie is `Secure`
    /// when the request came over TLS (`X-Forwarded-Proto: https` from the
    /// proxy in front).
    pub secure_cookies: bool,
    /// Staff must use a second factor (TOTP) to sign in.
    pub require_totp: bool,
    /// How long a caregiver invitation stays valid, hours.
    pub invitation_hours: u32,
    /// Behind a reverse proxy: take the client's address from the last entry
    /// of `X-Forwarded-For` (for rate limiting and the audit), not the peer.
    pub trust_forwarded_for: bool,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            session_hours: 12,
            secure_cookies: false,
            require_totp: false,
            invitation_hours: 72,
            trust_forwarded_for: false,
        }
    }
}

impl AuthConfig {
    pub fn check(&self) -> Result<(), String> {
        if !(1..=24).contains(&self.session_hours) {
            return Err("auth: session_hours must be 1..=24".into());
        }
        if !(1..=24 * 14).contains(&self.invitation_hours) {
            return Err("auth: invitation_hours must be 1..=336".into());
        }
        Ok(())
    }
}

/// 256 random bits, hex, with a prefix saying what it is.
pub fn random_token(prefix: &str) -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}_{}", hex::encode(bytes))
}

/// Starts a session for an account that has just proved who it is: a new
/// random token (never one the request brought), stored hashed with a
/// `sign_in` audit entry. Returns the `Set-Cookie` value and the session's
/// anti-forgery token.
pub async fn issue_session(
    state: &AppState,
    headers: &HeaderMap,
    user_id: i64,
    username: &str,
    address: String,
) -> anyhow::Result<(String, String)> {
    let (token, csrf) = (random_token("vgs"), random_token("vgc"));
    let now = crate::clock::now_ms();
    let session = crate::store::accounts::NewSession {
        token_hash: token_hash(&token),
        user_id,
        csrf: csrf.clone(),
        now,
        expires_at: now + i64::from(state.config.auth.session_hours) * 3_600_000,
        address,
    };
    state.store.create_session(session, By::new(username)).await?;
    Ok((session_cookie(&state.config.auth, headers, Some(&token)), csrf))
}

/// A user name (or device or ward id): 2 to 64 letters, digits, `.-_@`.
pub fn check_username(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    let ok = (2..=64).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'));
    if ok {
        Ok(name.to_string())
    } else {
        Err(AppError::BadRequest("a name or id has 2 to 64 letters, digits, '.', '-', '_' or '@'".into()))
    }
}

/// The session token in a request's cookies, if any.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    cookies::session_token_in(headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()))
}

/// Whether the request reached us over TLS (through the proxy in front).
fn over_tls(headers: &HeaderMap) -> bool {
    headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

/// `Set-Cookie` for a new session, or (`token` None) one that clears it.
pub fn session_cookie(config: &AuthConfig, headers: &HeaderMap, token: Option<&str>) -> String {
    let mut c = cookie::Cookie::build((COOKIE, token.unwrap_or("").to_string()))
        .path("/")
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .secure(config.secure_cookies || over_tls(headers));
    c = match token {
        Some(_) => c.max_age(cookie::time::Duration::hours(i64::from(config.session_hours))),
        None => c.max_age(cookie::time::Duration::ZERO),
    };
    c.build().to_string()
}

/// A browser's `Origin`, when sent, must be this server: the host it asked for.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else { return true };
    let (Ok(origin), Some(host)) = (origin.to_str(), headers.get(header::HOST).and_then(|h| h.to_str().ok())) else {
        return false;
    };
    origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) == Some(host)
}

/// The anti-forgery check for a state-changing request: same origin, and the
/// header carrying `expected` (the session's token; before a session exists,
/// any value: what counts then is that a script of this origin set it).
pub fn check_forgery(headers: &HeaderMap, expected: Option<&str>) -> Result<(), AppError> {
    let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let ok = same_origin(headers)
        && match (sent, expected) {
            (Some(s), Some(e)) => constant_time_eq(s.as_bytes(), e.as_bytes()),
            (Some(s), None) => !s.is_empty(),
            (None, _) => false,
        };
    if ok {
        Ok(())
    } else {
        Err(AppError::Forbidden("missing or wrong anti-forgery token: reload the page".into()))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl TryFrom<SessionRow> for Principal {
    type Error = anyhow::Error;
    fn try_from(s: SessionRow) -> anyhow::Result<Principal> {
        let role = Role::parse(&s.role).ok_or_else(|| anyhow::anyhow!("unknown role {:?} in the database", s.role))?;
        Ok(Principal {
            user_id: s.user_id,
            username: s.username,
            display_name: s.display_name,
            role,
            wards: s.wards,
            care_of: s.patient.map(|(patient_id, bed, ward, bed_since)| CareOf { patient_id, bed, ward, bed_since }),
            csrf: s.csrf,
            totp: s.totp,
        })
    }
}

/// The principal of a request's session cookie, if it is live now.
pub async fn principal_of(store: &Store, headers: &HeaderMap) -> Result<Option<Principal>, AppError> {
    let Some(token) = session_token(headers) else { return Ok(None) };
    match store.session(&token_hash(&token), crate::clock::now_ms()).await? {
        Some(row) => Ok(Some(Principal::try_from(row)?)),
        None => Ok(None),
    }
}

/// A handler taking a [`Principal`] needs a signed-in request (401 otherwise);
/// for methods other than GET and HEAD it also checks the anti-forgery token.
impl FromRequestParts<AppState> for Principal {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let p = principal_of(&state.store, &parts.headers).await?.ok_or(AppError::Unauthorised)?;
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            check_forgery(&parts.headers, Some(&p.csrf))?;
        }
        if p.must_enrol(state.config.auth.require_totp) && !policy::enrolment_path(parts.uri.path()) {
            return Err(AppError::Forbidden("set up your second factor first (Account page)".into()));
        }
        Ok(p)
    }
}

impl OptionalFromRequestParts<AppState> for Principal {
    type Rejection = AppError;

    /// A principal who must set up a second factor counts as none here.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Option<Self>, Self::Rejection> {
        let p = principal_of(&state.store, &parts.headers).await?;
        Ok(p.filter(|p| !p.must_enrol(state.config.auth.require_totp)))
    }
}

/// On a database with no accounts, creates the first administrator,
/// `admin`, with the password in `VIGIL_ADMIN_PASSWORD` or a generated one.
/// Returns the generated password (to be shown once), if one was made.
pub async fn ensure_first_admin(store: &Store, env_password: Option<String>) -> anyhow::Result<Option<String>> {
    if store.user_count().await? > 0 {
        return Ok(None);
    }
    let generated = env_password.is_none();
    let pw = env_password.unwrap_or_else(password::generate);
    password::check_new(&pw, "admin").map_err(|e| anyhow::anyhow!("VIGIL_ADMIN_PASSWORD: {e}"))?;
    let user = NewUser {
        username: "admin".into(),
        display_name: "Administrator".into(),
        role: Role::Admin.code().into(),
        password_hash: password::hash(&pw)?,
        wards: vec![],
    };
    store
        .create_user(user, By::new("vigil"), crate::clock::now_ms())
        .await?
        .map_err(|e| anyhow::anyhow!("creating the first administrator: {e}"))?;
    Ok(generated.then_some(pw))
}

/// A clinician account on `wards` with a live session, made straight in the
/// database, for the command-line tools that act as tablets (the benchmark)
/// and for tests. Returns the session token (the cookie's value).
pub async fn tool_session(store: &Store, username: &str, role: Role, wards: &[&str]) -> anyhow::Result<String> {
    let now = crate::clock::now_ms();
    let user = NewUser {
        username: username.into(),
        display_name: username.into(),
        role: role.code().into(),
        password_hash: password::hash(&password::generate())?,
        wards: wards.iter().map(|w| w.to_string()).collect(),
    };
    let id = store.create_user(user, By::new("vigil"), now).await?.map_err(|e| anyhow::anyhow!(e))?;
    let token = random_token("vgs");
    let session = crate::store::accounts::NewSession {
        token_hash: token_hash(&token),
        user_id: id,
        csrf: random_token("vgc"),
        now,
        expires_at: now + 24 * 3_600_000,
        address: "tool".into(),
    };
    store.create_session(session, By::new(username)).await?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn the_session_token_is_found_among_other_cookies() {
        let h = headers(&[("cookie", "theme=dark; vigil_session=vgs_abc; x=1")]);
        assert_eq!(session_token(&h).as_deref(), Some("vgs_abc"));
        assert_eq!(session_token(&headers(&[("cookie", "theme=dark")])), None);
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_secure_behind_tls() {
        let c = session_cookie(&AuthConfig::default(), &HeaderMap::new(), Some("vgs_x"));
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Max-Age=43200"), "{c}");
        assert!(!c.contains("Secure"));
        let tls = headers(&[("x-forwarded-proto", "https")]);
        assert!(session_cookie(&AuthConfig::default(), &tls, Some("vgs_x")).contains("Secure"));
        assert!(session_cookie(&AuthConfig::default(), &HeaderMap::new(), None).contains("Max-Age=0"));
    }

    #[test]
    fn a_foreign_origin_or_a_missing_token_is_a_forgery() {
        let ok = headers(&[("host", "ward:3000"), ("origin", "http://ward:3000"), (CSRF_HEADER, "t1")]);
        assert!(check_forgery(&ok, Some("t1")).is_ok());
        assert!(check_forgery(&ok, Some("t2")).is_err(), "another session's token");
        let foreign = headers(&[("host", "ward:3000"), ("origin", "http://evil.example"), (CSRF_HEADER, "t1")]);
        assert!(check_forgery(&foreign, Some("t1")).is_err());
        let missing = headers(&[("host", "ward:3000")]);
        assert!(check_forgery(&missing, None).is_err());
        assert!(
            check_forgery(&headers(&[(CSRF_HEADER, "1")]), None).is_ok(),
            "no Origin: not a browser's cross-site request"
        );
    }
}
