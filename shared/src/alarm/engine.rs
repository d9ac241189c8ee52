//! One bed's alarm conditions, judged sample by sample on device time.
//!
//! For every limit in force the engine keeps a *run*: the violation that began
//! at the run's first sample. A run becomes an alarm when its delay is met
//! ([`Delay`]); a sample back inside the limit ends the run, so a brief
//! excursion that returns within the delay never alarms (de-triggering), and an
//! alarm ends at the first sample inside its limit. Samples of a parameter are
//! judged in device-time order; a sample not newer than the last one judged
//! (a re-delivery, or a backfill interleaved with live data) is not judged again.
//!
//! Rules worth knowing:
//! - Pulse rate alarms only while no ECG heart rate is being measured: HR is the
//!   alarm source when the ECG works, as on Philips and Dräger monitors, so one
//!   tachycardia does not alarm twice.
//! - A sensor the device reports off (lead off, probe off) ends the alarms of
//!   what it measures and its values are ignored until it is back: the
//!   technical alarm says what is wrong instead.
//! - A gap in a parameter's data longer than `max_gap_ms` (or three of its
//!   usual intervals, for per-minute feeds) restarts the delay of a pending
//!   condition: the evidence before the gap does not count.
//! - NEWS2 is recomputed at every scored sample from the newest values still
//!   valid (5 min for continuous, 60 min for NIBP, 4 h for temperature) and the
//!   clinician's observations; its risk bands alarm after `news2_delay_ms`.
//!   A score that lacks parameters can only rise when they arrive, so alarming
//!   on it early is safe.

use crate::alarm::event::StoredEvent;
use crate::alarm::limits::{policy, AlarmSettings, Band, Delay};
use crate::alarm::station::AlarmOptions;
use crate::alarm::{Ack, Alarm, AlarmId, Condition, Priority};
use crate::frame::Frame;
use crate::news2::{Consciousness, News2, Oxygen, SpO2Scale};
use crate::technical::{Sensor, TechnicalCondition};
use crate::vital::VitalKind;
use crate::SampleTime;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

mod advisory;
mod news2_bands;
mod rhythm;

pub use advisory::AdvisoryEntry;

pub use rhythm::Suppressed;

/// What a clinician has observed for NEWS2.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub consciousness: Option<Consciousness>,
    pub oxygen: Option<Oxygen>,
    pub scale: SpO2Scale,
}

/// Something the engine did, for the caller's log and sound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Raised(AlarmId),
    Ended(AlarmId),
    Escalated(AlarmId),
}

/// A violation in progress.
#[derive(Debug, Clone, PartialEq)]
struct Run {
    since: SampleTime,
    last_t: SampleTime,
    /// Unit-seconds between the limit and the values so far.
    area: f64,
    /// The most extreme value so far.
    worst: f64,
    raised: Option<AlarmId>,
}

/// Whether `alarm` (on this tablet) is the episode a tablet named `id` and
/// acknowledged at `at`: the very alarm (whatever the acknowledging tablet's
/// clock said: it may run behind the monitor's), or, for an id this tablet
/// derived differently, the same condition with spans overlapping.
fn same_episode(alarm: &Alarm, id: &AlarmId, at: i64) -> bool {
    alarm.id == *id
        || (alarm.id.condition == id.condition && alarm.id.onset < at && alarm.ended.is_none_or(|e| e >= id.onset))
}

/// The kinds a sensor measures: when it is off, their values mean nothing.
fn measured_by(sensor: Sensor) -> &'static [VitalKind] {
    match sensor {
        Sensor::Ecg => &[VitalKind::Hr],
        Sensor::Spo2 => &[VitalKind::Spo2, VitalKind::Pulse],
        Sensor::Nibp => &[VitalKind::NibpSys, VitalKind::NibpDia, VitalKind::NibpMean],
        Sensor::Art => &[VitalKind::ArtSys, VitalKind::ArtDia, VitalKind::ArtMean],
        Sensor::Temp => &[VitalKind::Temp],
        Sensor::Resp => &[VitalKind::Rr],
    }
}

