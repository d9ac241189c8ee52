//! The default storage: SQLite, embedded, one file.
//!
//! One writer thread owns the write connection and commits frames in groups:
//! every frame waiting when a commit starts goes into that commit, so many
//! devices share one fsync. A frame is acknowledged only after its commit
//! returned. Reads go through a separate connection (WAL lets them run while
//! the writer commits).

use super::rows::{self, DeviceIdentity, StoredFrame};
use super::writer::{self, CommitHook, PreparedFrame, StoreOutcome, WriteJob};
use super::MAX_FRAME_SPAN_MS;
use super::seal::{AuditKey, Checkpoint, Seal, SealPaths};
use super::{audit, codec, new_token, schema, token_hash, Appended, AuditEntry, ChainCheck, Storage, Trend};
use crate::clock::now_ms;
use anyhow::Context;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};
use vigil_shared::alarm::{EventRequest, StoredEvent};
use vigil_shared::protocol::live::BedInfo;
use vigil_shared::{Frame, VitalKind};

fn stored_frame(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredFrame> {
    let body: Vec<u8> = r.get(2)?;
    let frame = codec::decode(&body)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Blob, Box::new(e)))?;
    let payload = serde_json::to_string(&frame)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Blob, Box::new(e)))?;
    Ok(StoredFrame { cursor: r.get::<_, i64>(0)? as u64, received_at: r.get(1)?, payload })
}

/// The SQLite storage; cheap to clone.
#[derive(Clone)]
pub struct SqliteStore {
    writer: mpsc::Sender<WriteJob>,
    reader: Arc<Mutex<Connection>>,
    path: PathBuf,
    seal: Arc<Seal>,
}

fn open_connection(path: &Path) -> anyhow::Result<Connection> {
    let conn = Connection::open(path).with_context(|| format!("opening database {}", path.display()))?;
    // WAL with synchronous=FULL: a commit that returned survives a crash or a
    // power cut, which is what an acknowledgement promises.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(conn)
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and migrates it.
    /// `on_commit` sees every newly stored frame, in storage order.
    pub fn open(path: &Path, on_commit: CommitHook) -> anyhow::Result<SqliteStore> {
        SqliteStore::open_with(path, SealPaths::beside(path), on_commit)
    }

    /// The same, with the audit key and checkpoints where `seal` says.
    pub fn open_with(path: &Path, seal: SealPaths, on_commit: CommitHook) -> anyhow::Result<SqliteStore> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating database folder {}", dir.display()))?;
        }
        let mut write_conn = open_connection(path)?;
        let version = schema::migrate(&mut write_conn).context("migrating the database schema")?;
        tracing::info!(path = %path.display(), schema_version = version, "database ready");
        let reader = open_connection(path)?;
        let verify_only = seal.verify_only;
        let (seal, _) = Seal::open(seal, !verify_only)?;
        let seal = Arc::new(seal);
        let reader = Arc::new(Mutex::new(reader));
        if !verify_only {
            // Sign the head as it is now (the first checkpoint, or what a
            // crash left unsigned), or say loudly that the log was tampered with.
            checkpoint(&reader, &seal)?;
        }
        let writer = writer::spawn(write_conn, on_commit)?;
        Ok(SqliteStore { writer, reader, path: path.to_path_buf(), seal })
    }

    /// Runs `f` with the audit key on the writer's connection, then signs
    /// the new head of the audit log (see [`super::seal`]).
    pub(super) async fn write_audited<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection, &AuditKey) -> rusqlite::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let key = self.seal.key.clone();
        let result = self.write(move |conn| f(conn, &key)).await;
        let (reader, seal) = (self.reader.clone(), self.seal.clone());
        let signed = tokio::task::spawn_blocking(move || checkpoint(&reader, &seal)).await;
        match signed {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = format!("{e:#}"), "audit checkpoint not written"),
            Err(e) => tracing::error!(error = %e, "audit checkpoint task failed"),
        }
        result
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(super) async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let reader = self.reader.clone();
        tokio::task::spawn_blocking(move || {
            let conn = reader.lock().map_err(|_| anyhow::anyhow!("database reader poisoned"))?;
            f(&conn).context("database read")
        })
        .await
        .context("database read task")?
    }

    pub(super) async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let (tx, rx) = oneshot::channel();
        let job = WriteJob::Exec(Box::new(move |conn| {
            let _ = tx.send(f(conn));
        }));
        self.writer.send(job).await.map_err(|_| anyhow::anyhow!("database writer stopped"))?;
        rx.await.context("database writer dropped the job")?.context("database write")
    }
}

