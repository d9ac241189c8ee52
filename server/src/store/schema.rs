//! Schema migrations, applied in order and recorded in `PRAGMA user_version`.
//! Never edit a released migration: add the next one.

use rusqlite::{Connection, Transaction};

enum Migration {
    Sql(&'static str),
    /// A step SQL alone cannot do (re-encoding stored rows).
    Code(fn(&Transaction<'_>) -> rusqlite::Result<()>),
}
use Migration::{Code, Sql};

const MIGRATIONS: &[Migration] = &[
    // 1: wards, beds, patients, devices, frames and the numerics index.
    Sql(r#"
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
    "#),
    // 2: the audit log. Append-only (triggers refuse UPDATE and DELETE) and
    // tamper-evident: each entry's hash covers the previous entry's hash.
    Sql(r#"
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
    "#),
    // 3: storage for the load. Frames are kept as compressed bodies
    // (`codec`), numerics in a table clustered by (bed, kind, time) with no
    // link to frames (frames go after 72 hours, numerics after 30 days), and
    // per-minute aggregates (count, sum, min, max) for the long trends.
    Code(compact_storage),
    // 4: who may see and do what. Staff and caregiver accounts (passwords as
    // argon2id PHC strings), the wards a clinician is assigned to, sessions
    // (only a hash of the cookie's token is kept) and caregiver invitations.
    // A caregiver account belongs to one patient through one invitation.
    Sql(r#"
    CREATE TABLE users (
        id             INTEGER PRIMARY KEY,
        username       TEXT NOT NULL UNIQUE COLLATE NOCASE,
        display_name   TEXT NOT NULL,
        role           TEXT NOT NULL CHECK (role IN ('admin', 'clinician', 'caregiver')),
        password_hash  TEXT NOT NULL,
        totp_secret    TEXT,
        totp_pending   TEXT,
        patient_id     INTEGER REFERENCES patients(id),
        invitation_id  INTEGER REFERENCES invitations(id),
        created_at     INTEGER NOT NULL,
        disabled_at    INTEGER,
        CHECK ((role = 'caregiver') = (patient_id IS NOT NULL AND invitation_id IS NOT NULL))
    );
    CREATE TABLE user_wards (
        user_id  INTEGER NOT NULL REFERENCES users(id),
        ward_id  TEXT NOT NULL REFERENCES wards(id),
        PRIMARY KEY (user_id, ward_id)
    ) WITHOUT ROWID;
    CREATE TABLE sessions (
        token_hash  TEXT PRIMARY KEY,
        user_id     INTEGER NOT NULL REFERENCES users(id),
        csrf        TEXT NOT NULL,
        created_at  INTEGER NOT NULL,
        expires_at  INTEGER NOT NULL,
        revoked_at  INTEGER
    );
    CREATE INDEX sessions_by_user ON sessions(user_id);
    CREATE TABLE invitations (
        id              INTEGER PRIMARY KEY,
        token_hash      TEXT NOT NULL UNIQUE,
        patient_id      INTEGER NOT NULL REFERENCES patients(id),
        caregiver_name  TEXT NOT NULL,
        created_by      INTEGER NOT NULL REFERENCES users(id),
        created_at      INTEGER NOT NULL,
        expires_at      INTEGER NOT NULL,
        revoked_at      INTEGER,
        accepted_at     INTEGER
    );
    CREATE INDEX invitations_by_patient ON invitations(patient_id);
    ALTER TABLE patients ADD COLUMN bed_since INTEGER;
    "#),
];

fn compact_storage(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        r#"
        CREATE TABLE frames_v3 (
            cursor       INTEGER PRIMARY KEY AUTOINCREMENT,
            device_id    TEXT NOT NULL REFERENCES devices(id),
            seq          INTEGER NOT NULL,
            bed_id       TEXT NOT NULL REFERENCES beds(id),
            t_start      INTEGER NOT NULL,
            t_end        INTEGER NOT NULL,
            received_at  INTEGER NOT NULL,
            samples      INTEGER NOT NULL,
            body         BLOB NOT NULL,
            UNIQUE (device_id, seq)
        );
        CREATE TABLE numerics_v3 (
            bed_id   TEXT NOT NULL,
            kind     TEXT NOT NULL,
            t        INTEGER NOT NULL,
            cursor   INTEGER NOT NULL,
            value    REAL NOT NULL,
            PRIMARY KEY (bed_id, kind, t, cursor)
        ) WITHOUT ROWID;
        CREATE TABLE numerics_minute (
            bed_id   TEXT NOT NULL,
            kind     TEXT NOT NULL,
            minute   INTEGER NOT NULL,
            n        INTEGER NOT NULL,
            sum      REAL NOT NULL,
            lo       REAL NOT NULL,
            hi       REAL NOT NULL,
            PRIMARY KEY (bed_id, kind, minute)
        ) WITHOUT ROWID;
        INSERT INTO numerics_v3(bed_id, kind, t, cursor, value) SELECT bed_id, kind, t, cursor, value FROM numerics;
        INSERT INTO numerics_minute(bed_id, kind, minute, n, sum, lo, hi)
            SELECT bed_id, kind, (t / 60000) * 60000, COUNT(*), SUM(value), MIN(value), MAX(value)
            FROM numerics GROUP BY bed_id, kind, t / 60000;
        "#,
    )?;
    {
        let mut read = tx.prepare(
            "SELECT cursor, device_id, seq, bed_id, t_start, t_end, received_at, samples, payload FROM frames ORDER BY cursor",
        )?;
        let mut write = tx.prepare(
            "INSERT INTO frames_v3(cursor, device_id, seq, bed_id, t_start, t_end, received_at, samples, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        let mut rows = read.query([])?;
        while let Some(r) = rows.next()? {
            let payload: String = r.get(8)?;
            let frame: vigil_shared::Frame = serde_json::from_str(&payload)
                .map_err(|e| rusqlite::Error::FromSqlConversionFailure(8, rusqlite::types::Type::Text, Box::new(e)))?;
            let body = super::codec::encode(&frame);
            write.execute(rusqlite::params![
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, i64>(6)?,
                r.get::<_, i64>(7)?,
                body
            ])?;
        }
    }
    tx.execute_batch(
        r#"
        DROP TABLE numerics;
        DROP TABLE frames;
        ALTER TABLE frames_v3 RENAME TO frames;
        ALTER TABLE numerics_v3 RENAME TO numerics;
        CREATE INDEX frames_by_bed ON frames(bed_id, cursor);
        CREATE INDEX frames_by_bed_time ON frames(bed_id, received_at);
        CREATE INDEX frames_by_bed_device_time ON frames(bed_id, t_start);
        CREATE INDEX frames_by_received ON frames(received_at);
        "#,
    )
}

/// Brings the database to the newest schema. Each migration runs in its own
/// transaction, so a failure leaves the previous version intact. A database
/// written by a newer Vigil is refused rather than guessed at.
pub fn migrate(conn: &mut Connection) -> anyhow::Result<u32> {
    migrate_to(conn, MIGRATIONS.len() as u32)
}

fn migrate_to(conn: &mut Connection, target: u32) -> anyhow::Result<u32> {
    let current: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > MIGRATIONS.len() as u32 {
        anyhow::bail!(
            "the database has schema version {current}, newer than this server's {}: use the newer server",
            MIGRATIONS.len()
        );
    }
    for (i, step) in MIGRATIONS.iter().enumerate().take(target as usize).skip(current as usize) {
        let tx = conn.transaction()?;
        match step {
            Sql(sql) => tx.execute_batch(sql)?,
            Code(f) => f(&tx)?,
        }
        tx.pragma_update(None, "user_version", (i + 1) as u32)?;
        tx.commit()?;
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::params;
    use vigil_shared::frame::{RawFrame, RawNumeric, RawWave};
    use vigil_shared::{Frame, VitalKind, WaveKind};

    #[test]
    fn version_2_frames_are_carried_into_compact_storage() {
        let mut c = Connection::open_in_memory().unwrap();
        c.pragma_update(None, "foreign_keys", "ON").unwrap();
        migrate_to(&mut c, 2).unwrap();
        let t = 1_790_000_040_000;
        let frame = Frame::try_from(RawFrame {
            seq: 3,
            numerics: vec![RawNumeric { kind: VitalKind::Hr, t, value: 88.0 }],
            waves: vec![RawWave { kind: WaveKind::EcgII, t0: t, rate_hz: 250.0, samples: vec![0.1, 0.2, -0.05] }],
            technical: vec![],
        })
        .unwrap();
        c.execute_batch(
            "INSERT INTO wards VALUES ('w', 'W'); INSERT INTO beds VALUES ('b1', 'w', 'Bed 1', 0);
             INSERT INTO devices(id, token_hash, bed_id, created_at) VALUES ('d1', 'h', 'b1', 0);",
        )
        .unwrap();
        c.execute(
            "INSERT INTO frames(cursor, device_id, seq, bed_id, t_start, t_end, received_at, samples, payload)
             VALUES (41, 'd1', 3, 'b1', ?1, ?1, 5, 4, ?2)",
            params![t, serde_json::to_string(&frame).unwrap()],
        )
        .unwrap();
        c.execute("INSERT INTO numerics VALUES ('b1', 'hr', ?1, 88.0, 41)", [t]).unwrap();

        assert_eq!(migrate(&mut c).unwrap(), MIGRATIONS.len() as u32);
        let body: Vec<u8> = c.query_row("SELECT body FROM frames WHERE cursor = 41", [], |r| r.get(0)).unwrap();
        assert_eq!(super::super::codec::decode(&body).unwrap(), frame);
        let minute: (i64, i64, f64) = c
            .query_row("SELECT minute, n, hi FROM numerics_minute", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap();
        assert_eq!(minute, (t / 60_000 * 60_000, 1, 88.0));
        // Cursors keep counting from where they were: never reused.
        c.execute(
            "INSERT INTO frames(device_id, seq, bed_id, t_start, t_end, received_at, samples, body)
             VALUES ('d1', 4, 'b1', 0, 0, 6, 1, x'00')",
            [],
        )
        .unwrap();
        assert_eq!(c.last_insert_rowid(), 42);
        assert_eq!(migrate(&mut c).unwrap(), MIGRATIONS.len() as u32, "migrating again changes nothing");
    }

    #[test]
    fn a_database_from_a_newer_server_is_refused() {
        let mut c = Connection::open_in_memory().unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
        let err = migrate(&mut c).unwrap_err().to_string();
        assert!(err.contains("newer"), "{err}");
    }
}
