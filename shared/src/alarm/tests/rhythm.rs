//! Arrhythmia alarms in the engine: waves in frames, Vigil's own detection,
//! the check before anything sounds, suppressed ones logged with their reason.

use super::*;
use crate::arrhythmia::synthetic::{ecg, pulse, regular, FS};
use crate::arrhythmia::ArrhythmiaKind;
use crate::frame::{RawFrame, RawNumeric, RawWave};
use crate::vital::WaveKind;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// Streams the signals as a monitor would: one frame per 250 ms with a chunk
/// of each wave; the tablet clock equals the device time.
fn stream(w: &mut WardAlarms, waves: &[(WaveKind, &[f64])]) {
    stream_with_hr(w, waves, None)
}

/// As [`stream`], with the monitor's HR value once a second if `hr` is given.
fn stream_with_hr(w: &mut WardAlarms, waves: &[(WaveKind, &[f64])], hr: Option<f64>) {
    let chunk = (FS / 4.0) as usize;
    let n = waves.iter().map(|(_, x)| x.len()).min().unwrap_or(0);
    for (k, start) in (0..n).step_by(chunk).enumerate() {
        let t0 = T + (start as f64 / FS * 1000.0) as i64;
        let numerics = match hr {
            Some(value) if k % 4 == 3 => vec![RawNumeric { kind: VitalKind::Hr, t: t0 + 250, value }],
            _ => vec![],
        };
        let raw = RawFrame {
            seq: k as u64 + 1,
            numerics,
            waves: waves
                .iter()
                .map(|(kind, x)| RawWave {
                    kind: *kind,
                    t0,
                    rate_hz: FS,
                    samples: x[start..(start + chunk).min(n)].iter().map(|&v| v as f32).collect(),
                })
                .collect(),
            technical: vec![],
        };
        let f = Frame::try_from(raw).unwrap();
        let now = t0 + 250;
        w.on_frame("b1", &f, now);
        w.tick(now, true);
    }
}

fn arrhythmia(kind: ArrhythmiaKind) -> Condition {
    Condition::Arrhythmia { kind }
}

#[test]
fn asystole_on_the_ecg_with_a_pulse_on_the_pleth_is_suppressed_and_logged_with_its_reason() {
    let beats = regular(0.5, 20.0, 75.0);
    let e = ecg(40.0, &beats, 0.005);
    let p = pulse(40.0, &regular(0.7, 40.0, 75.0));
    let mut w = WardAlarms::new(AlarmOptions::default());
    stream(&mut w, &[(WaveKind::EcgII, &e), (WaveKind::Pleth, &p)]);
    let bed = w.bed("b1").unwrap();
    assert!(bed.log().all(|a| a.id.condition != arrhythmia(ArrhythmiaKind::Asystole)), "no asystole alarm");
    assert_eq!(w.audible(T + 40 * S), None, "nothing sounds");
    // The pause also reads as 5 slow beats (extreme brady): refuted alike.
    assert!(bed.suppressed().all(|s| s.reason.contains("PPG")), "{:?}", bed.suppressed().collect::<Vec<_>>());
    let s: Vec<_> = bed.suppressed().filter(|s| s.kind == ArrhythmiaKind::Asystole).collect();
    assert_eq!(s.len(), 1, "{s:?}");
    assert!(s[0].reason.contains("PPG") && s[0].reason.contains("75/min"), "{}", s[0].reason);
    let last = T + (beats.last().unwrap() * 1000.0) as i64;
    assert!((s[0].onset - last).abs() < 50, "onset {} last beat {last}", s[0].onset);
}

#[test]
fn asystole_with_every_wave_silent_sounds_as_a_high_alarm_with_its_true_onset() {
    let beats = regular(0.5, 20.0, 75.0);
    let e = ecg(40.0, &beats, 0.005);
    let p = pulse(40.0, &beats.iter().map(|b| b + 0.2).collect::<Vec<_>>());
    let mut w = WardAlarms::new(AlarmOptions::default());
    stream(&mut w, &[(WaveKind::EcgII, &e), (WaveKind::Pleth, &p)]);
    let bed = w.bed("b1").unwrap();
    let a = bed.log().find(|a| a.id.condition == arrhythmia(ArrhythmiaKind::Asystole)).expect("asystole alarm");
    assert_eq!(a.priority, Priority::High);
    let last = T + (beats.last().unwrap() * 1000.0) as i64;
    assert!((a.id.onset - last).abs() < 50, "onset {} last beat {last}", a.id.onset);
    assert!(a.raised - last >= 4000 && a.raised - last < 6000, "raised {} ms after the last beat", a.raised - last);
    assert!(a.rhythm.as_ref().is_some_and(|d| d.keep), "{:?}", a.rhythm);
    assert_eq!(a.describe(), "Asystole");
    assert_eq!(w.audible(T + 40 * S), Some(Priority::High));
    assert_eq!(bed.suppressed().count(), 0);
}