/// Signs the audit log's head if it moved since the newest checkpoint and
/// what was appended verifies; logs an error (and signs nothing) if not.
/// The reader is held only to read; the file is written and synced after.
fn checkpoint(reader: &Mutex<Connection>, seal: &Seal) -> anyhow::Result<()> {
    let mut state = seal.state.lock().map_err(|_| anyhow::anyhow!("audit seal poisoned"))?;
    let newest = state.newest.clone();
    let next = {
        let conn = reader.lock().map_err(|_| anyhow::anyhow!("database reader poisoned"))?;
        audit::next_head(&conn, &seal.key, newest.as_ref(), state.key_is_new).context("reading the audit log")?
    };
    match next {
        Ok(Some((entries, head))) => {
            let c = Checkpoint::new(&seal.key, entries, &head, now_ms(), state.key_is_new);
            seal.write(&mut state, c)
        }
        Ok(None) => Ok(()),
        Err(reason) => {
            tracing::error!(%reason, "AUDIT LOG TAMPERED WITH: not signing it; run `vigil audit --verify`");
            Ok(())
        }
    }
}

#[async_trait::async_trait]
impl Storage for SqliteStore {
    async fn store_frame(
        &self,
        device: &DeviceIdentity,
        frame: Arc<Frame>,
        received_at: i64,
    ) -> anyhow::Result<StoreOutcome> {
        let (reply, rx) = oneshot::channel();
        let prepared = PreparedFrame::new(&frame)?;
        let job = WriteJob::Frame { device: device.clone(), frame, prepared, received_at, reply };
        self.writer.send(job).await.map_err(|_| anyhow::anyhow!("database writer stopped"))?;
        rx.await.context("database writer dropped the frame")?
    }

    async fn authenticate_device(&self, token: &str) -> anyhow::Result<Option<DeviceIdentity>> {
        let hash = token_hash(token);
        self.read(move |c| {
            c.query_row("SELECT id, bed_id FROM devices WHERE token_hash = ?1 AND revoked_at IS NULL", [hash], |r| {
                Ok(DeviceIdentity { id: r.get(0)?, bed: r.get(1)? })
            })
            .optional()
        })
        .await
    }

    async fn last_stored_seq(&self, device_id: &str) -> anyhow::Result<Option<u64>> {
        let id = device_id.to_string();
        self.read(move |c| c.query_row("SELECT MAX(seq) FROM frames WHERE device_id = ?1", [id], |r| r.get(0))).await
    }

