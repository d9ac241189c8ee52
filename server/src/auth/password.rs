//! Passwords: argon2id (RFC 9106) with a random salt per password, stored as
//! PHC strings; what a password must be; generated passwords for first runs.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// Shortest password accepted.
pub const MIN_LENGTH: usize = 12;
/// Longest accepted: argon2 takes any length, but a megabyte "password" is an
/// attack on the server's time, not a password.
pub const MAX_LENGTH: usize = 256;

/// Argon2id with the crate's defaults (19 MiB, 2 passes, 1 lane: OWASP's
/// minimum recommendation).
fn hasher() -> Argon2<'static> {
    Argon2::default()
}

/// The PHC string of `password` (`$argon2id$v=19$m=19456,t=2,p=1$...`).
pub fn hash(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

/// [`hash`] off the async workers (it takes tens of milliseconds on purpose).
pub async fn hash_blocking(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash(&password)).await.map_err(|e| anyhow::anyhow!("hashing task: {e}"))?
}

/// Whether `password` matches the stored PHC string. A malformed stored hash
/// matches nothing.
pub fn verify(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else { return false };
    password.len() <= MAX_LENGTH && hasher().verify_password(password.as_bytes(), &parsed).is_ok()
}

/// A hash to verify against when the account does not exist, so that a
/// wrong user name takes as long as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("not a password of anyone").expect("hashing a constant"))
}

/// Why a new password is refused, worded for the person choosing it.
pub fn check_new(password: &str, username: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_LENGTH {
        return Err(format!("a password needs at least {MIN_LENGTH} characters"));
    }
    if password.len() > MAX_LENGTH {
        return Err(format!("a password may have at most {MAX_LENGTH} bytes"));
    }
    if password.to_lowercase().contains(&username.to_lowercase()) && !username.is_empty() {
        return Err("a password must not contain the user name".into());
    }
    if password.chars().all(|c| c == password.chars().next().unwrap_or(' ')) {
        return Err("a password must not be one character repeated".into());
    }
    // zxcvbn (offline: its lists of common passwords, names and words, and
    // keyboard, date and sequence patterns are built in) must not find it
    // guessable in fewer than 10^8 guesses (score 3 of 4). The first
    // characters decide: a long password is not strong for its tail alone.
    let head: String = password.chars().take(ESTIMATE_CHARS).collect();
    let estimate = zxcvbn::zxcvbn(&head, &[username, "vigil", "ward", "monitor", "nurse", "hospital", "patient"]);
    if u8::from(estimate.score()) < MIN_SCORE {
        let why = estimate.feedback().and_then(|f| f.warning()).map(|w| format!(" ({w})")).unwrap_or_default();
        return Err(format!(
            "this password is too easy to guess{why}: use four or more unrelated words, or a generated password"
        ));
    }
    Ok(())
}

/// The strength a new password needs: zxcvbn's score 3, "safely
/// unguessable: moderate protection from offline slow-hash scenario" (more
/// than 10^8 guesses).
pub const MIN_SCORE: u8 = 3;
/// How much of a password the estimate reads (it grows fast with length).
const ESTIMATE_CHARS: usize = 64;

/// A random password of 20 characters (about 100 bits) that is easy to read
/// out and type: lower-case letters and digits without 0/o, 1/l.
pub fn generate() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    let chars: Vec<char> = (0..20).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect();
    chars.chunks(5).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_and_guessable_passwords_are_refused_offline() {
        // The outside probe's, and others every cracker tries first.
        for weak in [
            "password1234",
            "123456789012",
            "qwertyuiopas",
            "Password123!",
            "iloveyou2026",
            "abcdefghijkl",
            "letmein12345",
            "P@ssw0rd2026",
            "nurse-nurse-1",
            "vigil-vigil-1",
            "rn-okafor-2026",
        ] {
            let e = check_new(weak, "rn-okafor").expect_err(weak);
            assert!(e.contains("too easy to guess") || e.contains("user name"), "{weak}: {e}");
        }
    }

    #[test]
    fn passphrases_and_generated_passwords_are_accepted() {
        for strong in [
            "correct horse battery staple",
            "matrix-password-1234",
            "sams-own-password-1",
            "e2e-demo-password-2026",
            "perf-demo-password-2026",
            "another-password-5678",
            &generate(),
        ] {
            assert_eq!(check_new(strong, "rn-okafor"), Ok(()), "{strong}");
        }
    }

    #[test]
    fn a_long_password_is_judged_by_its_first_64_characters() {
        // Strong only after character 64: refused (and the estimate's work
        // stays bounded however long the input).
        let weak_head = format!("{}{}", "password".repeat(8), generate());
        assert!(check_new(&weak_head, "rn-okafor").unwrap_err().contains("too easy to guess"));
        let strong_head = format!("{}{}", generate(), "password".repeat(20));
        assert_eq!(check_new(&strong_head, "rn-okafor"), Ok(()));
    }

    #[test]
    fn a_password_verifies_against_its_own_argon2id_hash_only() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$"), "{h}");
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterY", &h));
        assert_ne!(h, hash("correct horse battery").unwrap(), "salted: the same password hashes differently");
        assert!(!verify("anything", "not a phc string"));
    }

    #[test]
    fn weak_passwords_are_refused_with_the_reason() {
        assert!(check_new("short", "amal").unwrap_err().contains("12"));
        assert!(check_new("my-name-is-amal-ok", "amal").unwrap_err().contains("user name"));
        assert!(check_new("aaaaaaaaaaaaaaaa", "x").unwrap_err().contains("repeated"));
        assert!(check_new(&"x".repeat(300), "amal").is_err());
        assert!(check_new("plum-orbit-74-lantern", "amal").is_ok());
    }

    #[test]
    fn generated_passwords_pass_the_rules_and_differ() {
        let (a, b) = (generate(), generate());
        assert_eq!(a.len(), 23);
        assert_ne!(a, b);
        assert!(check_new(&a, "admin").is_ok());
    }
}
