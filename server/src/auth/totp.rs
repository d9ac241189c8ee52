//! Time-based one-time passwords (RFC 6238: HMAC-SHA1, 30 s steps, 6 digits),
//! the optional second factor for staff. Any authenticator app reads the
//! `otpauth://` URI. Time is passed in.

use hmac::{Hmac, Mac};
use sha1::Sha1;

const STEP_MS: i64 = 30_000;
const DIGITS: u32 = 6;

/// A new 160-bit secret, base32 (as authenticator apps take it).
pub fn new_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    data_encoding::BASE32_NOPAD.encode(&bytes)
}

/// The URI an authenticator app scans or is given.
pub fn uri(secret: &str, username: &str) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
            .collect::<String>()
    };
    format!("otpauth://totp/Vigil:{}?secret={secret}&issuer=Vigil&algorithm=SHA1&digits=6&period=30", enc(username))
}

fn hotp(key: &[u8], counter: u64, digits: u32) -> u32 {
    let mut mac = Hmac::<Sha1>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = (h[19] & 0x0f) as usize;
    let bin = u32::from_be_bytes([h[offset] & 0x7f, h[offset + 1], h[offset + 2], h[offset + 3]]);
    bin % 10u32.pow(digits)
}

/// Whether `code` is right for `secret` at `now_ms`, one step either side
/// allowed for clock drift.
pub fn verify(secret: &str, code: &str, now_ms: i64) -> bool {
    let Ok(key) = data_encoding::BASE32_NOPAD.decode(secret.as_bytes()) else { return false };
    let code = code.trim();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let Ok(want) = code.parse::<u32>() else { return false };
    let step = now_ms.div_euclid(STEP_MS);
    (step - 1..=step + 1).filter(|s| *s >= 0).any(|s| hotp(&key, s as u64, DIGITS) == want)
}

/// The code for `secret` at `now_ms` (tests and the enrolment check).
pub fn code_at(secret: &str, now_ms: i64) -> Option<String> {
    let key = data_encoding::BASE32_NOPAD.decode(secret.as_bytes()).ok()?;
    Some(format!("{:06}", hotp(&key, now_ms.div_euclid(STEP_MS) as u64, DIGITS)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B, SHA-1 rows (8 digits there).
    #[test]
    fn the_rfc_6238_test_vectors_hold() {
        let key = b"12345678901234567890";
        for (t, want) in [
            (59u64, 94287082),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
        ] {
            assert_eq!(hotp(key, t / 30, 8), want, "T = {t}");
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_not_beyond() {
        let secret = data_encoding::BASE32_NOPAD.encode(b"12345678901234567890");
        let now = 1_111_111_111_000;
        let code = code_at(&secret, now).unwrap();
        assert_eq!(code, "050471");
        assert!(verify(&secret, &code, now));
        assert!(verify(&secret, &code, now + 30_000));
        assert!(!verify(&secret, &code, now + 61_000));
        assert!(!verify(&secret, "05047", now) && !verify(&secret, "05047a", now));
        assert!(!verify("not base32!", &code, now));
    }

    #[test]
    fn new_secrets_are_160_bits_of_base32() {
        let s = new_secret();
        assert_eq!(data_encoding::BASE32_NOPAD.decode(s.as_bytes()).unwrap().len(), 20);
        assert!(uri(&s, "amal test").starts_with("otpauth://totp/Vigil:amal%20test?secret="));
    }
}
