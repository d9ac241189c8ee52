//! The central station's view of alarms: every bed of the ward plus the
//! tablet's own connection, the list sorted by priority and onset, and what
//! sounds now.

use crate::alarm::engine::{BedAlarms, Change, Observation};
use crate::alarm::event::{BedEvent, StoredEvent};
use crate::alarm::limits::AlarmSettings;
use crate::alarm::{Ack, Alarm, AlarmId, Condition, Priority};
use crate::frame::Frame;
use crate::protocol::live::BedInfo;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Ward-wide alarm behaviour. Every field is configuration, not a constant.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlarmOptions {
    /// How long an acknowledgement pauses the sound (IEC: manufacturer's
    /// choice; 2 min is usual).
    pub audio_pause_ms: i64,
    /// An unacknowledged high-priority alarm escalates after this long.
    pub escalate_after_ms: i64,
    /// High-priority physiological alarms stay shown until acknowledged.
    pub latch_high: bool,
    /// No frame from a bed for this long raises "No data from bed".
    pub no_data_ms: i64,
    /// The tablet's connection must be down this long before it alarms, so a
    /// quick reconnect does not.
    pub connection_delay_ms: i64,
    /// A NEWS2 band must hold this long (sample time) before it alarms.
    pub news2_delay_ms: i64,
    /// A gap longer than this in a parameter restarts a pending delay.
    pub max_gap_ms: i64,
    /// Alarms kept per bed in the tablet's log.
    pub keep_log: usize,
}

impl Default for AlarmOptions {
    fn default() -> Self {
        AlarmOptions {
            audio_pause_ms: 120_000,
            escalate_after_ms: 60_000,
            latch_high: true,
            no_data_ms: 10_000,
            connection_delay_ms: 3_000,
            news2_delay_ms: 60_000,
            max_gap_ms: 30_000,
            keep_log: 500,
        }
    }
}

impl AlarmOptions {
    /// Refuses settings no ward should run with; the text says which and why.
    pub fn check(&self) -> Result<(), String> {
        let s = |ms: i64| ms / 1000;
        let within = |name: &str, v: i64, lo: i64, hi: i64| {
            if (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err(format!("alarms.{name} = {v} ms is outside {lo}..={hi} ms ({}..={} s)", s(lo), s(hi)))
            }
        };
        within("audio_pause_ms", self.audio_pause_ms, 10_000, 15 * 60_000)?;
        within("escalate_after_ms", self.escalate_after_ms, 10_000, 30 * 60_000)?;
        within("no_data_ms", self.no_data_ms, 3_000, 120_000)?;
        within("connection_delay_ms", self.connection_delay_ms, 0, 30_000)?;
        within("news2_delay_ms", self.news2_delay_ms, 0, 30 * 60_000)?;
        within("max_gap_ms", self.max_gap_ms, 5_000, 10 * 60_000)?;
        if !(10..=10_000).contains(&self.keep_log) {
            return Err(format!("alarms.keep_log = {} is outside 10..=10000", self.keep_log));
        }
        Ok(())
    }
}

/// Every bed's alarms and the tablet's connection alarm.
#[derive(Debug, Clone, PartialEq)]
pub struct WardAlarms {
    options: AlarmOptions,
    beds: BTreeMap<String, BedAlarms>,
    disconnected_since: Option<i64>,
    connection: Option<Alarm>,
    /// Ended connection alarms, newest last (a short local log).
    connection_log: Vec<Alarm>,
    changes: Vec<Change>,
}

impl Default for WardAlarms {
    fn default() -> Self {
        WardAlarms::new(AlarmOptions::default())
    }
}

impl WardAlarms {
    pub fn new(options: AlarmOptions) -> Self {
        WardAlarms {
            options,
            beds: BTreeMap::new(),
            disconnected_since: None,
            connection: None,
            connection_log: Vec::new(),
            changes: Vec::new(),
        }
    }

    pub fn options(&self) -> &AlarmOptions {
        &self.options
    }

    /// The ward's alarm settings, as the server sends them with the ward.
    /// Settings that fail [`AlarmOptions::check`] are ignored (the server never
    /// starts with them; a tablet does not trust them blindly either).
    pub fn set_options(&mut self, options: AlarmOptions) {
        if options.check().is_ok() && options != self.options {
            self.options = options;
            for b in self.beds.values_mut() {
                b.set_options(options);
            }
        }
    }

