//! The rhythm check specified on synthetic waveforms: a clean ECG, a pulse
//! wave, a flat line with noise, and the decisions they must lead to.

use super::check::{check, decide, CheckParams, Evidence};
use super::detect::{conditions, qrs_width, Edge, RhythmDetector};
use super::monitor::{Channel, ChannelKind, RhythmMonitor};
use super::synthetic::{arterial, ecg, monitor, pulse, regular, wide_beats, Noise, FS};
use super::ArrhythmiaKind;
use crate::signal::qrs::detect_all;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

#[test]
fn every_beat_of_a_clean_ecg_is_found_and_none_in_a_flat_noisy_line() {
    let beats = regular(0.5, 60.0, 75.0);
    let found = detect_all(FS, ecg(60.0, &beats, 0.02).into_iter().map(Some));
    // After the 2 s learning period every beat, each within 30 ms.
    let expected: Vec<f64> = beats.iter().copied().filter(|&b| b > 2.5 && b < 59.0).collect();
    let got: Vec<f64> = found.iter().map(|b| b.index as f64 / FS).filter(|&t| t > 2.4 && t < 59.2).collect();
    assert_eq!(got.len(), expected.len(), "{got:?}");
    for (g, e) in got.iter().zip(&expected) {
        assert!((g - e).abs() < 0.03, "beat at {e} found at {g}");
    }
    let flat = detect_all(FS, ecg(30.0, &[], 0.02).into_iter().map(Some));
    assert!(flat.is_empty(), "a flat lead with 0.02 mV noise gives no beats: {flat:?}");
}

#[test]
fn beats_stopping_are_seen_as_a_pause_not_filled_in() {
    // 80/min for 20 s, then nothing for 8 s (asystole): no beat in the pause.
    let beats = regular(0.5, 20.0, 80.0);
    let found = detect_all(FS, ecg(28.0, &beats, 0.01).into_iter().map(Some));
    let last = found.last().map(|b| b.index as f64 / FS).unwrap_or(0.0);
    assert!(last < 20.0, "last beat at {last}");
}

#[test]
fn asystole_with_a_flat_ecg_but_a_pulse_is_suppressed_and_says_why() {
    // The rule itself, before the policy for lethal rhythms (policy_tests.rs).
    let flat = ecg(40.0, &[], 0.005);
    let pulses = pulse(40.0, &regular(0.3, 40.0, 78.0));
    let m = monitor(&[(ChannelKind::Ecg, "II", &flat), (ChannelKind::Ppg, "PLETH", &pulses)]);
    let d = super::check::check_rules(&m, ArrhythmiaKind::Asystole, 40.0);
    assert!(!d.keep, "{d:?}");
    assert!(d.reason.contains("ECG flat") && d.reason.contains("PPG") && d.reason.contains("78/min"), "{}", d.reason);
}

#[test]
fn asystole_with_every_channel_silent_is_kept() {
    let beats = regular(0.5, 25.0, 70.0);
    let e = ecg(40.0, &beats, 0.01);
    let p = pulse(40.0, &beats.iter().map(|b| b + 0.2).collect::<Vec<_>>());
    let m = monitor(&[(ChannelKind::Ecg, "II", &e), (ChannelKind::Abp, "ABP", &p)]);
    let d = check(&m, ArrhythmiaKind::Asystole, 40.0);
    assert!(d.keep, "{d:?}");
    assert!(d.reason.contains("every channel paused at least 15"), "{}", d.reason);
}

#[test]
fn bradycardia_is_kept_below_the_rate_and_suppressed_above_it() {
    let slow = regular(0.5, 40.0, 36.0);
    let e = ecg(40.0, &slow, 0.01);
    let m = monitor(&[(ChannelKind::Ecg, "II", &e)]);
    let d = check(&m, ArrhythmiaKind::ExtremeBradycardia, 40.0);
    assert!(d.keep && d.reason.contains("36/min"), "{d:?}");

    let normal = regular(0.5, 40.0, 72.0);
    let e = ecg(40.0, &normal, 0.01);
    let m = monitor(&[(ChannelKind::Ecg, "II", &e)]);
    let d = check(&m, ArrhythmiaKind::ExtremeBradycardia, 40.0);
    assert!(!d.keep && d.reason.contains("72/min"), "{d:?}");
}

