//! The audit log: acknowledgements, limit changes and observations, sign-ins
//! and failed sign-ins, and every administrative change (accounts, patients,
//! devices, invitations), append-only and hash-chained.
//!
//! Each entry's hash is HMAC-SHA-256, under a key kept outside the database
//! ([`super::seal`]), over the previous entry's hash and the entry's own
//! fields: changing, inserting, removing or renumbering an entry anywhere
//! breaks the chain in a way that cannot be repaired without the key, and
//! signed checkpoints of the head, kept outside the database, show deleted
//! newest entries. [`check`] finds all of these, and dropped append-only
//! triggers. The database refuses UPDATE and DELETE on the table outright.
//! Entries written before the key existed carry plain SHA-256 hashes; the
//! first checkpoint vouches for them as a whole.

use super::seal::{AuditKey, Checkpoint};
use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use vigil_shared::alarm::{BedEvent, EventRequest, Profile, StoredEvent};

/// The hash before the first entry.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Acknowledgements older than this are not sent to a subscribing tablet: their
/// audio pause is long over and the alarms they silenced have left its window.
const ACK_HORIZON_MS: i64 = 24 * 60 * 60 * 1000;
/// Most events sent per bed on subscribing.
const SNAPSHOT_LIMIT: u32 = 1000;

/// One audit log row, for the audit view and export.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AuditEntry {
    pub seq: u64,
    pub at: i64,
    pub bed: Option<String>,
    pub actor: String,
    pub kind: String,
    pub payload: String,
    pub hash: String,
}

/// The result of re-computing the chain against the key and the checkpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainCheck {
    Intact {
        entries: u64,
        /// Signed checkpoints that matched.
        checkpoints: usize,
        /// Entries the newest checkpoint covers; those after it are
        /// protected against change by the key, not yet against deletion.
        covered: u64,
    },
    /// Tampering found: the first entry concerned (none when it is the log
    /// as a whole, e.g. its triggers) and what was found.
    Broken {
        seq: Option<u64>,
        reason: String,
    },
}

impl ChainCheck {
    pub fn is_intact(&self) -> bool {
        matches!(self, ChainCheck::Intact { .. })
    }
}

/// One entry's fields as hashed.
struct Fields<'a> {
    seq: u64,
    at: i64,
    request: Option<&'a str>,
    bed: Option<&'a str>,
    actor: &'a str,
    kind: &'a str,
    payload: &'a str,
}

impl Fields<'_> {
    fn parts<'p>(&'p self, prev: &'p str, seq: &'p str, at: &'p str) -> [&'p str; 8] {
        [prev, seq, at, self.request.unwrap_or(""), self.bed.unwrap_or(""), self.actor, self.kind, self.payload]
    }
}

/// The hash of entries written since the audit key: HMAC-SHA-256. An absent
/// request or bed is marked apart from an empty one (a tag byte), so no
/// change between the two verifies.
fn entry_mac(key: &AuditKey, prev: &str, f: &Fields<'_>) -> String {
    let (seq, at) = (f.seq.to_string(), f.at.to_string());
    let tag = |o: Option<&str>| [u8::from(o.is_some())];
    let (request_tag, bed_tag) = (tag(f.request), tag(f.bed));
    let parts = f.parts(prev, &seq, &at).map(str::as_bytes);
    let [prev, seq, at, request, bed, actor, kind, payload] = parts;
    key.mac("vigil-audit-entry-v2", &[prev, seq, at, &request_tag, request, &bed_tag, bed, actor, kind, payload])
}

/// The hash of entries written before the audit key: plain SHA-256.
fn legacy_hash(prev: &str, f: &Fields<'_>) -> String {
    let mut h = Sha256::new();
    let (seq, at) = (f.seq.to_string(), f.at.to_string());
    for part in f.parts(prev, &seq, &at) {
        // Length-prefixed, so no two different entries hash the same bytes.
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

fn stored_event(
    seq: u64,
    at: i64,
    bed: String,
    actor: String,
    request: Option<String>,
    payload: &str,
) -> rusqlite::Result<StoredEvent> {
    let event: BedEvent = serde_json::from_str(payload)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))?;
    Ok(StoredEvent { seq, at, bed, actor, request: request.unwrap_or_default(), event })
}