fn sensor_of(kind: VitalKind) -> Sensor {
    match kind {
        VitalKind::Hr => Sensor::Ecg,
        VitalKind::Pulse | VitalKind::Spo2 => Sensor::Spo2,
        VitalKind::Rr => Sensor::Resp,
        VitalKind::NibpSys | VitalKind::NibpDia | VitalKind::NibpMean => Sensor::Nibp,
        VitalKind::ArtSys | VitalKind::ArtDia | VitalKind::ArtMean => Sensor::Art,
        VitalKind::Temp => Sensor::Temp,
    }
}

fn technical_priority(condition: TechnicalCondition) -> Priority {
    match condition {
        TechnicalCondition::PoorSignal => Priority::Low,
        TechnicalCondition::LeadOff | TechnicalCondition::SensorOff | TechnicalCondition::DeviceFault => {
            Priority::Medium
        }
    }
}

/// How long an HR value keeps HR the alarm source over the pulse rate (or
/// two HR intervals, for a slow feed).
const HR_SOURCE_MS: i64 = 10_000;

/// One bed's alarms.
#[derive(Debug, Clone, PartialEq)]
pub struct BedAlarms {
    bed: String,
    options: AlarmOptions,
    /// Settings by the time they take effect (and audit seq, for ties).
    settings: BTreeMap<(SampleTime, u64), AlarmSettings>,
    observations: BTreeMap<(SampleTime, u64), Observation>,
    last_t: BTreeMap<VitalKind, SampleTime>,
    /// Time between the last two samples of each parameter.
    interval: BTreeMap<VitalKind, i64>,
    latest: BTreeMap<VitalKind, (SampleTime, f64)>,
    runs: BTreeMap<Condition, Run>,
    alarms: BTreeMap<AlarmId, Alarm>,
    /// Acknowledgements of alarms this tablet has not derived yet.
    pending_acks: BTreeMap<AlarmId, Ack>,
    sensors_off: BTreeSet<Sensor>,
    newest_sample: Option<SampleTime>,
    last_arrival: Option<i64>,
    news2: Option<(SampleTime, News2)>,
    /// The bed's audit events this tablet has seen, by audit seq.
    events: BTreeMap<u64, StoredEvent>,
    /// Subscribed, backfill not complete yet.
    catching_up: bool,
    changes: Vec<Change>,
    /// Waves, rhythm detection and arrhythmia checks.
    rhythm: rhythm::Rhythm,
    /// Trends against the patient's baseline, for the unusual-trend advisory.
    drift: crate::drift::BedDrift,
}

impl BedAlarms {
    pub fn new(bed: impl Into<String>, options: AlarmOptions) -> Self {
        let mut settings = BTreeMap::new();
        settings.insert((SampleTime::MIN, 0), AlarmSettings::default());
        BedAlarms {
            bed: bed.into(),
            options,
            settings,
            observations: BTreeMap::new(),
            last_t: BTreeMap::new(),
            interval: BTreeMap::new(),
            latest: BTreeMap::new(),
            runs: BTreeMap::new(),
            alarms: BTreeMap::new(),
            pending_acks: BTreeMap::new(),
            sensors_off: BTreeSet::new(),
            newest_sample: None,
            last_arrival: None,
            news2: None,
            events: BTreeMap::new(),
            catching_up: false,
            changes: Vec::new(),
            rhythm: rhythm::Rhythm::default(),
            // The engine's own tests specify the rules; the learned
            // detector's place is tested with stand-in models (set_drift).
            drift: if cfg!(test) { crate::drift::BedDrift::baseline_only() } else { crate::drift::BedDrift::new() },
        }
    }

    pub fn bed(&self) -> &str {
        &self.bed
    }

    pub fn set_options(&mut self, options: AlarmOptions) {
        self.options = options;
    }

    /// The settings in force for a sample taken at `t`.
    pub fn settings_at(&self, t: SampleTime) -> &AlarmSettings {
        self.settings.range(..=(t, u64::MAX)).next_back().map(|(_, s)| s).expect("a default from the start")
    }

