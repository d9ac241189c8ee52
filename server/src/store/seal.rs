//! What makes the audit log tamper-evident to someone who holds the database
//! file: a key the database does not hold, and signed checkpoints of the
//! chain's head kept outside it.
//!
//! - **The key** ([`AuditKey`]): 256 random bits in a file of its own
//!   (`[audit] key_file`, by default `audit.key` beside the database, mode
//!   0600; in production on another volume or owner than the database). Every
//!   entry's hash is HMAC-SHA-256 under it, so an edited, inserted, removed or
//!   renumbered entry cannot be given a hash that verifies without the key.
//! - **Checkpoints** ([`Checkpoint`]): after every write that appended to the
//!   log, the head (entry count and newest hash), signed with the key, is
//!   appended to a file the database does not control (`[audit]
//!   checkpoint_file`, by default `audit-checkpoints.log` beside the
//!   database) and written to the server's log (`audit checkpoint {...}`), so
//!   it also reaches journald or a remote syslog. A checkpoint is signed only
//!   after the entries since the previous one verified. Deleting the newest
//!   entries ("truncation"), which a keyed chain alone cannot show, leaves
//!   fewer entries than a checkpoint counts.
//!
//! What cannot be detected, said plainly: someone holding the key file *and*
//! able to rewrite every copy of the checkpoints (the file and the shipped
//! log lines) can rewrite history; the newest entries written after the
//! newest checkpoint that reached storage (a crash between the database
//! commit and the checkpoint write; the next start signs the head again) can
//! be deleted without trace; and entries written before this version (an
//! unkeyed SHA-256 chain) are vouched for only as a whole, by the first
//! checkpoint, which signs whatever the log held when the key was created.

// Input from outside: no arithmetic that can overflow, wrap or panic.
#![deny(clippy::arithmetic_side_effects)]

use anyhow::Context;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::io::Write;
use std::path::{Path, PathBuf};

type HmacSha256 = Hmac<Sha256>;

/// The audit key. Its bytes are never printed.
#[derive(Clone)]
pub struct AuditKey([u8; 32]);

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(..)")
    }
}

impl AuditKey {
    /// A key from its 64 hex digits (tests and tools).
    pub fn from_hex(hex_key: &str) -> anyhow::Result<AuditKey> {
        let bytes = hex::decode(hex_key.trim()).context("the audit key is not hex")?;
        let key: [u8; 32] =
            bytes.try_into().map_err(|_| anyhow::anyhow!("the audit key must be 32 bytes (64 hex digits)"))?;
        Ok(AuditKey(key))
    }

    /// Reads the key at `path`.
    pub fn load(path: &Path) -> anyhow::Result<AuditKey> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading the audit key {}", path.display()))?;
        AuditKey::from_hex(&text).with_context(|| format!("in {}", path.display()))
    }

    /// Creates a new random key at `path` (readable by its owner only),
    /// refusing to overwrite one.
    pub fn create(path: &Path) -> anyhow::Result<AuditKey> {
        use rand::RngCore;
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).with_context(|| format!("creating the audit key {}", path.display()))?;
        file.write_all(format!("{}\n", hex::encode(key)).as_bytes())?;
        file.sync_all()?;
        Ok(AuditKey(key))
    }

    /// HMAC-SHA-256 over `parts`, each length-prefixed (so no two different
    /// lists give the same bytes), after a label naming what is signed.
    pub fn mac(&self, label: &str, parts: &[&[u8]]) -> String {
        let mut m = <HmacSha256 as Mac>::new_from_slice(&self.0).expect("HMAC takes any key length");
        m.update(label.as_bytes());
        for part in parts {
            m.update(&(part.len() as u64).to_le_bytes());
            m.update(part);
        }
        hex::encode(m.finalize().into_bytes())
    }
}

/// A signed statement: "the audit log held `entries` entries, the newest
/// with hash `head`", made at `at` (ms).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    pub entries: u64,
    pub head: String,
    pub at: i64,
    /// The first checkpoint made with this key: entries up to it may carry
    /// the older unkeyed hashes.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub first: bool,
    pub mac: String,
}

impl Checkpoint {
    pub fn new(key: &AuditKey, entries: u64, head: &str, at: i64, first: bool) -> Checkpoint {
        let mac = Checkpoint::expected_mac(key, entries, head, at, first);
        Checkpoint { entries, head: head.to_string(), at, first, mac }
    }

    fn expected_mac(key: &AuditKey, entries: u64, head: &str, at: i64, first: bool) -> String {
        let (entries, at) = (entries.to_le_bytes(), at.to_le_bytes());
        key.mac("vigil-audit-checkpoint-v1", &[&entries, head.as_bytes(), &at, &[u8::from(first)]])
    }