/// What became of a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Appended {
    /// Stored now.
    New(StoredEvent),
    /// The same request id was stored before; that event, unchanged.
    Duplicate(StoredEvent),
    /// Refused: nothing stored.
    Refused(String),
}

fn profile_in(tx: &rusqlite::Transaction<'_>, bed: &str) -> rusqlite::Result<Profile> {
    let payload: Option<String> = tx
        .query_row(
            "SELECT payload FROM audit WHERE bed_id = ?1 AND kind = 'set_profile' ORDER BY seq DESC LIMIT 1",
            [bed],
            |r| r.get(0),
        )
        .optional()?;
    Ok(match payload.map(|p| serde_json::from_str::<BedEvent>(&p)) {
        Some(Ok(BedEvent::SetProfile { profile })) => profile,
        _ => Profile::default(),
    })
}

/// Checks and appends inside the writer's connection, in one transaction: the
/// chain never forks, the check sees the profile the event is stored against,
/// and `at` never goes backwards along `seq` (so tablets that order settings
/// by time and by seq agree).
pub(super) fn append(
    conn: &mut Connection,
    key: &AuditKey,
    req: &EventRequest,
    now: i64,
) -> rusqlite::Result<Appended> {
    let tx = conn.transaction()?;
    let existing = tx
        .query_row(
            "SELECT seq, at, bed_id, actor, request_id, payload FROM audit WHERE request_id = ?1",
            [&req.id],
            |r| Ok((r.get::<_, u64>(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get::<_, String>(5)?)),
        )
        .optional()?;
    if let Some((seq, at, bed, actor, request, payload)) = existing {
        return Ok(Appended::Duplicate(stored_event(seq, at, bed, actor, request, &payload)?));
    }
    if let Err(e) = req.validate(profile_in(&tx, &req.bed)?) {
        return Ok(Appended::Refused(e.to_string()));
    }
    let payload = serde_json::to_string(&req.event).expect("events serialise");
    let entry = Entry {
        request: Some(&req.id),
        bed: Some(&req.bed),
        actor: &req.actor,
        kind: req.event.kind(),
        payload: &payload,
    };
    let (seq, at) = insert(&tx, key, &entry, now)?;
    tx.commit()?;
    let event = StoredEvent {
        seq,
        at,
        bed: req.bed.clone(),
        actor: req.actor.clone(),
        request: req.id.clone(),
        event: req.event.clone(),
    };
    Ok(Appended::New(event))
}

/// An entry to append, before the chain gives it its seq, time and hash.
pub(super) struct Entry<'a> {
    pub request: Option<&'a str>,
    pub bed: Option<&'a str>,
    pub actor: &'a str,
    pub kind: &'a str,
    pub payload: &'a str,
}