    pub fn bed(&self, bed: &str) -> Option<&BedAlarms> {
        self.beds.get(bed)
    }

    /// Replaces a bed's trend judge (tests, with stand-in models).
    #[cfg(test)]
    pub(crate) fn set_drift(&mut self, bed: &str, drift: crate::drift::BedDrift) {
        self.bed_mut(bed).set_drift(drift);
    }

    fn bed_mut(&mut self, bed: &str) -> &mut BedAlarms {
        let options = self.options;
        self.beds.entry(bed.to_string()).or_insert_with(|| BedAlarms::new(bed, options))
    }

    /// Takes in the ward's beds (on every subscription): forgets beds no
    /// longer in it, and learns when each last sent anything.
    pub fn on_ward(&mut self, beds: &[BedInfo]) {
        self.beds.retain(|id, _| beds.iter().any(|b| &b.id == id));
        for b in beds {
            let bed = self.bed_mut(&b.id);
            bed.seen_by_server(b.last_frame);
            bed.subscribing();
        }
    }

    /// The bed's backfill after subscribing is complete.
    pub fn on_caught_up(&mut self, bed: &str) {
        if let Some(b) = self.beds.get_mut(bed) {
            b.caught_up();
        }
    }

    /// The newest point of a parameter's history, for NEWS2 (see [`BedAlarms::seed`]).
    pub fn seed(&mut self, bed: &str, kind: crate::vital::VitalKind, t: i64, value: f64) {
        self.bed_mut(bed).seed(kind, t, value);
    }

    /// The bed's per-minute history from the server, for its trend
    /// baseline (see [`BedAlarms::seed_trends`]).
    pub fn seed_trends(&mut self, bed: &str, series: &[(crate::vital::VitalKind, Vec<(i64, f64)>)]) {
        self.bed_mut(bed).seed_trends(series);
    }

    /// The bed's unusual-trend advisory, when it is to be shown.
    pub fn advisory(&self, bed: &str) -> Option<&crate::drift::Advisory> {
        self.beds.get(bed).and_then(|b| b.advisory())
    }

    pub fn on_frame(&mut self, bed: &str, frame: &Frame, now: i64) {
        let b = self.bed_mut(bed);
        b.on_frame(frame, now);
        let changes = b.take_changes();
        self.changes.extend(changes);
    }

    /// Applies a stored event (from this tablet or another). Applying the same
    /// event twice changes nothing.
    pub fn on_event(&mut self, event: &StoredEvent) {
        let b = self.bed_mut(&event.bed);
        b.record_event(event);
        match &event.event {
            BedEvent::Acknowledge { ids } => b.acknowledge(ids, event.at, &event.actor),
            BedEvent::SetLimits { kind, limits } => {
                let mut settings = b.settings_at(event.at).clone();
                // Already checked by the server; a tablet never trusts it blindly.
                if settings.set_limits(*kind, *limits).is_ok() {
                    b.set_settings(event.at, event.seq, settings);
                }
            }
            BedEvent::SetProfile { profile } => b.set_settings(event.at, event.seq, AlarmSettings::new(*profile)),
            BedEvent::Observe { consciousness, oxygen, scale } => b.observe(
                event.at,
                event.seq,
                Observation { consciousness: *consciousness, oxygen: *oxygen, scale: *scale },
            ),
            // Kept with the bed's events, which the advisory is matched against.
            BedEvent::DismissAdvisory { .. } => {}
        }
    }

    /// The connection layer saw the link fail at `at`: the connection alarm's
    /// onset and delay count from then, not from the first tick that noticed.
    /// A later report of the same outage moves nothing.
    pub fn link_lost(&mut self, at: i64) {
        self.disconnected_since = Some(self.disconnected_since.map_or(at, |since| since.min(at)));
    }

    /// When the connection alarm falls due if the link stays down, so the
    /// caller can tick then; `None` while connected or once it is raised.
    pub fn connection_due(&self) -> Option<i64> {
        if self.connection.as_ref().is_some_and(|a| a.active()) {
            return None;
        }
        self.disconnected_since.map(|since| since + self.options.connection_delay_ms)
    }

