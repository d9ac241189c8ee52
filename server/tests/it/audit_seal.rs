//! The audit log against someone who holds the database file (issue 26):
//! each attack of the outside probe, and what `vigil audit --verify` says.
//! The attacker here has the file and a SQL shell, knows the hash scheme,
//! and has neither the audit key nor the checkpoint file.

use rusqlite::{params, Connection};
use sha2::{Digest, Sha256};
use std::path::Path;
use vigil_server::store::rows::{NewBed, NewWard};
use vigil_server::store::seal::{AuditKey, Checkpoint, SealPaths};
use vigil_server::store::{ChainCheck, Store};
use vigil_shared::alarm::{AlarmId, BedEvent, Condition, EventRequest};

const T: i64 = 1_790_000_000_000;

fn ack(i: u64) -> EventRequest {
    EventRequest {
        id: format!("r{i}"),
        bed: "b01".into(),
        actor: "RN Okafor".into(),
        event: BedEvent::Acknowledge {
            ids: vec![AlarmId { bed: "b01".into(), condition: Condition::NoData, onset: T + i as i64 }],
        },
    }
}

/// A store with `n` acknowledgements in its audit log.
async fn log_of(dir: &Path, n: u64) -> Store {
    let store = Store::open(&dir.join("vigil.db"), Box::new(|_| {})).unwrap();
    store
        .create_ward(NewWard {
            id: "w1".into(),
            name: "Ward".into(),
            beds: vec![NewBed { admitted_at: None, id: "b01".into(), label: "Bed 1".into(), patient: None }],
        })
        .await
        .unwrap();
    for i in 1..=n {
        store.append_event(ack(i), T + i as i64 * 1000).await.unwrap();
    }
    store
}

async fn verify(store: &Store) -> ChainCheck {
    store.check_audit_chain(&[]).await.unwrap()
}

fn shell(store: &Store) -> Connection {
    let db = Connection::open(store.path()).unwrap();
    db.execute_batch("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;").unwrap();
    db
}

/// What the attacker can compute: the chain re-hashed from `from` on with
/// the published scheme (SHA-256 over the length-prefixed fields), without
/// the key.
fn rehash_from(db: &Connection, from: u64) {
    let prev: String = if from == 1 {
        "0".repeat(64)
    } else {
        db.query_row("SELECT hash FROM audit WHERE seq = ?1", [from - 1], |r| r.get(0)).unwrap()
    };
    type Row = (u64, i64, Option<String>, Option<String>, String, String, String);
    let rows: Vec<Row> = db
        .prepare("SELECT seq, at, request_id, bed_id, actor, kind, payload FROM audit WHERE seq >= ?1 ORDER BY seq")
        .unwrap()
        .query_map([from], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut prev = prev;
    for (seq, at, request, bed, actor, kind, payload) in rows {
        let mut h = Sha256::new();
        let (s, a) = (seq.to_string(), at.to_string());
        for part in [&prev, &s, &a, &request.unwrap_or_default(), &bed.unwrap_or_default(), &actor, &kind, &payload] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        let hash = hex::encode(h.finalize());
        db.execute("UPDATE audit SET prev_hash = ?1, hash = ?2 WHERE seq = ?3", params![prev, hash, seq]).unwrap();
        prev = hash;
    }
}

/// A log of `n` entries whose whole chain was re-hashed without the key
/// (the published unkeyed scheme), its triggers back in place; store closed.
async fn unkeyed_log_of(dir: &Path, n: u64) {
    let store = log_of(dir, n).await;
    let db = shell(&store);
    rehash_from(&db, 1);
    restore_triggers(&store);
}

fn broken(check: ChainCheck) -> (Option<u64>, String) {
    match check {
        ChainCheck::Broken { seq, reason } => (seq, reason),
        intact => panic!("tampering not detected: {intact:?}"),
    }
}

#[tokio::test]
async fn an_untouched_log_verifies_every_entry_and_every_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let store = log_of(dir.path(), 5).await;
    assert_eq!(verify(&store).await, ChainCheck::Intact { entries: 5, checkpoints: 6, covered: 5 });
    // The checkpoints also verify when they come from the server's log lines.
    let file = std::fs::read_to_string(dir.path().join("audit-checkpoints.log")).unwrap();
    let lines: String = file.lines().map(|l| format!("Dec 07 21:00:00 host vigil[1]: INFO audit checkpoint {l}\n")).collect();
    let (from_log, unreadable) = Checkpoint::parse_all(&lines);
    assert_eq!(unreadable, 0);
    assert_eq!(from_log.len(), 6);
    assert!(store.check_audit_chain(&from_log).await.unwrap().is_intact());
}

