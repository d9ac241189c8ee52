//! The rhythm check specified on synthetic waveforms: a clean ECG, a pulse
//! wave, a flat line with noise, and the decisions they must lead to.

use super::check::{check, decide, CheckParams, Evidence};
use super::monitor::{Channel, ChannelKind, RhythmMonitor};
use super::ArrhythmiaKind;
use crate::signal::qrs::detect_all;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const FS: f64 = 250.0;

/// A deterministic pseudo-random sequence in [-1, 1).
struct Noise(u64);
impl Noise {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % 2_000_001) as f64 / 1_000_000.0 - 1.0
    }
}

fn gauss(t: f64, at: f64, width: f64, height: f64) -> f64 {
    height * (-((t - at) / width).powi(2) / 2.0).exp()
}

/// ECG (mV) with beats at `beats` (s): P, QRS and T waves, plus noise.
fn ecg(seconds: f64, beats: &[f64], noise_mv: f64) -> Vec<f64> {
    let mut n = Noise(7);
    (0..(seconds * FS) as usize)
        .map(|i| {
            let t = i as f64 / FS;
            let mut v = 0.0;
            for &b in beats.iter().filter(|&&b| (b - t).abs() < 0.6) {
                v += gauss(t, b - 0.16, 0.025, 0.12)
                    + gauss(t, b - 0.02, 0.008, -0.1)
                    + gauss(t, b, 0.012, 1.2)
                    + gauss(t, b + 0.025, 0.01, -0.25)
                    + gauss(t, b + 0.3, 0.05, 0.3);
            }
            v + noise_mv * n.next()
        })
        .collect()
}

/// Pulse wave (arbitrary units) with upstrokes at `beats` (s).
fn pulse(seconds: f64, beats: &[f64]) -> Vec<f64> {
    (0..(seconds * FS) as usize)
        .map(|i| {
            let t = i as f64 / FS;
            beats
                .iter()
                .filter(|&&b| t >= b && t - b < 1.5)
                .map(|&b| {
                    let x = t - b;
                    if x < 0.12 {
                        (x / 0.12 * std::f64::consts::FRAC_PI_2).sin()
                    } else {
                        (-(x - 0.12) / 0.35).exp()
                    }
                })
                .sum::<f64>()
                + 0.5
        })
        .collect()
}

fn regular(from: f64, to: f64, per_min: f64) -> Vec<f64> {
    let rr = 60.0 / per_min;
    (0..).map(|k| from + k as f64 * rr).take_while(|&t| t < to).collect()
}

fn monitor(channels: &[(ChannelKind, &str, &[f64])]) -> RhythmMonitor {
    let mut m = RhythmMonitor::new();
    for (kind, name, _) in channels {
        m.add(Channel::new(*kind, *name, FS, 0.0));
    }
    let n = channels.iter().map(|c| c.2.len()).min().unwrap_or(0);
    for i in 0..n {
        for (k, (_, _, data)) in channels.iter().enumerate() {
            m.channels[k].push(Some(data[i]));
        }
    }
    m
}

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
    let flat = ecg(40.0, &[], 0.005);
    let pulses = pulse(40.0, &regular(0.3, 40.0, 78.0));
    let m = monitor(&[(ChannelKind::Ecg, "II", &flat), (ChannelKind::Ppg, "PLETH", &pulses)]);
    let d = check(&m, ArrhythmiaKind::Asystole, 40.0);
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
fn a_steady_pulse_refutes_vt_and_vf_on_a_noisy_ecg() {
    let mut n = Noise(3);
    // ECG: large 5 Hz artefact (what a monitor reads as VT/VF).
    let noisy: Vec<f64> =
        (0..(40.0 * FS) as usize).map(|i| 0.8 * (i as f64 / FS * 5.0 * std::f64::consts::TAU).sin() + 0.2 * n.next()).collect();
    let p = pulse(40.0, &regular(0.3, 40.0, 84.0));
    let m = monitor(&[(ChannelKind::Ecg, "II", &noisy), (ChannelKind::Ppg, "PLETH", &p)]);
    for kind in [ArrhythmiaKind::VentricularTachycardia, ArrhythmiaKind::VentricularFlutterFib] {
        let d = check(&m, kind, 40.0);
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
