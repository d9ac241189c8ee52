//! The learned second look at kept V-tach alarms, specified with a network
//! that calls every alarm false: what it may suppress, the guard rails that
//! keep a lethal rhythm sounding whatever it says, and the embedded network.

use super::check::{decide_rules, decide_with, CheckParams, Evidence};
use super::monitor::ChannelKind;
use super::synthetic::{ecg, monitor, regular, wide_beats};
use super::vt_features::{features, NAMES, N_FEATURES};
use super::vt_net::{embedded, Member, VtNet};
use super::vt_tests::following;
use super::ArrhythmiaKind::{Asystole, VentricularTachycardia};

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// A network whose score is `logit` for every alarm, threshold 0.
fn constant(logit: f32) -> VtNet {
    VtNet {
        features: NAMES.iter().map(|s| s.to_string()).collect(),
        mean: vec![0.0; N_FEATURES],
        scale: vec![1.0; N_FEATURES],
        members: vec![Member {
            hidden: vec![vec![0.0; N_FEATURES]],
            hidden_bias: vec![0.0],
            out: vec![0.0],
            out_bias: logit,
        }],
        threshold: 0.0,
        trained_on: "a test".into(),
        seed: 0,
        epochs: 0,
    }
}

/// Leads II and V (a smaller V) of the signal `e`, and `others`.
fn two_leads(e: &[f64], others: &[(ChannelKind, &str, &[f64])]) -> Evidence {
    let v: Vec<f64> = e.iter().map(|x| 0.8 * x).collect();
    let mut channels = vec![(ChannelKind::Ecg, "II", e), (ChannelKind::Ecg, "V", &v[..])];
    channels.extend_from_slice(others);
    Evidence::gather(&monitor(&channels), VentricularTachycardia, 40.0)
}

/// Wide complexes at 110/min on two leads, each with a pulse: the rules
/// keep it (VT with a pulse is possible).
fn wide_with_a_pulse() -> Evidence {
    let beats = regular(0.5, 40.0, 110.0);
    two_leads(&wide_beats(40.0, &beats), &[(ChannelKind::Ppg, "PLETH", &following(&beats))])
}

#[test]
fn a_kept_alarm_with_a_beating_pulse_is_suppressed_when_the_network_calls_it_false_and_says_why() {
    let ev = wide_with_a_pulse();
    let p = CheckParams::default();
    let rules = decide_rules(&ev, &p);
    assert!(rules.keep, "the premise: the rules keep it, {rules:?}");
    let d = decide_with(&ev, &p, Some(&constant(-3.0)));
    assert!(!d.keep, "{d:?}");
    assert!(
        d.reason.starts_with("learned check") && d.reason.contains("score -3.0") && d.reason.contains("PPG at 110/min"),
        "{}",
        d.reason
    );
    assert!(d.reason.contains(&rules.reason), "the rules' reason is kept for the history: {}", d.reason);
    // A network that calls it true changes nothing.
    assert_eq!(decide_with(&ev, &p, Some(&constant(3.0))), rules);
}

#[test]
fn on_one_lead_the_network_never_silences_v_tach() {
    // Trained on two-lead recordings only.
    let beats = regular(0.5, 40.0, 110.0);
    let m = monitor(&[
        (ChannelKind::Ecg, "II", &wide_beats(40.0, &beats)),
        (ChannelKind::Ppg, "PLETH", &following(&beats)),
    ]);
    let ev = Evidence::gather(&m, VentricularTachycardia, 40.0);
    let p = CheckParams::default();
    assert!(decide_with(&ev, &p, Some(&constant(-100.0))).keep);
}

#[test]
fn with_no_pulse_waveform_the_network_never_silences_v_tach() {
    let ev = two_leads(&wide_beats(40.0, &regular(0.5, 40.0, 110.0)), &[]);
    let p = CheckParams::default();
    let d = decide_with(&ev, &p, Some(&constant(-100.0)));
    assert!(d.keep, "{d:?}");
    assert_eq!(d, decide_rules(&ev, &p));
}