    /// The settings in force now (the newest).
    pub fn settings(&self) -> &AlarmSettings {
        self.settings.values().next_back().expect("a default from the start")
    }

    pub fn observation_at(&self, t: SampleTime) -> Observation {
        self.observations.range(..=(t, u64::MAX)).next_back().map(|(_, o)| *o).unwrap_or_default()
    }

    /// The newest observation entered.
    pub fn observation(&self) -> Observation {
        self.observations.values().next_back().copied().unwrap_or_default()
    }

    /// New settings from `at` on (audit `seq` orders changes made at the same ms).
    pub fn set_settings(&mut self, at: SampleTime, seq: u64, settings: AlarmSettings) {
        self.settings.insert((at, seq), settings);
    }

    pub fn observe(&mut self, at: SampleTime, seq: u64, observation: Observation) {
        self.observations.insert((at, seq), observation);
    }

    /// Keeps a stored event for the bed's history (once per audit seq; the
    /// tablet's own unconfirmed acknowledgements, seq 0, are not history).
    pub fn record_event(&mut self, event: &StoredEvent) {
        if event.seq > 0 {
            self.events.insert(event.seq, event.clone());
            while self.events.len() > self.options.keep_log {
                self.events.pop_first();
            }
        }
    }

    /// The bed's audit events seen, oldest first.
    pub fn events(&self) -> impl DoubleEndedIterator<Item = &StoredEvent> {
        self.events.values()
    }

    /// The latest NEWS2 and the sample time it was computed at.
    pub fn news2(&self) -> Option<&(SampleTime, News2)> {
        self.news2.as_ref()
    }

    /// What happened since the last call.
    pub fn take_changes(&mut self) -> Vec<Change> {
        std::mem::take(&mut self.changes)
    }

    /// Every alarm this tablet knows for the bed, shown or logged, oldest first.
    pub fn log(&self) -> impl DoubleEndedIterator<Item = &Alarm> {
        let mut v: Vec<&Alarm> = self.alarms.values().collect();
        v.sort_by_key(|a| (a.id.onset, a.raised));
        v.into_iter()
    }

    /// Alarms shown now, one per family (the highest priority of it).
    pub fn shown(&self) -> Vec<&Alarm> {
        let mut shown: Vec<&Alarm> = self.alarms.values().filter(|a| a.shown()).collect();
        // Within a family: the highest priority, then what is happening now
        // over an ended latched episode (a desaturation now must not read
        // "ended"), then the oldest.
        shown.sort_by(|a, b| {
            b.priority.cmp(&a.priority).then(b.active().cmp(&a.active())).then(a.id.onset.cmp(&b.id.onset))
        });
        let mut families = BTreeSet::new();
        shown.retain(|a| {
            let family = a.id.condition.family();
            // Technical alarms are each their own family.
            family.0 == 2 || families.insert(family)
        });
        shown
    }

    pub fn alarm(&self, id: &AlarmId) -> Option<&Alarm> {
        self.alarms.get(id)
    }

    /// What the server says about a bed this tablet has no frame of yet: when
    /// its newest frame arrived there. A monitor that went silent before the
    /// tablet opened is then judged silent too.
    pub fn seen_by_server(&mut self, at: Option<i64>) {
        if let (None, Some(at)) = (self.last_arrival, at) {
            self.last_arrival = Some(at);
            self.newest_sample = self.newest_sample.or(Some(at));
        }
    }

    /// A value from history (the trend loaded when the tablet opens), used
    /// only as the newest value for NEWS2 when nothing newer is held; it is
    /// not judged against limits (that happened when it was measured).
    pub fn seed(&mut self, kind: VitalKind, t: SampleTime, value: f64) {
        if self.latest.get(&kind).is_none_or(|(lt, _)| *lt < t) {
            self.latest.insert(kind, (t, value));
        }
    }

    /// A new subscription started: until the bed's backfill has arrived
    /// ([`BedAlarms::caught_up`]), silence from it is not judged as no data.
    pub fn subscribing(&mut self) {
        self.catching_up = true;
    }