/// A lead and a pleth at `ecg_rate` and `pleth_rate`, and the bradycardia
/// decision with the default thresholds.
fn brady_on_lead_and_pleth(ecg_rate: f64, pleth_rate: f64) -> super::check::Decision {
    let e = ecg(40.0, &regular(0.5, 40.0, ecg_rate), 0.01);
    let p = pulse(40.0, &regular(0.7, 40.0, pleth_rate));
    let m = monitor(&[(ChannelKind::Ecg, "II", &e), (ChannelKind::Ppg, "PLETH", &p)]);
    check(&m, ArrhythmiaKind::ExtremeBradycardia, 40.0)
}

#[test]
fn a_lead_and_a_pulse_agreeing_at_45_refute_bradycardia_that_one_channel_alone_would_not() {
    // Alone, a clean lead at 45/min keeps the alarm (a lone channel gets a
    // wide margin over the alarm's 40/min); a pulse counting the same beats
    // confirms the measurement.
    let e = ecg(40.0, &regular(0.5, 40.0, 45.0), 0.01);
    assert!(check(&monitor(&[(ChannelKind::Ecg, "II", &e)]), ArrhythmiaKind::ExtremeBradycardia, 40.0).keep);
    let d = brady_on_lead_and_pleth(45.0, 45.0);
    assert!(!d.keep, "{d:?}");
    assert!(d.reason.contains("ECG II and PPG agree") && d.reason.contains("45/min"), "{}", d.reason);
}

#[test]
fn channels_agreeing_on_a_true_bradycardia_keep_it() {
    let d = brady_on_lead_and_pleth(37.0, 37.0);
    assert!(d.keep && d.reason.contains("37/min"), "{d:?}");
}

#[test]
fn channels_that_disagree_do_not_narrow_the_margin() {
    // The pleth counting faster than the lead: one of them miscounts, and
    // the lead's 45/min is judged as a lone channel's.
    let d = brady_on_lead_and_pleth(45.0, 60.0);
    assert!(d.keep && d.reason.contains("ECG II at 45/min"), "{d:?}");
}

#[test]
fn two_pulses_agreeing_without_a_lead_do_not_narrow_the_margin() {
    // Agreement must include a lead: the alarm is about the heart's rate.
    let beats = regular(0.7, 40.0, 45.0);
    let (p, a) = (pulse(40.0, &beats), arterial(40.0, &beats));
    let m = monitor(&[(ChannelKind::Ppg, "PLETH", &p), (ChannelKind::Abp, "ABP", &a)]);
    assert!(check(&m, ArrhythmiaKind::ExtremeBradycardia, 40.0).keep);
}

#[test]
fn with_no_trustworthy_channel_nothing_is_suppressed() {
    let e = ecg(40.0, &[], 0.005);
    let m = monitor(&[(ChannelKind::Ecg, "II", &e)]);
    for kind in ArrhythmiaKind::ALL {
        let d = check(&m, kind, 40.0);
        assert!(d.keep, "{kind:?} on a lone flat lead: {d:?}");
    }
}

#[test]
fn a_fast_arterial_wave_is_not_taken_for_noise() {
    // The noise floor once rejected every pulse of an arterial wave at 130/min.
    let beats = regular(0.5, 40.0, 130.0);
    let m = monitor(&[(ChannelKind::Abp, "ABP", &arterial(40.0, &beats))]);
    let found = m.channels[0].marks(10.0, 39.0).len();
    let expected = beats.iter().filter(|&&b| (10.0..39.0).contains(&b)).count();
    assert!(found >= expected, "{found} pulses for {expected} beats");
}

#[test]
fn a_steady_pulse_refutes_vt_and_vf_on_a_noisy_ecg() {
    // The rule itself, before the policy for lethal rhythms (policy_tests.rs).
    let mut n = Noise(3);
    // ECG: large 5 Hz artefact (what a monitor reads as VT/VF).
    let noisy: Vec<f64> = (0..(40.0 * FS) as usize)
        .map(|i| 0.8 * (i as f64 / FS * 5.0 * std::f64::consts::TAU).sin() + 0.2 * n.next())
        .collect();
    let p = pulse(40.0, &regular(0.3, 40.0, 84.0));
    let m = monitor(&[(ChannelKind::Ecg, "II", &noisy), (ChannelKind::Ppg, "PLETH", &p)]);
    for kind in [ArrhythmiaKind::VentricularTachycardia, ArrhythmiaKind::VentricularFlutterFib] {
        let d = super::check::check_rules(&m, kind, 40.0);
        assert!(!d.keep, "{kind:?}: {d:?}");
        assert!(d.reason.contains("PPG") && d.reason.contains("84/min"), "{}", d.reason);
    }
}

