//! Technical conditions a device reports about its own sensors (IEC
//! 60601-1-8 technical alarm conditions start here or in the tablet).

use crate::SampleTime;
use serde::{Deserialize, Serialize};

/// A condition the device itself reports about its sensors (IEC 60601-1-8
/// technical alarm conditions originate here or in the tablet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TechnicalCondition {
    /// ECG electrode detached.
    LeadOff,
    /// SpO2 probe off the patient, NIBP cuff off, temperature probe off.
    SensorOff,
    /// The device cannot make a reliable measurement (motion, low perfusion).
    PoorSignal,
    /// The device reports a fault of its own.
    DeviceFault,
}

impl TechnicalCondition {
    pub fn label(self) -> &'static str {
        match self {
            TechnicalCondition::LeadOff => "Lead off",
            TechnicalCondition::SensorOff => "Sensor off",
            TechnicalCondition::PoorSignal => "Poor signal",
            TechnicalCondition::DeviceFault => "Device fault",
        }
    }
}

/// The sensor a technical condition concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sensor {
    Ecg,
    Spo2,
    Nibp,
    Art,
    Temp,
    Resp,
}

impl Sensor {
    pub fn label(self) -> &'static str {
        match self {
            Sensor::Ecg => "ECG",
            Sensor::Spo2 => "SpO2",
            Sensor::Nibp => "NIBP",
            Sensor::Art => "ART",
            Sensor::Temp => "Temp",
            Sensor::Resp => "Resp",
        }
    }
}

/// A technical condition starting (`active: true`) or ending, as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Technical {
    pub t: SampleTime,
    pub condition: TechnicalCondition,
    pub sensor: Sensor,
    pub active: bool,
}
