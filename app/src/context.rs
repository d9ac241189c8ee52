//! The live state every page reads.
//!
//! The ward itself is a plain [`WardState`] kept outside the reactive graph
//! (frames arrive at dozens per second); `version` is bumped when it changed,
//! at most a few times a second, and components re-read it then. Waveform
//! canvases read the ward directly on each animation frame.

use leptos::prelude::*;
use vigil_shared::alarm::{EventRequest, Priority, WardAlarms};
use vigil_shared::protocol::journal::Journal;
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

/// An event request not yet confirmed by the server; `session` is the
/// connection it was last sent on (0 = not sent yet).
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub request: EventRequest,
    pub session: u64,
}

/// Whether this tablet can make sound. Browsers block audio until a person
/// taps something, so sound is switched on when a shift starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sound {
    pub on: bool,
    /// Bursts played since the page loaded, and the priority of the last one
    /// (shown as data attributes, so a test can hear without speakers).
    pub bursts: u32,
    pub last: Option<Priority>,
}

#[derive(Clone, Copy)]
pub struct LiveContext {
    pub ward: StoredValue<WardState>,
    /// Alarms derived on this tablet from the same frames (and the events).
    pub alarms: StoredValue<WardAlarms>,
    /// Acknowledgements, limit changes and observations waiting for the
    /// server's confirmation; re-sent after a reconnect until confirmed.
    pub outbox: StoredValue<Vec<Pending>>,
    /// The ward's last minutes as handled, saved to the browser for a reload
    /// without a server.
    pub journal: StoredValue<Journal>,
    /// When the ward shown was restored from the browser (the time it was
    /// saved), until the server answers again.
    pub restored: RwSignal<Option<i64>>,
    /// Who is on shift at this tablet (the actor of acknowledgements).
    pub user: RwSignal<Option<String>>,
    /// The signed-in account (None until known, and on the server).
    pub me: RwSignal<Option<crate::session::Me>>,
    /// Whether the live link was started (once per page load).
    pub started: StoredValue<bool>,
    pub sound: RwSignal<Sound>,
    /// The last request the server refused, worded for the user.
    pub notice: RwSignal<Option<String>>,
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
            alarms: StoredValue::new(WardAlarms::default()),
            outbox: StoredValue::new(Vec::new()),
            journal: StoredValue::new(Journal::default()),
            restored: RwSignal::new(None),
            user: RwSignal::new(None),
            me: RwSignal::new(None),
            started: StoredValue::new(false),
            sound: RwSignal::new(Sound { on: false, bursts: 0, last: None }),
            notice: RwSignal::new(None),
            version: RwSignal::new(0),
            status: RwSignal::new(ConnStatus::Connecting),
            now: RwSignal::new(0),
        }
    }

    /// A text about one bed that follows the ward (empty while the bed is
    /// unknown). A memo: the page is touched only when the text changes,
    /// not at every ward update.
    pub fn bed_text(&self, bed: &str, f: fn(&BedState) -> String) -> Signal<String> {
        let (ctx, bed) = (*self, bed.to_string());
        Memo::new(move |_| ctx.with_ward(|w| w.bed(&bed).map(f).unwrap_or_default())).into()
    }

    /// A text about one bed at the tablet's time (an age): follows the ward
    /// and the clock, and touches the page only when it changes (an age
    /// once a minute, not every second).
    pub fn bed_text_at(&self, bed: &str, f: fn(&BedState, i64) -> String) -> Signal<String> {
        let (ctx, bed) = (*self, bed.to_string());
        Memo::new(move |_| {
            let now = ctx.now.get();
            ctx.with_ward(|w| w.bed(&bed).map(|b| f(b, now)).unwrap_or_default())
        })
        .into()
    }

    /// Whether this tablet's account may act on alarms (acknowledge, set
    /// limits): a clinician's. The server decides; this only keeps buttons
    /// it would refuse off an administrator's screen. Unknown (offline with
    /// nothing remembered): shown, and the server still decides.
    pub fn may_act(&self) -> bool {
        self.me.with(|m| m.as_ref().is_none_or(|m| m.role == "clinician"))
    }

    /// Reads the alarms, tracking `version` (and the clock, for pauses).
    pub fn with_alarms<T>(&self, f: impl FnOnce(&WardAlarms) -> T) -> T {
        self.version.track();
        self.alarms.with_value(f)
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