#[tokio::test]
async fn an_edited_entry_with_recomputed_hashes_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let store = log_of(dir.path(), 5).await;
    let db = shell(&store);
    db.execute("UPDATE audit SET actor = 'Dr Nobody' WHERE seq = 3", []).unwrap();
    rehash_from(&db, 3);
    let (seq, reason) = broken(verify(&store).await);
    assert_eq!(seq, None, "the dropped triggers are the first thing found: {reason}");
    // Even with the triggers put back as they were, the edit shows.
    restore_triggers(&store);
    let (seq, reason) = broken(verify(&store).await);
    assert_eq!(seq, Some(3), "{reason}");
    assert!(reason.contains("does not verify under the audit key"), "{reason}");
}

#[tokio::test]
async fn deleting_the_newest_entries_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let store = log_of(dir.path(), 5).await;
    shell(&store).execute("DELETE FROM audit WHERE seq > 3", []).unwrap();
    let (seq, reason) = broken(verify(&store).await);
    assert!(reason.contains("trigger"), "{reason}");
    restore_triggers(&store);
    let (seq2, reason) = broken(verify(&store).await);
    assert_eq!((seq, seq2), (None, Some(4)), "{reason}");
    assert!(reason.contains("the newest entries were deleted"), "{reason}");
}

#[tokio::test]
async fn deleting_one_entry_and_renumbering_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let store = log_of(dir.path(), 5).await;
    let db = shell(&store);
    db.execute("DELETE FROM audit WHERE seq = 3", []).unwrap();
    // Renumber from the bottom up, so no two rows share a seq on the way.
    for seq in 4..=5 {
        db.execute("UPDATE audit SET seq = seq - 1 WHERE seq = ?1", [seq]).unwrap();
    }
    rehash_from(&db, 3);
    restore_triggers(&store);
    let (seq, reason) = broken(verify(&store).await);
    assert_eq!(seq, Some(3), "{reason}");
}

#[tokio::test]
async fn dropped_triggers_alone_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let store = log_of(dir.path(), 2).await;
    shell(&store);
    let (seq, reason) = broken(verify(&store).await);
    assert_eq!(seq, None);
    assert!(reason.contains("audit_no_update was dropped"), "{reason}");
}

#[tokio::test]
async fn a_forged_checkpoint_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let store = log_of(dir.path(), 2).await;
    let forged = Checkpoint { entries: 1, head: "00".repeat(32), at: T, first: false, mac: "ab".repeat(32) };
    let (_, reason) = broken(store.check_audit_chain(&[forged]).await.unwrap());
    assert!(reason.contains("not signed by the audit key"), "{reason}");
}

#[tokio::test]
async fn entries_before_the_key_are_vouched_for_by_the_first_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("vigil.db");
    // Make the log look as an older server left it: unkeyed hashes, no key, no checkpoints.
    unkeyed_log_of(dir.path(), 3).await;
    std::fs::remove_file(dir.path().join("audit.key")).unwrap();
    std::fs::remove_file(dir.path().join("audit-checkpoints.log")).unwrap();
    let store = Store::open(&db_path, Box::new(|_| {})).unwrap();
    assert_eq!(verify(&store).await, ChainCheck::Intact { entries: 3, checkpoints: 1, covered: 3 });
    // New entries are keyed; the older ones can no longer be rewritten.
    store.append_event(ack(4), T + 4000).await.unwrap();
    assert!(verify(&store).await.is_intact());
    let db = shell(&store);
    db.execute("UPDATE audit SET actor = 'Dr Nobody' WHERE seq = 2", []).unwrap();
    rehash_from(&db, 2);
    restore_triggers(&store);
    let (seq, reason) = broken(verify(&store).await);
    assert_eq!(seq, Some(3), "entry 3 is where the signed head no longer matches: {reason}");
}

#[tokio::test]
async fn a_store_will_not_open_without_the_key_its_checkpoints_were_signed_with() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("vigil.db");
    drop(log_of(dir.path(), 1).await);
    std::fs::remove_file(dir.path().join("audit.key")).unwrap();
    let err = Store::open(&db_path, Box::new(|_| {})).err().expect("opened without its key");
    assert!(format!("{err:#}").contains("audit key"), "{err:#}");
    // Nor with another key.
    let other = SealPaths { key_file: dir.path().join("other.key"), ..SealPaths::beside(&db_path) };
    std::fs::write(&other.key_file, "22".repeat(32)).unwrap();
    let err = Store::open_with(&db_path, other, Box::new(|_| {})).err().expect("opened with another key");
    assert!(format!("{err:#}").contains("not the key of this log"), "{err:#}");
}

