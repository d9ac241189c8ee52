//! The VT check and the pulse evidence it rests on, specified on synthetic
//! waveforms: what refutes a ventricular tachycardia alarm and what must keep
//! it sounding.

use super::check::check;
use super::monitor::ChannelKind;
use super::synthetic::{arterial, ecg, fibrillation, monitor, pulse, regular, wide_beats};
use super::ArrhythmiaKind::{Asystole, VentricularFlutterFib, VentricularTachycardia};

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// Pulses following `beats` by 200 ms (the pulse transit).
pub(super) fn following(beats: &[f64]) -> Vec<f64> {
    pulse(40.0, &beats.iter().map(|b| b + 0.2).collect::<Vec<_>>())
}

#[test]
fn vt_is_suppressed_when_no_working_lead_shows_five_beats_over_100() {
    // The rule itself, before the policy for lethal rhythms (policy_tests.rs).
    let e = ecg(40.0, &regular(0.5, 40.0, 80.0), 0.01);
    let m = monitor(&[(ChannelKind::Ecg, "II", &e)]);
    let d = super::check::check_rules(&m, VentricularTachycardia, 40.0);
    assert!(!d.keep, "{d:?}");
    assert!(d.reason.contains("no 5 beats faster than 100/min") && d.reason.contains("80/min"), "{}", d.reason);
}

#[test]
fn a_narrow_regular_tachycardia_is_not_vt() {
    // The rule itself, before the policy for lethal rhythms (policy_tests.rs).
    // Sinus tachycardia at 130/min, no pulse channel to help.
    let e = ecg(40.0, &regular(0.5, 40.0, 130.0), 0.01);
    let m = monitor(&[(ChannelKind::Ecg, "II", &e)]);
    let d = super::check::check_rules(&m, VentricularTachycardia, 40.0);
    assert!(!d.keep, "{d:?}");
    assert!(d.reason.contains("narrow") && d.reason.contains("130/min"), "{}", d.reason);
}

#[test]
fn wide_complexes_each_with_its_pulse_keep_vt_despite_a_steady_pulse() {
    // Monomorphic VT at 110/min with a pulse: steady, and no proof of anything.
    let beats = regular(0.5, 40.0, 110.0);
    let e = wide_beats(40.0, &beats);
    let m = monitor(&[(ChannelKind::Ecg, "II", &e), (ChannelKind::Ppg, "PLETH", &following(&beats))]);
    let d = check(&m, VentricularTachycardia, 40.0);
    assert!(d.keep, "{d:?}");
    assert!(d.reason.contains("wide complexes") && d.reason.contains("VT with a pulse"), "{}", d.reason);
}

/// Wide complexes (a bundle-branch block) at 80/min on the only lead, with
/// a burst of artefact spikes at 200/min from 33 s to 36 s that the detector
/// counts (records v224s, v452s: the pulse went on at 66-80/min).
fn wide_at_80_with_a_burst() -> (Vec<f64>, Vec<f64>) {
    let beats = regular(0.5, 40.0, 80.0);
    let burst: Vec<f64> = wide_beats(40.0, &regular(33.1, 36.0, 200.0)).iter().map(|v| 0.8 * v).collect();
    let e: Vec<f64> = wide_beats(40.0, &beats).iter().zip(&burst).map(|(a, b)| a + b).collect();
    (e, beats)
}

#[test]
fn wide_complexes_each_with_a_steady_pulse_slower_than_vt_are_no_vt() {
    let (e, beats) = wide_at_80_with_a_burst();
    let m = monitor(&[(ChannelKind::Ecg, "II", &e), (ChannelKind::Ppg, "PLETH", &following(&beats))]);
    let ev = super::check::Evidence::gather(&m, VentricularTachycardia, 40.0);
    assert!(ev.long[0].max_rate5.is_some_and(|r| r > 150.0), "the premise: a fast run counted, {:?}", ev.long[0]);
    let d = check(&m, VentricularTachycardia, 40.0);
    assert!(!d.keep, "{d:?}");
    assert!(d.reason.contains("PPG at 80/min") && d.reason.contains("slower than VT"), "{}", d.reason);
}

#[test]
fn wide_complexes_at_twice_a_slow_steady_pulse_keep_vt() {
    // VT at 160/min of which every other complex makes a pulse (80/min).
    let beats = regular(0.5, 40.0, 160.0);
    let perfused: Vec<f64> = beats.iter().step_by(2).copied().collect();
    let m = monitor(&[
        (ChannelKind::Ecg, "II", &wide_beats(40.0, &beats)),
        (ChannelKind::Ppg, "PLETH", &following(&perfused)),
    ]);
    let d = check(&m, VentricularTachycardia, 40.0);
    assert!(d.keep, "{d:?}");
}

/// Narrow beats at 130/min with a burst of motion artefact from 26 s to 30 s:
/// over 16 s the lead is neither clean nor regular, over the last 4 s it is.
fn fast_narrow_with_artefact(beats: &[f64]) -> Vec<f64> {
    let mut n = super::synthetic::Noise(3);
    ecg(40.0, beats, 0.01)
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let t = i as f64 / super::synthetic::FS;
            let burst = (26.0..30.0).contains(&t);
            v + if burst { 1.5 * (t * 4.1 * std::f64::consts::TAU).sin() + 0.4 * n.next() } else { 0.0 }
        })
        .collect()
}

#[test]
fn a_steady_fast_pulse_following_narrow_complexes_refutes_vt() {
    let beats = regular(0.5, 40.0, 130.0);
    let e = fast_narrow_with_artefact(&beats);
    let m = monitor(&[(ChannelKind::Ecg, "II", &e), (ChannelKind::Ppg, "PLETH", &following(&beats))]);
    let d = check(&m, VentricularTachycardia, 40.0);
    assert!(!d.keep, "{d:?}");
    assert!(d.reason.contains("130/min") && d.reason.contains("narrow"), "{}", d.reason);
}

