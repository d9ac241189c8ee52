//! The extreme tachycardia check, specified on synthetic waveforms: the
//! alarm's own definition (17 beats faster than 140/min) read on the ECG.

use super::check::check;
use super::monitor::ChannelKind;
use super::synthetic::{ecg, monitor, pulse, regular, Noise};
use super::ArrhythmiaKind::ExtremeTachycardia;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// A pleth full of motion artefact: smoothed noise, whose "beats" come fast
/// and disagree in shape.
fn jerky_pleth() -> Vec<f64> {
    let mut n = Noise(5);
    let raw: Vec<f64> = (0..(40.0 * super::synthetic::FS) as usize).map(|_| n.next()).collect();
    raw.windows(12).map(|w| w.iter().sum::<f64>()).collect()
}

#[test]
fn tachy_is_suppressed_when_clean_leads_show_no_17_fast_beats_whatever_an_untrusted_pleth_says() {
    let beats = regular(0.5, 40.0, 88.0);
    let ii = ecg(40.0, &beats, 0.01);
    let v = ecg(40.0, &beats, 0.02);
    let p = jerky_pleth();
    let m = monitor(&[(ChannelKind::Ecg, "II", &ii), (ChannelKind::Ecg, "V", &v), (ChannelKind::Ppg, "PLETH", &p)]);
    let d = check(&m, ExtremeTachycardia, 40.0);
    assert!(!d.keep, "{d:?}");
    assert!(d.reason.contains("no 17 beats faster than") && d.reason.contains("88/min"), "{}", d.reason);
}

#[test]
fn tachy_at_150_on_the_ecg_is_kept_however_calm_the_pleth() {
    let e = ecg(40.0, &regular(0.5, 40.0, 150.0), 0.01);
    let p = pulse(40.0, &regular(0.7, 40.0, 75.0));
    let m = monitor(&[(ChannelKind::Ecg, "II", &e), (ChannelKind::Ppg, "PLETH", &p)]);
    let d = check(&m, ExtremeTachycardia, 40.0);
    assert!(d.keep, "{d:?}");
}

#[test]
fn a_lead_flat_during_the_window_cannot_refute_tachy_by_its_definition() {
    // Normal beats, then 10 s of flat lead before the alarm: the ECG did not
    // see those seconds, so it cannot say there were no fast beats in them.
    let beats = regular(0.5, 30.0, 88.0);
    let e = ecg(40.0, &beats, 0.001);
    let p = jerky_pleth();
    let m = monitor(&[(ChannelKind::Ecg, "II", &e), (ChannelKind::Ppg, "PLETH", &p)]);
    let d = check(&m, ExtremeTachycardia, 40.0);
    assert!(d.keep, "{d:?}");
}

/// Electrical alternans at 180/min from `from` s: every other complex a
/// third the height of the one before, the kind a QRS detector can take for
/// a T wave.
fn alternans(from: f64) -> Vec<f64> {
    alternans_at(from, 180.0)
}

/// As [`alternans`], at `per_min`.
fn alternans_at(from: f64, per_min: f64) -> Vec<f64> {
    let beats = regular(from, 40.0, per_min);
    let big: Vec<f64> = beats.iter().copied().step_by(2).collect();
    let small: Vec<f64> = beats.iter().copied().skip(1).step_by(2).collect();
    ecg(40.0, &big, 0.0).iter().zip(ecg(40.0, &small, 0.0)).map(|(a, b)| a + 0.3 * b).collect()
}

fn alternans_180() -> Vec<f64> {
    alternans(0.5).iter().zip(ecg(40.0, &[], 0.01)).map(|(a, b)| a + b).collect()
}

#[test]
fn tachy_is_kept_when_a_trusted_pulse_is_as_fast_as_the_alarm_says() {
    let p = pulse(40.0, &regular(0.7, 40.0, 180.0));
    let m = monitor(&[(ChannelKind::Ecg, "II", &alternans_180()), (ChannelKind::Ppg, "PLETH", &p)]);
    let d = check(&m, ExtremeTachycardia, 40.0);
    assert!(d.keep, "{d:?}");
}

#[test]
fn tachy_is_kept_when_the_lead_hides_every_other_complex() {
    let m = monitor(&[(ChannelKind::Ecg, "II", &alternans_180())]);
    let d = check(&m, ExtremeTachycardia, 40.0);
    assert!(d.keep, "{d:?}");
}

#[test]
fn vt_is_not_refuted_by_its_definition_on_a_lead_reading_half_the_rate() {
    // The rule itself, before the policy for lethal rhythms (policy_tests.rs).
    let m = monitor(&[(ChannelKind::Ecg, "II", &alternans_180())]);
    let d = super::check::check_rules(&m, super::ArrhythmiaKind::VentricularTachycardia, 40.0);
    // Narrow complexes, at whatever rate, are supraventricular: the
    // narrow-complex rule may refute VT; VT's definition may not.
    assert!(!d.reason.contains("no 5 beats") && d.reason.starts_with("narrow"), "{d:?}");
}

