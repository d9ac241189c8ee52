//! The usual-beat rules of the VT and V-fib checks ([`super::dominant`]),
//! specified on synthetic waveforms: the patient's usual beat carrying on
//! through the window refutes the alarm; a run it hides, a lead that missed
//! one, a usual beat that is itself ventricular, never.

use super::check::check;
use super::monitor::ChannelKind;
use super::synthetic::{ecg, fibrillation, monitor, regular, wide_beats};
use super::ArrhythmiaKind::{VentricularFlutterFib, VentricularTachycardia};

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

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
    // The rule itself, before the policy for lethal rhythms (policy_tests.rs).
    let ii = sinus_with_artefact_pairs();
    let v: Vec<f64> = ii.iter().map(|x| 0.7 * x).collect();
    let m = monitor(&[(ChannelKind::Ecg, "II", &ii), (ChannelKind::Ecg, "V", &v)]);
    let ev = super::check::Evidence::gather(&m, VentricularTachycardia, 40.0);
    // The precondition: the detector does see fast "beats" in the window.
    assert!(ev.long[0].max_rate5.is_some_and(|r| r > 150.0), "{:?}", ev.long[0].max_rate5);
    let d = super::check::check_rules(&m, VentricularTachycardia, 40.0);
    assert!(!d.keep, "{d:?}");
    assert!(d.reason.contains("usual beat") && d.reason.contains("60/min"), "{}", d.reason);
    // A usual beat with no rate known is no proof that it is slower than VT.
    let mut ev = ev;
    for u in ev.usual.iter_mut().flatten() {
        u.rate = None;
    }
    let d = super::check::decide(&ev, &super::check::CheckParams::default());
    assert!(d.keep, "{d:?}");
}

