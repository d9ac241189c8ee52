//! Scenario scripts: how a simulated patient's physiology moves over time.
//!
//! A script is a baseline and a list of steps. Each step starts at `at_s`
//! (seconds from the start) and moves the named parameters linearly to their
//! targets over `ramp_s`; a step can also take a sensor off or put it back.
//! With `repeat_s` the script starts over. Scripts are TOML; the built-in ones
//! are the same structure written in Rust.

use serde::Deserialize;

/// Parameter values a script sets (all optional in a step).
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    pub hr: Option<f64>,
    pub spo2: Option<f64>,
    pub rr: Option<f64>,
    pub sys: Option<f64>,
    pub dia: Option<f64>,
    pub temp: Option<f64>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub at_s: f64,
    #[serde(default)]
    pub ramp_s: f64,
    #[serde(flatten)]
    pub targets: Targets,
    /// ECG electrodes off (true) or back on (false).
    pub lead_off: Option<bool>,
    /// SpO2 probe off (true) or back on (false).
    pub spo2_off: Option<bool>,
    /// Device stops sending (true) or resumes (false).
    pub silent: Option<bool>,
    /// The ECG signal is lost while its electrodes still read as attached
    /// (true) or comes back (false).
    #[serde(default)]
    pub ecg_flat: Option<bool>,
    /// Cardiac arrest (true) or return of circulation (false).
    #[serde(default)]
    pub arrest: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    pub baseline: Physiology,
    #[serde(default)]
    pub steps: Vec<Step>,
    pub repeat_s: Option<f64>,
    /// Seconds the patient had been monitored before the simulation starts:
    /// the script runs from then, and the numerics of that time (not the
    /// waveforms) are sent first, as a monitor sends its stored trends when
    /// it joins the network.
    #[serde(default)]
    pub history_s: Option<f64>,
}

/// The state a scenario yields at an instant.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Physiology {
    pub hr: f64,
    pub spo2: f64,
    pub rr: f64,
    pub sys: f64,
    pub dia: f64,
    pub temp: f64,
    #[serde(default)]
    pub lead_off: bool,
    #[serde(default)]
    pub spo2_off: bool,
    #[serde(default)]
    pub silent: bool,
    /// A flat ECG with no lead-off condition (a failing cable, dried gel, the
    /// gain turned down) while the heart beats on: the classic false asystole.
    #[serde(default)]
    pub ecg_flat: bool,
    /// No heartbeat: no QRS on the ECG, no pulse on the pleth or the arterial
    /// line, HR 0. A true asystole.
    #[serde(default)]
    pub arrest: bool,
}

impl Physiology {
    pub fn mean_pressure(&self) -> f64 {
        self.dia + (self.sys - self.dia) / 3.0
    }
}

fn lerp(from: f64, to: f64, frac: f64) -> f64 {
    from + (to - from) * frac.clamp(0.0, 1.0)
}

impl Scenario {
    /// The physiology `elapsed_s` seconds into the script.
    pub fn at(&self, elapsed_s: f64) -> Physiology {
        let t = match self.repeat_s {
            Some(r) if r > 0.0 => elapsed_s.rem_euclid(r),
            _ => elapsed_s,
        };
        let mut p = self.baseline;
        for step in self.steps.iter().filter(|s| s.at_s <= t) {
            let frac = if step.ramp_s > 0.0 { (t - step.at_s) / step.ramp_s } else { 1.0 };
            let tg = step.targets;
            let set = |cur: f64, target: Option<f64>| target.map_or(cur, |v| lerp(cur, v, frac));
            p.hr = set(p.hr, tg.hr);
            p.spo2 = set(p.spo2, tg.spo2);
            p.rr = set(p.rr, tg.rr);
            p.sys = set(p.sys, tg.sys);
            p.dia = set(p.dia, tg.dia);
            p.temp = set(p.temp, tg.temp);
            p.lead_off = step.lead_off.unwrap_or(p.lead_off);
            p.spo2_off = step.spo2_off.unwrap_or(p.spo2_off);
            p.silent = step.silent.unwrap_or(p.silent);
            p.ecg_flat = step.ecg_flat.unwrap_or(p.ecg_flat);
            p.arrest = step.arrest.unwrap_or(p.arrest);
        }
        p
    }

    pub fn parse_toml(text: &str) -> Result<Scenario, toml::de::Error> {
        toml::from_str(text)
    }

