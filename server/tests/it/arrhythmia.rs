//! The arrhythmia-alarm check and the QRS detector on the real recordings
//! (`../shared/data`): the EC57 figures, the Challenge 2015 score (in sample
//! and cross-validated) as regression floors, and the command's behaviour on
//! bad input. The figures themselves are printed by `vigil qrs-check` and
//! `vigil review-alarms DIR --cross-validate 5`.

use crate::data;
use std::path::Path;
use vigil_server::review::{qrs_check, review_dir, ReviewOptions, Split};

#[test]
fn qrs_detection_meets_ec57_on_the_clean_records_and_holds_on_the_rest() {
    let rows = qrs_check(&data("mitbih")).unwrap();
    assert_eq!(rows.len(), 8);
    for r in &rows {
        let (se, pp) = (100.0 * r.counts.sensitivity(), 100.0 * r.counts.positive_predictivity());
        let floor = match r.record.as_str() {
            "100" | "103" => 99.5,
            // Heavy noise (105) and a noisy lead with large P waves (108).
            "105" => 98.0,
            "108" => 95.0,
            _ => 99.0,
        };
        assert!(se >= floor && pp >= floor, "record {}: Se {se:.2} +P {pp:.2}, floor {floor}", r.record);
    }
}

fn table_line<'a>(err: &'a str, heading: &str, row: &str) -> Vec<&'a str> {
    let start = err.find(heading).unwrap_or_else(|| panic!("no {heading:?} in {err}"));
    err[start..].lines().find(|l| l.starts_with(row)).unwrap().split_whitespace().collect()
}

#[test]
fn the_challenge_alarms_are_checked_with_a_score_floor_in_sample_and_cross_validated() {
    let dir = data("challenge2015");
    // The design set: the 550 but the committed lockbox, which is scored
    // once per piece of work by hand (`--split lockbox`), never in tests.
    let opts = ReviewOptions { reasons: false, folds: Some(5), split: Split::Design, ..Default::default() };
    let (out, err) = review_dir(&dir, &opts).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 369);
    assert!(lines.iter().all(|l| {
        let f: Vec<&str> = l.split(',').collect();
        f.len() == 3 && (f[2] == "0" || f[2] == "1")
    }));
    // Columns: type n TP FN TN FP TPR TNR score
    let all = table_line(&err, "default thresholds", "all");
    let (tpr, score): (f64, f64) = (all[6].parse().unwrap(), all[8].parse().unwrap());
    // The rules under the policy for lethal rhythms (measured 69.97, TPR
    // 99.3 %: one channel alone no longer holds a lethal alarm back, which
    // keeps 41 false alarms the rules refute).
    assert!(tpr >= 99.0 && score >= 69.5, "in sample: TPR {tpr}, score {score}\n{err}");
    // Held out: the sensitivity target, at least 97 % of true alarms kept.
    let cv = table_line(&err, "cross-validation", "all");
    let (cv_tpr, cv_score): (f64, f64) = (cv[6].parse().unwrap(), cv[8].parse().unwrap());
    assert!(cv_tpr >= 97.0 && cv_score >= 68.0, "cross-validated: TPR {cv_tpr}, score {cv_score}\n{err}");
    // Keeping every alarm scores 39: the check must do far better on each type
    // it can refute, and never suppress most true alarms of a type.
    // V-fib and V-tach lower: a pulse at a chest-compression rate and a
    // complex of ventricular width are never taken as refuting them.
    // Every part of each true alarm's channels (the live app streams one
    // lead and the pleth): only the known few may be suppressed.
    let parts = err.lines().find(|l| l.starts_with("True alarms on each part")).expect("the subsets line");
    let suppressed: usize = parts.split(": ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    assert!(suppressed <= 2, "true alarms suppressed on subsets of their channels: {parts}\n{err}");
    for (t, floor) in [
        ("Asystole", 50.0),
        ("Bradycardia", 88.0),
        ("Tachycardia", 95.0),
        ("Ventricular_Flutter_Fib", 60.0),
        ("Ventricular_Tachycardia", 60.0),
    ] {
        let row = table_line(&err, "default thresholds", t);
        let s: f64 = row[8].parse().unwrap();
        assert!(s >= floor, "{t}: {s}, floor {floor}");
    }
}

fn link_records(to: &Path, names: &[&str], with_labels: bool) {
    let src = data("challenge2015");
    for n in names {
        for ext in ["hea", "dat"] {
            std::os::unix::fs::symlink(src.join(format!("{n}.{ext}")), to.join(format!("{n}.{ext}"))).unwrap();
        }
    }
    std::fs::write(to.join("RECORDS"), names.join("\n") + "\n").unwrap();
    if with_labels {
        let all = std::fs::read_to_string(src.join("ALARMS")).unwrap();
        let keep: String = all
            .lines()
            .filter(|l| names.iter().any(|n| l.starts_with(&format!("{n},"))))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(to.join("ALARMS"), keep).unwrap();
    }
}

