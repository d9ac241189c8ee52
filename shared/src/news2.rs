//! NEWS2, the Royal College of Physicians' National Early Warning Score 2
//! (2017), exactly as the table in `CLINICAL.md`.
//!
//! Monitors measure respiration rate, SpO2, systolic pressure, pulse and
//! temperature; a clinician enters consciousness (ACVPU), air or oxygen, and
//! chooses SpO2 scale 2 for hypercapnic respiratory failure. A score computed
//! without some parameter says so: [`News2::missing`] is never hidden.
//!
//! Values are first rounded to the table's resolution (whole numbers;
//! temperature to 0.1 °C), so a measured 20.4 /min scores as 20.

use serde::{Deserialize, Serialize};

/// ACVPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Consciousness {
    Alert,
    NewConfusion,
    Voice,
    Pain,
    Unresponsive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Oxygen {
    Air,
    Oxygen,
}

/// SpO2 scale 2 is only for a prescribed target of 88-92 %, chosen by a clinician.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpO2Scale {
    #[default]
    Scale1,
    Scale2,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Parameter {
    RespirationRate,
    Spo2,
    AirOrOxygen,
    SystolicBp,
    Pulse,
    Consciousness,
    Temperature,
}

/// What the score is computed from; `None` = not available.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct News2Input {
    pub respiration_rate: Option<f64>,
    pub spo2: Option<f64>,
    pub scale: SpO2Scale,
    pub oxygen: Option<Oxygen>,
    pub systolic_bp: Option<f64>,
    pub pulse: Option<f64>,
    pub consciousness: Option<Consciousness>,
    pub temperature: Option<f64>,
}

/// The clinical risk band and the response it calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    /// Aggregate 0-4.
    Low,
    /// A 3 in any single parameter (urgent ward-based review).
    LowMedium,
    /// Aggregate 5-6 (urgent response).
    Medium,
    /// Aggregate 7 or more (emergency response).
    High,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct News2 {
    /// Sum of the parameters that could be scored.
    pub total: u8,
    /// Each parameter's score, `None` where it is missing.
    pub parts: Vec<(Parameter, Option<u8>)>,
    pub risk: Risk,
    /// Parameters the score lacks; empty means complete.
    pub missing: Vec<Parameter>,
}

impl News2 {
    pub fn complete(&self) -> bool {
        self.missing.is_empty()
    }

    pub fn part(&self, p: Parameter) -> Option<u8> {
        self.parts.iter().find(|(q, _)| *q == p).and_then(|(_, s)| *s)
    }
}

fn whole(v: f64) -> i64 {
    v.round() as i64
}

fn respiration(v: f64) -> u8 {
    match whole(v) {
        ..=8 => 3,
        9..=11 => 1,
        12..=20 => 0,
        21..=24 => 2,
        _ => 3,
    }
}

fn spo2(v: f64, scale: SpO2Scale, oxygen: Option<Oxygen>) -> Option<u8> {
    let v = whole(v);
    Some(match scale {
        SpO2Scale::Scale1 => match v {
            ..=91 => 3,
            92..=93 => 2,
            94..=95 => 1,
            _ => 0,
        },
        SpO2Scale::Scale2 => match (v, oxygen) {
            (..=83, _) => 3,
            (84..=85, _) => 2,
            (86..=87, _) => 1,
            (88..=92, _) => 0,
            (_, Some(Oxygen::Air)) => 0,
            (93..=94, Some(Oxygen::Oxygen)) => 1,
            (95..=96, Some(Oxygen::Oxygen)) => 2,
            (_, Some(Oxygen::Oxygen)) => 3,
            // 93 % or more on scale 2 scores only with air or oxygen known.
            (_, None) => return None,
        },
    })
}

fn systolic(v: f64) -> u8 {
    match whole(v) {
        ..=90 => 3,
        91..=100 => 2,
        101..=110 => 1,
        111..=219 => 0,
        _ => 3,
    }
}

fn pulse(v: f64) -> u8 {
    match whole(v) {
        ..=40 => 3,
        41..=50 => 1,
        51..=90 => 0,
        91..=110 => 1,
        111..=130 => 2,
        _ => 3,
    }
}