#[test]
fn complexes_midway_between_the_detected_beats_are_seen_and_t_waves_are_not() {
    use super::check::{Evidence, HIDDEN_MAX};
    let hidden = |e: &[f64]| {
        let m = monitor(&[(ChannelKind::Ecg, "II", e)]);
        Evidence::gather(&m, ExtremeTachycardia, 40.0).long[0].hidden.unwrap()
    };
    assert!(hidden(&alternans_180()) >= HIDDEN_MAX);
    for per_min in [50.0, 75.0, 90.0, 130.0] {
        let h = hidden(&ecg(40.0, &regular(0.5, 40.0, per_min), 0.02));
        assert!(h < HIDDEN_MAX / 2.0, "{per_min}/min: {h}");
    }
}

/// Sinus rhythm at 75/min, then alternans at 180/min for the last 6 s.
fn late_alternans() -> Vec<f64> {
    ecg(40.0, &regular(0.5, 34.0, 75.0), 0.01).iter().zip(alternans(34.2)).map(|(a, b)| a + b).collect()
}

#[test]
fn tachy_is_kept_when_the_lead_hides_every_other_complex_only_in_the_last_seconds() {
    // The rule itself, before the policy for lethal rhythms (policy_tests.rs).
    let m = monitor(&[(ChannelKind::Ecg, "II", &late_alternans())]);
    let d = super::check::check_rules(&m, ExtremeTachycardia, 40.0);
    assert!(d.keep, "{d:?}");
    let d = super::check::check_rules(&m, super::ArrhythmiaKind::VentricularTachycardia, 40.0);
    assert!(!d.reason.contains("no 5 beats") && d.reason.starts_with("narrow"), "{d:?}");
}

#[test]
fn a_calm_pulse_does_not_refute_tachy_on_a_lead_reading_half_the_rate() {
    // The pleth too counts only every other beat: 90/min, "calm".
    let p = pulse(40.0, &regular(0.7, 40.0, 90.0));
    let m = monitor(&[(ChannelKind::Ecg, "II", &alternans_180()), (ChannelKind::Ppg, "PLETH", &p)]);
    let d = check(&m, ExtremeTachycardia, 40.0);
    assert!(d.keep, "{d:?}");
}

#[test]
fn a_calm_pulse_with_no_ecg_to_count_the_heart_does_not_refute_tachy() {
    // A pulse can miss beats (atrial fibrillation's pulse deficit: true
    // tachycardias of the 550 read 77-93/min on the pleth alone).
    let m = monitor(&[(ChannelKind::Ppg, "PLETH", &pulse(40.0, &regular(0.3, 40.0, 80.0)))]);
    let d = check(&m, ExtremeTachycardia, 40.0);
    assert!(d.keep, "{d:?}");
    // A flat lead counts no beats either.
    let flat = ecg(40.0, &[], 0.005);
    let m = monitor(&[
        (ChannelKind::Ecg, "II", &flat),
        (ChannelKind::Ppg, "PLETH", &pulse(40.0, &regular(0.3, 40.0, 80.0))),
    ]);
    assert!(check(&m, ExtremeTachycardia, 40.0).keep);
}

#[test]
fn vt_is_kept_when_there_is_no_ecg_to_check_it_against() {
    // A monitor's VT alarm with only its pleth streamed: a steady pulse is
    // what VT with a pulse looks like, and nothing shows the complexes.
    use super::ArrhythmiaKind::VentricularTachycardia;
    let m = monitor(&[(ChannelKind::Ppg, "PLETH", &pulse(40.0, &regular(0.3, 40.0, 80.0)))]);
    let d = check(&m, VentricularTachycardia, 40.0);
    assert!(d.keep, "{d:?}");
    assert!(d.reason.contains("no ECG"), "{}", d.reason);
}

#[test]
fn vf_is_not_refuted_by_a_usual_beat_on_a_lead_reading_half_the_rate() {
    // Flutter at 260/min whose every other wave the detector takes for a T
    // wave: the lead reads a regular "usual beat" at 130/min, slower than
    // flutter, carrying on through the window. The waves midway say the lead
    // may be reading half the rhythm, so that usual beat refutes nothing.
    use super::check::{Evidence, HIDDEN_MAX};
    use super::ArrhythmiaKind::VentricularFlutterFib;
    let e: Vec<f64> = alternans_at(0.5, 260.0).iter().zip(ecg(40.0, &[], 0.01)).map(|(a, b)| a + b).collect();
    let m = monitor(&[(ChannelKind::Ecg, "II", &e)]);
    let ev = Evidence::gather(&m, VentricularFlutterFib, 40.0);
    let usual = ev.usual[0].as_ref().expect("a usual beat before the window");
    assert!(usual.rate.is_some_and(|r| (120.0..140.0).contains(&r)), "{usual:?}");
    assert!(ev.long[0].hidden.is_some_and(|h| h >= HIDDEN_MAX), "{:?}", ev.long[0].hidden);
    let d = check(&m, VentricularFlutterFib, 40.0);
    assert!(d.keep, "{d:?}");
}
