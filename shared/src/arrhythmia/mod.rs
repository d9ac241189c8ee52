//! Arrhythmia alarms checked against every waveform of a bed.

pub mod check;
pub mod detect;
pub mod dominant;
pub mod lockbox;
pub mod locked;
pub mod monitor;
pub mod policy;
pub mod record;
mod rules;
pub mod score;
pub mod subsets;
pub mod summary;
mod vt_check;
pub mod vt_features;
pub mod vt_net;

use serde::{Deserialize, Serialize};

/// The five life-threatening arrhythmia alarms of a bedside monitor, with the
/// definitions of the PhysioNet/CinC Challenge 2015.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArrhythmiaKind {
    /// No QRS for at least 4 s.
    Asystole,
    /// Heart rate below 40/min for 5 consecutive beats.
    ExtremeBradycardia,
    /// Heart rate above 140/min for 17 consecutive beats.
    ExtremeTachycardia,
    /// 5 or more ventricular beats at a rate above 100/min.
    VentricularTachycardia,
    /// Fibrillatory, flutter or oscillatory waveform for at least 4 s.
    VentricularFlutterFib,
}

impl ArrhythmiaKind {
    pub const ALL: [ArrhythmiaKind; 5] = [
        ArrhythmiaKind::Asystole,
        ArrhythmiaKind::ExtremeBradycardia,
        ArrhythmiaKind::ExtremeTachycardia,
        ArrhythmiaKind::VentricularTachycardia,
        ArrhythmiaKind::VentricularFlutterFib,
    ];

    /// The name the Challenge 2015 headers use (`Asystole`, `Bradycardia`, ...).
    pub fn challenge_name(self) -> &'static str {
        match self {
            ArrhythmiaKind::Asystole => "Asystole",
            ArrhythmiaKind::ExtremeBradycardia => "Bradycardia",
            ArrhythmiaKind::ExtremeTachycardia => "Tachycardia",
            ArrhythmiaKind::VentricularTachycardia => "Ventricular_Tachycardia",
            ArrhythmiaKind::VentricularFlutterFib => "Ventricular_Flutter_Fib",
        }
    }

    pub fn from_challenge_name(name: &str) -> Option<ArrhythmiaKind> {
        ArrhythmiaKind::ALL.into_iter().find(|k| k.challenge_name().eq_ignore_ascii_case(name.trim()))
    }

    /// What the alarm list shows.
    pub fn label(self) -> &'static str {
        match self {
            ArrhythmiaKind::Asystole => "Asystole",
            ArrhythmiaKind::ExtremeBradycardia => "Extreme bradycardia",
            ArrhythmiaKind::ExtremeTachycardia => "Extreme tachycardia",
            ArrhythmiaKind::VentricularTachycardia => "V-tach",
            ArrhythmiaKind::VentricularFlutterFib => "V-fib/flutter",
        }
    }
}

#[cfg(test)]
mod policy_tests;
#[cfg(test)]
mod rate_tests;
#[cfg(test)]
mod second_look_tests;
/// Synthetic waveforms for the tests and the benchmarks (`benches/core.rs`).
#[doc(hidden)]
pub mod synthetic;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod usual_tests;
#[cfg(test)]
mod vt_tests;