fn temperature(v: f64) -> u8 {
    // Tenths of a degree, so the band edges 35.0/35.1 etc. are exact.
    match (v * 10.0).round() as i64 {
        ..=350 => 3,
        351..=360 => 1,
        361..=380 => 0,
        381..=390 => 1,
        _ => 2,
    }
}

/// Scores what is available. Non-finite values count as missing.
pub fn score(input: &News2Input) -> News2 {
    let finite = |v: Option<f64>| v.filter(|v| v.is_finite());
    let parts = vec![
        (Parameter::RespirationRate, finite(input.respiration_rate).map(respiration)),
        (Parameter::Spo2, finite(input.spo2).and_then(|v| spo2(v, input.scale, input.oxygen))),
        (Parameter::AirOrOxygen, input.oxygen.map(|o| if o == Oxygen::Oxygen { 2 } else { 0 })),
        (Parameter::SystolicBp, finite(input.systolic_bp).map(systolic)),
        (Parameter::Pulse, finite(input.pulse).map(pulse)),
        (Parameter::Consciousness, input.consciousness.map(|c| if c == Consciousness::Alert { 0 } else { 3 })),
        (Parameter::Temperature, finite(input.temperature).map(temperature)),
    ];
    let total: u8 = parts.iter().filter_map(|(_, s)| *s).sum();
    let single_three = parts.iter().any(|(_, s)| *s == Some(3));
    let risk = match total {
        7.. => Risk::High,
        5..=6 => Risk::Medium,
        _ if single_three => Risk::LowMedium,
        _ => Risk::Low,
    };
    let missing = parts.iter().filter(|(_, s)| s.is_none()).map(|(p, _)| *p).collect();
    News2 { total, parts, risk, missing }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Every band edge of the table: (value, expected score).
    #[test]
    fn respiration_rate_band_edges() {
        for (v, s) in
            [(0.0, 3), (8.0, 3), (9.0, 1), (11.0, 1), (12.0, 0), (20.0, 0), (21.0, 2), (24.0, 2), (25.0, 3), (60.0, 3)]
        {
            assert_eq!(respiration(v), s, "RR {v}");
        }
        assert_eq!(respiration(20.4), 0);
        assert_eq!(respiration(20.5), 2);
    }

    #[test]
    fn spo2_scale_1_band_edges() {
        for (v, s) in [(50.0, 3), (91.0, 3), (92.0, 2), (93.0, 2), (94.0, 1), (95.0, 1), (96.0, 0), (100.0, 0)] {
            assert_eq!(spo2(v, SpO2Scale::Scale1, None), Some(s), "SpO2 {v}");
            // the oxygen question does not change scale 1's SpO2 score
            assert_eq!(spo2(v, SpO2Scale::Scale1, Some(Oxygen::Oxygen)), Some(s), "SpO2 {v} on O2");
        }
    }

    #[test]
    fn spo2_scale_2_band_edges_on_air_and_on_oxygen() {
        let o2 = Some(Oxygen::Oxygen);
        let air = Some(Oxygen::Air);
        for (v, s) in [(83.0, 3), (84.0, 2), (85.0, 2), (86.0, 1), (87.0, 1), (88.0, 0), (92.0, 0)] {
            assert_eq!(spo2(v, SpO2Scale::Scale2, o2), Some(s), "{v} on O2");
            assert_eq!(spo2(v, SpO2Scale::Scale2, air), Some(s), "{v} on air");
            assert_eq!(spo2(v, SpO2Scale::Scale2, None), Some(s), "{v} unknown");
        }
        for (v, s) in [(93.0, 1), (94.0, 1), (95.0, 2), (96.0, 2), (97.0, 3), (100.0, 3)] {
            assert_eq!(spo2(v, SpO2Scale::Scale2, o2), Some(s), "{v} on O2");
            assert_eq!(spo2(v, SpO2Scale::Scale2, air), Some(0), "{v} on air");
            assert_eq!(spo2(v, SpO2Scale::Scale2, None), None, "{v} with air/oxygen unknown");
        }
    }

    #[test]
    fn systolic_pressure_band_edges() {
        for (v, s) in
            [(60.0, 3), (90.0, 3), (91.0, 2), (100.0, 2), (101.0, 1), (110.0, 1), (111.0, 0), (219.0, 0), (220.0, 3)]
        {
            assert_eq!(systolic(v), s, "SBP {v}");
        }
    }

    #[test]
    fn pulse_band_edges() {
        for (v, s) in [
            (30.0, 3),
            (40.0, 3),
            (41.0, 1),
            (50.0, 1),
            (51.0, 0),
            (90.0, 0),
            (91.0, 1),
            (110.0, 1),
            (111.0, 2),
            (130.0, 2),
            (131.0, 3),
        ] {
            assert_eq!(pulse(v), s, "pulse {v}");
        }
    }

    #[test]
    fn temperature_band_edges_to_a_tenth_of_a_degree() {
        for (v, s) in [
            (34.0, 3),
            (35.0, 3),
            (35.1, 1),
            (36.0, 1),
            (36.1, 0),
            (38.0, 0),
            (38.1, 1),
            (39.0, 1),
            (39.1, 2),
            (41.0, 2),
        ] {
            assert_eq!(temperature(v), s, "temp {v}");
        }
        assert_eq!(temperature(35.04), 3);
        assert_eq!(temperature(35.06), 1);
    }

    fn normal() -> News2Input {
        News2Input {
            respiration_rate: Some(16.0),
            spo2: Some(97.0),
            scale: SpO2Scale::Scale1,
            oxygen: Some(Oxygen::Air),
            systolic_bp: Some(125.0),
            pulse: Some(72.0),
            consciousness: Some(Consciousness::Alert),
            temperature: Some(36.8),
        }
    }

    #[test]
    fn a_well_patient_scores_zero_low_risk_and_complete() {
        let n = score(&normal());
        assert_eq!((n.total, n.risk), (0, Risk::Low));
        assert!(n.complete());
    }

    #[test]
    fn consciousness_other_than_alert_scores_three_and_raises_low_medium() {
        for c in [Consciousness::NewConfusion, Consciousness::Voice, Consciousness::Pain, Consciousness::Unresponsive] {
            let n = score(&News2Input { consciousness: Some(c), ..normal() });
            assert_eq!((n.total, n.risk, n.part(Parameter::Consciousness)), (3, Risk::LowMedium, Some(3)));
        }
    }

    #[test]
    fn oxygen_adds_two() {
        let n = score(&News2Input { oxygen: Some(Oxygen::Oxygen), ..normal() });
        assert_eq!((n.total, n.risk), (2, Risk::Low));
    }

    #[test]
    fn aggregate_risk_bands_at_their_edges() {
        // 4: RR 22 (2) + pulse 115 (2) -> low
        let four = News2Input { respiration_rate: Some(22.0), pulse: Some(115.0), ..normal() };
        assert_eq!((score(&four).total, score(&four).risk), (4, Risk::Low));
        // 5: + temp 38.5 (1) -> medium
        let five = News2Input { temperature: Some(38.5), ..four };
        assert_eq!((score(&five).total, score(&five).risk), (5, Risk::Medium));
        // 6: + SBP 105 (1) -> medium
        let six = News2Input { systolic_bp: Some(105.0), ..five };
        assert_eq!((score(&six).total, score(&six).risk), (6, Risk::Medium));
        // 7: + SpO2 95 (1) -> high
        let seven = News2Input { spo2: Some(95.0), ..six };
        assert_eq!((score(&seven).total, score(&seven).risk), (7, Risk::High));
        // a single 3 with a total of 3 -> low-medium; with 5 -> medium still
        let three = News2Input { respiration_rate: Some(26.0), ..normal() };
        assert_eq!((score(&three).total, score(&three).risk), (3, Risk::LowMedium));
        let three_plus = News2Input { pulse: Some(115.0), ..three };
        assert_eq!((score(&three_plus).total, score(&three_plus).risk), (5, Risk::Medium));
    }

    #[test]
    fn a_score_without_the_clinician_entries_says_what_it_lacks() {
        let monitor_only = News2Input { consciousness: None, oxygen: None, ..normal() };
        let n = score(&monitor_only);
        assert_eq!(n.total, 0);
        assert!(!n.complete());
        assert_eq!(n.missing, vec![Parameter::AirOrOxygen, Parameter::Consciousness]);
        let nan = score(&News2Input { pulse: Some(f64::NAN), ..normal() });
        assert_eq!(nan.missing, vec![Parameter::Pulse]);
    }
}
