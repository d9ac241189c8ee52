//! The alarm system (IEC 60601-1-8), as every tablet runs it.
//!
//! Deterministic and clock-free: physiological and device-reported technical
//! alarms are derived from samples and their device times only, so every
//! tablet that holds the same samples derives the same alarms with the same
//! ids ([`AlarmId`]: bed, condition, onset sample time), and a replay gives
//! the alarms of the live run. The only wall-clock rules (no data from a bed,
//! the tablet's own connection, audio pause and escalation) take `now` from
//! the caller.
//!
//! - [`limits`]: profiles, per-patient limits within hard bounds, delays.
//! - [`engine`]: one bed's alarm conditions: delays, smart SpO2 delay,
//!   de-triggering, latching, acknowledgement, NEWS2 bands, technical alarms.
//! - [`station`]: every bed of the ward plus the tablet's own connection; what
//!   is shown, in which order, and what sounds.
//! - [`event`]: acknowledgements, limit changes and observations as events a
//!   tablet sends and the server stores and relays to every tablet.

pub mod engine;
pub mod event;
pub mod limits;
pub mod station;

pub use engine::{AdvisoryEntry, BedAlarms, Change, Observation};
pub use event::{BedEvent, EventError, EventRequest, StoredEvent};
pub use limits::{AlarmSettings, Band, Delay, Limits, Profile};
pub use station::{AlarmOptions, WardAlarms};

use crate::arrhythmia::check::Decision;
use crate::arrhythmia::ArrhythmiaKind;
use crate::news2::Risk;
use crate::technical::{Sensor, TechnicalCondition};
use crate::vital::VitalKind;
use crate::SampleTime;
use serde::{Deserialize, Serialize};
use std::fmt;

/// IEC 60601-1-8 priority. Ordered: `High` is the greatest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    Medium,
    High,
}

impl Priority {
    /// The IEC marker shown beside the text, so priority is never colour alone.
    pub fn marker(self) -> &'static str {
        match self {
            Priority::High => "!!!",
            Priority::Medium => "!!",
            Priority::Low => "!",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Priority::High => "High",
            Priority::Medium => "Medium",
            Priority::Low => "Low",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Priority::High => "high",
            Priority::Medium => "medium",
            Priority::Low => "low",
        }
    }
}

/// What an alarm is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Condition {
    /// A parameter beyond one of its limits.
    Vital { kind: VitalKind, band: Band },
    /// The NEWS2 score in a risk band (`LowMedium` = a 3 in one parameter).
    News2 { risk: Risk },
    /// A condition the device reports about a sensor.
    Technical { condition: TechnicalCondition, sensor: Sensor },
    /// Nothing has arrived from the bed for a while.
    NoData,
    /// The tablet's own connection to the server is lost.
    ConnectionLost,
    /// A life-threatening arrhythmia found on the ECG and kept by the check
    /// against every waveform.
    Arrhythmia { kind: ArrhythmiaKind },
    /// A lethal arrhythmia found on the ECG that the check holds back as a
    /// possible artefact (two channels show an organised rhythm): a
    /// low-priority line with the evidence until it is confirmed or lasts
    /// too long, when it ends and the [`Condition::Arrhythmia`] alarm, its
    /// own id and its own acknowledgements, sounds with the same onset.
    PossibleArtefact { kind: ArrhythmiaKind },
}

impl Condition {
    /// A stable short code, used in alarm ids and logs.
    pub fn code(&self) -> String {
        match self {
            Condition::Vital { kind, band } => format!("{}.{}", kind.code(), band.code()),
            Condition::News2 { risk } => format!("news2.{}", risk_code(*risk)),
            Condition::Technical { condition, sensor } => format!("tech.{condition:?}.{sensor:?}").to_lowercase(),
            Condition::NoData => "no_data".into(),
            Condition::ConnectionLost => "connection_lost".into(),
            Condition::Arrhythmia { kind } => format!("arrhythmia.{}", kind.challenge_name().to_lowercase()),
            Condition::PossibleArtefact { kind } => {
                format!("possible_artefact.{}", kind.challenge_name().to_lowercase())
            }
        }
    }

    /// The alarm's name, as a monitor would print it.
    pub fn title(&self) -> String {
        match *self {
            Condition::Vital { kind: VitalKind::Hr | VitalKind::Pulse, band: Band::ExtremeLow } => {
                "Extreme brady".into()
            }
            Condition::Vital { kind: VitalKind::Hr | VitalKind::Pulse, band: Band::ExtremeHigh } => {
                "Extreme tachy".into()
            }
            Condition::Vital { kind: VitalKind::Spo2, band: Band::ExtremeLow } => "Desat".into(),
            Condition::Vital { kind: VitalKind::Rr, band: Band::ExtremeLow } => "Apnoea / RR very low".into(),
            Condition::Vital { kind, band } => {
                let what = match band {
                    Band::ExtremeLow => "very low",
                    Band::Low => "low",
                    Band::High => "high",
                    Band::ExtremeHigh => "very high",
                };
                format!("{} {what}", kind.label())
            }
            Condition::News2 { risk: Risk::High } => "NEWS2 high risk".into(),
            Condition::News2 { risk: Risk::Medium } => "NEWS2 medium risk".into(),
            Condition::News2 { .. } => "NEWS2: a 3 in one parameter".into(),
            Condition::Technical { condition, sensor } => format!("{} ({})", condition.label(), sensor.label()),
            Condition::NoData => "No data from bed".into(),
            Condition::ConnectionLost => "Connection to server lost".into(),
            Condition::Arrhythmia { kind } => kind.label().into(),
            Condition::PossibleArtefact { kind } => format!("{}? Possible artefact", kind.label()),
        }
    }