#[test]
fn a_suppressed_asystole_is_raised_when_the_pulse_also_stops() {
    let beats = regular(0.5, 20.0, 75.0);
    let e = ecg(50.0, &beats, 0.005);
    // The pulse goes on 12 s longer than the ECG's beats, then stops too.
    let p = pulse(50.0, &regular(0.7, 32.0, 75.0));
    let mut w = WardAlarms::new(AlarmOptions::default());
    stream(&mut w, &[(WaveKind::EcgII, &e), (WaveKind::Pleth, &p)]);
    let bed = w.bed("b1").unwrap();
    assert_eq!(bed.suppressed().filter(|s| s.kind == ArrhythmiaKind::Asystole).count(), 1);
    let a = bed.log().find(|a| a.id.condition == arrhythmia(ArrhythmiaKind::Asystole)).expect("raised on re-check");
    let last = T + (beats.last().unwrap() * 1000.0) as i64;
    assert!((a.id.onset - last).abs() < 50, "the onset stays the ECG's last beat");
    assert!(a.raised > T + 32 * S, "raised once the pulse stopped too");
}

#[test]
fn a_lead_off_ecg_is_not_judged_for_rhythm() {
    let e = ecg(30.0, &[], 0.005);
    let mut w = WardAlarms::new(AlarmOptions::default());
    w.on_frame("b1", &technical(1, T, TechnicalCondition::LeadOff, Sensor::Ecg, true), T);
    stream(&mut w, &[(WaveKind::EcgII, &e)]);
    let bed = w.bed("b1").unwrap();
    assert!(bed.log().all(|a| !matches!(a.id.condition, Condition::Arrhythmia { .. })));
    assert_eq!(bed.suppressed().count(), 0);
}

#[test]
fn the_ecg_tachycardia_and_the_hr_limit_are_one_alarm_on_screen_both_logged() {
    let e = ecg(40.0, &regular(0.5, 40.0, 160.0), 0.005);
    let mut w = WardAlarms::new(AlarmOptions::default());
    stream_with_hr(&mut w, &[(WaveKind::EcgII, &e)], Some(160.0));
    let bed = w.bed("b1").unwrap();
    let logged: Vec<Condition> = bed.log().map(|a| a.id.condition).collect();
    assert!(logged.contains(&arrhythmia(ArrhythmiaKind::ExtremeTachycardia)), "{logged:?}");
    assert!(logged.contains(&Condition::Vital { kind: VitalKind::Hr, band: Band::ExtremeHigh }), "{logged:?}");
    let shown: Vec<Condition> = bed.shown().iter().map(|a| a.id.condition).collect();
    assert_eq!(shown.len(), 1, "one episode, one alarm on screen: {shown:?}");
}

#[test]
fn a_pleth_that_stops_streaming_while_the_ecg_goes_on_is_judged_without_it() {
    // The oximeter is unplugged at 10 s: no more pleth chunks at all. The
    // check must still run on the ECG (no panic on a channel left behind).
    let beats = regular(0.5, 20.0, 75.0);
    let e = ecg(60.0, &beats, 0.005);
    let p = pulse(10.0, &regular(0.7, 10.0, 75.0));
    let mut w = WardAlarms::new(AlarmOptions::default());
    stream(&mut w, &[(WaveKind::EcgII, &e[..(10.0 * FS) as usize]), (WaveKind::Pleth, &p)]);
    let chunk = (FS / 4.0) as usize;
    for (k, start) in ((10.0 * FS) as usize..e.len()).step_by(chunk).enumerate() {
        let t0 = T + (start as f64 / FS * 1000.0) as i64;
        let samples = e[start..(start + chunk).min(e.len())].iter().map(|&v| v as f32).collect();
        let raw = RawFrame {
            seq: 1000 + k as u64,
            numerics: vec![],
            waves: vec![RawWave { kind: WaveKind::EcgII, t0, rate_hz: FS, samples }],
            technical: vec![],
        };
        w.on_frame("b1", &Frame::try_from(raw).unwrap(), t0 + 250);
    }
    let bed = w.bed("b1").unwrap();
    assert!(
        bed.log().any(|a| a.id.condition == arrhythmia(ArrhythmiaKind::Asystole)),
        "asystole kept: no pulse left to refute it"
    );
}