    /// Whether the key signed it (constant-time comparison).
    pub fn is_signed_by(&self, key: &AuditKey) -> bool {
        let expected = Checkpoint::expected_mac(key, self.entries, &self.head, self.at, self.first);
        constant_time_eq(expected.as_bytes(), self.mac.as_bytes())
    }

    /// Reads every checkpoint in `text`: one per line, as written to the
    /// checkpoint file or found in the server's log, plain
    /// (`... audit checkpoint {...}`) or JSON (`VIGIL_LOG_FORMAT=json`: the
    /// checkpoint inside the message). Other lines are skipped; lines that
    /// look like a checkpoint but do not read as one (torn by a crash,
    /// garbled) are counted, not fatal. Returns the checkpoints and that count.
    pub fn parse_all(text: &str) -> (Vec<Checkpoint>, usize) {
        let (mut out, mut unreadable) = (Vec::new(), 0usize);
        for line in text.lines() {
            let line = line.trim();
            // The checkpoint file's own lines.
            if let Ok(c) = serde_json::from_str::<Checkpoint>(line) {
                out.push(c);
                continue;
            }
            // A log line: the message, found in a JSON line's fields.
            let message = match serde_json::from_str::<serde_json::Value>(line) {
                Ok(v) => find_marked(&v),
                Err(_) => line.find(LOG_MARK).map(|_| line.to_string()),
            };
            let Some(message) = message else {
                if line.starts_with('{') && (line.contains("\"entries\"") || line.contains("\"mac\"")) {
                    unreadable = unreadable.saturating_add(1);
                }
                continue;
            };
            let after = message.find(LOG_MARK).and_then(|at| message.get(at.saturating_add(LOG_MARK.len())..));
            match after.map(str::trim).and_then(|json| serde_json::from_str::<Checkpoint>(json).ok()) {
                Some(c) => out.push(c),
                None => unreadable = unreadable.saturating_add(1),
            }
        }
        (out, unreadable)
    }
}

/// The first string in a JSON value that carries [`LOG_MARK`].
fn find_marked(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) if s.contains(LOG_MARK) => Some(s.clone()),
        serde_json::Value::Object(m) => m.values().find_map(find_marked),
        serde_json::Value::Array(a) => a.iter().find_map(find_marked),
        _ => None,
    }
}

/// Whether the file's last byte is not a newline.
fn ends_unterminated(file: &mut std::fs::File) -> std::io::Result<bool> {
    use std::io::{Read, Seek, SeekFrom};
    if file.metadata()?.len() == 0 {
        return Ok(false);
    }
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] != b'\n')
}

/// What precedes a checkpoint in the server's log.
pub const LOG_MARK: &str = "audit checkpoint";
/// The log target of checkpoints, kept at info whatever `RUST_LOG` says
/// (`telemetry`), so every copy reaches the log.
pub const LOG_TARGET: &str = "vigil_audit";

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Where the key and the checkpoints are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealPaths {
    pub key_file: PathBuf,
    pub checkpoint_file: PathBuf,
    /// Only to verify (`vigil audit`): no key is made and nothing is signed.
    pub verify_only: bool,
}

impl SealPaths {
    /// The defaults: beside the database.
    pub fn beside(database: &Path) -> SealPaths {
        let dir = database.parent().unwrap_or(Path::new("."));
        SealPaths {
            key_file: dir.join("audit.key"),
            checkpoint_file: dir.join("audit-checkpoints.log"),
            verify_only: false,
        }
    }
}

/// The key and the open checkpoint file; one per store.
pub struct Seal {
    pub key: AuditKey,
    pub paths: SealPaths,
    /// Checkpoints already in the file when the store opened, then each one
    /// written since: the newest is where incremental checks start.
    pub state: std::sync::Mutex<SealState>,
}

pub struct SealState {
    pub newest: Option<Checkpoint>,
    file: Option<std::fs::File>,
    /// The key was made by this process: the log's entries before it may
    /// carry the older unkeyed hashes (until the first checkpoint).
    pub key_is_new: bool,
}

