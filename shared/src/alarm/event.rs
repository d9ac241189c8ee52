//! What people do to alarms, as events: a tablet sends an [`EventRequest`],
//! the server checks it, stores it in the append-only audit log with who and
//! when, and relays the [`StoredEvent`] to every tablet of the ward. Because
//! every tablet applies the same events to the same samples, an alarm
//! acknowledged on one tablet is acknowledged on all.
//!
//! Limit changes and observations take effect from their stored time `at`:
//! samples measured before it are judged with the settings before it, so a
//! tablet that receives the change late (after a reconnect) still derives the
//! same alarms as one that saw it live.

use crate::alarm::limits::{validate, LimitError, Limits, Profile};
use crate::alarm::AlarmId;
use crate::news2::{Consciousness, Oxygen, SpO2Scale};
use crate::vital::VitalKind;
use crate::SampleTime;
use serde::{Deserialize, Serialize};

/// Most alarms one acknowledgement may name.
pub const MAX_ACK_IDS: usize = 64;
/// Longest actor name and request id.
pub const MAX_NAME: usize = 64;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BedEvent {
    /// Audio pause for exactly these alarms (the ones shown when pressed).
    Acknowledge { ids: Vec<AlarmId> },
    /// A patient's limits for one parameter, within the profile's bounds.
    SetLimits { kind: VitalKind, limits: Limits },
    /// The population profile; the patient's limits return to its defaults.
    SetProfile { profile: Profile },
    /// Clinician-entered NEWS2 inputs the monitor cannot measure.
    Observe {
        consciousness: Option<Consciousness>,
        oxygen: Option<Oxygen>,
        #[serde(default)]
        scale: SpO2Scale,
    },
    /// The clinician has seen the unusual-trend advisory that was in force
    /// at this sample time (the newest minute the dismissing tablet had
    /// judged) and hides it until a new one, or until a parameter that did
    /// not drive it joins.
    DismissAdvisory { active_at: SampleTime },
}

impl BedEvent {
    pub fn kind(&self) -> &'static str {
        match self {
            BedEvent::Acknowledge { .. } => "acknowledge",
            BedEvent::SetLimits { .. } => "set_limits",
            BedEvent::SetProfile { .. } => "set_profile",
            BedEvent::Observe { .. } => "observe",
            BedEvent::DismissAdvisory { .. } => "dismiss_advisory",
        }
    }

    /// One line for the audit view.
    pub fn describe(&self) -> String {
        match self {
            BedEvent::Acknowledge { ids } => {
                let names: Vec<String> = ids.iter().map(|id| id.condition.title()).collect();
                format!("acknowledged {}", names.join(", "))
            }
            BedEvent::SetLimits { kind, limits } => {
                let f = |v: Option<f64>| v.map(|v| kind.format(v)).unwrap_or_else(|| "off".into());
                format!(
                    "{} limits: extreme low {}, low {}, high {}, extreme high {}",
                    kind.label(),
                    f(limits.extreme_low),
                    f(limits.low),
                    f(limits.high),
                    f(limits.extreme_high)
                )
            }
            BedEvent::SetProfile { profile } => format!("profile {}", profile.label()),
            BedEvent::Observe { consciousness, oxygen, scale } => {
                format!("observation: consciousness {consciousness:?}, {oxygen:?}, SpO2 {scale:?}")
            }
            BedEvent::DismissAdvisory { .. } => "dismissed the unusual-trend advisory".into(),
        }
    }
}

/// A tablet's request. `id` is chosen by the tablet and unique per request,
/// so a request re-sent after a reconnect is stored once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRequest {
    pub id: String,
    pub bed: String,
    pub actor: String,
    pub event: BedEvent,
}

/// An event as stored in the audit log and relayed to every tablet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    /// Audit log order.
    pub seq: u64,
    /// Server time when stored, ms since the epoch.
    pub at: i64,
    pub bed: String,
    pub actor: String,
    /// The tablet's request id.
    pub request: String,
    pub event: BedEvent,
}

/// Why a request was refused; nothing was stored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EventError {
    #[error("request id must be 1-{MAX_NAME} letters, digits, '-' or '_'")]
    RequestId,
    #[error("who did it must be said: 1-{MAX_NAME} printable characters")]
    Actor,
    #[error("an acknowledgement names 1-{MAX_ACK_IDS} alarms")]
    AckCount,
    #[error("alarm {0} is not an alarm of this bed")]
    AckBed(String),
    #[error("the advisory to dismiss must be named by a device time at which it was in force")]
    AdvisoryOnset,
    #[error(transparent)]
    Limits(#[from] LimitError),
}

fn printable(s: &str) -> bool {
    !s.trim().is_empty() && s.chars().count() <= MAX_NAME && !s.chars().any(char::is_control)
}

impl EventRequest {
    /// Checks the request on its own terms; `profile` is the bed's current
    /// profile, which limit changes are checked against.
    pub fn validate(&self, profile: Profile) -> Result<(), EventError> {
        let id_ok = !self.id.is_empty()
            && self.id.len() <= MAX_NAME
            && self.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !id_ok {
            return Err(EventError::RequestId);
        }
        if !printable(&self.actor) {
            return Err(EventError::Actor);
        }
        match &self.event {
            BedEvent::Acknowledge { ids } => {
                if ids.is_empty() || ids.len() > MAX_ACK_IDS {
                    return Err(EventError::AckCount);
                }
                // The station's own connection alarm is acknowledged locally.
                if let Some(id) = ids.iter().find(|id| id.bed != self.bed) {
                    return Err(EventError::AckBed(id.to_string()));
                }
            }
            BedEvent::SetLimits { kind, limits } => validate(profile, *kind, limits)?,
            BedEvent::DismissAdvisory { active_at } if *active_at <= 0 => return Err(EventError::AdvisoryOnset),
            BedEvent::SetProfile { .. } | BedEvent::Observe { .. } | BedEvent::DismissAdvisory { .. } => {}
        }
        Ok(())
    }
}
