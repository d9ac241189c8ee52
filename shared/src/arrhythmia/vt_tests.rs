//! The VT check and the pulse evidence it rests on, specified on synthetic
//! waveforms: what refutes a ventricular tachycardia alarm and what must keep
//! it sounding.

use super::check::check;
use super::monitor::ChannelKind;
use super::synthetic::{arterial, ecg, monitor, pulse, regular, wide_beats};
use super::ArrhythmiaKind::{Asystole, VentricularFlutterFib, VentricularTachycardia};

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// Pulses following `beats` by 200 ms (the pulse transit).
fn following(beats: &[f64]) -> Vec<f64> {
    pulse(40.0, &beats.iter().map(|b| b + 0.2).collect::<Vec<_>>())
}

#[test]
fn vt_is_suppressed_when_no_working_lead_shows_five_beats_over_100() {
    let e = ecg(40.0, &regular(0.5, 40.0, 80.0), 0.01);
    let m = monitor(&[(ChannelKind::Ecg, "II", &e)]);
    let d = check(&m, VentricularTachycardia, 40.0);
    assert!(!d.keep, "{d:?}");
    assert!(d.reason.contains("no 5 beats faster than 100/min") && d.reason.contains("80/min"), "{}", d.reason);
}

#[test]
fn a_narrow_regular_tachycardia_is_not_vt() {
    // Sinus tachycardia at 130/min, no pulse channel to help.
    let e = ecg(40.0, &regular(0.5, 40.0, 130.0), 0.01);
    let m = monitor(&[(ChannelKind::Ecg, "II", &e)]);
    let d = check(&m, VentricularTachycardia, 40.0);
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
    // A flat ECG and an arterial line moving 4 mmHg at 80/min: no output.
    let flat = ecg(40.0, &[], 0.005);
    let ripple: Vec<f64> = arterial(40.0, &regular(0.3, 40.0, 80.0)).iter().map(|v| 80.0 + (v - 80.0) * 0.09).collect();
    let m = monitor(&[(ChannelKind::Ecg, "II", &flat), (ChannelKind::Abp, "ABP", &ripple)]);
    let d = check(&m, Asystole, 40.0);
    assert!(d.keep, "{d:?}");
    // The same line at full height is a pulse that refutes the asystole.
    let full = arterial(40.0, &regular(0.3, 40.0, 80.0));
    let m = monitor(&[(ChannelKind::Ecg, "II", &flat), (ChannelKind::Abp, "ABP", &full)]);
    let d = check(&m, Asystole, 40.0);
    assert!(!d.keep && d.reason.contains("ABP") && d.reason.contains("80/min"), "{d:?}");
}

/// 40 s of fibrillation: an irregular 5-7 Hz wave on the ECG.
fn fibrillation() -> Vec<f64> {
    (0..(40.0 * super::synthetic::FS) as usize)
        .map(|i| {
            let t = i as f64 / super::synthetic::FS;
            0.3 * (t * 5.3 * std::f64::consts::TAU).sin() + 0.2 * (t * 6.9 * std::f64::consts::TAU + 1.0).sin()
        })
        .collect()
}

#[test]
fn a_pulse_slower_than_40_does_not_refute_vf_even_with_the_longest_pause_tuning_allows() {
    use super::check::{decide, CheckParams, Evidence};
    let slow = pulse(40.0, &regular(0.3, 40.0, 28.0));
    let m = monitor(&[(ChannelKind::Ecg, "II", &fibrillation()), (ChannelKind::Ppg, "PLETH", &slow)]);
    let p = CheckParams { vf_gap_s: 3.0, template: 0.6, ..Default::default() };
    let d = decide(&Evidence::gather(&m, VentricularFlutterFib, 40.0), &p);
    assert!(d.keep, "{d:?}");
    // At 60/min the same pulse is an organised rhythm.
    let m = monitor(&[
        (ChannelKind::Ecg, "II", &fibrillation()),
        (ChannelKind::Ppg, "PLETH", &pulse(40.0, &regular(0.3, 40.0, 60.0))),
    ]);
    let d = decide(&Evidence::gather(&m, VentricularFlutterFib, 40.0), &p);
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

/// Sharp biphasic artefact spikes at `at` (s), nothing like a QRS complex.
fn spikes(seconds: f64, at: &[f64]) -> Vec<f64> {
    use super::synthetic::gauss;
    (0..(seconds * super::synthetic::FS) as usize)
        .map(|i| {
            let t = i as f64 / super::synthetic::FS;
            at.iter()
                .filter(|&&b| (b - t).abs() < 0.1)
                .map(|&b| gauss(t, b, 0.006, 1.6) - gauss(t, b + 0.02, 0.006, 1.6))
                .sum()
        })
        .collect()
}

fn sum(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| x + y).collect()
}