#[test]
fn thresholds_change_the_verdict_only_through_the_evidence() {
    let slow = regular(0.5, 40.0, 44.0);
    let e = ecg(40.0, &slow, 0.01);
    let m = monitor(&[(ChannelKind::Ecg, "II", &e)]);
    let ev = Evidence::gather(&m, ArrhythmiaKind::ExtremeBradycardia, 40.0);
    assert!(decide(&ev, &CheckParams { brady_rate: 46.0, ..Default::default() }).keep);
    assert!(!decide(&ev, &CheckParams { brady_rate: 42.0, ..Default::default() }).keep);
}

fn detected(m: &RhythmMonitor, t: f64) -> Vec<ArrhythmiaKind> {
    conditions(m, t).into_keys().collect()
}

/// The first `t` seconds of a signal (a monitor is asked about its present).
fn until(x: &[f64], t: f64) -> &[f64] {
    &x[..((t * FS) as usize).min(x.len())]
}

#[test]
fn a_normal_rhythm_raises_no_arrhythmia_and_its_complexes_are_narrow() {
    let beats = regular(0.5, 60.0, 75.0);
    let e = ecg(60.0, &beats, 0.02);
    for t in [20.0, 40.0, 60.0] {
        let m = monitor(&[(ChannelKind::Ecg, "II", until(&e, t))]);
        assert_eq!(detected(&m, t), vec![], "at {t}");
    }
    let m = monitor(&[(ChannelKind::Ecg, "II", &e)]);
    let lead = &m.channels[0];
    let b = lead.marks(50.0, 58.0)[2];
    let w = qrs_width(lead, b.index).unwrap();
    assert!((0.04..0.11).contains(&w), "narrow QRS measured {w}");
}

#[test]
fn a_complex_whose_steep_part_is_away_from_its_peak_has_no_width_not_zero() {
    use super::detect::width_at;
    let fs = FS;
    let n = (0.45 * fs) as usize;
    let r = (0.25 * fs) as usize;
    // A one-sample step 100 ms before the mark and a gentle hump at it: the
    // steepest slope is not at the complex the mark points to.
    let x: Vec<f32> = (0..n)
        .map(|i| {
            let step = if i >= r - (0.1 * fs) as usize { 1.0 } else { 0.0 };
            let d = (i as f64 - r as f64) / fs;
            (step + 0.05 * (-(d * d) / (2.0 * 0.03f64.powi(2))).exp()) as f32
        })
        .collect();
    assert_eq!(width_at(&x, fs), None);
}

#[test]
fn asystole_begins_at_the_last_beat_once_4_s_have_passed() {
    let beats = regular(0.5, 20.0, 75.0);
    let last = *beats.last().unwrap();
    let e = ecg(30.0, &beats, 0.01);
    let m = monitor(&[(ChannelKind::Ecg, "II", until(&e, last + 3.5))]);
    assert_eq!(detected(&m, last + 3.5), vec![]);
    let m = monitor(&[(ChannelKind::Ecg, "II", until(&e, last + 4.5))]);
    let c = conditions(&m, last + 4.5);
    let onset = c.get(&ArrhythmiaKind::Asystole).copied().expect("asystole");
    assert!((onset - last).abs() < 0.05, "onset {onset}, last beat {last}");
}

#[test]
fn the_beats_that_end_an_asystole_are_not_an_extreme_bradycardia() {
    // 75/min, a 10 s pause (an asystole), then 75/min again.
    let mut beats = regular(0.5, 20.0, 75.0);
    beats.extend(regular(30.0, 40.0, 75.0));
    let e = ecg(40.0, &beats, 0.01);
    let m = monitor(&[(ChannelKind::Ecg, "II", until(&e, 26.0))]);
    assert_eq!(detected(&m, 26.0), vec![ArrhythmiaKind::Asystole]);
    for t in [31.0, 32.5, 34.0] {
        let m = monitor(&[(ChannelKind::Ecg, "II", until(&e, t))]);
        assert_eq!(detected(&m, t), vec![], "at {t}");
    }
    // A slow rhythm with shorter pauses is one.
    let e = ecg(40.0, &regular(0.5, 40.0, 30.0), 0.01);
    let m = monitor(&[(ChannelKind::Ecg, "II", &e)]);
    assert_eq!(detected(&m, 40.0), vec![ArrhythmiaKind::ExtremeBradycardia]);
    // So is one of 4.5 s pauses on the clean lead while a noisier lead has
    // beats in them (1 s later): no asystole was raised for those pauses.
    let slow = ecg(40.0, &regular(0.5, 40.0, 60.0 / 4.5), 0.01);
    let other = ecg(40.0, &regular(1.5, 40.0, 60.0 / 4.5), 0.15);
    let m = monitor(&[(ChannelKind::Ecg, "II", &slow), (ChannelKind::Ecg, "V", &other)]);
    let c = conditions(&m, 40.0);
    assert!(!c.contains_key(&ArrhythmiaKind::Asystole), "{c:?}");
    assert!(c.contains_key(&ArrhythmiaKind::ExtremeBradycardia), "{c:?}");
}