    pub fn caught_up(&mut self) {
        self.catching_up = false;
    }

    /// Takes in one frame of this bed, judged on its sample times; `now` is the
    /// tablet's clock at arrival (for no-data and escalation).
    pub fn on_frame(&mut self, frame: &Frame, now: i64) {
        self.last_arrival = Some(now);
        let first = frame
            .numerics()
            .iter()
            .map(|n| n.t())
            .chain(frame.waves().iter().map(|w| w.t0()))
            .chain(frame.technical().iter().map(|t| t.t))
            .min();
        if let Some(first) = first {
            self.end_where(first, |c| matches!(c, Condition::NoData));
        }
        // In time order; a sensor condition goes before a value of the same ms
        // (a value measured as the lead came off is not trusted).
        let mut items: Vec<(SampleTime, u8, usize)> =
            frame.technical().iter().enumerate().map(|(i, t)| (t.t, 0, i)).collect();
        items.extend(frame.numerics().iter().enumerate().map(|(i, n)| (n.t(), 1, i)));
        items.sort_unstable();
        for (_, which, i) in items {
            if which == 0 {
                let t = frame.technical()[i];
                self.on_technical(t.t, t.condition, t.sensor, t.active, now);
            } else {
                let n = frame.numerics()[i];
                self.on_numeric(n.kind(), n.t(), n.value(), now);
            }
        }
        self.on_waves(frame, now);
        let newest = frame.numerics().iter().map(|n| n.t()).chain(frame.waves().iter().map(|w| w.t_end())).max();
        if let Some(newest) = newest {
            self.newest_sample = Some(self.newest_sample.map_or(newest, |n| n.max(newest)));
        }
    }

    /// A device-reported technical condition starting or ending at `t`.
    pub fn on_technical(
        &mut self,
        t: SampleTime,
        condition: TechnicalCondition,
        sensor: Sensor,
        active: bool,
        now: i64,
    ) {
        let cond = Condition::Technical { condition, sensor };
        let off = matches!(condition, TechnicalCondition::LeadOff | TechnicalCondition::SensorOff);
        if active {
            if off && self.sensors_off.insert(sensor) {
                let kinds = measured_by(sensor);
                self.end_where(t, |c| matches!(c, Condition::Vital { kind, .. } if kinds.contains(kind)));
            }
            if !self.runs.contains_key(&cond) {
                let id = AlarmId { bed: self.bed.clone(), condition: cond, onset: t };
                self.runs.insert(cond, Run { since: t, last_t: t, area: 0.0, worst: 0.0, raised: Some(id.clone()) });
                self.raise(id, technical_priority(condition), t, None, None, None, now);
            }
        } else {
            if off {
                self.sensors_off.remove(&sensor);
            }
            self.end_where(t, |c| *c == cond);
        }
    }

