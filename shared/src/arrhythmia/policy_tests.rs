//! The suppression policy for lethal rhythms ([`super::policy`]), specified
//! on synthetic waveforms: one channel never silences a lethal alarm, two
//! that agree may hold it back, and the non-lethal alarms are untouched.

use super::check::{check, CheckParams, Evidence};
use super::monitor::ChannelKind;
use super::policy::{corroborating, guard, is_lethal};
use super::synthetic::{arterial, ecg, monitor, pulse, regular};
use super::ArrhythmiaKind;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn flat() -> Vec<f64> {
    ecg(40.0, &[], 0.005)
}

#[test]
fn a_flat_ecg_with_only_the_pleth_beating_keeps_asystole_and_says_one_channel_is_not_enough() {
    let pleth = pulse(40.0, &regular(0.3, 40.0, 78.0));
    let m = monitor(&[(ChannelKind::Ecg, "II", &flat()), (ChannelKind::Ppg, "PLETH", &pleth)]);
    let d = check(&m, ArrhythmiaKind::Asystole, 40.0);
    assert!(d.keep, "{d:?}");
    assert!(d.reason.contains("one channel alone cannot silence Asystole"), "{}", d.reason);
    assert!(d.reason.contains("PPG"), "the refutation it did not trust is named: {}", d.reason);
}

#[test]
fn a_flat_ecg_with_pleth_and_arterial_line_beating_together_holds_asystole_back_naming_both() {
    let beats = regular(0.3, 40.0, 78.0);
    let pleth = pulse(40.0, &beats.iter().map(|b| b + 0.25).collect::<Vec<_>>());
    let art = arterial(40.0, &beats.iter().map(|b| b + 0.15).collect::<Vec<_>>());
    let m = monitor(&[
        (ChannelKind::Ecg, "II", &flat()),
        (ChannelKind::Ppg, "PLETH", &pleth),
        (ChannelKind::Abp, "ABP", &art),
    ]);
    let d = check(&m, ArrhythmiaKind::Asystole, 40.0);
    assert!(!d.keep, "{d:?}");
    assert!(d.reason.contains("confirmed by") && d.reason.contains("PPG") && d.reason.contains("ABP"), "{}", d.reason);
}

#[test]
fn two_pulse_channels_at_rates_that_disagree_confirm_nothing() {
    let pleth = pulse(40.0, &regular(0.3, 40.0, 75.0));
    let art = arterial(40.0, &regular(0.2, 40.0, 120.0));
    let m = monitor(&[
        (ChannelKind::Ecg, "II", &flat()),
        (ChannelKind::Ppg, "PLETH", &pleth),
        (ChannelKind::Abp, "ABP", &art),
    ]);
    let ev = Evidence::gather(&m, ArrhythmiaKind::Asystole, 40.0);
    assert!(corroborating(&ev, &CheckParams::default()).is_none());
    assert!(check(&m, ArrhythmiaKind::Asystole, 40.0).keep);
}

#[test]
fn a_clean_lead_with_a_pulse_at_its_rate_may_hold_back_vf_but_the_lead_alone_may_not() {
    let beats = regular(0.4, 40.0, 72.0);
    let e = ecg(40.0, &beats, 0.01);
    let pleth = pulse(40.0, &beats.iter().map(|b| b + 0.25).collect::<Vec<_>>());
    let both = monitor(&[(ChannelKind::Ecg, "II", &e), (ChannelKind::Ppg, "PLETH", &pleth)]);
    let lead_only = monitor(&[(ChannelKind::Ecg, "II", &e)]);
    let d = check(&both, ArrhythmiaKind::VentricularFlutterFib, 40.0);
    assert!(!d.keep, "{d:?}");
    let d = check(&lead_only, ArrhythmiaKind::VentricularFlutterFib, 40.0);
    assert!(d.keep && d.reason.contains("one channel alone"), "{d:?}");
}

#[test]
fn the_policy_never_touches_a_kept_alarm_nor_the_non_lethal_ones() {
    let pleth = pulse(40.0, &regular(0.3, 40.0, 78.0));
    let m = monitor(&[(ChannelKind::Ecg, "II", &flat()), (ChannelKind::Ppg, "PLETH", &pleth)]);
    let p = CheckParams::default();
    for kind in ArrhythmiaKind::ALL {
        let ev = Evidence::gather(&m, kind, 40.0);
        let kept = super::check::Decision { alarm: kind, keep: true, reason: "kept".into() };
        assert_eq!(guard(&ev, &p, kept.clone()), kept);
        let suppressed = super::check::Decision { alarm: kind, keep: false, reason: "refuted".into() };
        assert_eq!(guard(&ev, &p, suppressed.clone()).keep, is_lethal(kind), "{kind:?}");
    }
    assert!(!is_lethal(ArrhythmiaKind::ExtremeBradycardia) && !is_lethal(ArrhythmiaKind::ExtremeTachycardia));
}

/// Over many synthetic beds (a lead, a pleth and an arterial line, each
/// beating at its own rate, flat or absent), a lethal alarm is only ever
/// held back with two organised channels agreeing on the rate: the property
/// itself, whatever rule refuted it.
#[test]
fn no_lethal_alarm_is_held_back_without_two_channels_that_agree() {
    let rates = [None, Some(50.0), Some(75.0), Some(80.0), Some(130.0)];
    let mut held = 0;
    for &lead in &rates {
        for &ppg in &rates {
            for &abp in &rates {
                let e = lead.map_or_else(flat, |r| ecg(40.0, &regular(0.4, 40.0, r), 0.01));
                let q = ppg.map_or_else(|| vec![0.5; e.len()], |r| pulse(40.0, &regular(0.6, 40.0, r)));
                let a = abp.map_or_else(|| vec![80.0; e.len()], |r| arterial(40.0, &regular(0.5, 40.0, r)));
                let m = monitor(&[
                    (ChannelKind::Ecg, "II", &e),
                    (ChannelKind::Ppg, "PLETH", &q),
                    (ChannelKind::Abp, "ABP", &a),
                ]);
                for kind in ArrhythmiaKind::ALL.into_iter().filter(|&k| is_lethal(k)) {
                    let d = check(&m, kind, 40.0);
                    if !d.keep {
                        held += 1;
                        let ev = Evidence::gather(&m, kind, 40.0);
                        let group = corroborating(&ev, &CheckParams::default());
                        assert!(
                            group.is_some_and(|g| g.len() >= 2),
                            "{kind:?} held back on {lead:?}/{ppg:?}/{abp:?}: {d:?}"
                        );
                        // Two channels beating at the same rate (the same heart).
                        let rates: Vec<f64> = [lead, ppg, abp].iter().flatten().copied().collect();
                        let agree = rates.iter().enumerate().any(|(i, r)| rates[i + 1..].contains(r));
                        assert!(agree, "{kind:?} held back without two channels at one rate: {d:?}");
                    }
                }
            }
        }
    }
    assert!(held > 0, "some alarms are held back, so the property was exercised");
}
