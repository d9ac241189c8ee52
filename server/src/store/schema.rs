//! Schema migrations, applied in order and recorded in `PRAGMA user_version`.
//! Never edit a released migration: add the next one.

use rusqlite::Connection;

const MIGRATIONS: &[&str] = &[
    // 1: wards, beds, patients, devices, frames and the numerics index.
    r#"
    CREATE TABLE wards (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL
    );
    CREATE TABLE beds (
        id          TEXT PRIMARY KEY,
        ward_id     TEXT NOT NULL REFERENCES wards(id),
        label       TEXT NOT NULL,
        position    INTEGER NOT NULL
    );
    CREATE TABLE patients (
        id            INTEGER PRIMARY KEY,
        display_name  TEXT NOT NULL,
        bed_id        TEXT REFERENCES beds(id),
        admitted_at   INTEGER NOT NULL,
        discharged_at INTEGER
    );
    CREATE UNIQUE INDEX patients_one_per_bed ON patients(bed_id) WHERE discharged_at IS NULL;
    CREATE TABLE devices (
        id          TEXT PRIMARY KEY,
        token_hash  TEXT NOT NULL UNIQUE,
        bed_id      TEXT NOT NULL REFERENCES beds(id),
        created_at  INTEGER NOT NULL,
        revoked_at  INTEGER
    );
    -- One row per stored frame. `cursor` is the storage order that tablets
    -- resume from; (device_id, seq) makes re-sent frames land once.
    CREATE TABLE frames (
        cursor       INTEGER PRIMARY KEY AUTOINCREMENT,
        device_id    TEXT NOT NULL REFERENCES devices(id),
        seq          INTEGER NOT NULL,
        bed_id       TEXT NOT NULL REFERENCES beds(id),
        t_start      INTEGER NOT NULL,
        t_end        INTEGER NOT NULL,
        received_at  INTEGER NOT NULL,
        samples      INTEGER NOT NULL,
        payload      TEXT NOT NULL,
        UNIQUE (device_id, seq)
    );
    CREATE INDEX frames_by_bed ON frames(bed_id, cursor);
    CREATE INDEX frames_by_bed_time ON frames(bed_id, received_at);
    CREATE TABLE numerics (
        bed_id   TEXT NOT NULL,
        kind     TEXT NOT NULL,
        t        INTEGER NOT NULL,
        value    REAL NOT NULL,
        cursor   INTEGER NOT NULL REFERENCES frames(cursor)
    );
    CREATE INDEX numerics_by_bed_kind_time ON numerics(bed_id, kind, t);
    "#,
    // 2: the audit log. Append-only (triggers refuse UPDATE and DELETE) and
    // tamper-evident: each entry's hash covers the previous entry's hash.
    r#"
    CREATE TABLE audit (
        seq         INTEGER PRIMARY KEY,
        request_id  TEXT UNIQUE,
        at          INTEGER NOT NULL,
        bed_id      TEXT REFERENCES beds(id),
        actor       TEXT NOT NULL,
        kind        TEXT NOT NULL,
        payload     TEXT NOT NULL,
        prev_hash   TEXT NOT NULL,
        hash        TEXT NOT NULL
    );
    CREATE INDEX audit_by_bed ON audit(bed_id, seq);
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    "#,
];

/// Brings the database to the newest schema. Each migration runs in its own
/// transaction, so a failure leaves the previous version intact.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<u32> {
    let current: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as u32)?;
        tx.commit()?;
    }
    Ok(MIGRATIONS.len() as u32)
}
