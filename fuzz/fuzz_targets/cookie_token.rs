//! The session token out of `Cookie` headers, as every request is read:
//! never panics, and a token found is one the rules allow.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../server/src/auth/cookies.rs"]
#[allow(dead_code)]
mod cookies;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // Several headers, split where the input has a newline.
    if let Some(token) = cookies::session_token_in(text.split('\n')) {
        assert!((1..=cookies::MAX_TOKEN_LEN).contains(&token.len()));
        assert!(token.bytes().all(|b| b.is_ascii_graphic()));
    }
});
