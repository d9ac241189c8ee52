//! Vital signs in plain words for the family portal: what each number is,
//! in words a relative understands, and how old it is.

use vigil_shared::VitalKind;

/// One line of the portal: what, how much, in what.
#[derive(Debug, Clone, PartialEq)]
pub struct PlainVital {
    pub what: &'static str,
    pub value: String,
    pub unit: &'static str,
    /// What the number means, in a sentence.
    pub about: &'static str,
}

/// The parameters shown to a caregiver, in order. Blood pressure is one line
/// (systolic over diastolic); a monitor's mean pressure and pulse rate (when
/// the ECG gives a heart rate) are left out as noise for a relative.
pub fn vitals(values: &[(VitalKind, f64)]) -> Vec<PlainVital> {
    let get = |k: VitalKind| values.iter().find(|(kind, _)| *kind == k).map(|(_, v)| *v);
    let mut out = Vec::new();
    if let Some(hr) = get(VitalKind::Hr).or(get(VitalKind::Pulse)) {
        out.push(PlainVital {
            what: "Heart rate",
            value: format!("{hr:.0}"),
            unit: "beats a minute",
            about: "How fast the heart beats.",
        });
    }
    if let Some(s) = get(VitalKind::Spo2) {
        out.push(PlainVital {
            what: "Oxygen level",
            value: format!("{s:.0}"),
            unit: "%",
            about: "How much oxygen the blood carries.",
        });
    }
    if let Some(r) = get(VitalKind::Rr) {
        out.push(PlainVital {
            what: "Breathing",
            value: format!("{r:.0}"),
            unit: "breaths a minute",
            about: "How often the lungs take a breath.",
        });
    }
    let bp = match (get(VitalKind::ArtSys), get(VitalKind::ArtDia)) {
        (Some(s), Some(d)) => Some((s, d)),
        _ => get(VitalKind::NibpSys).zip(get(VitalKind::NibpDia)),
    };
    if let Some((s, d)) = bp {
        out.push(PlainVital {
            what: "Blood pressure",
            value: format!("{s:.0}/{d:.0}"),
            unit: "mmHg",
            about: "The pressure of the blood in the arteries.",
        });
    }
    if let Some(t) = get(VitalKind::Temp) {
        out.push(PlainVital { what: "Temperature", value: format!("{t:.1}"), unit: "°C", about: "Body temperature." });
    }
    out
}

/// "just now", "1 minute ago", "12 minutes ago", "2 hours ago".
pub fn ago(ms: i64) -> String {
    let m = ms.max(0) / 60_000;
    match m {
        0 => "just now".into(),
        1 => "1 minute ago".into(),
        2..=89 => format!("{m} minutes ago"),
        _ => format!("{} hours ago", (m + 30) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relative_sees_heart_oxygen_breathing_pressure_and_temperature_in_words() {
        let v = vitals(&[
            (VitalKind::Hr, 72.4),
            (VitalKind::Pulse, 71.0),
            (VitalKind::Spo2, 97.0),
            (VitalKind::Rr, 15.6),
            (VitalKind::NibpSys, 121.0),
            (VitalKind::NibpDia, 79.0),
            (VitalKind::NibpMean, 93.0),
            (VitalKind::Temp, 36.84),
        ]);
        let lines: Vec<String> = v.iter().map(|p| format!("{} {} {}", p.what, p.value, p.unit)).collect();
        assert_eq!(
            lines,
            [
                "Heart rate 72 beats a minute",
                "Oxygen level 97 %",
                "Breathing 16 breaths a minute",
                "Blood pressure 121/79 mmHg",
                "Temperature 36.8 °C"
            ]
        );
    }

    #[test]
    fn the_arterial_line_is_preferred_and_the_pulse_stands_in_for_a_missing_heart_rate() {
        let v = vitals(&[
            (VitalKind::Pulse, 88.0),
            (VitalKind::ArtSys, 101.0),
            (VitalKind::ArtDia, 62.0),
            (VitalKind::NibpSys, 130.0),
            (VitalKind::NibpDia, 80.0),
        ]);
        assert_eq!((v[0].value.as_str(), v[1].value.as_str()), ("88", "101/62"));
        assert!(vitals(&[]).is_empty());
    }

    #[test]
    fn ages_read_as_words() {
        assert_eq!(ago(20_000), "just now");
        assert_eq!(ago(61_000), "1 minute ago");
        assert_eq!(ago(12 * 60_000), "12 minutes ago");
        assert_eq!(ago(150 * 60_000), "3 hours ago");
    }
}