#[test]
fn decisions_never_depend_on_the_labels() {
    let names = ["a103l", "a105l", "b183l", "b349l", "t320s", "v328s", "v623l", "f563l"];
    let (with, without) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    link_records(with.path(), &names, true);
    link_records(without.path(), &names, false);
    let opts = ReviewOptions { reasons: true, folds: None, ..Default::default() };
    let (a, err_a) = review_dir(with.path(), &opts).unwrap();
    let (b, err_b) = review_dir(without.path(), &opts).unwrap();
    assert_eq!(a, b);
    assert!(err_a.contains("score") && !err_b.contains("score"));
    assert!(err_b.contains("v623l: V-tach kept: one channel alone cannot silence V-tach"), "{err_b}");
}

#[test]
fn bad_input_gets_a_clear_error_or_a_safe_decision() {
    let empty = tempfile::tempdir().unwrap();
    let e = review_dir(empty.path(), &ReviewOptions { reasons: false, folds: None, ..Default::default() }).unwrap_err();
    assert!(format!("{e:#}").contains("RECORDS"), "{e:#}");

    // One good record, one with a corrupt header, one missing: the bad ones are
    // kept (a monitor's alarm is never dropped for want of a check) and named.
    let dir = tempfile::tempdir().unwrap();
    link_records(dir.path(), &["a103l"], false);
    std::fs::write(dir.path().join("x1.hea"), "x1 three 250\n").unwrap();
    std::fs::write(dir.path().join("RECORDS"), "a103l\nx1\nx2\n").unwrap();
    let (out, err) =
        review_dir(dir.path(), &ReviewOptions { reasons: false, folds: None, ..Default::default() }).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[1..], ["x1,,1", "x2,,1"]);
    assert!(err.contains("x1: kept, the record could not be checked") && err.contains("x2: kept"), "{err}");

    let mit = tempfile::tempdir().unwrap();
    assert!(format!("{:#}", qrs_check(mit.path()).unwrap_err()).contains("no .atr"));
    std::fs::write(mit.path().join("r.atr"), [0u8, 0]).unwrap();
    std::fs::write(mit.path().join("r.hea"), "r 0 360 10\n").unwrap();
    assert!(format!("{:#}", qrs_check(mit.path()).unwrap_err()).contains("describes no signal"));

    std::fs::write(dir.path().join("ALARMS"), "a103l,Asystole,maybe\n").unwrap();
    let e = review_dir(dir.path(), &ReviewOptions { reasons: false, folds: None, ..Default::default() }).unwrap_err();
    assert!(format!("{e:#}").contains("not 0 or 1"), "{e:#}");
}

/// The policy for lethal rhythms on the real recordings: on every subset of
/// every design alarm's channels, an asystole, V-tach or V-fib is held back
/// only where two channels corroborate an organised rhythm, and never on
/// one channel alone.
#[test]
fn no_lethal_alarm_of_the_challenge_is_held_back_on_one_channel_or_without_corroboration() {
    use vigil_shared::arrhythmia::check::{decide, CheckParams};
    use vigil_shared::arrhythmia::{lockbox, policy, subsets};
    let dir = data("challenge2015");
    let names = std::fs::read_to_string(dir.join("RECORDS")).unwrap();
    let (mut judged, mut held) = (0, 0);
    for name in names.lines().map(str::trim).filter(|n| !n.is_empty() && !lockbox::contains(n)) {
        let r = vigil_server::review::review_record(&dir, name).unwrap();
        let Some(ev) = r.evidence.filter(|e| policy::is_lethal(e.alarm)) else { continue };
        let n = ev.long.len().min(12);
        for mask in 1u32..(1 << n) {
            let keep: Vec<bool> = (0..n).map(|i| mask & (1 << i) != 0).collect();
            let sub = subsets::restrict(&ev, &keep);
            let d = decide(&sub, &CheckParams::default());
            judged += 1;
            if !d.keep {
                held += 1;
                assert!(
                    mask.count_ones() >= 2,
                    "{name} held back on one channel ({:?}): {}",
                    sub.long[0].name,
                    d.reason
                );
                assert!(policy::corroborating(&sub, &CheckParams::default()).is_some(), "{name}: {}", d.reason);
                assert!(d.reason.contains("confirmed by"), "{name}: {}", d.reason);
            }
        }
    }
    assert!(judged > 1000 && held > 50, "the property was exercised: {held} of {judged} held back");
}

#[test]
fn the_design_and_lockbox_splits_take_the_committed_lists_records() {
    // a105l, v623l and f563l are in the lockbox; the others are not.
    let names = ["a103l", "a105l", "b183l", "b349l", "t320s", "v328s", "v623l", "f563l"];
    let dir = tempfile::tempdir().unwrap();
    link_records(dir.path(), &names, true);
    let run = |split| review_dir(dir.path(), &ReviewOptions { split, ..Default::default() }).unwrap();
    let records = |out: &str| out.lines().map(|l| l.split(',').next().unwrap().to_string()).collect::<Vec<_>>();
    let (design, _) = run(Split::Design);
    assert_eq!(records(&design), ["a103l", "b183l", "b349l", "t320s", "v328s"]);
    let (boxed, err) = run(Split::Lockbox);
    assert_eq!(records(&boxed), ["a105l", "v623l", "f563l"]);
    assert!(err.contains("The lockbox (3 alarms") && err.contains("tuned on the 5 design alarms"), "{err}");
    assert!(err.contains("bootstrap interval"), "{err}");
}