    /// The wall-clock rules, called about once a second: the connection alarm,
    /// no data from a bed, escalation.
    pub fn tick(&mut self, now: i64, connected: bool) {
        if connected {
            self.disconnected_since = None;
            if let Some(mut alarm) = self.connection.take() {
                alarm.ended = Some(now);
                self.changes.push(Change::Ended(alarm.id.clone()));
                if alarm.shown() {
                    self.connection = Some(alarm);
                } else {
                    self.connection_log.push(alarm);
                }
            }
        } else {
            let since = *self.disconnected_since.get_or_insert(now);
            if self.connection.as_ref().is_none_or(|a| !a.active()) && now - since >= self.options.connection_delay_ms {
                if let Some(old) = self.connection.take() {
                    self.connection_log.push(old);
                }
                let id = AlarmId { bed: String::new(), condition: Condition::ConnectionLost, onset: since };
                self.changes.push(Change::Raised(id.clone()));
                self.connection = Some(Alarm {
                    rhythm: None,
                    id,
                    priority: Priority::Medium,
                    raised: now,
                    ended: None,
                    limit: None,
                    trigger: None,
                    worst: None,
                    current: None,
                    latching: false,
                    ack: None,
                    escalated: false,
                    derived_at: now,
                });
            }
        }
        let keep = self.options.keep_log;
        if self.connection_log.len() > keep {
            self.connection_log.drain(..self.connection_log.len() - keep);
        }
        for b in self.beds.values_mut() {
            b.tick(now, connected);
            self.changes.extend(b.take_changes());
        }
    }

    /// Acknowledges the tablet's own connection alarm (local: no other tablet
    /// shares it).
    pub fn acknowledge_connection(&mut self, now: i64, by: &str) {
        if let Some(alarm) = &mut self.connection {
            alarm.ack = Some(Ack { at: now, by: by.to_string(), paused_until: now + self.options.audio_pause_ms });
        }
    }

    /// Alarms shown now across the ward: highest priority first, then oldest
    /// onset first. The connection alarm leads its priority.
    pub fn shown(&self) -> Vec<&Alarm> {
        let mut all: Vec<&Alarm> = self.connection.iter().filter(|a| a.shown()).collect();
        for b in self.beds.values() {
            all.extend(b.shown());
        }
        all.sort_by(|a, b| {
            b.priority
                .cmp(&a.priority)
                .then_with(|| {
                    (a.id.condition != Condition::ConnectionLost).cmp(&(b.id.condition != Condition::ConnectionLost))
                })
                .then(a.id.onset.cmp(&b.id.onset))
                .then_with(|| a.id.bed.cmp(&b.id.bed))
        });
        all
    }

    /// Shown alarms of one bed, highest priority first.
    pub fn shown_for(&self, bed: &str) -> Vec<&Alarm> {
        self.beds.get(bed).map(|b| b.shown()).unwrap_or_default()
    }

    /// The priority to sound now, if any: the highest among shown alarms whose
    /// audio is not paused.
    pub fn audible(&self, now: i64) -> Option<Priority> {
        self.shown().into_iter().filter(|a| a.audible(now)).map(|a| a.priority).max()
    }

    /// Whether any alarm sounding now has escalated (unanswered high priority).
    pub fn escalated(&self, now: i64) -> bool {
        self.shown().iter().any(|a| a.escalated && a.audible(now))
    }

    /// What happened since the last call.
    pub fn take_changes(&mut self) -> Vec<Change> {
        std::mem::take(&mut self.changes)
    }

    /// The ids to send when someone presses "acknowledge" for a bed: what is
    /// shown now, nothing else.
    pub fn to_acknowledge(&self, bed: &str) -> Vec<AlarmId> {
        // Hidden members of a family (SpO2 low under Desat) are acknowledged
        // with it, or they would sound again when the higher one ends.
        self.beds.get(bed).map(|b| b.log().filter(|a| a.shown()).map(|a| a.id.clone()).collect()).unwrap_or_default()
    }

    /// Connection alarms of this tablet, oldest first.
    pub fn connection_log(&self) -> impl Iterator<Item = &Alarm> {
        self.connection_log.iter().chain(self.connection.iter())
    }
}