    async fn beds(&self) -> anyhow::Result<Vec<BedInfo>> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT b.id, b.label, p.display_name,
                        (SELECT MAX(f.received_at) FROM frames f WHERE f.bed_id = b.id) FROM beds b
                 LEFT JOIN patients p ON p.bed_id = b.id AND p.discharged_at IS NULL
                 ORDER BY b.ward_id, b.position, b.id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(BedInfo { id: r.get(0)?, label: r.get(1)?, patient: r.get(2)?, last_frame: r.get(3)? })
            })?;
            rows.collect()
        })
        .await
    }

    async fn frames_after(&self, bed: &str, after: u64, limit: u32) -> anyhow::Result<Vec<StoredFrame>> {
        let bed = bed.to_string();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT cursor, received_at, body FROM frames
                 WHERE bed_id = ?1 AND cursor > ?2 ORDER BY cursor LIMIT ?3",
            )?;
            // A cursor beyond any stored one reads nothing (it must not wrap to -1).
            let after = i64::try_from(after).unwrap_or(i64::MAX);
            let rows = stmt.query_map(params![bed, after, limit], stored_frame)?;
            rows.collect()
        })
        .await
    }

    /// On the (bed, t_start) index, looking back one [`MAX_FRAME_SPAN_MS`].
    async fn frames_between(&self, bed: &str, from: i64, to: i64) -> anyhow::Result<Vec<StoredFrame>> {
        let bed = bed.to_string();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT cursor, received_at, body FROM frames
                 WHERE bed_id = ?1 AND t_start >= ?2 AND t_start < ?3 AND t_end > ?4 ORDER BY t_start, cursor",
            )?;
            let rows = stmt.query_map(params![bed, from - MAX_FRAME_SPAN_MS, to, from], stored_frame)?;
            rows.collect()
        })
        .await
    }

    async fn cursor_before_time(&self, bed: &str, since: i64) -> anyhow::Result<u64> {
        let bed = bed.to_string();
        self.read(move |c| {
            let first: Option<i64> = c.query_row(
                "SELECT MIN(cursor) FROM frames WHERE bed_id = ?1 AND received_at >= ?2",
                params![bed, since],
                |r| r.get(0),
            )?;
            let last: Option<i64> =
                c.query_row("SELECT MAX(cursor) FROM frames WHERE bed_id = ?1", params![bed], |r| r.get(0))?;
            Ok(match (first, last) {
                (Some(f), _) => (f - 1).max(0) as u64,
                (None, Some(l)) => l as u64,
                (None, None) => 0,
            })
        })
        .await
    }

    /// Steps of whole minutes read `numerics_minute`, shorter ones `numerics`.
    async fn trend(&self, bed: &str, from: i64, to: i64, step_ms: i64) -> anyhow::Result<Trend> {
        anyhow::ensure!(step_ms > 0, "trend step must be positive");
        let bed = bed.to_string();
        self.read(move |c| {
            // One index range per kind: `kind IN (...)` keeps SQLite on the
            // (bed, kind, t) key instead of scanning the bed's 30 days.
            let kinds = VitalKind::ALL.iter().map(|k| format!("'{}'", k.code())).collect::<Vec<_>>().join(",");
            let sql = if step_ms % 60_000 == 0 {
                format!(
                    "SELECT kind, (minute / ?4) * ?4 AS b, SUM(sum) / SUM(n), MIN(lo), MAX(hi) FROM numerics_minute
                     WHERE bed_id = ?1 AND kind IN ({kinds}) AND minute >= ?2 AND minute < ?3
                     GROUP BY kind, b ORDER BY kind, b"
                )
            } else {
                format!(
                    "SELECT kind, (t / ?4) * ?4 AS b, AVG(value), MIN(value), MAX(value) FROM numerics
                     WHERE bed_id = ?1 AND kind IN ({kinds}) AND t >= ?2 AND t < ?3
                     GROUP BY kind, b ORDER BY kind, b"
                )
            };
            let mut stmt = c.prepare_cached(&sql)?;
            let mut out = Trend::new();
            let mut rows = stmt.query(params![bed, from, to, step_ms])?;
            while let Some(r) = rows.next()? {
                let code: String = r.get(0)?;
                // An unknown kind (written by a newer server) is skipped
                // rather than failing the chart.
                if let Some(kind) = VitalKind::ALL.iter().copied().find(|k| k.code() == code) {
                    out.entry(kind).or_default().push([r.get::<_, i64>(1)? as f64, r.get(2)?, r.get(3)?, r.get(4)?]);
                }
            }
            Ok(out)
        })
        .await
    }

    /// Frames go in slices of 2,000 and numerics one (bed, parameter) at a
    /// time, each its own write job, so ingest waits at most one slice.
    async fn enforce_retention(&self, frames_before: i64, numerics_before: i64) -> anyhow::Result<rows::Pruned> {
        const SLICE: i64 = 2_000;
        let mut pruned = rows::Pruned::default();
        loop {
            let n = self
                .write(move |c| {
                    c.execute(
                        "DELETE FROM frames WHERE cursor IN
                         (SELECT cursor FROM frames WHERE received_at < ?1 ORDER BY received_at LIMIT ?2)",
                        params![frames_before, SLICE],
                    )
                })
                .await?;
            pruned.frames += n as u64;
            if (n as i64) < SLICE {
                break;
            }
        }
        let pairs: Vec<(String, String)> = self
            .read(|c| {
                let mut stmt = c.prepare("SELECT DISTINCT bed_id, kind FROM numerics_minute")?;
                let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
                rows.collect()
            })
            .await?;
        for (bed, kind) in pairs {
            let (n, m) = self
                .write(move |c| {
                    let tx = c.transaction()?;
                    let n = tx.execute(
                        "DELETE FROM numerics WHERE bed_id = ?1 AND kind = ?2 AND t < ?3",
                        params![bed, kind, numerics_before],
                    )?;
                    let m = tx.execute(
                        "DELETE FROM numerics_minute WHERE bed_id = ?1 AND kind = ?2 AND minute < ?3",
                        params![bed, kind, numerics_before],
                    )?;
                    tx.commit()?;
                    Ok((n, m))
                })
                .await?;
            pruned.numerics += n as u64;
            pruned.minutes += m as u64;
        }
        Ok(pruned)
    }

    /// Bytes each kind of data takes in the database file (pages of the
    /// table and its indexes, after a checkpoint), from SQLite's `dbstat`.
    async fn table_sizes(&self) -> anyhow::Result<rows::TableSizes> {
        self.write(|c| {
            c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
            let size = |names: &str| -> rusqlite::Result<u64> {
                c.query_row(&format!("SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name IN ({names})"), [], |r| {
                    r.get::<_, i64>(0).map(|v| v as u64)
                })
            };
            Ok(rows::TableSizes {
                frames: size("'frames', 'frames_by_bed', 'frames_by_bed_time', 'frames_by_bed_device_time', 'frames_by_received', 'sqlite_autoindex_frames_v3_1'")?,
                numerics: size("'numerics'")?,
                minutes: size("'numerics_minute'")?,
            })
        })
        .await
    }

    async fn bed_exists(&self, bed: &str) -> anyhow::Result<bool> {
        let bed = bed.to_string();
        self.read(move |c| c.query_row("SELECT EXISTS(SELECT 1 FROM beds WHERE id = ?1)", [bed], |r| r.get(0))).await
    }

    async fn counts(&self) -> anyhow::Result<rows::Counts> {
        self.read(|c| {
            c.query_row(
                "SELECT (SELECT COUNT(*) FROM frames), (SELECT COALESCE(SUM(samples), 0) FROM frames),
                        (SELECT COUNT(*) FROM beds), (SELECT COUNT(*) FROM devices WHERE revoked_at IS NULL)",
                [],
                |r| Ok(rows::Counts { frames: r.get(0)?, samples: r.get(1)?, beds: r.get(2)?, devices: r.get(3)? }),
            )
        })
        .await
    }

    async fn create_ward(&self, ward: rows::NewWard) -> anyhow::Result<()> {
        self.write(move |c| {
            let tx = c.transaction()?;
            tx.execute("INSERT INTO wards(id, name) VALUES (?1, ?2)", params![ward.id, ward.name])?;
            for (pos, bed) in ward.beds.iter().enumerate() {
                tx.execute(
                    "INSERT INTO beds(id, ward_id, label, position) VALUES (?1, ?2, ?3, ?4)",
                    params![bed.id, ward.id, bed.label, pos as i64],
                )?;
                if let Some(name) = &bed.patient {
                    tx.execute(
                        "INSERT INTO patients(display_name, bed_id, admitted_at) VALUES (?1, ?2, ?3)",
                        params![name, bed.id, bed.admitted_at.unwrap_or_else(now_ms)],
                    )?;
                }
            }
            tx.commit()
        })
        .await
    }

    async fn register_device(&self, device_id: &str, bed: &str) -> anyhow::Result<String> {
        let token = new_token();
        let (id, bed_id, hash) = (device_id.to_string(), bed.to_string(), token_hash(&token));
        self.write(move |c| {
            c.execute(
                "INSERT INTO devices(id, token_hash, bed_id, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![id, hash, bed_id, now_ms()],
            )
        })
        .await
        .with_context(|| format!("registering device {device_id} for bed {bed}"))?;
        Ok(token)
    }

    async fn revoke_device(&self, device_id: &str) -> anyhow::Result<bool> {
        let id = device_id.to_string();
        let n = self
            .write(move |c| {
                c.execute(
                    "UPDATE devices SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                    params![id, now_ms()],
                )
            })
            .await?;
        Ok(n == 1)
    }

    async fn simulated_devices(&self, bed: &str) -> anyhow::Result<Vec<String>> {
        let bed = bed.to_string();
        self.read(move |c| {
            let mut stmt =
                c.prepare("SELECT id FROM devices WHERE bed_id = ?1 AND id LIKE 'sim-%' AND revoked_at IS NULL")?;
            let rows = stmt.query_map([bed], |r| r.get(0))?;
            rows.collect()
        })
        .await
    }

    async fn append_event(&self, req: EventRequest, now: i64) -> anyhow::Result<Appended> {
        self.write_audited(move |conn, key| audit::append(conn, key, &req, now)).await
    }

    async fn bed_events(&self, bed: &str, now: i64) -> anyhow::Result<Vec<StoredEvent>> {
        let bed = bed.to_string();
        self.read(move |c| audit::bed_events(c, &bed, now)).await
    }

    async fn audit(&self, after: u64, limit: u32) -> anyhow::Result<Vec<AuditEntry>> {
        self.read(move |c| audit::entries(c, after, limit)).await
    }

    async fn check_audit_chain(&self, extra: &[Checkpoint]) -> anyhow::Result<ChainCheck> {
        let file = &self.seal.paths.checkpoint_file;
        let mut checkpoints = match std::fs::read_to_string(file) {
            Ok(text) => Checkpoint::parse_all(&text).0,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e).with_context(|| format!("reading {}", file.display())),
        };
        checkpoints.extend_from_slice(extra);
        if let Some(bad) = checkpoints.iter().find(|c| !c.is_signed_by(&self.seal.key)) {
            return Ok(ChainCheck::Broken {
                seq: None,
                reason: format!("a checkpoint (of {} entries) is not signed by the audit key: forged", bad.entries),
            });
        }
        let key = self.seal.key.clone();
        self.read(move |c| audit::check(c, &key, &checkpoints)).await
    }

    fn sqlite_path(&self) -> Option<&Path> {
        Some(&self.path)
    }
}