/// Sinus rhythm at 60/min with, over the last 16 s, two artefact spikes
/// after each beat (300 and 600 ms after it): the detector counts beats at
/// 200/min, but never more than two in a row unlike the patient's usual beat.
fn sinus_with_artefact_pairs() -> Vec<f64> {
    let beats = regular(0.5, 40.0, 60.0);
    let art: Vec<f64> = beats.iter().filter(|&&b| b > 24.0 && b < 39.0).flat_map(|&b| [b + 0.3, b + 0.6]).collect();
    sum(&ecg(40.0, &beats, 0.01), &spikes(40.0, &art))
}

#[test]
fn the_usual_beat_carrying_on_through_short_bursts_of_artefact_refutes_vt() {
    let ii = sinus_with_artefact_pairs();
    let v: Vec<f64> = ii.iter().map(|x| 0.7 * x).collect();
    let m = monitor(&[(ChannelKind::Ecg, "II", &ii), (ChannelKind::Ecg, "V", &v)]);
    let ev = super::check::Evidence::gather(&m, VentricularTachycardia, 40.0);
    // The precondition: the detector does see fast "beats" in the window.
    assert!(ev.long[0].max_rate5.is_some_and(|r| r > 150.0), "{:?}", ev.long[0].max_rate5);
    let d = check(&m, VentricularTachycardia, 40.0);
    assert!(!d.keep, "{d:?}");
    assert!(d.reason.contains("usual beat") && d.reason.contains("60/min"), "{}", d.reason);
}

#[test]
fn the_usual_beat_on_one_lead_does_not_refute_vt_while_another_lead_shows_other_complexes() {
    // Lead II as above; lead V shows wide complexes at 170/min through the
    // 16 s: one lead alone does not clear the alarm.
    let ii = sinus_with_artefact_pairs();
    let beats = regular(0.5, 40.0, 60.0);
    let v: Vec<f64> = sum(&ecg(40.0, &beats, 0.01), &wide_beats(40.0, &regular(24.2, 40.0, 170.0)));
    let m = monitor(&[(ChannelKind::Ecg, "II", &ii), (ChannelKind::Ecg, "V", &v)]);
    let ev = super::check::Evidence::gather(&m, VentricularTachycardia, 40.0);
    let runs: Vec<usize> = ev.usual.iter().map(|u| u.as_ref().unwrap().longest_other_run).collect();
    assert!(runs[0] <= 2 && runs[1] >= 5, "{runs:?}");
    let d = check(&m, VentricularTachycardia, 40.0);
    assert!(d.keep, "{d:?}");
}

#[test]
fn a_run_of_five_wide_complexes_keeps_vt_though_the_usual_beat_returns_after_it() {
    // Sinus at 60/min; from 30 s a run of 6 wide complexes at 150/min, then
    // sinus again from 33 s.
    let normal: Vec<f64> = regular(0.5, 40.0, 60.0).into_iter().filter(|&b| !(29.8..33.0).contains(&b)).collect();
    let run = regular(30.0, 32.3, 150.0);
    assert_eq!(run.len(), 6);
    let ii = sum(&ecg(40.0, &normal, 0.01), &wide_beats(40.0, &run));
    let m = monitor(&[(ChannelKind::Ecg, "II", &ii)]);
    let d = check(&m, VentricularTachycardia, 40.0);
    assert!(d.keep, "{d:?}");
}

/// Sinus at 60/min; from 30 s a run of 6 complexes at 150/min shaped like
/// the usual beat, then sinus again from 33 s.
fn fast_run_shaped_like_the_usual_beat() -> Vec<f64> {
    let normal: Vec<f64> = regular(0.5, 40.0, 60.0).into_iter().filter(|&b| !(29.8..33.0).contains(&b)).collect();
    let mut beats: Vec<f64> = normal.into_iter().chain(regular(30.0, 32.3, 150.0)).collect();
    beats.sort_by(f64::total_cmp);
    ecg(40.0, &beats, 0.01)
}

#[test]
fn a_fast_run_shaped_like_the_usual_beat_on_the_only_lead_keeps_vt() {
    // A VT can look like the usual beat on one lead (record v133l's lead II).
    let m = monitor(&[(ChannelKind::Ecg, "II", &fast_run_shaped_like_the_usual_beat())]);
    let ev = super::check::Evidence::gather(&m, VentricularTachycardia, 40.0);
    let usual = ev.usual[0].as_ref().unwrap();
    assert!(usual.longest_other_run <= 1 && usual.usual_rate5.is_some_and(|r| r > 140.0), "{usual:?}");
    let d = check(&m, VentricularTachycardia, 40.0);
    assert!(d.keep, "{d:?}");
}

#[test]
fn a_fast_run_shaped_like_the_usual_beat_on_two_leads_is_supraventricular() {
    // The same run alike the usual beat on two leads: a ventricular run
    // does not keep the usual shape on leads that look from two sides.
    let ii = fast_run_shaped_like_the_usual_beat();
    let v: Vec<f64> = ii.iter().map(|x| -0.6 * x).collect();
    let m = monitor(&[(ChannelKind::Ecg, "II", &ii), (ChannelKind::Ecg, "V", &v)]);
    let d = check(&m, VentricularTachycardia, 40.0);
    assert!(!d.keep && d.reason.contains("usual beat"), "{d:?}");
}

