//! The parameters the advisory watches: which way is worse, what change
//! counts, where the values come from, and which values are not readings.

use crate::VitalKind;
use serde::{Deserialize, Serialize};

/// A parameter the advisory watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Param {
    /// Heart rate (the ECG's, or the pulse rate without an ECG).
    Hr,
    Rr,
    Spo2,
    /// Systolic pressure (arterial line, or NIBP without one).
    Sys,
    Temp,
}

impl Param {
    pub const ALL: [Param; 5] = [Param::Hr, Param::Rr, Param::Spo2, Param::Sys, Param::Temp];

    /// +1 when a rise means deterioration, -1 when a fall does.
    pub fn worse(self) -> f64 {
        match self {
            Param::Hr | Param::Rr | Param::Temp => 1.0,
            Param::Spo2 | Param::Sys => -1.0,
        }
    }

    /// The smallest change a clinician would call a change.
    pub fn min_change(self) -> f64 {
        match self {
            Param::Hr => 10.0,
            Param::Rr => 3.0,
            Param::Spo2 => 3.0,
            Param::Sys => 15.0,
            Param::Temp => 0.8,
        }
    }

    /// The deviation below which a very steady patient is not assumed to be
    /// steadier (measurement resolution and normal variability).
    pub(super) fn min_scale(self) -> f64 {
        match self {
            Param::Hr => 3.0,
            Param::Rr => 1.5,
            Param::Spo2 => 1.0,
            Param::Sys => 8.0,
            Param::Temp => 0.2,
        }
    }

    /// The sources, preferred first, and whether they are intermittent.
    pub(super) fn sources(self) -> &'static [(VitalKind, bool)] {
        match self {
            Param::Hr => &[(VitalKind::Hr, false), (VitalKind::Pulse, false)],
            Param::Rr => &[(VitalKind::Rr, false)],
            Param::Spo2 => &[(VitalKind::Spo2, false)],
            Param::Sys => &[(VitalKind::ArtSys, false), (VitalKind::NibpSys, true)],
            Param::Temp => &[(VitalKind::Temp, true)],
        }
    }

    /// The vital signs this parameter is judged on, preferred first.
    pub fn kinds(self) -> impl Iterator<Item = VitalKind> {
        self.sources().iter().map(|(k, _)| *k)
    }

    /// The watched parameter `kind` feeds, if any.
    pub fn of(kind: VitalKind) -> Option<Param> {
        Param::ALL.into_iter().find(|p| p.sources().iter().any(|(k, _)| *k == kind))
    }
}

/// Values that are not a reading of a living, monitored patient (a probe
/// reading 0, a counter's spike): ignored by the trend, whatever the alarms
/// make of them.
pub(super) fn plausible(kind: VitalKind, v: f64) -> bool {
    let (lo, hi) = match kind {
        VitalKind::Hr | VitalKind::Pulse => (25.0, 250.0),
        VitalKind::Rr => (3.0, 70.0),
        VitalKind::Spo2 => (50.0, 100.0),
        VitalKind::ArtSys | VitalKind::NibpSys => (40.0, 260.0),
        VitalKind::Temp => (30.0, 43.0),
        _ => return false,
    };
    v.is_finite() && (lo..=hi).contains(&v)
}