impl Seal {
    /// Loads the key (creating it on first use, when no checkpoint exists
    /// yet and `create` allows) and reads the checkpoints. A missing key with
    /// checkpoints present is an error: the log could no longer be extended
    /// verifiably. Checkpoints that do not read, or are not signed by the
    /// key, are logged and left out (they cannot vouch for anything), so a
    /// torn last line never stops the server.
    pub fn open(paths: SealPaths, create: bool) -> anyhow::Result<(Seal, Vec<Checkpoint>)> {
        let (checkpoints, unreadable) = match std::fs::read_to_string(&paths.checkpoint_file) {
            Ok(text) => Checkpoint::parse_all(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Vec::new(), 0),
            Err(e) => return Err(e).with_context(|| format!("reading {}", paths.checkpoint_file.display())),
        };
        if unreadable > 0 {
            tracing::error!(file = %paths.checkpoint_file.display(), unreadable, "audit checkpoint lines that do not read were left out");
        }
        let created = !paths.key_file.exists();
        let key = if !created {
            AuditKey::load(&paths.key_file)?
        } else if checkpoints.is_empty() && create {
            let key = AuditKey::create(&paths.key_file)?;
            tracing::warn!(key_file = %paths.key_file.display(),
                "created a new audit key: keep it safe and apart from the database; without it the audit log cannot be verified");
            key
        } else if !create {
            anyhow::bail!("no audit key at {}: the log cannot be verified without it", paths.key_file.display());
        } else {
            anyhow::bail!(
                "the audit key {} is missing but {} holds checkpoints signed with it: restore the key \
                 (the audit log cannot be verified or extended without it)",
                paths.key_file.display(),
                paths.checkpoint_file.display()
            );
        };
        let (signed, forged): (Vec<Checkpoint>, Vec<Checkpoint>) =
            checkpoints.into_iter().partition(|c| c.is_signed_by(&key));
        if signed.is_empty() && !forged.is_empty() {
            anyhow::bail!(
                "none of the checkpoints in {} is signed by the audit key {}: that is not the key of this log",
                paths.checkpoint_file.display(),
                paths.key_file.display()
            );
        }
        if !forged.is_empty() {
            tracing::error!(file = %paths.checkpoint_file.display(), forged = forged.len(),
                "audit checkpoints not signed by the audit key were left out: the key or the checkpoints were replaced");
        }
        let newest = signed.iter().max_by_key(|c| c.entries).cloned();
        let state = SealState { newest, file: None, key_is_new: created };
        Ok((Seal { key, paths, state: std::sync::Mutex::new(state) }, signed))
    }

    /// Appends a checkpoint to the file (synced) and to the log.
    pub fn write(&self, state: &mut SealState, c: Checkpoint) -> anyhow::Result<()> {
        let line = serde_json::to_string(&c)?;
        if state.file.is_none() {
            let path = &self.paths.checkpoint_file;
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .read(true)
                .append(true)
                .open(path)
                .with_context(|| format!("opening {}", path.display()))?;
            // A line torn by a crash must not swallow the next checkpoint.
            if ends_unterminated(&mut file)? {
                file.write_all(b"\n")?;
            }
            state.file = Some(file);
        }
        let file = state.file.as_mut().expect("opened above");
        file.write_all(format!("{line}\n").as_bytes())?;
        file.sync_data()?;
        tracing::info!(target: LOG_TARGET, "{LOG_MARK} {line}");
        state.newest = Some(c);
        state.key_is_new = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> AuditKey {
        AuditKey::from_hex(&"11".repeat(32)).unwrap()
    }

    #[test]
    fn a_checkpoint_verifies_only_with_its_key_and_unchanged() {
        let c = Checkpoint::new(&key(), 12, "ab", 1_790_000_000_000, false);
        assert!(c.is_signed_by(&key()));
        assert!(!c.is_signed_by(&AuditKey::from_hex(&"22".repeat(32)).unwrap()));
        for changed in [
            Checkpoint { entries: 13, ..c.clone() },
            Checkpoint { head: "ac".into(), ..c.clone() },
            Checkpoint { first: true, ..c.clone() },
            Checkpoint { at: c.at + 1, ..c.clone() },
        ] {
            assert!(!changed.is_signed_by(&key()), "{changed:?}");
        }
    }

    #[test]
    fn checkpoints_are_read_from_the_file_and_from_log_lines() {
        let a = Checkpoint::new(&key(), 1, "aa", 1, true);
        let b = Checkpoint::new(&key(), 2, "bb", 2, false);
        let text = format!(
            "{}\n2026-12-07T21:00:00Z  INFO vigil_server::store::seal: {LOG_MARK} {}\nunrelated line\n",
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
        assert_eq!(Checkpoint::parse_all(&text), (vec![a.clone(), b.clone()], 0));
        // JSON logs carry it inside the message; torn and crafted lines are counted, never fatal.
        let json_line = serde_json::json!({
            "timestamp": "2026-12-07T21:00:00Z",
            "fields": { "message": format!("{LOG_MARK} {}", serde_json::to_string(&b).unwrap()) }
        });
        let text = format!(
            "{json_line}\n{{\"entries\":3,\"head\":\"ab\",\"mac\"\nx {LOG_MARK} }} y {{\n{LOG_MARK}\n"
        );
        assert_eq!(Checkpoint::parse_all(&text), (vec![b], 3));
    }

    #[test]
    fn a_key_file_is_created_once_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k/audit.key");
        let k = AuditKey::create(&path).unwrap();
        assert_eq!(AuditKey::load(&path).unwrap().mac("x", &[]), k.mac("x", &[]));
        assert!(AuditKey::create(&path).is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert!(!format!("{k:?}").contains("11"));
    }
}
