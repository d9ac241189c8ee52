//! A learned detector beside the baseline rules, specified with stand-in
//! models (the trained one is judged by `vigil-train`'s evaluation): it can
//! make a bed unusual earlier, never quieter, and never without a reason.

use super::tests::{linear, raised, stable, MIN, T0};
use super::*;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn run_with(model: Option<Model>, numerics: &[(i64, VitalKind, f64)]) -> (BedDrift, Vec<DriftChange>) {
    let mut d = BedDrift::with_model(model);
    let mut changes = Vec::new();
    for &(off, kind, v) in numerics {
        d.on_numeric(kind, T0 + off, v);
        changes.extend(d.take_changes());
    }
    (d, changes)
}

const ALWAYS: Model = Model::new(|_| 1.0, 0.5);
const NEVER: Model = Model::new(|_| 0.0, 0.5);
/// Unusual when HR has moved more than one deviation the worse way.
const HR_UP: Model = Model::new(|f| f32::from(f[0] > 0.2), 0.5);

#[test]
fn a_model_that_always_alarms_still_needs_a_parameter_that_moved() {
    let (d, changes) = run_with(Some(ALWAYS), &stable(8 * 60));
    assert!(raised(&changes).is_empty(), "{changes:?}");
    let a = d.assessment().unwrap();
    assert_eq!(a.learned, Some(1.0));
    assert!(!a.unusual && a.drivers.is_empty(), "{a:?}");
}

#[test]
fn a_model_never_silences_what_the_baseline_rules_raise() {
    let inj = linear(vec![(Param::Hr, 25.0), (Param::Rr, 7.0)], 4 * 60, 60, 60);
    let data = inj.apply(&stable(6 * 60));
    let (_, rules) = run_with(None, &data);
    let (_, with_model) = run_with(Some(NEVER), &data);
    assert_eq!(raised(&rules).len(), 1);
    assert_eq!(rules, with_model);
}

#[test]
fn a_model_can_advise_a_drift_too_small_for_the_rules_and_says_why() {
    // HR +8/min and SpO2 -2.5 % over an hour: under the rules' clinically
    // meaningful changes (10 and 3), over half of them.
    let inj = linear(vec![(Param::Hr, 8.0), (Param::Spo2, -2.5)], 4 * 60, 60, 60);
    let data = inj.apply(&stable(6 * 60));
    let (_, rules) = run_with(None, &data);
    assert!(raised(&rules).is_empty(), "{rules:?}");
    let (d, changes) = run_with(Some(HR_UP), &data);
    let onsets = raised(&changes);
    assert_eq!(onsets.len(), 1, "{changes:?}");
    assert!(onsets[0] - T0 >= inj.start_ms, "not before the drift began");
    let a = &d.advisory().expect("raised").assessment;
    assert!(a.by_model && a.unusual, "{a:?}");
    assert!(a.reason.starts_with("HR +") && a.reason.contains("SpO2 -"), "{}", a.reason);
    assert!(a.drivers.iter().all(|x| x.z >= 2.0 && x.param.worse() * x.delta >= 0.5 * x.param.min_change()));
}

#[test]
fn a_bed_without_the_network_advises_a_combined_drift_with_the_rule_alone() {
    // The tablet's build carries no network: the combined-drift rule still
    // advises the drift the rules alone miss, and stays quiet on a steady bed.
    let inj = linear(vec![(Param::Hr, 8.0), (Param::Spo2, -2.5)], 4 * 60, 60, 60);
    let data = inj.apply(&stable(6 * 60));
    let (d, changes) = run_with(Some(COMBINED_DRIFT), &data);
    assert_eq!(raised(&changes).len(), 1, "{changes:?}");
    assert!(d.advisory().expect("raised").by_model);
    let (_, quiet) = run_with(Some(COMBINED_DRIFT), &stable(8 * 60));
    assert!(raised(&quiet).is_empty(), "{quiet:?}");
    #[cfg(not(feature = "learned"))]
    assert_eq!(BedDrift::new(), BedDrift::with_model(Some(COMBINED_DRIFT)));
}

#[test]
fn every_judged_minute_is_recorded_once_for_training_and_a_rejudge_starts_again() {
    let mut d = BedDrift::baseline_only();
    d.record_features();
    for &(off, kind, v) in &stable(3 * 60) {
        d.on_numeric(kind, T0 + off, v);
    }
    let rows = d.take_features();
    let judged = 3 * 60 - WARM_UP_MIN - 1;
    assert!((judged - 2..=judged + 2).contains(&(rows.len() as i64)), "{} rows", rows.len());
    assert!(rows.windows(2).all(|w| w[1].0 - w[0].0 == MIN), "one row per minute");
    // HR is measured every minute (so are RR and SpO2).
    assert!(rows.iter().all(|r| r.1[PER_PARAM - 1] == 1.0 && !r.2));
    assert!(d.take_features().is_empty());
    d.rejudge();
    let again = d.take_features();
    assert_eq!(again.len(), rows.len(), "the same minutes judged again");
    assert_eq!(again.last().unwrap().1, rows.last().unwrap().1, "and seen the same");
}

#[test]
fn the_learned_detector_alone_never_advises_a_single_parameter() {
    // HR +7/min, or SpO2 -4 % over hours, on its own: the kind of wander a
    // stable patient has (both seen on the 32 h MIMIC-II record). The learned
    // detector is for combined drifts; one parameter alone is the rules' to
    // judge (six deviations and twice a meaningful change).
    for (param, change) in [(Param::Hr, 7.0), (Param::Hr, 14.0), (Param::Spo2, -4.0)] {
        let one = linear(vec![(param, change)], 4 * 60, 40, 60);
        let (_, changes) = run_with(Some(ALWAYS), &one.apply(&stable(6 * 60)));
        assert!(raised(&changes).is_empty(), "{param:?} {change}: {changes:?}");
    }
}

#[test]
fn an_advisory_the_learned_detector_raised_says_so_and_is_confirmed_when_the_rules_catch_up() {
    // HR +8/min and SpO2 -2.5 % over an hour (the model's), then on to HR
    // +25/min and RR +7/min (the rules').
    let early = linear(vec![(Param::Hr, 8.0), (Param::Spo2, -2.5)], 4 * 60, 60, 120);
    let late = linear(vec![(Param::Hr, 17.0), (Param::Rr, 7.0)], 5 * 60 + 20, 30, 60);
    let data = late.apply(&early.apply(&stable(7 * 60)));
    let (d, changes) = run_with(Some(HR_UP), &data);
    let adv = d.advisory().expect("raised");
    assert!(adv.by_model, "raised by the learned detector: {adv:?}");
    let confirmed = adv.confirmed.expect("the rules confirmed it");
    assert!(confirmed > adv.raised && !adv.assessment.by_model, "{adv:?}");
    assert_eq!(changes, vec![DriftChange::Raised(adv.onset), DriftChange::Confirmed(adv.onset)]);
    // The rules alone raise it later; with the model it is one advisory.
    let (rules, _) = run_with(None, &data);
    let by_rules = rules.advisory().expect("the rules raise it too");
    assert!(!by_rules.by_model && by_rules.confirmed.is_none());
    assert!(adv.raised < by_rules.raised, "the model was earlier");
}
