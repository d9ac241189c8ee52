//! The tablet protocol (`/ws/live`) both ways, and the tablet's offline
//! journal: parsing never panics; a server message that parses is recorded
//! into the journal and snapshotted without panicking, and survives a round
//! trip through JSON unchanged; a saved snapshot read back from storage is
//! judged without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_shared::protocol::journal::{Journal, Snapshot};
use vigil_shared::protocol::live::{ClientMessage, ServerMessage};

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = serde_json::from_slice::<ServerMessage>(data) {
        let again: ServerMessage = serde_json::from_str(&serde_json::to_string(&msg).unwrap()).unwrap();
        assert_eq!(again, msg);
        let mut journal = Journal::default();
        journal.record(&msg);
        let _ = journal.changed();
        let _ = journal.snapshot(1_790_000_000_000, Vec::new());
    }
    if let Ok(msg) = serde_json::from_slice::<ClientMessage>(data) {
        let again: ClientMessage = serde_json::from_str(&serde_json::to_string(&msg).unwrap()).unwrap();
        assert_eq!(again, msg);
    }
    if let Ok(snapshot) = serde_json::from_slice::<Snapshot>(data) {
        let _ = snapshot.usable(1_790_000_000_000);
    }
});