#[tokio::test]
async fn an_entry_inserted_below_the_first_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let store = log_of(dir.path(), 2).await;
    // INSERT needs no trigger dropped.
    Connection::open(store.path())
        .unwrap()
        .execute(
            "INSERT INTO audit (seq, request_id, at, bed_id, actor, kind, payload, prev_hash, hash)
             SELECT 0, 'forged', at, bed_id, 'Dr Nobody', kind, payload, prev_hash, hash FROM audit WHERE seq = 1",
            [],
        )
        .unwrap();
    let (seq, reason) = broken(verify(&store).await);
    assert_eq!(seq, None);
    assert!(reason.contains("numbered 0"), "{reason}");
}

#[tokio::test]
async fn a_trigger_added_to_swallow_new_entries_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let store = log_of(dir.path(), 2).await;
    Connection::open(store.path())
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER quiet BEFORE INSERT ON audit WHEN NEW.actor = 'RN Okafor'
                 BEGIN SELECT RAISE(IGNORE); END;",
        )
        .unwrap();
    let (seq, reason) = broken(verify(&store).await);
    assert_eq!(seq, None);
    assert!(reason.contains("unknown trigger quiet"), "{reason}");
}

#[tokio::test]
async fn without_its_checkpoints_a_keyed_log_is_not_vouched_for_and_unkeyed_hashes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("vigil.db");
    // The whole chain re-hashed without the key, and the checkpoints gone.
    unkeyed_log_of(dir.path(), 3).await;
    std::fs::remove_file(dir.path().join("audit-checkpoints.log")).unwrap();
    // Verifying reads only: no key is made, nothing is signed.
    let verify_only = SealPaths { verify_only: true, ..SealPaths::beside(&db_path) };
    let store = Store::open_with(&db_path, verify_only.clone(), Box::new(|_| {})).unwrap();
    let (seq, reason) = broken(verify(&store).await);
    assert_eq!(seq, Some(1), "the key exists: unkeyed hashes are not taken: {reason}");
    assert!(!dir.path().join("audit-checkpoints.log").exists(), "verifying wrote a checkpoint");
    drop(store);
    // A server starting on it does not sign it either.
    let store = Store::open(&db_path, Box::new(|_| {})).unwrap();
    assert!(!verify(&store).await.is_intact());
    let text = std::fs::read_to_string(dir.path().join("audit-checkpoints.log")).unwrap_or_default();
    assert_eq!(Checkpoint::parse_all(&text).0.len(), 0, "a tampered log was signed");
    // And verifying without a key says so, making none.
    std::fs::remove_file(dir.path().join("audit.key")).unwrap();
    let err = Store::open_with(&db_path, verify_only, Box::new(|_| {})).err().expect("verified without a key");
    assert!(format!("{err:#}").contains("no audit key"), "{err:#}");
    assert!(!dir.path().join("audit.key").exists());
}

#[tokio::test]
async fn a_torn_or_forged_checkpoint_line_does_not_stop_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("vigil.db");
    drop(log_of(dir.path(), 2).await);
    let file = dir.path().join("audit-checkpoints.log");
    let mut text = std::fs::read_to_string(&file).unwrap();
    let forged = Checkpoint { entries: 9, head: "00".repeat(32), at: T, first: false, mac: "ab".repeat(32) };
    text.push_str(&format!("{}\n{{\"entries\":3,\"he", serde_json::to_string(&forged).unwrap()));
    std::fs::write(&file, text).unwrap();
    let store = Store::open(&db_path, Box::new(|_| {})).unwrap();
    store.append_event(ack(3), T + 3000).await.unwrap();
    let (read, unreadable) = Checkpoint::parse_all(&std::fs::read_to_string(&file).unwrap());
    assert_eq!(unreadable, 1, "the torn line, and only it");
    assert_eq!(read.iter().map(|c| c.entries).max(), Some(9), "the forged one reads; the new one too");
    assert!(read.iter().any(|c| c.entries == 3 && c.is_signed_by(&AuditKey::load(&dir.path().join("audit.key")).unwrap())));
    // The forged line still shows in a verification.
    let (_, reason) = broken(verify(&store).await);
    assert!(reason.contains("not signed by the audit key"), "{reason}");
}

fn restore_triggers(store: &Store) {
    Connection::open(store.path())
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
                 BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
             CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
                 BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
        )
        .unwrap();
}