    /// Whether it is a technical alarm (a failure to monitor) rather than a
    /// statement about the patient.
    pub fn is_technical(&self) -> bool {
        matches!(self, Condition::Technical { .. } | Condition::NoData | Condition::ConnectionLost)
    }

    /// Alarms of one family show as one: "Desat" hides "SpO2 low", NEWS2 >= 7
    /// hides NEWS2 5-6. Both are still logged.
    pub fn family(&self) -> (u8, Option<VitalKind>, bool) {
        match *self {
            Condition::Vital { kind, band } => (0, Some(kind), band.is_low()),
            Condition::News2 { .. } => (1, None, false),
            // The ECG's extreme brady/tachy and the HR value's extreme limits
            // are one family: one episode, one alarm shown (both logged).
            Condition::Arrhythmia { kind: ArrhythmiaKind::ExtremeBradycardia } => (0, Some(VitalKind::Hr), true),
            Condition::Arrhythmia { kind: ArrhythmiaKind::ExtremeTachycardia } => (0, Some(VitalKind::Hr), false),
            Condition::Arrhythmia { kind: ArrhythmiaKind::Asystole } => (3, None, false),
            Condition::Arrhythmia { kind: ArrhythmiaKind::VentricularTachycardia } => (4, None, false),
            Condition::Arrhythmia { kind: ArrhythmiaKind::VentricularFlutterFib } => (5, None, false),
            // A family per rhythm: each line stays in view beside anything
            // else, and one line's pause never hides another's sound.
            Condition::PossibleArtefact { kind: ArrhythmiaKind::Asystole } => (6, None, false),
            Condition::PossibleArtefact { kind: ArrhythmiaKind::VentricularTachycardia } => (7, None, false),
            Condition::PossibleArtefact { kind: ArrhythmiaKind::VentricularFlutterFib } => (8, None, false),
            Condition::PossibleArtefact { .. } => (9, None, false),
            _ => (2, None, false),
        }
    }
}

fn risk_code(risk: Risk) -> &'static str {
    match risk {
        Risk::Low => "low",
        Risk::LowMedium => "single_3",
        Risk::Medium => "medium",
        Risk::High => "high",
    }
}

/// An alarm's identity: the same on every tablet that saw the same samples.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AlarmId {
    pub bed: String,
    pub condition: Condition,
    /// Time of the first sample of the condition (device clock, ms); for a
    /// lost connection, the tablet's clock when it was lost.
    pub onset: SampleTime,
}

impl fmt::Display for AlarmId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}@{}", self.bed, self.condition.code(), self.onset)
    }
}

/// An acknowledgement: who, when, and until when the sound is paused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ack {
    pub at: i64,
    pub by: String,
    pub paused_until: i64,
}

/// One alarm: shown while active (and after, if latched and not yet
/// acknowledged), and kept afterwards as the bed's alarm log entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alarm {
    pub id: AlarmId,
    pub priority: Priority,
    /// Sample time at which the condition's delay was met and the alarm raised.
    pub raised: SampleTime,
    /// Sample time at which the condition ended.
    pub ended: Option<SampleTime>,
    /// The limit violated (for NEWS2, the band's lowest score).
    pub limit: Option<f64>,
    /// The value when the alarm was raised.
    pub trigger: Option<f64>,
    /// The most extreme value while the condition lasted.
    pub worst: Option<f64>,
    /// The newest value while the condition lasts.
    pub current: Option<f64>,
    /// A latching alarm stays shown after its condition ends until acknowledged.
    pub latching: bool,
    pub ack: Option<Ack>,
    /// Unacknowledged for longer than the escalation time.
    pub escalated: bool,
    /// The tablet's clock when this tablet derived the alarm (for escalation).
    pub derived_at: i64,
    /// For an arrhythmia: the check against every waveform that kept it;
    /// for a possible artefact, the check that holds it back.
    #[serde(default)]
    pub rhythm: Option<Decision>,
}

impl Alarm {
    pub fn active(&self) -> bool {
        self.ended.is_none()
    }

    /// Shown on screen: active, or latched and not yet acknowledged.
    pub fn shown(&self) -> bool {
        self.active() || (self.latching && self.ack.is_none())
    }

    /// Sounding at `now`: shown and its audio not paused.
    pub fn audible(&self, now: i64) -> bool {
        self.shown() && self.ack.as_ref().is_none_or(|a| now >= a.paused_until)
    }

    /// The text with the alarm's name where the name says more than the
    /// numbers: `Desat: SpO2 76 < 85`, `Extreme tachy: HR 152 > 140`.
    pub fn describe(&self) -> String {
        if let (Condition::PossibleArtefact { .. }, Some(d)) = (self.id.condition, &self.rhythm) {
            return format!("{}: {}", self.id.condition.title(), d.reason);
        }
        match self.id.condition {
            Condition::Vital { band, .. } if band.is_extreme() => {
                format!("{}: {}", self.id.condition.title(), self.text())
            }
            _ => self.text(),
        }
    }

    /// What the tile says, e.g. `SpO2 84 < 90`, `NEWS2 7 >= 7`, `Lead off (ECG)`.
    pub fn text(&self) -> String {
        let value = if self.active() { self.current.or(self.trigger) } else { self.worst };
        match (self.id.condition, value, self.limit) {
            (Condition::Vital { kind, band }, Some(v), Some(limit)) => {
                format!("{} {} {} {}", kind.label(), kind.format(v), band.sign(), kind.format(limit))
            }
            (Condition::News2 { risk: Risk::LowMedium }, _, _) => "NEWS2: a 3 in one parameter".into(),
            (Condition::News2 { .. }, Some(v), Some(limit)) => format!("NEWS2 {v:.0} >= {limit:.0}"),
            (c, _, _) => c.title(),
        }
    }
}

#[cfg(test)]
mod tests;