    /// One numeric sample.
    pub fn on_numeric(&mut self, kind: VitalKind, t: SampleTime, value: f64, now: i64) {
        if self.sensors_off.contains(&sensor_of(kind)) {
            return;
        }
        let previous = self.last_t.get(&kind).copied();
        if previous.is_some_and(|p| t <= p) {
            return;
        }
        self.last_t.insert(kind, t);
        self.latest.insert(kind, (t, value));
        self.drift.on_numeric(kind, t, value);
        // The bed shows the advisory from its state; the changes are not kept.
        self.drift.take_changes();
        // A gap is judged against the parameter's own rhythm: 30 s for 1 Hz
        // data, three intervals for a per-minute feed.
        let interval = self.interval.get(&kind).copied().unwrap_or(0);
        if let Some(p) = previous {
            self.interval.insert(kind, t - p);
        }
        if previous.is_some_and(|p| t - p > self.options.max_gap_ms.max(3 * interval)) {
            // Evidence before a gap does not count towards a pending delay.
            self.runs
                .retain(|c, r| !(matches!(c, Condition::Vital { kind: k, .. } if *k == kind) && r.raised.is_none()));
        }
        let hr_window = HR_SOURCE_MS.max(2 * self.interval.get(&VitalKind::Hr).copied().unwrap_or(0));
        let hr_is_source = kind == VitalKind::Pulse
            && !self.sensors_off.contains(&Sensor::Ecg)
            && self.latest.get(&VitalKind::Hr).is_some_and(|(ht, _)| t - ht <= hr_window);
        let settings = self.settings_at(t).clone();
        if let (Some(policy), Some(limits)) = (policy(settings.profile, kind), settings.limits(kind)) {
            for band in Band::ALL {
                let cond = Condition::Vital { kind, band };
                match limits.get(band) {
                    Some(limit) if !hr_is_source => {
                        let violated = band.violated(value, limit);
                        self.judge(cond, t, violated, value, limit, policy.delay(band), policy.priority(band), now);
                    }
                    // A limit switched off (or HR taking over from pulse) ends its condition.
                    _ => self.end_where(t, |c| *c == cond),
                }
            }
        }
        if matches!(
            kind,
            VitalKind::Rr
                | VitalKind::Spo2
                | VitalKind::NibpSys
                | VitalKind::ArtSys
                | VitalKind::Hr
                | VitalKind::Pulse
                | VitalKind::Temp
        ) {
            self.judge_news2(t, now);
        }
    }

