//! What Vigil measures: numeric vital signs and waveforms, with their units,
//! interoperability codes (see `CLINICAL.md`) and the range a value must lie in
//! to be a measurement at all (not an alarm limit: a value outside it is a fault).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::RangeInclusive;

/// A numeric vital sign, as a monitor reports it about once a second (NIBP and
/// temperature less often).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VitalKind {
    /// Heart rate from the ECG.
    Hr,
    /// Pulse rate from the pulse oximeter (or the arterial line).
    Pulse,
    Spo2,
    /// Respiratory rate.
    Rr,
    NibpSys,
    NibpDia,
    NibpMean,
    /// Invasive (arterial line) pressures.
    ArtSys,
    ArtDia,
    ArtMean,
    /// Body temperature.
    Temp,
}

impl VitalKind {
    pub const ALL: [VitalKind; 11] = [
        VitalKind::Hr,
        VitalKind::Pulse,
        VitalKind::Spo2,
        VitalKind::Rr,
        VitalKind::NibpSys,
        VitalKind::NibpDia,
        VitalKind::NibpMean,
        VitalKind::ArtSys,
        VitalKind::ArtDia,
        VitalKind::ArtMean,
        VitalKind::Temp,
    ];

    /// Short label as monitors print it.
    pub fn label(self) -> &'static str {
        match self {
            VitalKind::Hr => "HR",
            VitalKind::Pulse => "PR",
            VitalKind::Spo2 => "SpO2",
            VitalKind::Rr => "RR",
            VitalKind::NibpSys => "NIBP sys",
            VitalKind::NibpDia => "NIBP dia",
            VitalKind::NibpMean => "NIBP mean",
            VitalKind::ArtSys => "ART sys",
            VitalKind::ArtDia => "ART dia",
            VitalKind::ArtMean => "ART mean",
            VitalKind::Temp => "Temp",
        }
    }

    /// The unit shown to people.
    pub fn unit(self) -> &'static str {
        match self {
            VitalKind::Hr | VitalKind::Pulse => "/min",
            VitalKind::Spo2 => "%",
            VitalKind::Rr => "/min",
            VitalKind::NibpSys
            | VitalKind::NibpDia
            | VitalKind::NibpMean
            | VitalKind::ArtSys
            | VitalKind::ArtDia
            | VitalKind::ArtMean => "mmHg",
            VitalKind::Temp => "°C",
        }
    }

    /// The UCUM unit code (FHIR `valueQuantity.code`).
    pub fn ucum(self) -> &'static str {
        match self {
            VitalKind::Hr | VitalKind::Pulse | VitalKind::Rr => "/min",
            VitalKind::Spo2 => "%",
            VitalKind::Temp => "Cel",
            _ => "mm[Hg]",
        }
    }

    /// LOINC code of the FHIR vital-signs profile.
    pub fn loinc(self) -> &'static str {
        match self {
            VitalKind::Hr | VitalKind::Pulse => "8867-4",
            VitalKind::Spo2 => "59408-5",
            VitalKind::Rr => "9279-1",
            VitalKind::NibpSys | VitalKind::ArtSys => "8480-6",
            VitalKind::NibpDia | VitalKind::ArtDia => "8462-4",
            VitalKind::NibpMean | VitalKind::ArtMean => "8478-0",
            VitalKind::Temp => "8310-5",
        }
    }

    /// IEEE 11073-10101 MDC code (partition x 65536 + term code).
    pub fn mdc(self) -> u32 {
        match self {
            VitalKind::Hr => 147_842,
            VitalKind::Pulse => 149_530,
            VitalKind::Spo2 => 150_456,
            VitalKind::Rr => 151_562,
            VitalKind::NibpSys => 150_021,
            VitalKind::NibpDia => 150_022,
            VitalKind::NibpMean => 150_023,
            VitalKind::ArtSys => 150_033,
            VitalKind::ArtDia => 150_034,
            VitalKind::ArtMean => 150_035,
            VitalKind::Temp => 150_344,
        }
    }

    /// Measured now and then (a cuff inflation, a thermometer), not
    /// continuously: its last value stays worth showing, with its age, long
    /// after it was taken.
    pub fn is_intermittent(self) -> bool {
        matches!(self, VitalKind::NibpSys | VitalKind::NibpDia | VitalKind::NibpMean | VitalKind::Temp)
    }

    /// Values a monitor can report for this parameter. Anything outside is not
    /// a measurement (a broken device, a unit mix-up) and is rejected at the edge.
    pub fn measurable_range(self) -> RangeInclusive<f64> {
        match self {
            VitalKind::Hr | VitalKind::Pulse => 0.0..=350.0,
            VitalKind::Spo2 => 0.0..=100.0,
            VitalKind::Rr => 0.0..=150.0,
            VitalKind::NibpSys
            | VitalKind::NibpDia
            | VitalKind::NibpMean
            | VitalKind::ArtSys
            | VitalKind::ArtDia
            | VitalKind::ArtMean => 0.0..=400.0,
            VitalKind::Temp => 10.0..=47.0,
        }
    }

    /// Decimal places worth showing.
    pub fn decimals(self) -> usize {
        match self {
            VitalKind::Temp => 1,
            _ => 0,
        }
    }

    /// A value with the decimals worth showing.
    pub fn format(self, v: f64) -> String {
        format!("{:.*}", self.decimals(), v)
    }

    /// The wire name (`hr`, `nibp_sys`), stable for ids and logs.
    pub fn code(self) -> &'static str {
        match self {
            VitalKind::Hr => "hr",
            VitalKind::Pulse => "pulse",
            VitalKind::Spo2 => "spo2",
            VitalKind::Rr => "rr",
            VitalKind::NibpSys => "nibp_sys",
            VitalKind::NibpDia => "nibp_dia",
            VitalKind::NibpMean => "nibp_mean",
            VitalKind::ArtSys => "art_sys",
            VitalKind::ArtDia => "art_dia",
            VitalKind::ArtMean => "art_mean",
            VitalKind::Temp => "temp",
        }
    }
}