#[test]
fn a_sustained_vt_is_its_own_usual_beat_and_is_kept() {
    // Monomorphic VT at 150/min for the whole 40 s: the median beat before
    // the window is the VT complex, which "carries on" through it.
    let beats = regular(0.5, 40.0, 150.0);
    let ii = wide_beats(40.0, &beats);
    let v: Vec<f64> = ii.iter().map(|x| -0.8 * x).collect();
    let m = monitor(&[(ChannelKind::Ecg, "II", &ii), (ChannelKind::Ecg, "V", &v)]);
    let d = check(&m, VentricularTachycardia, 40.0);
    assert!(d.keep, "{d:?}");
}

#[test]
fn a_pause_in_the_usual_beat_long_enough_to_hide_a_run_is_measured() {
    // Sinus at 60/min with three beats missing: from 29.5 s to 33.5 s no
    // usual beat, room for a run the detector did not see.
    use super::dominant::carrying_on;
    let beats: Vec<f64> = regular(0.5, 40.0, 60.0).into_iter().filter(|&b| !(30.2..33.2).contains(&b)).collect();
    let ii = ecg(40.0, &beats, 0.01);
    let m = monitor(&[(ChannelKind::Ecg, "II", &ii)]);
    let d = carrying_on(&m.channels[0], 40.0).expect("a usual beat before the window");
    assert!((d.max_gap - 4.0).abs() < 0.05, "{d:?}");
    assert_eq!(d.longest_other_run, 0, "{d:?}");
    assert!((d.rate.unwrap() - 60.0).abs() < 1.0, "{d:?}");
}

/// `base` with a fibrillation-like 5-7 Hz wave added from `from` (s).
fn with_fibrillation_from(base: &[f64], from: f64) -> Vec<f64> {
    let f = fibrillation();
    base.iter()
        .zip(&f)
        .enumerate()
        .map(|(i, (b, f))| if i as f64 / super::synthetic::FS >= from { b + 3.0 * f } else { *b })
        .collect()
}

#[test]
fn the_usual_qrs_carrying_on_on_one_lead_refutes_vf() {
    // Lead II: sinus at 60/min with artefact spikes (not regular, beats not
    // alike over the 8 s); lead V: the same rhythm under a fibrillation-like
    // wave for the last 12 s (motion artefact).
    let ii = sinus_with_artefact_pairs();
    let v = with_fibrillation_from(&ecg(40.0, &regular(0.5, 40.0, 60.0), 0.01), 28.0);
    let m = monitor(&[(ChannelKind::Ecg, "II", &ii), (ChannelKind::Ecg, "V", &v)]);
    let d = check(&m, VentricularFlutterFib, 40.0);
    assert!(!d.keep, "{d:?}");
    assert!(d.reason.contains("usual") && d.reason.contains("ECG II") && d.reason.contains("60/min"), "{}", d.reason);
}

#[test]
fn fibrillation_after_sinus_rhythm_is_kept() {
    // Sinus at 75/min on both leads until 30 s, then fibrillation: the usual
    // beat stops for 10 s.
    let sinus = ecg(40.0, &regular(0.5, 30.0, 75.0), 0.01);
    let ii = with_fibrillation_from(&sinus, 30.0);
    let v: Vec<f64> = ii.iter().map(|x| 0.6 * x).collect();
    let m = monitor(&[(ChannelKind::Ecg, "II", &ii), (ChannelKind::Ecg, "V", &v)]);
    let d = check(&m, VentricularFlutterFib, 40.0);
    assert!(d.keep, "{d:?}");
}

#[test]
fn a_regular_wave_before_and_through_the_window_is_no_usual_qrs() {
    // Ventricular flutter at 250/min, and a chest-compression wave at
    // 110/min, for the whole 40 s: each is its own "median beat" but not a QRS.
    for per_min in [250.0, 110.0] {
        let wave: Vec<f64> = (0..(40.0 * super::synthetic::FS) as usize)
            .map(|i| (i as f64 / super::synthetic::FS * per_min / 60.0 * std::f64::consts::TAU).sin())
            .collect();
        let m = monitor(&[(ChannelKind::Ecg, "II", &wave)]);
        let d = check(&m, VentricularFlutterFib, 40.0);
        assert!(d.keep, "{per_min}/min: {d:?}");
    }
}

#[test]
fn complexes_shaped_like_the_usual_qrs_at_a_flutter_rate_do_not_refute_vf() {
    // Sinus at 60/min, then from 26 s complexes at 250/min that on this
    // lead look like the usual QRS.
    let mut beats: Vec<f64> = regular(0.5, 26.0, 60.0).into_iter().chain(regular(26.3, 40.0, 250.0)).collect();
    beats.sort_by(f64::total_cmp);
    let m = monitor(&[(ChannelKind::Ecg, "II", &ecg(40.0, &beats, 0.01))]);
    let d = check(&m, VentricularFlutterFib, 40.0);
    assert!(d.keep, "{d:?}");
}