/// Appends `entry` to the chain inside the caller's transaction, so that a
/// change and its audit entry are stored together or not at all. Returns the
/// entry's seq and time (`now`, or the previous entry's if the clock stepped
/// back).
pub(super) fn insert(
    tx: &rusqlite::Transaction<'_>,
    key: &AuditKey,
    entry: &Entry<'_>,
    now: i64,
) -> rusqlite::Result<(u64, i64)> {
    let (last_seq, last_at, prev): (u64, i64, String) = tx
        .query_row("SELECT seq, at, hash FROM audit ORDER BY seq DESC LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?
        .unwrap_or((0, i64::MIN, GENESIS.to_string()));
    let seq = last_seq + 1;
    let at = now.max(last_at);
    let Entry { request, bed, actor, kind, payload } = *entry;
    let hash = entry_mac(key, &prev, &Fields { seq, at, request, bed, actor, kind, payload });
    tx.execute(
        "INSERT INTO audit (seq, request_id, at, bed_id, actor, kind, payload, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![seq, request, at, bed, actor, kind, payload, prev, hash],
    )?;
    Ok((seq, at))
}

/// What a subscribing tablet needs of a bed's events (see
/// [`super::Storage::bed_events`]); at most the newest [`SNAPSHOT_LIMIT`]
/// acknowledgements.
pub(super) fn bed_events(c: &Connection, bed: &str, now: i64) -> rusqlite::Result<Vec<StoredEvent>> {
    {
        let mut stmt = c.prepare(
            "WITH p AS (SELECT COALESCE(MAX(seq), 0) AS seq FROM audit WHERE bed_id = ?1 AND kind = 'set_profile'),
                      o AS (SELECT MAX(seq) AS seq FROM audit WHERE bed_id = ?1 AND kind = 'observe'),
                      a AS (SELECT seq FROM audit WHERE bed_id = ?1 AND kind = 'acknowledge' AND at >= ?2
                            ORDER BY seq DESC LIMIT ?3)
                 SELECT seq, at, bed_id, actor, request_id, payload FROM audit
                 WHERE bed_id = ?1 AND (
                       (kind IN ('set_profile', 'set_limits') AND seq >= (SELECT seq FROM p))
                    OR seq = (SELECT seq FROM o)
                    OR seq IN (SELECT seq FROM a))
                 ORDER BY seq",
        )?;
        let events = stmt
            .query_map(params![bed, now - ACK_HORIZON_MS, SNAPSHOT_LIMIT], |r| {
                stored_event(r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, &r.get::<_, String>(5)?)
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(events)
    }
}

/// Which audit entries to read: all of them after `after` by default.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditFilter {
    pub after: u64,
    pub kind: Option<String>,
    pub actor: Option<String>,
    pub bed: Option<String>,
    /// Entry time range, ms.
    pub from: Option<i64>,
    pub to: Option<i64>,
}

pub(super) fn entries(c: &Connection, after: u64, limit: u32) -> rusqlite::Result<Vec<AuditEntry>> {
    filtered(c, &AuditFilter { after, ..Default::default() }, limit)
}

pub(super) fn filtered(c: &Connection, f: &AuditFilter, limit: u32) -> rusqlite::Result<Vec<AuditEntry>> {
    {
        let mut stmt = c.prepare_cached(
            "SELECT seq, at, bed_id, actor, kind, payload, hash FROM audit
             WHERE seq > ?1 AND (?3 IS NULL OR kind = ?3) AND (?4 IS NULL OR actor = ?4 COLLATE NOCASE)
               AND (?5 IS NULL OR bed_id = ?5) AND (?6 IS NULL OR at >= ?6) AND (?7 IS NULL OR at < ?7)
             ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![f.after, limit, f.kind, f.actor, f.bed, f.from, f.to], |r| {
            Ok(AuditEntry {
                seq: r.get(0)?,
                at: r.get(1)?,
                bed: r.get(2)?,
                actor: r.get(3)?,
                kind: r.get(4)?,
                payload: r.get(5)?,
                hash: r.get(6)?,
            })
        })?;
        rows.collect()
    }
}

/// The append-only triggers as the schema creates them.
const TRIGGERS: [(&str, &str); 2] = [
    (
        "audit_no_update",
        "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    ),
    (
        "audit_no_delete",
        "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    ),
];

/// What is wrong with the append-only triggers, if anything: one missing or
/// changed, or any other trigger on the table (one that drops or rewrites
/// new entries as they are inserted).
fn trigger_problem(c: &Connection) -> rusqlite::Result<Option<String>> {
    let names: Vec<String> = c
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit' ORDER BY name")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if let Some(other) = names.iter().find(|n| !TRIGGERS.iter().any(|(name, _)| name == n)) {
        return Ok(Some(format!("an unknown trigger {other} was added to the audit log")));
    }
    for (name, expected) in TRIGGERS {
        let sql: Option<String> = c
            .query_row("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?1", [name], |r| r.get(0))
            .optional()?;
        let normal = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        match sql {
            None => return Ok(Some(format!("the append-only trigger {name} was dropped"))),
            Some(sql) if normal(&sql) != normal(expected) => {
                return Ok(Some(format!("the append-only trigger {name} was replaced: {}", normal(&sql))))
            }
            Some(_) => {}
        }
    }
    Ok(None)
}

/// Where a walk along the chain ended.
enum Walk {
    /// Every entry followed; the log holds `entries`, the newest hashed `head`.
    Ends { entries: u64, head: String },
    Broken { seq: Option<u64>, reason: String },
}

/// Walks the entries after `from` (a count and the hash of that entry),
/// checking numbering, links and hashes. Entries up to `legacy_upto` may
/// carry the older unkeyed hash; `pins` are signed heads the walk must pass
/// through.
fn walk(
    c: &Connection,
    key: &AuditKey,
    from: (u64, &str),
    legacy_upto: u64,
    pins: &BTreeMap<u64, &Checkpoint>,
) -> rusqlite::Result<Walk> {
    let (start, start_head) = from;
    if start > 0 {
        let head: Option<String> =
            c.query_row("SELECT hash FROM audit WHERE seq = ?1", [start], |r| r.get(0)).optional()?;
        match head {
            Some(h) if h == start_head => {}
            Some(_) => {
                return Ok(Walk::Broken {
                    seq: Some(start),
                    reason: format!("entry {start} differs from the signed checkpoint of it: entries up to it were rewritten"),
                })
            }
            None => {
                return Ok(Walk::Broken {
                    seq: Some(start),
                    reason: format!("entry {start}, counted by a signed checkpoint, is missing: entries were deleted"),
                })
            }
        }
    }
    let mut stmt = c.prepare(
        "SELECT seq, at, bed_id, actor, kind, payload, prev_hash, hash, request_id FROM audit WHERE seq > ?1 ORDER BY seq",
    )?;
    let mut rows = stmt.query([start])?;
    let mut prev = start_head.to_string();
    let mut expected = start.saturating_add(1);
    while let Some(r) = rows.next()? {
        let seq: u64 = r.get(0)?;
        if seq != expected {
            return Ok(Walk::Broken {
                seq: Some(expected),
                reason: format!(
                    "entry {expected} is missing (the next is {seq}): entries were deleted or renumbered"
                ),
            });
        }
        let bed: Option<String> = r.get(2)?;
        let (actor, kind, payload): (String, String, String) = (r.get(3)?, r.get(4)?, r.get(5)?);
        let (stored_prev, stored_hash): (String, String) = (r.get(6)?, r.get(7)?);
        let request: Option<String> = r.get(8)?;
        let fields = Fields {
            seq,
            at: r.get(1)?,
            request: request.as_deref(),
            bed: bed.as_deref(),
            actor: &actor,
            kind: &kind,
            payload: &payload,
        };
        if stored_prev != prev {
            return Ok(Walk::Broken {
                seq: Some(seq),
                reason: format!("entry {seq} does not follow entry {}: entries were removed, inserted or renumbered", seq - 1),
            });
        }
        let keyed = constant_time_eq(stored_hash.as_bytes(), entry_mac(key, &prev, &fields).as_bytes());
        let legacy = seq <= legacy_upto && stored_hash == legacy_hash(&prev, &fields);
        if !(keyed || legacy) {
            return Ok(Walk::Broken {
                seq: Some(seq),
                reason: format!("entry {seq} does not verify under the audit key: it was altered or forged"),
            });
        }
        if let Some(pin) = pins.get(&seq) {
            if pin.head != stored_hash {
                return Ok(Walk::Broken {
                    seq: Some(seq),
                    reason: format!("entry {seq} differs from the checkpoint signed at {}: entries up to it were rewritten", pin.at),
                });
            }
        }
        prev = stored_hash;
        expected = seq.saturating_add(1);
    }
    // Rows the walk cannot see: numbered 0 or below (inserted under the
    // first entry) would still reach tablets. (Every row from 1 up was
    // walked, or was before the checkpoint the walk started from.)
    let min: Option<i64> = c.query_row("SELECT MIN(seq) FROM audit", [], |r| r.get(0))?;
    if let Some(min) = min.filter(|&m| m < 1) {
        return Ok(Walk::Broken { seq: None, reason: format!("an entry numbered {min} was inserted below the first") });
    }
    Ok(Walk::Ends { entries: expected.saturating_sub(1), head: prev })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Entries up to the first checkpoint made with the key may carry the older
/// unkeyed hash (they were written before it); none after it.
fn legacy_upto(checkpoints: &[Checkpoint]) -> u64 {
    checkpoints.iter().filter(|c| c.first).map(|c| c.entries).min().unwrap_or(0)
}

/// The whole check, as `vigil audit --verify` runs it: the triggers, every
/// entry from the first under the key, and every signed checkpoint (the
/// caller has checked their signatures) against the entries.
pub(super) fn check(c: &Connection, key: &AuditKey, checkpoints: &[Checkpoint]) -> rusqlite::Result<ChainCheck> {
    if let Some(reason) = trigger_problem(c)? {
        return Ok(ChainCheck::Broken { seq: None, reason });
    }
    let pins: BTreeMap<u64, &Checkpoint> = checkpoints.iter().map(|c| (c.entries, c)).collect();
    match walk(c, key, (0, GENESIS), legacy_upto(checkpoints), &pins)? {
        Walk::Broken { seq, reason } => Ok(ChainCheck::Broken { seq, reason }),
        Walk::Ends { entries, .. } => {
            if let Some(c) = checkpoints.iter().filter(|c| c.entries > entries).max_by_key(|c| c.entries) {
                return Ok(ChainCheck::Broken {
                    seq: Some(entries + 1),
                    reason: format!(
                        "the log ends at entry {entries} but a checkpoint signed at {} counted {}: the newest entries were deleted",
                        c.at, c.entries
                    ),
                });
            }
            if checkpoints.is_empty() && entries > 0 {
                return Ok(ChainCheck::Broken {
                    seq: None,
                    reason: "no signed checkpoint: deleted newest entries could not be seen (is the checkpoint file configured?)".into(),
                });
            }
            let covered = checkpoints.iter().map(|c| c.entries).max().unwrap_or(0);
            Ok(ChainCheck::Intact { entries, checkpoints: checkpoints.len(), covered })
        }
    }
}

/// The head to sign next, checked from the newest checkpoint on (or, with
/// none, every entry; the older unkeyed ones allowed only under a new key): `Ok(Some((entries,
/// head)))` when there is something new to sign, `Ok(None)` when nothing
/// changed, `Err(reason)` when what followed does not verify (nothing is
/// signed then: a checkpoint must never vouch for a tampered log).
pub(super) fn next_head(
    c: &Connection,
    key: &AuditKey,
    newest: Option<&Checkpoint>,
    key_is_new: bool,
) -> rusqlite::Result<Result<Option<(u64, String)>, String>> {
    if let Some(reason) = trigger_problem(c)? {
        return Ok(Err(reason));
    }
    // Unkeyed hashes are taken only when the key was made just now: the
    // entries of an older server. A key that exists signed every entry.
    let (from, legacy) = match newest {
        Some(cp) => ((cp.entries, cp.head.as_str()), 0),
        None if key_is_new => ((0, GENESIS), u64::MAX),
        None => ((0, GENESIS), 0),
    };
    Ok(match walk(c, key, from, legacy, &BTreeMap::new())? {
        Walk::Broken { reason, .. } => Err(reason),
        Walk::Ends { entries, head } if newest.is_none_or(|cp| entries > cp.entries) => Ok(Some((entries, head))),
        Walk::Ends { .. } => Ok(None),
    })
}
