//! Storage: what Vigil needs from a database ([`Storage`]), and the handle the
//! rest of the server holds ([`Store`]).
//!
//! SQLite ([`SqliteStore`], embedded, one file) is the default. The trait is
//! written so that a PostgreSQL implementation can fill it for a
//! hospital-wide installation: every method is a whole operation (no
//! connections or transactions leak out), takes time as input where it
//! matters, and speaks in rows ([`rows`]) separate from wire types. What an
//! implementation must promise is said on each method; the contract tests in
//! `server/tests/it` run against [`Store`] and would run against any backend.
//!
//! Frames are kept as compact bodies ([`codec`]), numerics per reading and
//! per minute (count, sum, min, max) for long trends; retention deletes old
//! frames and old numerics on its own schedules.

pub mod accounts;
mod audit;
pub mod codec;
pub mod rows;
mod schema;
pub mod seal;
mod sqlite;
mod sqlite_accounts;
mod sqlite_admissions;
mod writer;

use rows::{DeviceIdentity, StoredFrame};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use vigil_shared::alarm::{EventRequest, StoredEvent};
use vigil_shared::protocol::live::BedInfo;
use vigil_shared::{Frame, VitalKind};

pub use accounts::{Accounts, Admissions};
pub use audit::{Appended, AuditEntry, AuditFilter, ChainCheck};
pub use sqlite::SqliteStore;
pub use writer::{CommitHook, Committed, StoreOutcome};

/// Longest device-time span of one frame that full disclosure looks back
/// for: 4,096 samples at 10 Hz, rounded up.
pub const MAX_FRAME_SPAN_MS: i64 = 10 * 60_000;

/// Per kind, buckets of `[start ms, mean, min, max]`.
pub type Trend = BTreeMap<VitalKind, Vec<[f64; 4]>>;

