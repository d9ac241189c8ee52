//! Rows as the database holds them; not wire types.

/// An authenticated device and the bed it is attached to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceIdentity {
    pub id: String,
    pub bed: String,
}

/// A stored frame: its cursor, when the server received it, and the frame as
/// JSON (the validated frame, re-serialised, not the device's bytes).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFrame {
    pub cursor: u64,
    pub received_at: i64,
    pub payload: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub frames: i64,
    pub samples: i64,
    pub beds: i64,
    pub devices: i64,
}

pub struct NewBed {
    pub id: String,
    pub label: String,
    pub patient: Option<String>,
    /// When the patient came to the bed, ms (None: now). The demo's patients
    /// were monitored before it started (their recorded history is theirs).
    pub admitted_at: Option<i64>,
}

pub struct NewWard {
    pub id: String,
    pub name: String,
    pub beds: Vec<NewBed>,
}

/// What one retention pass deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Pruned {
    pub frames: u64,
    pub numerics: u64,
    pub minutes: u64,
}

/// Bytes on disk per kind of data (tables with their indexes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableSizes {
    pub frames: u64,
    pub numerics: u64,
    pub minutes: u64,
}
