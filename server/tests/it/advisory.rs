//! The "unusual trend" advisory on the real recordings, with floors taken
//! from `vigil advisory-eval` (2026-12-01: 0 advisories in the 32 h MIMIC-II
//! record, 1 in the artefact-laden one; of the drifts to just past a default
//! limit that alarmed, 85 % advised before the alarm, median lead 16 min; of
//! the 4 h ones, 94 %): a change that makes the advisory noisier or later
//! fails here.

/// Drifts to a limit advised before their alarm (measured 85 %).
const FLOOR_BEFORE_ALARM: f64 = 0.82;

use crate::data;
use vigil_server::advisory_eval::{run, Trial};

#[test]
fn the_advisory_is_quiet_on_stable_patients_and_early_on_injected_drifts() {
    let report = run(&data("")).unwrap();
    let long = report.stable.iter().find(|r| r.name.contains("s00001")).expect("the 32 h record");
    assert!(long.hours > 30.0, "{long:?}");
    assert!(long.advisories <= 1, "false advisories on 32 stable hours: {long:?}");
    let noisy = report.stable.iter().find(|r| r.name.contains("s25047")).expect("the artefact-laden record");
    assert!(noisy.advisories <= 1, "{noisy:?}");

    let to_alarm: Vec<_> = report.trials.iter().filter(|t| t.to_alarm && t.alarm.is_some()).collect();
    assert!(to_alarm.len() > 400, "{}", to_alarm.len());
    let before = |t: &&&Trial| t.before_alarm() == Some(true);
    let detected = to_alarm.iter().filter(before).count() as f64 / to_alarm.len() as f64;
    assert!(detected >= FLOOR_BEFORE_ALARM, "advised before the alarm in {:.1} %", 100.0 * detected);
    let mut leads: Vec<f64> = to_alarm.iter().filter(before).filter_map(|t| t.lead_min()).collect();
    leads.sort_by(f64::total_cmp);
    let median = leads[leads.len() / 2];
    assert!(median >= 15.0, "median lead {median:.0} min");
    // Slow drifts are the advisory's reason to exist: four-hour ramps too.
    let slow: Vec<&Trial> = to_alarm.iter().copied().filter(|t| t.ramp_min == 240).collect();
    let slow_detected = slow.iter().filter(|t| t.before_alarm() == Some(true)).count() as f64 / slow.len() as f64;
    assert!(slow_detected >= 0.9, "{:.1} % of 4 h drifts", 100.0 * slow_detected);
}