#[test]
fn the_usual_beat_on_one_lead_does_not_refute_vt_while_another_lead_shows_other_complexes() {
    // Lead II as above; lead V shows wide complexes at 170/min through the
    // 16 s: a lead whose complexes are mostly not the usual beat (two
    // artefacts after each) does not clear the alarm alone.
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

/// A wide usual beat (bundle-branch block) at 70/min on lead II; lead V
/// the same beats with, from 27 s to 36 s, artefact spikes at 200/min
/// (records v375l, v427l: motion on one lead, the other one clean).
fn clean_lead_beside_an_artefact() -> (Vec<f64>, Vec<f64>) {
    let beats = regular(0.5, 40.0, 70.0);
    let ii = wide_beats(40.0, &beats);
    let art = regular(27.1, 36.0, 200.0);
    let v = sum(&ii.iter().map(|x| 0.7 * x).collect::<Vec<_>>(), &spikes(40.0, &art));
    (ii, v)
}

#[test]
fn one_clean_lead_on_which_the_usual_beat_carries_on_refutes_vt() {
    // The rule itself, before the policy for lethal rhythms (policy_tests.rs).
    let (ii, v) = clean_lead_beside_an_artefact();
    let m = monitor(&[(ChannelKind::Ecg, "II", &ii), (ChannelKind::Ecg, "V", &v)]);
    let ev = super::check::Evidence::gather(&m, VentricularTachycardia, 40.0);
    // The premise: lead V counts a fast run unlike the usual beat.
    let on_v = ev.usual[1].as_ref().unwrap();
    assert!(on_v.longest_other_run >= 5 && ev.long[1].max_rate5.is_some_and(|r| r > 150.0), "{on_v:?}");
    let d = super::check::check_rules(&m, VentricularTachycardia, 40.0);
    assert!(!d.keep, "{d:?}");
    assert!(
        d.reason.contains("ECG II") && d.reason.contains("70/min") && d.reason.contains("usual beat"),
        "{}",
        d.reason
    );
}

#[test]
fn one_clean_lead_with_a_pause_that_could_hold_a_run_does_not_refute_vt() {
    // Lead II misses a run of small wide complexes (3.2 s without the usual
    // beat, over 2.5 usual intervals); lead V shows the run.
    let ii = run_the_detector_misses(75.0, 3.2);
    let normal: Vec<f64> = regular(0.5, 40.0, 75.0).into_iter().filter(|&b| !(30.0..33.2).contains(&b)).collect();
    let v = sum(&ecg(40.0, &normal, 0.01), &wide_beats(40.0, &regular(30.2, 33.2, 150.0)));
    let m = monitor(&[(ChannelKind::Ecg, "II", &ii), (ChannelKind::Ecg, "V", &v)]);
    let d = check(&m, VentricularTachycardia, 40.0);
    assert!(d.keep, "{d:?}");
}

#[test]
fn one_clean_lead_whose_usual_beat_passes_vts_rate_does_not_refute_vt() {
    // Lead II: the wide usual beat at 70/min, then from 30 s the same shape
    // at 130/min (a VT can look like the usual beat on one lead); lead V:
    // artefact.
    let mut beats: Vec<f64> = regular(0.5, 30.0, 70.0);
    beats.extend(regular(30.3, 40.0, 130.0));
    let ii = wide_beats(40.0, &beats);
    let (_, v) = clean_lead_beside_an_artefact();
    let m = monitor(&[(ChannelKind::Ecg, "II", &ii), (ChannelKind::Ecg, "V", &v)]);
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

/// `base` with a fibrillation-like 5-7 Hz wave (`gain` times
/// [`fibrillation`]) added from `from` (s).
fn with_fibrillation_from(base: &[f64], from: f64, gain: f64) -> Vec<f64> {
    let f = fibrillation();
    base.iter()
        .zip(&f)
        .enumerate()
        .map(|(i, (b, f))| if i as f64 / super::synthetic::FS >= from { b + gain * f } else { *b })
        .collect()
}

#[test]
fn the_usual_qrs_carrying_on_on_one_lead_refutes_vf() {
    // The rule itself, before the policy for lethal rhythms (policy_tests.rs).
    // Lead II: sinus at 60/min with artefact spikes (not regular, beats not
    // alike over the 8 s); lead V: the same rhythm under a fibrillation-like
    // wave for the last 12 s (motion artefact).
    let ii = sinus_with_artefact_pairs();
    let v = with_fibrillation_from(&ecg(40.0, &regular(0.5, 40.0, 60.0), 0.01), 28.0, 3.0);
    let m = monitor(&[(ChannelKind::Ecg, "II", &ii), (ChannelKind::Ecg, "V", &v)]);
    let d = super::check::check_rules(&m, VentricularFlutterFib, 40.0);
    assert!(!d.keep, "{d:?}");
    assert!(d.reason.contains("usual") && d.reason.contains("ECG II") && d.reason.contains("60/min"), "{}", d.reason);
}

#[test]
fn fibrillation_after_sinus_rhythm_is_kept() {
    // Sinus at 75/min on both leads until 30 s, then fibrillation: the usual
    // beat stops for 10 s.
    let sinus = ecg(40.0, &regular(0.5, 30.0, 75.0), 0.01);
    let ii = with_fibrillation_from(&sinus, 30.0, 3.0);
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
    // Sharp complexes at 60/min, then from 26 s the same complexes at
    // 160/min: usual beats, at a flutter rate.
    let mut beats: Vec<f64> = regular(0.5, 26.0, 60.0).into_iter().chain(regular(26.3, 40.0, 160.0)).collect();
    beats.sort_by(f64::total_cmp);
    let m = monitor(&[(ChannelKind::Ecg, "II", &super::synthetic::ventricular(40.0, &beats, 0.006))]);
    let ev = super::check::Evidence::gather(&m, VentricularFlutterFib, 40.0);
    let usual = ev.usual[0].as_ref().unwrap();
    assert!(usual.usual >= 20 && usual.usual_rate5.is_some_and(|r| r > 150.0), "usual beats at 160/min: {usual:?}");
    let d = check(&m, VentricularFlutterFib, 40.0);
    assert!(d.keep, "{d:?}");
    // QRS complexes at 200/min throughout: a usual beat, but at a flutter rate.
    let m = monitor(&[(ChannelKind::Ecg, "II", &ecg(40.0, &regular(0.5, 40.0, 200.0), 0.01))]);
    let ev = super::check::Evidence::gather(&m, VentricularFlutterFib, 40.0);
    assert!(ev.usual[0].as_ref().is_some_and(|u| u.kurtosis >= 3.0 && u.template >= 0.8), "{:?}", ev.usual[0]);
    assert!(check(&m, VentricularFlutterFib, 40.0).keep);
}

/// One lead of sinus rhythm at `per_min` with the beats from 30 s to
/// `30 + gap` s replaced by a run of small wide complexes at 150/min that
/// the QRS detector does not see (records v525l and v571l: lead II missed
/// the run that lead V showed).
fn run_the_detector_misses(per_min: f64, gap: f64) -> Vec<f64> {
    let normal: Vec<f64> =
        regular(0.5, 40.0, per_min).into_iter().filter(|&b| !(30.0..30.0 + gap).contains(&b)).collect();
    let small: Vec<f64> = wide_beats(40.0, &regular(30.2, 30.0 + gap - 0.2, 150.0)).iter().map(|v| 0.08 * v).collect();
    sum(&ecg(40.0, &normal, 0.01), &small)
}

/// `ii` and a second lead showing the same beats (scaled, inverted).
fn two_leads(ii: &[f64]) -> super::monitor::RhythmMonitor {
    let v: Vec<f64> = ii.iter().map(|x| -0.7 * x).collect();
    monitor(&[(ChannelKind::Ecg, "II", ii), (ChannelKind::Ecg, "V", &v)])
}

#[test]
fn a_lead_that_missed_a_run_is_no_proof_of_vts_definition() {
    let m = monitor(&[(ChannelKind::Ecg, "II", &run_the_detector_misses(75.0, 3.2))]);
    let ev = super::check::Evidence::gather(&m, VentricularTachycardia, 40.0);
    assert!(ev.long[0].max_rate5.is_some_and(|r| r < 80.0) && ev.long[0].max_gap > 3.0, "{:?}", ev.long[0]);
    let d = check(&m, VentricularTachycardia, 40.0);
    assert!(d.keep, "{d:?}");
}

#[test]
fn a_pause_of_four_usual_intervals_on_every_lead_keeps_vt() {
    // At 104/min a 2.3 s pause (under the 2.5 s limit) is 4 usual intervals:
    // room for a run that both leads missed.
    let m = two_leads(&run_the_detector_misses(104.0, 2.1));
    let ev = super::check::Evidence::gather(&m, VentricularTachycardia, 40.0);
    let usual = ev.usual[0].as_ref().unwrap();
    assert!(usual.longest_other_run == 0 && (2.1..2.5).contains(&usual.max_gap), "{usual:?}");
    assert!(ev.long[0].max_rate5.is_some_and(|r| r > 100.0), "{:?}", ev.long[0].max_rate5);
    let d = check(&m, VentricularTachycardia, 40.0);
    assert!(d.keep, "{d:?}");
}

#[test]
fn three_complexes_of_a_run_seen_on_every_lead_keep_vt() {
    // Sinus at 57/min; a 5-complex run at 200/min from 29.2 s (replacing
    // one beat) of which both leads see only the 1st, 3rd and 5th: 3 other
    // complexes in a row, and the usual beat back 2.1 s after the last one.
    let normal: Vec<f64> = regular(0.5, 40.0, 57.0).into_iter().filter(|&b| !(29.5..30.5).contains(&b)).collect();
    let run = regular(29.2, 30.6, 200.0);
    assert_eq!(run.len(), 5);
    let seen: Vec<f64> = run.iter().step_by(2).copied().collect();
    let missed: Vec<f64> = run.iter().skip(1).step_by(2).copied().collect();
    let small: Vec<f64> = wide_beats(40.0, &missed).iter().map(|v| 0.08 * v).collect();
    let ii = sum(&sum(&ecg(40.0, &normal, 0.01), &wide_beats(40.0, &seen)), &small);
    let m = two_leads(&ii);
    let ev = super::check::Evidence::gather(&m, VentricularTachycardia, 40.0);
    let usual = ev.usual[0].as_ref().unwrap();
    assert!(usual.longest_other_run == 3 && usual.max_gap < 2.5, "{usual:?}");
    let d = check(&m, VentricularTachycardia, 40.0);
    assert!(d.keep, "{d:?}");
}

#[test]
fn a_run_hidden_in_one_pause_of_the_only_lead_is_no_proof_of_vts_definition() {
    // Sinus at 57/min; one interval stretched to 2 s holds 5 small complexes
    // at 200/min the detector misses: within two intervals, but room for a
    // run on the only lead.
    let normal: Vec<f64> = regular(0.5, 30.0, 57.0).into_iter().chain(regular(30.0 + 0.95, 40.0, 57.0)).collect();
    let last = normal.iter().copied().filter(|&b| b < 30.0).fold(0.0, f64::max);
    let normal: Vec<f64> = normal.into_iter().map(|b| if b > 30.0 { b - 30.95 + last + 2.0 } else { b }).collect();
    let small: Vec<f64> = wide_beats(40.0, &regular(last + 0.3, last + 1.8, 200.0)).iter().map(|v| 0.08 * v).collect();
    let m = monitor(&[(ChannelKind::Ecg, "II", &sum(&ecg(40.0, &normal, 0.01), &small))]);
    let ev = super::check::Evidence::gather(&m, VentricularTachycardia, 40.0);
    let usual = ev.usual[0].as_ref().unwrap();
    assert!((1.9..2.1).contains(&usual.max_gap) && ev.long[0].max_rate5.is_some_and(|r| r < 70.0), "{usual:?}");
    let d = check(&m, VentricularTachycardia, 40.0);
    assert!(d.keep, "{d:?}");
}

#[test]
fn a_sustained_vt_of_moderate_measured_width_is_kept() {
    let beats = regular(0.5, 40.0, 150.0);
    // Complexes the slope measure reads 80-110 ms, as it reads some real VT.
    let ii = super::synthetic::ventricular(40.0, &beats, 0.016);
    let v: Vec<f64> = ii.iter().map(|x| -0.7 * x).collect();
    let m = monitor(&[(ChannelKind::Ecg, "II", &ii), (ChannelKind::Ecg, "V", &v)]);
    let ev = super::check::Evidence::gather(&m, VentricularTachycardia, 40.0);
    let w = ev.usual[0].as_ref().unwrap().width.unwrap();
    assert!((0.08..0.11).contains(&w), "width {w}");
    let d = check(&m, VentricularTachycardia, 40.0);
    assert!(d.keep, "{d:?}");
}

#[test]
fn a_ventricular_rhythm_speeding_up_into_vt_on_two_leads_is_kept() {
    // An idioventricular rhythm at 90/min to 26 s, then the same focus at
    // 130/min: every complex has the usual shape on both leads.
    let mut beats = regular(0.5, 26.0, 90.0);
    beats.extend(regular(26.2, 40.0, 130.0));
    let ii = wide_beats(40.0, &beats);
    let v: Vec<f64> = ii.iter().map(|x| -0.7 * x).collect();
    let m = monitor(&[(ChannelKind::Ecg, "II", &ii), (ChannelKind::Ecg, "V", &v)]);
    assert!(check(&m, VentricularTachycardia, 40.0).keep);
    // Speeding up only as far as 1.15 times its rate (92 -> 105/min) is VT
    // all the same: a wide usual beat may not pass VT's rate.
    let mut beats = regular(0.5, 26.0, 92.0);
    beats.extend(regular(26.2, 40.0, 105.0));
    let ii = wide_beats(40.0, &beats);
    let v: Vec<f64> = ii.iter().map(|x| -0.7 * x).collect();
    let m = monitor(&[(ChannelKind::Ecg, "II", &ii), (ChannelKind::Ecg, "V", &v)]);
    let d = check(&m, VentricularTachycardia, 40.0);
    assert!(d.keep, "{d:?}");
}

#[test]
fn the_usual_qrs_refutes_vf_only_two_seconds_apart_whatever_the_tuned_pause() {
    use super::check::{decide, CheckParams, Evidence};
    // Sinus at 60/min, then from 25.5 s one usual beat every 2.8 s with
    // fibrillation between them.
    let mut beats = regular(0.5, 26.0, 60.0);
    beats.extend(regular(28.3, 40.0, 60.0 / 2.8));
    let ii = with_fibrillation_from(&ecg(40.0, &beats, 0.01), 26.0, 0.3);
    let m = monitor(&[(ChannelKind::Ecg, "II", &ii)]);
    let p = CheckParams { vf_gap_s: 3.0, ..Default::default() };
    let ev = Evidence::gather(&m, VentricularFlutterFib, 40.0);
    let usual = ev.usual[0].as_ref().unwrap();
    assert!(usual.usual >= 4 && (2.7..2.9).contains(&usual.max_gap), "{usual:?}");
    let d = decide(&ev, &p);
    assert!(d.keep, "{d:?}");
}

/// Sinus at 75/min; from 30 s to 33.2 s a run of 8 wide complexes at
/// 150/min of which the detector sees every other one (record v823l's lead
/// II read 73/min through a true VT): no pause in the detections, but 3.2 s
/// without the usual beat.
fn run_seen_in_part() -> Vec<f64> {
    let normal: Vec<f64> = regular(0.5, 40.0, 75.0).into_iter().filter(|&b| !(30.0..33.2).contains(&b)).collect();
    let run = regular(30.2, 33.2, 150.0);
    let seen: Vec<f64> = run.iter().step_by(2).copied().collect();
    let missed: Vec<f64> = run.iter().skip(1).step_by(2).copied().collect();
    let small: Vec<f64> = wide_beats(40.0, &missed).iter().map(|v| 0.08 * v).collect();
    sum(&sum(&ecg(40.0, &normal, 0.01), &wide_beats(40.0, &seen)), &small)
}

#[test]
fn a_lead_that_saw_only_some_of_a_runs_complexes_is_no_proof_of_vts_definition() {
    let m = monitor(&[(ChannelKind::Ecg, "II", &run_seen_in_part())]);
    let ev = super::check::Evidence::gather(&m, VentricularTachycardia, 40.0);
    assert!(ev.long[0].max_rate5.is_some_and(|r| r < 95.0), "{:?}", ev.long[0].max_rate5);
    assert!(ev.usual[0].as_ref().unwrap().max_gap > 3.0, "{:?}", ev.usual[0]);
    let d = check(&m, VentricularTachycardia, 40.0);
    assert!(d.keep, "{d:?}");
}

#[test]
fn a_lead_with_no_usual_beat_known_is_no_proof_of_vts_definition() {
    // The same lead as if its usual beat were not known yet (a new bed, a
    // lead back on): nothing shows whether its pauses held a run.
    use super::check::{decide, CheckParams, Evidence};
    let m = monitor(&[(ChannelKind::Ecg, "II", &run_seen_in_part())]);
    let mut ev = Evidence::gather(&m, VentricularTachycardia, 40.0);
    assert!(ev.long[0].max_rate5.is_some_and(|r| r < 95.0) && ev.long[0].max_gap < 1.6, "{:?}", ev.long[0]);
    ev.usual = vec![None];
    let d = decide(&ev, &CheckParams::default());
    assert!(d.keep, "{d:?}");
}