/// What Vigil needs from a database.
#[async_trait::async_trait]
pub trait Storage: Accounts + Admissions + Send + Sync + 'static {
    // --- Ingest -----------------------------------------------------------

    /// Stores a validated frame durably and returns once it would survive a
    /// crash or power cut: only then may the device be acknowledged. A frame
    /// whose (device, seq) is already stored is not stored again
    /// ([`StoreOutcome::Duplicate`]). Newly stored frames get a cursor that
    /// grows in storage order and is never reused, even after retention, and
    /// are handed to the commit hook given at opening, in cursor order,
    /// before this returns.
    async fn store_frame(
        &self,
        device: &DeviceIdentity,
        frame: Arc<Frame>,
        received_at: i64,
    ) -> anyhow::Result<StoreOutcome>;

    /// The device a token belongs to, if the token is known and not revoked.
    async fn authenticate_device(&self, token: &str) -> anyhow::Result<Option<DeviceIdentity>>;

    /// The highest seq stored for a device (its frames up to there need not
    /// be resent).
    async fn last_stored_seq(&self, device_id: &str) -> anyhow::Result<Option<u64>>;

    // --- The ward ---------------------------------------------------------

    /// Every bed, in ward order, with its admitted patient.
    async fn beds(&self) -> anyhow::Result<Vec<BedInfo>>;

    async fn bed_exists(&self, bed: &str) -> anyhow::Result<bool>;

    /// Creates a ward with beds and (optionally) admitted patients, all or nothing.
    async fn create_ward(&self, ward: rows::NewWard) -> anyhow::Result<()>;

    /// Registers a device for a bed and returns its token. Only the token's
    /// hash ([`token_hash`]) is stored: this is the one time it can be read.
    async fn register_device(&self, device_id: &str, bed: &str) -> anyhow::Result<String>;

    /// Revokes a device's token; false if it was unknown or already revoked.
    async fn revoke_device(&self, device_id: &str) -> anyhow::Result<bool>;

    /// Active simulated devices (`sim-` ids) of a bed.
    async fn simulated_devices(&self, bed: &str) -> anyhow::Result<Vec<String>>;

    // --- Reading back -----------------------------------------------------

    /// Up to `limit` frames of `bed` stored after cursor `after`, in cursor order.
    async fn frames_after(&self, bed: &str, after: u64, limit: u32) -> anyhow::Result<Vec<StoredFrame>>;

    /// Frames of `bed` covering device time `from..to` (ms), in device-time
    /// order: full disclosure. Frames span at most [`MAX_FRAME_SPAN_MS`].
    async fn frames_between(&self, bed: &str, from: i64, to: i64) -> anyhow::Result<Vec<StoredFrame>>;

    /// The cursor just before the first frame of `bed` received at or after
    /// `since` (ms), so that `frames_after` of it returns the recent frames.
    async fn cursor_before_time(&self, bed: &str, since: i64) -> anyhow::Result<u64>;

    /// Numerics of `bed` with device time in `from..to` (ms), in buckets of
    /// `step_ms` per kind, in time order: mean, min and max per bucket.
    /// Steps of whole minutes must not read every reading (the per-minute
    /// aggregates exist for that).
    async fn trend(&self, bed: &str, from: i64, to: i64, step_ms: i64) -> anyhow::Result<Trend>;

    /// Counts for the health endpoint and the tests.
    async fn counts(&self) -> anyhow::Result<rows::Counts>;

    /// Bytes each kind of data takes, for measurements.
    async fn table_sizes(&self) -> anyhow::Result<rows::TableSizes>;

    // --- Retention --------------------------------------------------------

    /// Deletes frames received before `frames_before` and numerics (with
    /// their aggregates) measured before `numerics_before`, without holding
    /// up ingest for long. Returns what was deleted.
    async fn enforce_retention(&self, frames_before: i64, numerics_before: i64) -> anyhow::Result<rows::Pruned>;

    // --- The audit log ----------------------------------------------------

    /// Checks a request against the bed's profile and appends it to the
    /// hash-chained log at `now` (or the previous entry's time if the clock
    /// stepped back), atomically: the chain never forks. A request id seen
    /// before returns the stored event unchanged.
    async fn append_event(&self, req: EventRequest, now: i64) -> anyhow::Result<Appended>;

    /// What a subscribing tablet needs of a bed's events, in seq order: the
    /// newest profile and every limit change since it, the newest
    /// observation, and the acknowledgements of the last day.
    async fn bed_events(&self, bed: &str, now: i64) -> anyhow::Result<Vec<StoredEvent>>;

    /// The audit log, oldest first, after seq `after`.
    async fn audit(&self, after: u64, limit: u32) -> anyhow::Result<Vec<AuditEntry>>;

    /// Checks the audit log for tampering: its append-only triggers, every
    /// entry's keyed hash and link, and the signed checkpoints of its head
    /// (the store's own, plus `extra` ones from elsewhere, e.g. the server's
    /// log shipped to a syslog host) against the entries.
    async fn check_audit_chain(&self, extra: &[seal::Checkpoint]) -> anyhow::Result<ChainCheck>;

    /// The database file, for a backend that is one (tests and tools that
    /// inspect it directly).
    fn sqlite_path(&self) -> Option<&Path> {
        None
    }
}

/// The storage the server holds: any [`Storage`], cheap to clone.
#[derive(Clone)]
pub struct Store(Arc<dyn Storage>);

impl Store {
    /// The default: SQLite at `path`, created and migrated as needed.
    /// `on_commit` sees every newly stored frame, in storage order.
    pub fn open(path: &Path, on_commit: CommitHook) -> anyhow::Result<Store> {
        Ok(Store(Arc::new(SqliteStore::open(path, on_commit)?)))
    }

    /// The same, with the audit key and checkpoints where `seal` says.
    pub fn open_with(path: &Path, seal: seal::SealPaths, on_commit: CommitHook) -> anyhow::Result<Store> {
        Ok(Store(Arc::new(SqliteStore::open_with(path, seal, on_commit)?)))
    }

    /// Another backend.
    pub fn new(backend: impl Storage) -> Store {
        Store(Arc::new(backend))
    }

    /// The SQLite file; panics for another backend (tests and tools only).
    pub fn path(&self) -> &Path {
        self.0.sqlite_path().expect("this storage is not a SQLite file")
    }
}

impl std::ops::Deref for Store {
    type Target = dyn Storage;
    fn deref(&self) -> &(dyn Storage + 'static) {
        &*self.0
    }
}

/// SHA-256 of a device token, hex. Tokens are 256 random bits, so a fast hash
/// is enough; only the hash is stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// 256 random bits, hex.
fn new_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("vgd_{}", hex::encode(bytes))
}
