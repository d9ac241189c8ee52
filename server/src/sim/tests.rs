//! The simulator's frames and the rhythm verdicts of its scenarios.

use super::*;
use vigil_shared::alarm::Priority;
use vigil_shared::Frame;

const T0: SampleTime = 1_790_000_000_000;

fn run(name: &str, seconds: i64) -> Vec<RawFrame> {
    let mut sim = BedSim::new(Scenario::builtin(name).unwrap(), Equipment::default(), 7, T0);
    (1..=seconds * 4).filter_map(|i| sim.frame_until(T0 + i * 250)).collect()
}

#[test]
fn every_generated_frame_passes_validation() {
    for name in Scenario::BUILTIN {
        for f in run(name, 200) {
            Frame::try_from(f.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}

#[test]
fn waveforms_are_contiguous_at_their_exact_rates() {
    let frames = run("stable", 60);
    let ecg: Vec<&RawWave> = frames.iter().flat_map(|f| &f.waves).filter(|w| w.kind == WaveKind::EcgII).collect();
    assert_eq!(ecg.iter().map(|w| w.samples.len()).sum::<usize>(), 250 * 60);
    for pair in ecg.windows(2) {
        let end = pair[0].t0 as f64 + pair[0].samples.len() as f64 * 4.0;
        assert!((pair[1].t0 as f64 - end).abs() <= 1.0);
    }
    let seqs: Vec<u64> = frames.iter().map(|f| f.seq).collect();
    assert_eq!(seqs, (1..=frames.len() as u64).collect::<Vec<_>>());
}

#[test]
fn a_scenario_with_history_sends_its_numerics_first_then_streams_live() {
    let scenario = Scenario::builtin("slow_sepsis").unwrap();
    let now = T0 + 5 * 3600 * 1000;
    let start = BedSim::start_for(&scenario, now);
    assert_eq!(start, T0);
    let mut sim = BedSim::new(scenario, Equipment::default(), 7, start);
    let history = sim.history_until(now, 10_000);
    assert!(history.len() >= 1790, "{}", history.len());
    assert!(history.iter().all(|f| f.waves.is_empty() && !f.numerics.is_empty()));
    for f in &history {
        Frame::try_from(f.clone()).expect("valid");
    }
    let hr_at = |t: i64| {
        history.iter().flat_map(|f| &f.numerics).find(|n| n.kind == VitalKind::Hr && n.t >= t).map(|n| n.value)
    };
    // Steady for 3.5 h, then drifting up inside the limits.
    assert!((77.0..=83.0).contains(&hr_at(T0 + 3_600_000).unwrap()));
    let late = hr_at(now - 60_000).unwrap();
    assert!((94.0..=102.0).contains(&late), "{late}");
    // The tablet's unusual-trend advisory has it, with margin: the demo
    // must show it whenever a tablet opens.
    let mut drift = vigil_shared::drift::BedDrift::new();
    for n in history.iter().flat_map(|f| &f.numerics) {
        drift.on_numeric(n.kind, n.t, n.value);
    }
    let a = drift.advisory().expect("advised").assessment.clone();
    for (param, z) in [(vigil_shared::drift::Param::Hr, 4.5), (vigil_shared::drift::Param::Rr, 3.8)] {
        let d = a.drivers.iter().find(|d| d.param == param).unwrap_or_else(|| panic!("{param:?}: {a:?}"));
        assert!(d.z >= z, "{d:?}");
    }
    let live = sim.frame_until(now + 250).expect("live frame");
    let ecg = live.waves.iter().find(|w| w.kind == WaveKind::EcgII).expect("waves live");
    assert!(ecg.t0 >= now - 4 && ecg.samples.len() < 100, "{} {}", ecg.t0 - now, ecg.samples.len());
    assert!(live.seq > history.last().unwrap().seq);
}

#[test]
fn the_same_seed_gives_the_same_frames() {
    assert_eq!(run("desaturation", 30), run("desaturation", 30));
}

#[test]
fn lead_off_stops_the_heart_rate_and_raises_the_technical_condition() {
    let frames = run("lead_off", 60);
    let at = |sec: i64| frames.iter().find(|f| f.numerics.iter().any(|n| n.t == T0 + sec * 1000)).unwrap();
    assert!(at(30).numerics.iter().any(|n| n.kind == VitalKind::Hr));
    assert!(!at(50).numerics.iter().any(|n| n.kind == VitalKind::Hr));
    let raised = frames.iter().flat_map(|f| &f.technical).find(|t| t.active).unwrap();
    assert_eq!((raised.condition, raised.sensor, raised.t), (TechnicalCondition::LeadOff, Sensor::Ecg, T0 + 45_000));
}

#[test]
fn the_desaturation_reaches_its_target_in_the_numerics() {
    let frames = run("desaturation", 200);
    let spo2_at_180 =
        frames.iter().flat_map(|f| &f.numerics).find(|n| n.kind == VitalKind::Spo2 && n.t == T0 + 180_000).unwrap();
    assert!((83.0..=85.0).contains(&spo2_at_180.value), "{}", spo2_at_180.value);
}

/// What Vigil's own rhythm detection and check make of a simulated bed:
/// (arrhythmia alarms raised, arrhythmias suppressed).
fn rhythm_verdicts(name: &str, seconds: i64, equipment: Equipment) -> (Vec<String>, Vec<String>) {
    let (raised, suppressed, _) = rhythm_run(name, seconds, equipment);
    (raised, suppressed)
}

/// As [`rhythm_verdicts`], with the priority the ward would sound at the end.
fn rhythm_run(name: &str, seconds: i64, equipment: Equipment) -> (Vec<String>, Vec<String>, Option<Priority>) {
    use vigil_shared::alarm::{AlarmOptions, Condition, WardAlarms};
    let mut sim = BedSim::new(Scenario::builtin(name).unwrap(), equipment, 7, T0);
    let mut w = WardAlarms::new(AlarmOptions::default());
    let mut now = T0;
    for i in 1..=seconds * 4 {
        now = T0 + i * 250;
        if let Some(f) = sim.frame_until(now) {
            w.on_frame("b1", &Frame::try_from(f).unwrap(), now);
        }
        w.tick(now, true);
    }
    let bed = w.bed("b1").unwrap();
    // Raised: the arrhythmia alarms (high priority). Held back: a lethal
    // rhythm's low-priority "possible artefact" line, listed with the
    // suppressed.
    let raised = bed
        .log()
        .filter(|a| matches!(a.id.condition, Condition::Arrhythmia { .. }))
        .map(|a| a.id.to_string())
        .collect();
    let mut suppressed: Vec<String> = bed.suppressed().map(|s| format!("{:?}: {}", s.kind, s.reason)).collect();
    suppressed.extend(bed.log().filter_map(|a| match a.id.condition {
        Condition::PossibleArtefact { kind } => {
            Some(format!("{kind:?}: {}", a.rhythm.as_ref().map_or("", |d| d.reason.as_str())))
        }
        _ => None,
    }));
    (raised, suppressed, w.audible(now))
}

fn kinds(raised: &[String]) -> Vec<&str> {
    raised.iter().map(|id| id.split(['/', '@']).nth(1).unwrap_or("")).collect()
}

#[test]
fn an_ecg_signal_lost_while_the_heart_beats_sounds_with_the_pleth_alone_and_is_a_possible_artefact_with_two_pulses() {
    // One channel alone (the pleth) cannot hold a lethal rhythm back.
    let (raised, _, _) = rhythm_run("ecg_signal_lost", 70, Equipment::default());
    assert_eq!(kinds(&raised), vec!["arrhythmia.asystole"], "{raised:?}");
    // The pleth and the arterial line beating together can: a low-priority
    // line naming both, and nothing sounds high in the 20 s it lasts.
    let (raised, held, _) =
        rhythm_run("ecg_signal_lost", 70, Equipment { abp_hz: Some(125.0), ..Equipment::default() });
    assert_eq!(kinds(&raised), Vec::<&str>::new(), "nothing high: {raised:?}");
    assert!(
        held.iter().any(|s| s.starts_with("Asystole:") && s.contains(" at 7") && s.contains("confirmed by")),
        "{held:?}"
    );
}

#[test]
fn a_cardiac_arrest_raises_asystole_and_sounds_high() {
    for eq in [Equipment::default(), Equipment { abp_hz: Some(125.0), ..Equipment::default() }] {
        let (raised, suppressed, audible) = rhythm_run("arrest", 60, eq);
        assert!(kinds(&raised).contains(&"arrhythmia.asystole"), "ABP {:?}: {raised:?}", eq.abp_hz);
        assert!(suppressed.iter().all(|s| !s.starts_with("Asystole")), "{suppressed:?}");
        assert_eq!(audible, Some(Priority::High));
    }
}

#[test]
fn the_simulated_ward_raises_arrhythmias_only_where_its_scenario_has_one() {
    let arterial = Equipment { abp_hz: Some(125.0), ..Equipment::default() };
    for name in Scenario::BUILTIN {
        for eq in [Equipment::default(), arterial] {
            let (raised, suppressed) = rhythm_verdicts(name, 120, eq);
            let expected: &[&str] = match name {
                "tachycardia" => &["arrhythmia.tachycardia"],
                "bradycardia" => &["arrhythmia.bradycardia"],
                "arrest" => &["arrhythmia.asystole"],
                // With the pleth alone to refute it, a flat ECG's asystole
                // sounds (the policy for lethal rhythms); with an arterial
                // line too it is held back as a possible artefact.
                "ecg_signal_lost" if eq.abp_hz.is_none() => &["arrhythmia.asystole"],
                // A lead-off is a technical alarm, not an asystole.
                _ => &[],
            };
            assert_eq!(kinds(&raised), expected, "{name} (ABP {:?}): raised {raised:?}", eq.abp_hz);
            if name != "ecg_signal_lost" {
                assert!(suppressed.is_empty(), "{name}: nothing to suppress: {suppressed:?}");
            }
        }
    }
}
