//! The session token out of a request's `Cookie` headers. No web framework
//! here: the fuzzer (`fuzz/fuzz_targets/cookie_token.rs`) reads this file on
//! its own.

// Input from outside: no arithmetic that can overflow, wrap or panic.
#![deny(clippy::arithmetic_side_effects)]

/// The session cookie's name.
pub const COOKIE: &str = "vigil_session";

/// Longest token accepted: ours are 64 hex digits after a short prefix.
pub const MAX_TOKEN_LEN: usize = 128;

/// The session token in `headers` (each a `Cookie` header's value): the
/// first well-formed `vigil_session` cookie whose value is 1 to 128 visible
/// ASCII characters. Anything else is no token.
pub fn session_token_in<'a>(headers: impl IntoIterator<Item = &'a str>) -> Option<String> {
    headers
        .into_iter()
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .filter(|c| c.name() == COOKIE)
        .map(|c| c.value().to_string())
        .find(|v| (1..=MAX_TOKEN_LEN).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_graphic()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others_and_odd_values_are_no_token() {
        assert_eq!(session_token_in(["a=1; vigil_session=vgs_abc; b=2"]), Some("vgs_abc".into()));
        assert_eq!(session_token_in(["a=1", "vigil_session=t2"]), Some("t2".into()));
        assert_eq!(session_token_in(["vigil_session="]), None);
        assert_eq!(session_token_in([format!("vigil_session={}", "x".repeat(129)).as_str()]), None);
        assert_eq!(session_token_in(["vigil_session=a\u{7f}b"]), None);
        assert_eq!(session_token_in(["vigil_sessionx=1; =; ;;"]), None);
        // A malformed one first does not hide a good one after it.
        assert_eq!(session_token_in(["vigil_session=; vigil_session=t3"]), Some("t3".into()));
    }
}
