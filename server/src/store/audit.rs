//! The audit log: acknowledgements, limit changes and observations (and, as
//! they come, sign-ins and administration), append-only and hash-chained.
//!
//! Each entry's hash is SHA-256 over the previous entry's hash and the entry's
//! own fields, so changing or removing an entry anywhere breaks every hash
//! after it, which [`Store::check_audit_chain`] finds. The database refuses
//! UPDATE and DELETE on the table outright.

use super::Store;
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

fn entry_hash(prev: &str, seq: u64, at: i64, bed: Option<&str>, actor: &str, kind: &str, payload: &str) -> String {
    let mut h = Sha256::new();
    for part in [prev, &seq.to_string(), &at.to_string(), bed.unwrap_or(""), actor, kind, payload] {
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

/// Appends inside the writer's connection: one transaction, so the chain
/// never forks.
fn append(conn: &mut Connection, req: &EventRequest, at: i64) -> rusqlite::Result<(StoredEvent, bool)> {
    let tx = conn.transaction()?;
    let existing = tx
        .query_row(
            "SELECT seq, at, bed_id, actor, request_id, payload FROM audit WHERE request_id = ?1",
            [&req.id],
            |r| Ok((r.get::<_, u64>(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get::<_, String>(5)?)),
        )
        .optional()?;
    if let Some((seq, at, bed, actor, request, payload)) = existing {
        return Ok((stored_event(seq, at, bed, actor, request, &payload)?, false));
    }
    let (last_seq, prev): (u64, String) = tx
        .query_row("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or((0, GENESIS.to_string()));
    let seq = last_seq + 1;
    let payload = serde_json::to_string(&req.event).expect("events serialise");
    let kind = req.event.kind();
    let hash = entry_hash(&prev, seq, at, Some(&req.bed), &req.actor, kind, &payload);
    tx.execute(
        "INSERT INTO audit (seq, request_id, at, bed_id, actor, kind, payload, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![seq, req.id, at, req.bed, req.actor, kind, payload, prev, hash],
    )?;
    tx.commit()?;
    let event = StoredEvent {
        seq,
        at,
        bed: req.bed.clone(),
        actor: req.actor.clone(),
        request: req.id.clone(),
        event: req.event.clone(),
    };
    Ok((event, true))
}

impl Store {
    /// Stores a checked request durably at time `at`. Returns the stored event
    /// and whether it is new (`false`: the same request id was stored before,
    /// and that earlier event is returned unchanged).
    pub async fn append_event(&self, req: EventRequest, at: i64) -> anyhow::Result<(StoredEvent, bool)> {
        self.write(move |conn| append(conn, &req, at)).await
    }

    /// What a subscribing tablet needs of a bed's events: every settings
    /// change and observation, and the acknowledgements of the last day.
    pub async fn bed_events(&self, bed: &str, now: i64) -> anyhow::Result<Vec<StoredEvent>> {
        let bed = bed.to_string();
        self.read(move |c| {
            let mut stmt = c.prepare(
                "SELECT seq, at, bed_id, actor, request_id, payload FROM audit
                 WHERE bed_id = ?1 AND (kind != 'acknowledge' OR at >= ?2)
                 ORDER BY seq DESC LIMIT ?3",
            )?;
            let mut events = stmt
                .query_map(params![bed, now - ACK_HORIZON_MS, SNAPSHOT_LIMIT], |r| {
                    stored_event(r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, &r.get::<_, String>(5)?)
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            events.reverse();
            Ok(events)
        })
        .await
    }

    /// The bed's current profile (the newest `set_profile`), adult if none.
    pub async fn bed_profile(&self, bed: &str) -> anyhow::Result<Profile> {
        let bed = bed.to_string();
        let payload: Option<String> = self
            .read(move |c| {
                c.query_row(
                    "SELECT payload FROM audit WHERE bed_id = ?1 AND kind = 'set_profile' ORDER BY seq DESC LIMIT 1",
                    [bed],
                    |r| r.get(0),
                )
                .optional()
            })
            .await?;
        Ok(match payload.map(|p| serde_json::from_str::<BedEvent>(&p)) {
            Some(Ok(BedEvent::SetProfile { profile })) => profile,
            _ => Profile::default(),
        })
    }

    /// The audit log, oldest first, optionally from `after` on.
    pub async fn audit(&self, after: u64, limit: u32) -> anyhow::Result<Vec<AuditEntry>> {
        self.read(move |c| {
            let mut stmt = c.prepare(
                "SELECT seq, at, bed_id, actor, kind, payload, hash FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![after, limit], |r| {
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
        })
        .await
    }

    /// Re-computes every hash of the chain.
    pub async fn check_audit_chain(&self) -> anyhow::Result<ChainCheck> {
        self.read(|c| {
            let mut stmt =
                c.prepare("SELECT seq, at, bed_id, actor, kind, payload, prev_hash, hash FROM audit ORDER BY seq")?;
            let mut rows = stmt.query([])?;
            let mut prev = GENESIS.to_string();
            let mut entries = 0;
            while let Some(r) = rows.next()? {
                let seq: u64 = r.get(0)?;
                let bed: Option<String> = r.get(2)?;
                let (actor, kind, payload): (String, String, String) = (r.get(3)?, r.get(4)?, r.get(5)?);
                let (stored_prev, stored_hash): (String, String) = (r.get(6)?, r.get(7)?);
                let expected = entry_hash(&prev, seq, r.get(1)?, bed.as_deref(), &actor, &kind, &payload);
                if stored_prev != prev || stored_hash != expected {
                    return Ok(ChainCheck::Broken { seq });
                }
                prev = stored_hash;
                entries += 1;
            }
            Ok(ChainCheck::Intact { entries })
        })
        .await
    }
}
