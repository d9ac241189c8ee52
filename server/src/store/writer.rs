//! The writer thread: group commit of frames.

use super::rows::DeviceIdentity;
use anyhow::Context;
use rusqlite::{params, Connection};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use vigil_shared::Frame;

/// How many queued jobs one commit takes at most.
const MAX_BATCH: usize = 512;

/// What happened to a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreOutcome {
    /// Newly stored under this cursor; `payload` is what was stored.
    Stored { cursor: u64, payload: Arc<str> },
    /// (device, seq) was already stored with the same content: nothing written.
    Duplicate,
    /// (device, seq) is stored with other content: the device's counter went
    /// back. Nothing written; the device is told so and must renumber.
    SeqReused,
}

pub enum WriteJob {
    Frame {
        device: DeviceIdentity,
        frame: Arc<Frame>,
        /// The frame as the relay sends it, and as the database keeps it
        /// ([`super::codec`]): made by the caller, off the writer thread.
        prepared: PreparedFrame,
        received_at: i64,
        reply: oneshot::Sender<anyhow::Result<StoreOutcome>>,
    },
    /// Any other write, run on its own between frame batches.
    Exec(Box<dyn FnOnce(&mut Connection) + Send>),
}

/// A frame's relay JSON and stored body. Making them is most of a frame's
/// cost; done on the async side, the one writer thread is left with SQL and
/// the commit, and both cores share the encoding.
pub struct PreparedFrame {
    pub payload: Arc<str>,
    pub body: Vec<u8>,
}

impl PreparedFrame {
    pub fn new(frame: &Frame) -> anyhow::Result<PreparedFrame> {
        Ok(PreparedFrame { payload: serde_json::to_string(frame)?.into(), body: super::codec::encode(frame) })
    }
}

/// A frame just committed, handed to the commit hook in commit order.
pub struct Committed<'a> {
    pub bed: &'a str,
    pub cursor: u64,
    pub received_at: i64,
    pub payload: &'a str,
}

/// Called by the writer after each commit, for each new frame, in cursor
/// order, before the devices are acknowledged. The relay hangs here, so every
/// tablet sees a bed's frames in storage order.
pub type CommitHook = Box<dyn Fn(Committed<'_>) + Send>;

pub fn spawn(conn: Connection, hook: CommitHook) -> anyhow::Result<mpsc::Sender<WriteJob>> {
    let (tx, rx) = mpsc::channel(4096);
    std::thread::Builder::new()
        .name("vigil-db-writer".into())
        .spawn(move || run(conn, rx, hook))
        .context("starting the database writer thread")?;
    Ok(tx)
}

fn run(mut conn: Connection, mut rx: mpsc::Receiver<WriteJob>, hook: CommitHook) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(job) = rx.blocking_recv() {
        match job {
            WriteJob::Exec(f) => f(&mut conn),
            frame @ WriteJob::Frame { .. } => {
                batch.push(frame);
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(WriteJob::Exec(f)) => {
                            commit_frames(&mut conn, &mut batch, &hook);
                            f(&mut conn);
                        }
                        Ok(frame) => batch.push(frame),
                        Err(_) => break,
                    }
                }
                commit_frames(&mut conn, &mut batch, &hook);
            }
        }
    }
    tracing::info!("database writer stopped");
}

struct Pending {
    bed: String,
    received_at: i64,
    reply: oneshot::Sender<anyhow::Result<StoreOutcome>>,
    outcome: anyhow::Result<StoreOutcome>,
}

fn commit_frames(conn: &mut Connection, batch: &mut Vec<WriteJob>, hook: &CommitHook) {
    if batch.is_empty() {
        return;
    }
    let mut pending = Vec::with_capacity(batch.len());
    let result = (|| -> rusqlite::Result<()> {
        let mut tx = conn.transaction()?;
        for job in batch.drain(..) {
            let WriteJob::Frame { device, frame, prepared, received_at, reply } = job else { continue };
            // A savepoint per frame: one bad frame fails alone.
            let outcome = (|| -> rusqlite::Result<StoreOutcome> {
                let sp = tx.savepoint()?;
                let outcome = insert_frame(&sp, &device, &frame, prepared, received_at)?;
                sp.commit()?;
                Ok(outcome)
            })()
            .with_context(|| format!("storing frame {} of device {}", frame.seq(), device.id));
            pending.push(Pending { bed: device.bed, received_at, reply, outcome });
        }
        tx.commit()
    })();
    match result {
        Ok(()) => {
            for p in pending {
                if let Ok(StoreOutcome::Stored { cursor, payload }) = &p.outcome {
                    hook(Committed { bed: &p.bed, cursor: *cursor, received_at: p.received_at, payload });
                }
                let _ = p.reply.send(p.outcome);
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "commit failed; frames not acknowledged");
            for p in pending {
                let _ = p.reply.send(Err(anyhow::anyhow!("commit failed: {e}")));
            }
        }
    }
}

fn insert_frame(
    conn: &Connection,
    device: &DeviceIdentity,
    frame: &Frame,
    prepared: PreparedFrame,
    received_at: i64,
) -> rusqlite::Result<StoreOutcome> {
    let PreparedFrame { payload, body } = prepared;
    let (t_start, t_end) = frame.time_span();
    // A validated frame's seq is at most 2^63 - 1 (`MAX_SEQ`): it fits.
    let seq = i64::try_from(frame.seq()).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    let inserted = conn
        .prepare_cached(
            "INSERT INTO frames(device_id, seq, bed_id, t_start, t_end, received_at, samples, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(device_id, seq) DO NOTHING",
        )?
        .execute(params![
            device.id,
            seq,
            device.bed,
            t_start,
            t_end,
            received_at,
            frame.sample_count() as i64,
            body
        ])?;
    if inserted == 0 {
        // A resend is a duplicate only if it is the same frame: a device that
        // lost its counter must not have new readings acknowledged and dropped.
        let stored: Vec<u8> = conn
            .prepare_cached("SELECT body FROM frames WHERE device_id = ?1 AND seq = ?2")?
            .query_row(params![device.id, seq], |r| r.get(0))?;
        let same = stored == body
            || super::codec::decode(&stored).is_ok_and(|stored| stored == *frame);
        return Ok(if same { StoreOutcome::Duplicate } else { StoreOutcome::SeqReused });
    }
    let cursor = conn.last_insert_rowid();
    let mut raw = conn.prepare_cached(
        "INSERT INTO numerics(bed_id, kind, t, cursor, value) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
    )?;
    let mut minute = conn.prepare_cached(
        "INSERT INTO numerics_minute(bed_id, kind, minute, n, sum, lo, hi) VALUES (?1, ?2, ?3, 1, ?4, ?4, ?4)
         ON CONFLICT(bed_id, kind, minute) DO UPDATE
         SET n = n + 1, sum = sum + excluded.sum, lo = MIN(lo, excluded.lo), hi = MAX(hi, excluded.hi)",
    )?;
    for n in frame.numerics() {
        let kind = n.kind().code();
        // The same reading twice in one frame (same kind and time) counts once.
        if raw.execute(params![device.bed, kind, n.t(), cursor, n.value()])? == 1 {
            minute.execute(params![device.bed, kind, n.t().div_euclid(60_000) * 60_000, n.value()])?;
        }
    }
    Ok(StoreOutcome::Stored { cursor: cursor as u64, payload })
}
