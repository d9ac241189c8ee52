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
    stream_span(w, waves, hr, 0.0, f64::INFINITY)
}

/// As [`stream_with_hr`], only the frames from `from` s to `to` s.
fn stream_span(w: &mut WardAlarms, waves: &[(WaveKind, &[f64])], hr: Option<f64>, from: f64, to: f64) {
    let chunk = (FS / 4.0) as usize;
    let n = waves.iter().map(|(_, x)| x.len()).min().unwrap_or(0);
    for (k, start) in (0..n).step_by(chunk).enumerate() {
        let at = start as f64 / FS;
        if at < from || at >= to {
            continue;
        }
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
fn asystole_on_the_ecg_with_a_pulse_on_the_pleth_alone_sounds_one_channel_cannot_hold_it_back() {
    let beats = regular(0.5, 20.0, 75.0);
    let e = ecg(40.0, &beats, 0.005);
    let p = pulse(40.0, &regular(0.7, 40.0, 75.0));
    let mut w = WardAlarms::new(AlarmOptions::default());
    stream(&mut w, &[(WaveKind::EcgII, &e), (WaveKind::Pleth, &p)]);
    let bed = w.bed("b1").unwrap();
    let a = bed.log().find(|a| a.id.condition == arrhythmia(ArrhythmiaKind::Asystole)).expect("asystole alarm");
    assert_eq!(a.priority, Priority::High);
    let d = a.rhythm.as_ref().expect("the check's verdict");
    assert!(d.keep && d.reason.contains("one channel alone") && d.reason.contains("PPG"), "{d:?}");
    assert!(a.raised - a.id.onset < 6000, "sounds when first checked, {} ms after onset", a.raised - a.id.onset);
    assert!(bed.log().all(|a| !matches!(a.id.condition, Condition::PossibleArtefact { .. })), "never held back");
    assert_eq!(w.audible(T + 40 * S), Some(Priority::High));
}

/// ECG beats until 20 s, then none; a pleth and an arterial line beating
/// together until `pulses_until` s; `seconds` s streamed.
fn lead_lost_with_two_pulses(pulses_until: f64, seconds: f64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let beats = regular(0.5, 20.0, 75.0);
    let pulses = regular(0.5, pulses_until, 75.0);
    let e = ecg(seconds, &beats, 0.005);
    let p = pulse(seconds, &pulses.iter().map(|b| b + 0.25).collect::<Vec<_>>());
    let a = crate::arrhythmia::synthetic::arterial(seconds, &pulses.iter().map(|b| b + 0.15).collect::<Vec<_>>());
    (e, p, a)
}

/// The alarms of `condition`, oldest onset first (a flat, noisy lead may
/// give the detector a spurious beat that ends an episode and begins another).
fn alarms_of(w: &WardAlarms, condition: Condition) -> Vec<Alarm> {
    let mut all: Vec<Alarm> = w.bed("b1").unwrap().log().filter(|a| a.id.condition == condition).cloned().collect();
    all.sort_by_key(|a| a.id.onset);
    assert!(all.len() <= 2, "{condition:?} episodes: {all:?}");
    all
}

fn line() -> Condition {
    Condition::PossibleArtefact { kind: ArrhythmiaKind::Asystole }
}

#[test]
fn asystole_held_back_by_two_pulses_shows_at_once_as_a_low_priority_possible_artefact_with_its_evidence() {
    let (e, p, a) = lead_lost_with_two_pulses(40.0, 40.0);
    let mut w = WardAlarms::new(AlarmOptions::default());
    stream(&mut w, &[(WaveKind::EcgII, &e), (WaveKind::Pleth, &p), (WaveKind::Abp, &a)]);
    let lines = alarms_of(&w, line());
    let al = lines.first().expect("a possible-artefact line");
    assert_eq!(al.priority, Priority::Low, "{al:?}");
    assert!(al.active() && !al.latching);
    let text = al.describe();
    assert!(text.starts_with("Asystole? Possible artefact:"), "{text}");
    assert!(text.contains("PPG") && text.contains("ABP") && text.contains("confirmed by"), "{text}");
    assert!(al.raised - al.id.onset < 7000, "shown when first checked, {} ms after onset", al.raised - al.id.onset);
    assert!(alarms_of(&w, arrhythmia(ArrhythmiaKind::Asystole)).is_empty(), "nothing high yet");
    assert_eq!(w.audible(T + 40 * S), Some(Priority::Low), "a low-priority line, never silence");
}

#[test]
fn a_possible_artefact_sounds_high_with_its_onset_when_the_pulses_stop_too() {
    let (e, p, a) = lead_lost_with_two_pulses(32.0, 50.0);
    let mut w = WardAlarms::new(AlarmOptions::default());
    stream(&mut w, &[(WaveKind::EcgII, &e), (WaveKind::Pleth, &p), (WaveKind::Abp, &a)]);
    let held = alarms_of(&w, line());
    let al = alarms_of(&w, arrhythmia(ArrhythmiaKind::Asystole)).remove(0);
    assert_eq!(al.priority, Priority::High, "{al:?}");
    assert!(al.latching);
    let last = T + (regular(0.5, 20.0, 75.0).last().unwrap() * 1000.0) as i64;
    assert!((al.id.onset - last).abs() < 50, "the onset stays the ECG's last beat");
    assert_eq!(held[0].id.onset, al.id.onset, "the line it replaces had the same onset");
    assert!(held[0].ended.is_some_and(|e| e <= al.raised + 250), "the line ends when the alarm sounds: {:?}", held[0]);
    assert!(al.raised > T + 32 * S && al.raised < T + 45 * S, "high once the pulses stopped: {}", al.raised - T);
    assert!(al.rhythm.as_ref().is_some_and(|d| d.keep), "{:?}", al.rhythm);
    assert_eq!(w.audible(T + 50 * S), Some(Priority::High));
}

#[test]
fn a_possible_artefact_that_lasts_past_the_deferral_limit_sounds_high_whatever_the_evidence() {
    let (e, p, a) = lead_lost_with_two_pulses(70.0, 70.0);
    let mut w = WardAlarms::new(AlarmOptions::default());
    stream(&mut w, &[(WaveKind::EcgII, &e), (WaveKind::Pleth, &p), (WaveKind::Abp, &a)]);
    let first = alarms_of(&w, line()).remove(0);
    let high = alarms_of(&w, arrhythmia(ArrhythmiaKind::Asystole));
    assert_eq!(high.len(), 1, "{high:?}");
    let al = &high[0];
    assert_eq!(al.priority, Priority::High);
    // Counted from the first onset, even if a spurious beat on the flat lead
    // ended that episode and began another.
    let limit = (crate::arrhythmia::policy::DEFERRAL_LIMIT_S * 1000.0) as i64;
    let late = al.raised - first.id.onset;
    assert!(late >= limit && late < limit + 1000, "high {late} ms after the first onset");
    let d = al.rhythm.as_ref().unwrap();
    assert!(d.keep && d.reason.starts_with("lasted 30 s"), "{d:?}");
    assert_eq!(w.audible(T + 70 * S), Some(Priority::High));
}

#[test]
fn a_possible_artefact_sounds_high_at_the_limit_even_when_the_waves_stop_and_only_numerics_arrive() {
    let (e, p, a) = lead_lost_with_two_pulses(70.0, 70.0);
    let waves = [(WaveKind::EcgII, &e[..]), (WaveKind::Pleth, &p[..]), (WaveKind::Abp, &a[..])];
    let mut w = WardAlarms::new(AlarmOptions::default());
    stream_span(&mut w, &waves, None, 0.0, 30.0);
    let first = alarms_of(&w, line()).remove(0);
    assert_eq!(first.priority, Priority::Low);
    // From 30 s the gateway sends HR once a second and no waves at all.
    for k in 30..70 {
        let t0 = T + k * S;
        let raw = RawFrame {
            seq: 10_000 + k as u64,
            numerics: vec![RawNumeric { kind: VitalKind::Hr, t: t0, value: 75.0 }],
            waves: vec![],
            technical: vec![],
        };
        w.on_frame("b1", &Frame::try_from(raw).unwrap(), t0);
        w.tick(t0, true);
    }
    let high = alarms_of(&w, arrhythmia(ArrhythmiaKind::Asystole));
    assert_eq!(high.len(), 1, "{high:?}");
    let late = high[0].raised - first.id.onset;
    let limit = (crate::arrhythmia::policy::DEFERRAL_LIMIT_S * 1000.0) as i64;
    assert!(late >= limit && late < limit + 1500, "high {late} ms after onset");
    assert!(high[0].rhythm.as_ref().is_some_and(|d| d.reason.contains("no waveform")), "{:?}", high[0].rhythm);
    assert_eq!(w.audible(T + 70 * S), Some(Priority::High));
}

#[test]
fn acknowledging_the_possible_artefact_never_silences_the_alarm_it_becomes_even_when_delivered_again() {
    let (e, p, a) = lead_lost_with_two_pulses(32.0, 50.0);
    let waves = [(WaveKind::EcgII, &e[..]), (WaveKind::Pleth, &p[..]), (WaveKind::Abp, &a[..])];
    let mut w = WardAlarms::new(AlarmOptions::default());
    stream_span(&mut w, &waves, None, 0.0, 30.0);
    let at = T + 30 * S;
    let ack = super::event(1, at, BedEvent::Acknowledge { ids: w.to_acknowledge("b1") });
    assert!(w.to_acknowledge("b1").iter().any(|id| id.condition == line()));
    w.on_event(&ack);
    assert_eq!(w.audible(at + S), None, "the low line's sound paused");
    stream_span(&mut w, &waves, None, 30.0, 50.0);
    // The same acknowledgement again (the server's copy, or a late tablet's).
    w.on_event(&ack);
    let al = alarms_of(&w, arrhythmia(ArrhythmiaKind::Asystole)).remove(0);
    assert_eq!((al.priority, al.ack.is_none()), (Priority::High, true), "{al:?}");
    assert_eq!(w.audible(T + 50 * S), Some(Priority::High));
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