    /// Built-in scenarios by name.
    pub fn builtin(name: &str) -> Option<Scenario> {
        let base = Physiology {
            hr: 78.0,
            spo2: 97.0,
            rr: 15.0,
            sys: 124.0,
            dia: 76.0,
            temp: 36.8,
            lead_off: false,
            spo2_off: false,
            silent: false,
            ecg_flat: false,
            arrest: false,
        };
        let step = |at_s: f64, ramp_s: f64, targets: Targets| Step {
            at_s,
            ramp_s,
            targets,
            lead_off: None,
            spo2_off: None,
            silent: None,
            ecg_flat: None,
            arrest: None,
        };
        let back = Targets {
            hr: Some(base.hr),
            spo2: Some(base.spo2),
            rr: Some(base.rr),
            sys: Some(base.sys),
            dia: Some(base.dia),
            temp: Some(base.temp),
        };
        let s = |name: &str, baseline: Physiology, steps: Vec<Step>, repeat_s: Option<f64>| Scenario {
            name: name.into(),
            baseline,
            steps,
            repeat_s,
            history_s: None,
        };
        Some(match name {
            "stable" => s("stable", base, vec![], None),
            // Falls to 84 % over a minute, holds two minutes, recovers.
            "desaturation" => s(
                "desaturation",
                base,
                vec![
                    step(
                        60.0,
                        60.0,
                        Targets { spo2: Some(84.0), hr: Some(98.0), rr: Some(24.0), ..Default::default() },
                    ),
                    step(240.0, 60.0, back),
                ],
                Some(420.0),
            ),
            "tachycardia" => s(
                "tachycardia",
                base,
                vec![step(60.0, 45.0, Targets { hr: Some(148.0), ..Default::default() }), step(300.0, 60.0, back)],
                Some(480.0),
            ),
            "bradycardia" => s(
                "bradycardia",
                Physiology { hr: 58.0, ..base },
                vec![
                    step(60.0, 40.0, Targets { hr: Some(38.0), ..Default::default() }),
                    step(240.0, 40.0, Targets { hr: Some(58.0), ..Default::default() }),
                ],
                Some(420.0),
            ),
            "hypotension" => s(
                "hypotension",
                base,
                vec![
                    step(
                        60.0,
                        120.0,
                        Targets { sys: Some(78.0), dia: Some(44.0), hr: Some(112.0), ..Default::default() },
                    ),
                    step(360.0, 90.0, back),
                ],
                Some(540.0),
            ),
            "lead_off" => s(
                "lead_off",
                base,
                vec![
                    Step { lead_off: Some(true), ..step(45.0, 0.0, Targets::default()) },
                    Step { lead_off: Some(false), ..step(75.0, 0.0, Targets::default()) },
                ],
                Some(240.0),
            ),
            "sensor_off" => s(
                "sensor_off",
                base,
                vec![
                    Step { spo2_off: Some(true), ..step(50.0, 0.0, Targets::default()) },
                    Step { spo2_off: Some(false), ..step(90.0, 0.0, Targets::default()) },
                ],
                Some(240.0),
            ),
            // The ECG goes flat for 20 s while the pulse carries on: Vigil's
            // own detection sees an asystole and the check suppresses it.
            "ecg_signal_lost" => s(
                "ecg_signal_lost",
                base,
                vec![
                    Step { ecg_flat: Some(true), ..step(45.0, 0.0, Targets::default()) },
                    Step { ecg_flat: Some(false), ..step(65.0, 0.0, Targets::default()) },
                ],
                Some(240.0),
            ),
            // 20 s of cardiac arrest, then circulation returns: a true
            // asystole that must sound.
            "arrest" => s(
                "arrest",
                base,
                vec![
                    Step { arrest: Some(true), ..step(30.0, 0.0, Targets::default()) },
                    Step { arrest: Some(false), ..step(50.0, 0.0, Targets::default()) },
                ],
                Some(240.0),
            ),
            "fever" => s(
                "fever",
                base,
                vec![step(
                    30.0,
                    600.0,
                    Targets { temp: Some(39.2), hr: Some(112.0), rr: Some(22.0), ..Default::default() },
                )],
                None,
            ),
            // Early sepsis: five hours monitored already, drifting for the
            // last ninety minutes towards HR 118, RR 28, SpO2 93 %, 96/58,
            // 38.2 °C, every value inside the adult default limits (NEWS2
            // rises with it). The unusual-trend advisory's demonstration.
            "slow_sepsis" => Scenario {
                history_s: Some(5.0 * 3600.0),
                ..s(
                    "slow_sepsis",
                    Physiology { hr: 80.0, rr: 15.0, sys: 122.0, dia: 74.0, temp: 36.9, ..base },
                    vec![step(
                        3.5 * 3600.0,
                        3.0 * 3600.0,
                        Targets {
                            hr: Some(118.0),
                            rr: Some(28.0),
                            spo2: Some(93.0),
                            sys: Some(96.0),
                            dia: Some(58.0),
                            temp: Some(38.2),
                        },
                    )],
                    None,
                )
            },
            _ => return None,
        })
    }

    pub const BUILTIN: [&'static str; 11] = [
        "stable",
        "desaturation",
        "tachycardia",
        "bradycardia",
        "hypotension",
        "lead_off",
        "sensor_off",
        "ecg_signal_lost",
        "arrest",
        "fever",
        "slow_sepsis",
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_ramp_linearly_and_hold() {
        let s = Scenario::builtin("desaturation").unwrap();
        assert_eq!(s.at(0.0).spo2, 97.0);
        assert!((s.at(90.0).spo2 - 90.5).abs() < 1e-9);
        assert_eq!(s.at(200.0).spo2, 84.0);
        assert_eq!(s.at(400.0).spo2, 97.0);
        // repeats
        assert_eq!(s.at(420.0 + 200.0).spo2, 84.0);
    }

    #[test]
    fn every_builtin_exists_and_stays_in_measurable_ranges() {
        for name in Scenario::BUILTIN {
            let s = Scenario::builtin(name).unwrap();
            for t in 0..1200 {
                let p = s.at(t as f64);
                assert!((20.0..=250.0).contains(&p.hr) && (50.0..=100.0).contains(&p.spo2), "{name} at {t}");
            }
        }
    }

    #[test]
    fn a_toml_script_reads_and_rejects_typos() {
        let text = r#"
            name = "scripted"
            baseline = { hr = 80, spo2 = 98, rr = 14, sys = 120, dia = 80, temp = 37.0 }
            [[steps]]
            at_s = 10
            ramp_s = 5
            spo2 = 85
            [[steps]]
            at_s = 30
            lead_off = true
        "#;
        let s = Scenario::parse_toml(text).unwrap();
        assert_eq!(s.at(15.0).spo2, 85.0);
        assert!(s.at(31.0).lead_off);
        assert!(Scenario::parse_toml(&text.replace("spo2 = 85", "sp02 = 85")).is_err());
    }
}
