//! The audit log: acknowledgements, limit changes and observations, sign-ins
//! and failed sign-ins, and every administrative change (accounts, patients,
//! devices, invitations), append-only and hash-chained.
//!
//! Each entry's hash is SHA-256 over the previous entry's hash and the entry's
//! own fields, so changing or removing an entry anywhere breaks every hash
//! after it, which [`super::Storage::check_audit_chain`] finds. The database refuses
//! UPDATE and DELETE on the table outright.

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};
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

/// The result of re-computing the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainCheck {
    Intact {
        entries: u64,
    },
    /// The first entry whose hash does not follow.
    Broken {
        seq: u64,
    },
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

fn entry_hash(prev: &str, f: &Fields<'_>) -> String {
    let mut h = Sha256::new();
    let (seq, at) = (f.seq.to_string(), f.at.to_string());
    for part in [prev, &seq, &at, f.request.unwrap_or(""), f.bed.unwrap_or(""), f.actor, f.kind, f.payload] {
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
pub(super) fn append(conn: &mut Connection, req: &EventRequest, now: i64) -> rusqlite::Result<Appended> {
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
    let (seq, at) = insert(&tx, &entry, now)?;
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
pub(super) fn insert(tx: &rusqlite::Transaction<'_>, entry: &Entry<'_>, now: i64) -> rusqlite::Result<(u64, i64)> {
    let (last_seq, last_at, prev): (u64, i64, String) = tx
        .query_row("SELECT seq, at, hash FROM audit ORDER BY seq DESC LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?
        .unwrap_or((0, i64::MIN, GENESIS.to_string()));
    let seq = last_seq + 1;
    let at = now.max(last_at);
    let Entry { request, bed, actor, kind, payload } = *entry;
    let hash = entry_hash(&prev, &Fields { seq, at, request, bed, actor, kind, payload });
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

pub(super) fn check_chain(c: &Connection) -> rusqlite::Result<ChainCheck> {
    {
        let mut stmt = c.prepare(
            "SELECT seq, at, bed_id, actor, kind, payload, prev_hash, hash, request_id FROM audit ORDER BY seq",
        )?;
        let mut rows = stmt.query([])?;
        let mut prev = GENESIS.to_string();
        let mut entries = 0;
        while let Some(r) = rows.next()? {
            let seq: u64 = r.get(0)?;
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
            let expected = entry_hash(&prev, &fields);
            if stored_prev != prev || stored_hash != expected {
                return Ok(ChainCheck::Broken { seq });
            }
            prev = stored_hash;
            entries += 1;
        }
        Ok(ChainCheck::Intact { entries })
    }
}
