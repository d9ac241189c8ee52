//! The extreme tachycardia check, specified on synthetic waveforms: the
//! alarm's own definition (17 beats faster than 140/min) read on the ECG.

use super::check::check;
use super::monitor::ChannelKind;
use super::synthetic::{ecg, monitor, pulse, regular, Noise};
use super::ArrhythmiaKind::ExtremeTachycardia;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// A pleth full of motion artefact: irregular "beats" at about 160/min.
fn jerky_pleth() -> Vec<f64> {
    let mut n = Noise(5);
    let mut t = 0.3;
    let mut beats = Vec::new();
    while t < 40.0 {
        beats.push(t);
        t += 0.25 + 0.3 * n.next().abs();
    }
    pulse(40.0, &beats)
}

#[test]
fn tachy_is_suppressed_when_clean_leads_show_no_17_fast_beats_whatever_the_pleth_says() {
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
