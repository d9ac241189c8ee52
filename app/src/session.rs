//! The signed-in account as the pages see it, and the requests that change
//! something on the server (they carry the session's anti-forgery token).

use serde::{Deserialize, Serialize};

/// `GET /api/me`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Me {
    pub username: String,
    pub display_name: String,
    pub role: String,
    #[serde(default)]
    pub wards: Vec<String>,
    #[serde(default)]
    pub totp: bool,
    #[serde(default)]
    pub csrf: String,
}

impl Me {
    pub fn is_admin(&self) -> bool {
        self.role == "admin"
    }
}

/// Where to go after signing in: the page asked for, if it is one of ours
/// (a path on this server, never another site), else the role's home.
pub fn after_sign_in(next: Option<&str>, role: &str) -> String {
    let home = if role == "caregiver" { "/family" } else { "/" };
    // Only visible ASCII: a browser drops tabs and newlines from a URL, so
    // "/\t/evil.example" would become "//evil.example".
    let ours = |n: &str| {
        n.starts_with('/') && !n.starts_with("//") && n.bytes().all(|b| (0x21..0x7f).contains(&b) && b != b'\\')
    };
    match next {
        Some(n) if ours(n) && role != "caregiver" => n.to_string(),
        _ => home.to_string(),
    }
}

/// The server's words for a refused request (`{"error": "..."}`), or the status.
pub fn error_text(status: u16, body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_string))
        .unwrap_or_else(|| format!("the server answered {status}"))
}

#[cfg(feature = "hydrate")]
mod client {
    use super::*;
    use gloo_net::http::Request;

    /// Who is signed in; None when nobody is (401).
    pub async fn fetch_me() -> Result<Option<Me>, String> {
        let resp = Request::get("/api/me").send().await.map_err(|e| e.to_string())?;
        match resp.status() {
            200 => resp.json::<Me>().await.map(Some).map_err(|e| e.to_string()),
            401 => Ok(None),
            s => Err(error_text(s, &resp.text().await.unwrap_or_default())),
        }
    }

    /// Sends `body` with `method`; the answer's JSON, or the server's reason.
    pub async fn send_json(
        method: &str,
        url: &str,
        body: &serde_json::Value,
        csrf: &str,
    ) -> Result<(u16, serde_json::Value), String> {
        let builder = match method {
            "DELETE" => Request::delete(url),
            _ => Request::post(url),
        };
        let csrf = if csrf.is_empty() { "1" } else { csrf };
        let req = builder.header("x-vigil-csrf", csrf).json(body).map_err(|e| e.to_string())?;
        let resp = req.send().await.map_err(|e| e.to_string())?;
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        if (200..300).contains(&status) {
            Ok((status, serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)))
        } else {
            Err(error_text(status, &text))
        }
    }

    /// A full page load of `path` (so the server decides what it shows).
    pub fn go(path: &str) {
        if let Some(w) = web_sys::window() {
            let _ = w.location().assign(path);
        }
    }
}

#[cfg(feature = "hydrate")]
pub use client::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_sign_in_goes_back_only_to_our_own_staff_pages() {
        assert_eq!(after_sign_in(Some("/bed/b03"), "clinician"), "/bed/b03");
        assert_eq!(after_sign_in(Some("//evil.example/x"), "clinician"), "/");
        assert_eq!(after_sign_in(Some("https://evil.example"), "admin"), "/");
        assert_eq!(after_sign_in(Some("/\t/evil.example"), "admin"), "/");
        assert_eq!(after_sign_in(Some("/\\evil.example"), "admin"), "/");
        assert_eq!(after_sign_in(Some("/ /x"), "admin"), "/");
        assert_eq!(after_sign_in(Some("/bed/b03"), "caregiver"), "/family");
        assert_eq!(after_sign_in(None, "caregiver"), "/family");
    }

    #[test]
    fn the_servers_reason_is_shown_or_else_the_status() {
        assert_eq!(error_text(409, r#"{"error":"bed taken"}"#), "bed taken");
        assert_eq!(error_text(502, "<html>"), "the server answered 502");
    }
}