#[test]
fn with_a_flat_pulse_waveform_the_network_never_silences_v_tach() {
    let e = wide_beats(40.0, &regular(0.5, 40.0, 110.0));
    let flat = vec![0.0; e.len()];
    let ev = two_leads(&e, &[(ChannelKind::Ppg, "PLETH", &flat)]);
    assert!(decide_with(&ev, &CheckParams::default(), Some(&constant(-100.0))).keep);
}

#[test]
fn a_pulse_fading_with_the_alarm_keeps_v_tach_whatever_the_network_says() {
    // Wide complexes at 110/min; the pleth's pulses fall to 40 % of their
    // height over the last 4 s (falling output).
    let beats = regular(0.5, 40.0, 110.0);
    let mut pleth = following(&beats);
    let from = (36.0 * super::synthetic::FS) as usize;
    for v in &mut pleth[from..] {
        *v *= 0.4;
    }
    let ev = two_leads(&wide_beats(40.0, &beats), &[(ChannelKind::Ppg, "PLETH", &pleth)]);
    let p = CheckParams::default();
    let rules = decide_rules(&ev, &p);
    assert!(rules.keep, "the premise: the rules keep it, {rules:?}");
    assert_eq!(decide_with(&ev, &p, Some(&constant(-100.0))), rules);
    // The same pulse unfaded is open to the second look.
    assert!(!decide_with(&wide_with_a_pulse(), &p, Some(&constant(-100.0))).keep);
}

#[test]
fn a_sustained_wide_fast_run_on_every_lead_keeps_v_tach_whatever_the_network_says() {
    // Narrow beats at 75/min, then from 28 s a wide run at 160/min on both
    // leads; the pleth carries on at the sinus rate (a pulse the run barely
    // perfuses would look no different to a network).
    let sinus = regular(0.5, 28.0, 75.0);
    let run = regular(28.2, 40.0, 160.0);
    let lead = |noise| -> Vec<f64> {
        ecg(40.0, &sinus, noise).iter().zip(wide_beats(40.0, &run)).map(|(a, b)| a + b).collect()
    };
    let (ii, v) = (lead(0.01), lead(0.02));
    let m = monitor(&[
        (ChannelKind::Ecg, "II", &ii),
        (ChannelKind::Ecg, "V", &v),
        (ChannelKind::Ppg, "PLETH", &following(&regular(0.5, 40.0, 75.0))),
    ]);
    let ev = Evidence::gather(&m, VentricularTachycardia, 40.0);
    let p = CheckParams::default();
    let rules = decide_rules(&ev, &p);
    assert!(rules.keep, "the premise: the rules keep it, {rules:?}");
    assert!(
        ev.usual.iter().flatten().all(|u| u.longest_other_run >= super::vt_net::GUARD_RUN),
        "the premise: a long run unlike the usual beat, {:?}",
        ev.usual
    );
    assert_eq!(decide_with(&ev, &p, Some(&constant(-100.0))), rules);
}

#[test]
fn the_network_looks_only_at_v_tach() {
    let beats = regular(0.5, 40.0, 75.0);
    let m = monitor(&[(ChannelKind::Ecg, "II", &vec![0.0; 10_000]), (ChannelKind::Ppg, "PLETH", &following(&beats))]);
    let ev = Evidence::gather(&m, Asystole, 40.0);
    let p = CheckParams::default();
    assert_eq!(decide_with(&ev, &p, Some(&constant(-100.0))), decide_rules(&ev, &p));
}

#[test]
fn the_embedded_network_loads_fits_the_features_and_scores_alike_every_time() {
    let net = embedded().expect("the embedded vt_net.json loads and fits this build's features");
    assert!(net.valid());
    assert!(net.trained_on.contains("vigil-train"), "{}", net.trained_on);
    let ev = wide_with_a_pulse();
    let x = features(&ev);
    assert!(x.iter().all(|v| v.is_finite()), "{x:?}");
    assert_eq!(net.logit(&x).to_bits(), net.logit(&features(&ev)).to_bits());
}