#[test]
fn a_steady_fast_pulse_following_wide_complexes_keeps_vt() {
    let beats = regular(0.5, 40.0, 150.0);
    let m = monitor(&[
        (ChannelKind::Ecg, "II", &wide_beats(40.0, &beats)),
        (ChannelKind::Ppg, "PLETH", &following(&beats)),
    ]);
    let d = check(&m, VentricularTachycardia, 40.0);
    assert!(d.keep, "{d:?}");
}

#[test]
fn a_pulse_lost_during_the_run_does_not_refute_vt() {
    // Normal beats at 75/min, then a wide run at 160/min for the last 3 s;
    // the pulse follows the normal beats and is lost in the run.
    let normal = regular(0.5, 37.0, 75.0);
    let run = regular(37.0, 40.0, 160.0);
    let e: Vec<f64> = ecg(40.0, &normal, 0.01).iter().zip(wide_beats(40.0, &run)).map(|(a, b)| a + b).collect();
    let m = monitor(&[(ChannelKind::Ecg, "II", &e), (ChannelKind::Ppg, "PLETH", &following(&normal))]);
    let d = check(&m, VentricularTachycardia, 40.0);
    assert!(d.keep, "{d:?}");
}

#[test]
fn an_arterial_ripple_of_a_few_mmhg_is_no_pulse() {
    // The rule itself, before the policy for lethal rhythms (policy_tests.rs).
    // A flat ECG and an arterial line moving 4 mmHg at 80/min: no output.
    let flat = ecg(40.0, &[], 0.005);
    let ripple: Vec<f64> = arterial(40.0, &regular(0.3, 40.0, 80.0)).iter().map(|v| 80.0 + (v - 80.0) * 0.09).collect();
    let m = monitor(&[(ChannelKind::Ecg, "II", &flat), (ChannelKind::Abp, "ABP", &ripple)]);
    let d = super::check::check_rules(&m, Asystole, 40.0);
    assert!(d.keep, "{d:?}");
    // The same line at full height is a pulse that refutes the asystole.
    let full = arterial(40.0, &regular(0.3, 40.0, 80.0));
    let m = monitor(&[(ChannelKind::Ecg, "II", &flat), (ChannelKind::Abp, "ABP", &full)]);
    let d = super::check::check_rules(&m, Asystole, 40.0);
    assert!(!d.keep && d.reason.contains("ABP") && d.reason.contains("80/min"), "{d:?}");
}

#[test]
fn a_pulse_slower_than_40_does_not_refute_vf_even_with_the_longest_pause_tuning_allows() {
    // The rule itself, before the policy for lethal rhythms (policy_tests.rs).
    use super::check::{CheckParams, Evidence};
    let slow = pulse(40.0, &regular(0.3, 40.0, 28.0));
    let m = monitor(&[(ChannelKind::Ecg, "II", &fibrillation()), (ChannelKind::Ppg, "PLETH", &slow)]);
    let p = CheckParams { vf_gap_s: 3.0, template: 0.6, ..Default::default() };
    let d = super::check::decide_rules_unguarded(&Evidence::gather(&m, VentricularFlutterFib, 40.0), &p);
    assert!(d.keep, "{d:?}");
    // At 60/min the same pulse is an organised rhythm.
    let m = monitor(&[
        (ChannelKind::Ecg, "II", &fibrillation()),
        (ChannelKind::Ppg, "PLETH", &pulse(40.0, &regular(0.3, 40.0, 60.0))),
    ]);
    let d = super::check::decide_rules_unguarded(&Evidence::gather(&m, VentricularFlutterFib, 40.0), &p);
    assert!(!d.keep && d.reason.contains("PPG at 60/min"), "{d:?}");
}

#[test]
fn a_pulse_slower_than_40_does_not_refute_asystole() {
    use super::check::{decide, CheckParams, Evidence};
    let flat = ecg(40.0, &[], 0.005);
    let slow = pulse(40.0, &regular(0.3, 40.0, 32.0));
    let m = monitor(&[(ChannelKind::Ecg, "II", &flat), (ChannelKind::Ppg, "PLETH", &slow)]);
    let p = CheckParams { asystole_gap_s: 4.0, ..Default::default() };
    let d = decide(&Evidence::gather(&m, Asystole, 40.0), &p);
    assert!(d.keep, "{d:?}");
}

#[test]
fn an_arterial_wave_at_compression_rate_with_no_qrs_does_not_refute_vf() {
    // Fibrillation (an irregular 5-7 Hz wave) during chest compressions at
    // 110/min, which the arterial line shows as regular "pulses".
    let vf = fibrillation();
    let compressions = arterial(40.0, &regular(0.3, 40.0, 110.0));
    let m = monitor(&[(ChannelKind::Ecg, "II", &vf), (ChannelKind::Abp, "ABP", &compressions)]);
    let d = check(&m, VentricularFlutterFib, 40.0);
    assert!(d.keep, "{d:?}");
    assert!(d.reason.contains("ABP regular at 110/min") && d.reason.contains("CPR"), "{}", d.reason);
    // The same arterial wave with QRS complexes at its rate is a rhythm.
    let e = ecg(40.0, &regular(0.1, 40.0, 110.0), 0.01);
    let m = monitor(&[(ChannelKind::Ecg, "II", &e), (ChannelKind::Abp, "ABP", &compressions)]);
    assert!(!check(&m, VentricularFlutterFib, 40.0).keep);
}
