//! The live state every page reads.
//!
//! The ward itself is a plain [`WardState`] kept outside the reactive graph
//! (frames arrive at dozens per second); `version` is bumped when it changed,
//! at most a few times a second, and components re-read it then. Waveform
//! canvases read the ward directly on each animation frame.

use leptos::prelude::*;
use vigil_shared::ward::{BedState, WardState};

/// The tablet's link to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnStatus {
    /// Before the first connection (and during server-side rendering).
    Connecting,
    /// Connected and caught up.
    Live,
    /// Connection lost at `since` (tablet ms); reconnecting, attempt `attempt`.
    Lost { since: i64, attempt: u32 },
}

#[derive(Clone, Copy)]
pub struct LiveContext {
    pub ward: StoredValue<WardState>,
    /// Bumped whenever `ward` changed.
    pub version: RwSignal<u64>,
    pub status: RwSignal<ConnStatus>,
    /// The tablet clock, ms since the epoch, updated every second (0 on the server).
    pub now: RwSignal<i64>,
}

impl LiveContext {
    pub fn new() -> Self {
        LiveContext {
            ward: StoredValue::new(WardState::default()),
            version: RwSignal::new(0),
            status: RwSignal::new(ConnStatus::Connecting),
            now: RwSignal::new(0),
        }
    }

    /// A text about one bed that follows the ward (empty while the bed is unknown).
    pub fn bed_text(&self, bed: &str, f: fn(&BedState) -> String) -> Signal<String> {
        let (ctx, bed) = (*self, bed.to_string());
        Signal::derive(move || ctx.with_ward(|w| w.bed(&bed).map(f).unwrap_or_default()))
    }

    /// Reads the ward, tracking `version` so the caller re-runs on change.
    pub fn with_ward<T>(&self, f: impl FnOnce(&WardState) -> T) -> T {
        self.version.track();
        self.ward.with_value(f)
    }
}

impl Default for LiveContext {
    fn default() -> Self {
        Self::new()
    }
}

pub fn use_live() -> LiveContext {
    expect_context::<LiveContext>()
}
