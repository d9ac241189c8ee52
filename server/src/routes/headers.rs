//! Security headers on every response: a strict Content-Security-Policy
//! with a fresh nonce per page for the one inline script Leptos needs (the
//! hydration loader), no framing, no MIME sniffing, no referrer.
//!
//! The policy: scripts only from this origin or carrying the page's nonce
//! (`'wasm-unsafe-eval'` lets the page compile its own WebAssembly, nothing
//! else: no `eval`); styles, images, fonts and connections (the WebSockets
//! included) only from this origin; no plugins, no `<base>`, forms post only
//! here, and no page may frame ours (clickjacking). The Playwright suite
//! (`end2end/tests/headers.spec.ts`) visits every page in Chromium and
//! fails on any violation.

use axum::extract::Request;
use axum::http::header::{self, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use leptos::nonce::Nonce;

/// The policy for a page whose inline scripts carry `nonce`, served as
/// `host` (the request's `Host`, when it is a plain host[:port]): the live
/// socket's `ws://host` and `wss://host` are named as well as `'self'`, for
/// browsers (older WebKit) whose `'self'` does not cover WebSockets.
pub fn content_security_policy(nonce: &str, host: Option<&str>) -> String {
    let sockets = host
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b)))
        .map(|h| format!(" ws://{h} wss://{h}"))
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; font-src 'self'; connect-src 'self'{sockets}; media-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Adds the headers; the nonce goes to the page renderer in the request's
/// extensions (the app's `shell` provides it to Leptos).
pub async fn security_headers(mut req: Request, next: Next) -> Response {
    let nonce = Nonce::new();
    let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok());
    let csp = content_security_policy(&nonce, host);
    req.extensions_mut().insert(nonce);
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    h.insert("permissions-policy", HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_only_this_origin_and_the_pages_nonce() {
        let p = content_security_policy("abc123", Some("ward.example:3000"));
        assert!(p.contains("connect-src 'self' ws://ward.example:3000 wss://ward.example:3000;"), "{p}");
        let odd = content_security_policy("n", Some("evil'; script-src *"));
        assert!(odd.contains("connect-src 'self';") && !odd.contains("evil"), "{odd}");
        for part in [
            "default-src 'self'",
            "script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval'",
            "frame-ancestors 'none'",
            "object-src 'none'",
            "base-uri 'none'",
        ] {
            assert!(p.contains(part), "{part} missing from {p}");
        }
        assert!(!p.contains("unsafe-inline") && !p.contains("'unsafe-eval'"), "{p}");
    }
}