#[test]
fn slow_and_fast_rhythms_raise_extreme_brady_and_tachy() {
    let e = ecg(40.0, &regular(0.5, 40.0, 36.0), 0.01);
    let m = monitor(&[(ChannelKind::Ecg, "II", &e)]);
    assert_eq!(detected(&m, 40.0), vec![ArrhythmiaKind::ExtremeBradycardia]);
    let e = ecg(40.0, &regular(0.5, 40.0, 160.0), 0.01);
    let m = monitor(&[(ChannelKind::Ecg, "II", &e)]);
    assert_eq!(detected(&m, 40.0), vec![ArrhythmiaKind::ExtremeTachycardia]);
}

#[test]
fn a_run_of_wide_complexes_above_100_is_ventricular_tachycardia() {
    // Normal at 70/min, then wide complexes at 130/min from 20 s.
    let normal = regular(0.5, 20.0, 70.0);
    let run = regular(20.2, 40.0, 130.0);
    let a = ecg(40.0, &normal, 0.01);
    let b = wide_beats(40.0, &run);
    let e: Vec<f64> = a.iter().zip(&b).map(|(x, y)| x + y).collect();
    let m = monitor(&[(ChannelKind::Ecg, "II", until(&e, 19.0))]);
    assert_eq!(detected(&m, 19.0), vec![]);
    let m = monitor(&[(ChannelKind::Ecg, "II", until(&e, 30.0))]);
    let c = conditions(&m, 30.0);
    assert!(c.contains_key(&ArrhythmiaKind::VentricularTachycardia), "{c:?}");
    let lead = &m.channels[0];
    let w = qrs_width(lead, lead.marks(25.0, 28.0)[1].index).unwrap();
    assert!(w >= 0.12, "wide QRS measured {w}");
}

#[test]
fn a_coarse_oscillation_without_qrs_is_flutter_fibrillation_and_edges_are_reported_once() {
    let mut n = Noise(11);
    let normal = ecg(40.0, &regular(0.5, 20.0, 72.0), 0.01);
    let e: Vec<f64> = (0..(40.0 * FS) as usize)
        .map(|i| {
            let t = i as f64 / FS;
            if t < 20.0 {
                normal[i]
            } else {
                0.6 * (t * 5.2 * std::f64::consts::TAU + 0.8 * (t * 0.9).sin()).sin() + 0.05 * n.next()
            }
        })
        .collect();
    let mut m = RhythmMonitor::new();
    m.add(Channel::new(ChannelKind::Ecg, "II", FS, 0.0));
    let mut det = RhythmDetector::new();
    let mut began = Vec::new();
    for (i, v) in e.iter().enumerate() {
        m.channels[0].push(Some(*v));
        if (i + 1) % (FS as usize / 4) == 0 {
            for edge in det.evaluate(&m, (i + 1) as f64 / FS) {
                if let Edge::Began { kind, onset } = edge {
                    began.push((kind, onset));
                }
            }
        }
    }
    // Nothing during the normal rhythm; the fibrillation's 4 s window may
    // reach back a little into it. Each condition begins once (held through
    // brief lapses), a wide-complex V-tach alongside is allowed.
    assert!(began.iter().all(|(_, onset)| *onset >= 16.0), "nothing before the fibrillation: {began:?}");
    for kind in ArrhythmiaKind::ALL {
        assert!(began.iter().filter(|(k, _)| *k == kind).count() <= 1, "{began:?}");
    }
    assert!(began.iter().any(|(k, _)| *k == ArrhythmiaKind::VentricularFlutterFib), "{began:?}");
    assert!(det.active().contains_key(&ArrhythmiaKind::VentricularFlutterFib));
}