    /// One sample's verdict on one condition.
    #[allow(clippy::too_many_arguments)]
    fn judge(
        &mut self,
        cond: Condition,
        t: SampleTime,
        violated: bool,
        value: f64,
        limit: f64,
        delay: Delay,
        priority: Priority,
        now: i64,
    ) {
        if !violated {
            self.end_where(t, |c| *c == cond);
            return;
        }
        let run = self.runs.entry(cond).or_insert(Run { since: t, last_t: t, area: 0.0, worst: value, raised: None });
        let dt_s = (t - run.last_t).max(0) as f64 / 1000.0;
        run.area += (value - limit).abs() * dt_s;
        run.last_t = t;
        let worse = match cond {
            Condition::Vital { band, .. } => band.violated(value, run.worst),
            _ => value > run.worst,
        };
        if worse {
            run.worst = value;
        }
        if let Some(id) = run.raised.clone() {
            if let Some(alarm) = self.alarms.get_mut(&id) {
                alarm.current = Some(value);
                alarm.worst = Some(run.worst);
                // A limit changed during the alarm: the log shows the one in force.
                alarm.limit = Some(limit);
            }
            return;
        }
        let severe = match cond {
            Condition::Vital { band, .. } => delay.severe.is_some_and(|s| band.violated(value, s)),
            _ => false,
        };
        let met = t - run.since >= delay.max_ms || delay.area.is_some_and(|a| run.area >= a) || severe;
        if met {
            let id = AlarmId { bed: self.bed.clone(), condition: cond, onset: run.since };
            run.raised = Some(id.clone());
            let worst = run.worst;
            self.raise(id, priority, t, Some(limit), Some(value), Some(worst), now);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn raise(
        &mut self,
        id: AlarmId,
        priority: Priority,
        t: SampleTime,
        limit: Option<f64>,
        value: Option<f64>,
        worst: Option<f64>,
        now: i64,
    ) {
        // An acknowledgement that arrived before this tablet derived the alarm.
        let ack = self
            .pending_acks
            .iter()
            .filter(|(pid, ack)| **pid == id || (pid.condition == id.condition && id.onset < ack.at))
            .map(|(_, ack)| ack.clone())
            .min_by_key(|ack| ack.at);
        let alarm = Alarm {
            id: id.clone(),
            priority,
            raised: t,
            ended: None,
            limit,
            trigger: value,
            worst,
            current: value,
            latching: priority == Priority::High && self.options.latch_high && !id.condition.is_technical(),
            ack,
            escalated: false,
            derived_at: now,
            rhythm: None,
        };
        self.alarms.insert(id.clone(), alarm);
        self.changes.push(Change::Raised(id));
        self.prune();
    }

    /// Ends every run whose condition matches, and its alarm, at `t`.
    fn end_where(&mut self, t: SampleTime, matches: impl Fn(&Condition) -> bool) {
        let ended: Vec<Condition> = self.runs.keys().filter(|c| matches(c)).copied().collect();
        for cond in ended {
            let Some(run) = self.runs.remove(&cond) else { continue };
            if let Some(id) = run.raised {
                if let Some(alarm) = self.alarms.get_mut(&id) {
                    alarm.ended = Some(t.max(alarm.raised));
                    alarm.current = None;
                    self.changes.push(Change::Ended(id));
                }
            }
        }
    }

    /// Audio pause for these alarms from `at`; a latched alarm whose condition
    /// has ended is cleared. An id this tablet has not derived yet is kept and
    /// applied when it is.
    ///
    /// An acknowledgement names alarms as the acknowledging tablet saw them.
    /// It applies here to every alarm of the same condition whose span overlaps
    /// the named alarm's, from its onset to the acknowledgement: the same id
    /// when both tablets hold the same samples, and the same episode when this
    /// tablet opened later and saw it begin later. An alarm that began after
    /// the acknowledgement is a new condition and is not silenced.
    pub fn acknowledge(&mut self, ids: &[AlarmId], at: i64, by: &str) {
        for id in ids.iter().filter(|id| id.bed == self.bed) {
            let ack = Ack { at, by: by.to_string(), paused_until: at + self.options.audio_pause_ms };
            let mut found = false;
            for alarm in self.alarms.values_mut().filter(|a| same_episode(a, id, at)) {
                found = true;
                alarm.escalated = false;
                match &mut alarm.ack {
                    // The first acknowledgement counts; a later one extends the pause.
                    Some(existing) => existing.paused_until = existing.paused_until.max(ack.paused_until),
                    None => alarm.ack = Some(ack.clone()),
                }
            }
            if !found {
                self.pending_acks.insert(id.clone(), ack);
            }
        }
        // Acknowledgements of alarms that never appear are dropped after a day.
        let horizon = at - 24 * 60 * 60_000;
        self.pending_acks.retain(|_, a| a.at >= horizon);
    }

    /// Wall-clock rules: no data from the bed, escalation. `connected` is the
    /// tablet's own connection: while it is down, silence from a bed is the
    /// connection's fault and the connection alarm says so.
    pub fn tick(&mut self, now: i64, connected: bool) {
        let stale = self.last_arrival.is_some_and(|a| now - a >= self.options.no_data_ms);
        let cond = Condition::NoData;
        if stale && connected && !self.catching_up && !self.runs.contains_key(&cond) {
            let onset = self.newest_sample.unwrap_or(0);
            let id = AlarmId { bed: self.bed.clone(), condition: cond, onset };
            self.runs
                .insert(cond, Run { since: onset, last_t: onset, area: 0.0, worst: 0.0, raised: Some(id.clone()) });
            self.raise(id, Priority::Medium, onset, None, None, None, now);
        }
        let escalate_after = self.options.escalate_after_ms;
        for alarm in self.alarms.values_mut() {
            // Unanswered: sounding since it was derived, or since its pause ended.
            let since = alarm.ack.as_ref().map_or(alarm.derived_at, |a| a.paused_until.max(alarm.derived_at));
            if alarm.priority == Priority::High
                && alarm.audible(now)
                && !alarm.escalated
                && now - since >= escalate_after
            {
                alarm.escalated = true;
                self.changes.push(Change::Escalated(alarm.id.clone()));
            }
        }
    }

    /// Keeps the log bounded: the oldest alarms no longer shown go first.
    fn prune(&mut self) {
        let keep = self.options.keep_log;
        let over = self.alarms.len().saturating_sub(keep);
        if over == 0 {
            return;
        }
        let mut gone: Vec<(SampleTime, AlarmId)> =
            self.alarms.values().filter(|a| !a.shown()).map(|a| (a.id.onset, a.id.clone())).collect();
        gone.sort();
        for (_, id) in gone.into_iter().take(over) {
            self.alarms.remove(&id);
        }
    }
}