impl fmt::Display for VitalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A sampled waveform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaveKind {
    /// ECG lead II, millivolts.
    #[serde(rename = "ecg_ii")]
    EcgII,
    /// Photoplethysmogram from the pulse oximeter, arbitrary units.
    Pleth,
    /// Arterial blood pressure, mmHg.
    Abp,
    /// Respiration (impedance or flow), arbitrary units.
    Resp,
}

impl WaveKind {
    pub const ALL: [WaveKind; 4] = [WaveKind::EcgII, WaveKind::Pleth, WaveKind::Abp, WaveKind::Resp];

    pub fn label(self) -> &'static str {
        match self {
            WaveKind::EcgII => "ECG II",
            WaveKind::Pleth => "Pleth",
            WaveKind::Abp => "ABP",
            WaveKind::Resp => "Resp",
        }
    }

    pub fn unit(self) -> &'static str {
        match self {
            WaveKind::EcgII => "mV",
            WaveKind::Abp => "mmHg",
            WaveKind::Pleth | WaveKind::Resp => "NU",
        }
    }

    /// Sample values a working front end can produce (ECG amplifiers saturate
    /// well inside +-20 mV; pleth and respiration are unitless).
    pub fn measurable_range(self) -> RangeInclusive<f32> {
        match self {
            WaveKind::EcgII => -20.0..=20.0,
            WaveKind::Abp => -50.0..=400.0,
            WaveKind::Pleth | WaveKind::Resp => -1.0e6..=1.0e6,
        }
    }

    /// Sample rates accepted, in Hz.
    pub fn rate_range(self) -> RangeInclusive<f64> {
        match self {
            WaveKind::EcgII => 100.0..=1000.0,
            WaveKind::Pleth | WaveKind::Abp => 25.0..=1000.0,
            WaveKind::Resp => 10.0..=1000.0,
        }
    }
}

impl fmt::Display for WaveKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn mdc_codes_are_partition_two_terms_as_clinical_md_lists() {
        // MDC = partition * 65536 + term; every numeric here is in partition 2 (SCADA).
        for kind in VitalKind::ALL {
            assert_eq!(kind.mdc() / 65_536, 2, "{kind}");
        }
        assert_eq!(VitalKind::Spo2.mdc(), 150_456);
        assert_eq!(VitalKind::Hr.loinc(), "8867-4");
        assert_eq!(VitalKind::Temp.ucum(), "Cel");
    }

    #[test]
    fn kinds_use_stable_snake_case_names_on_the_wire() {
        assert_eq!(serde_json::to_string(&VitalKind::NibpSys).unwrap(), "\"nibp_sys\"");
        assert_eq!(serde_json::to_string(&WaveKind::EcgII).unwrap(), "\"ecg_ii\"");
        assert!(serde_json::from_str::<VitalKind>("\"heart_beat\"").is_err());
    }
}
