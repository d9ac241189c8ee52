//! The comparison the issue asks for: the baseline detector and the
//! baseline with the learned one, on the same held-out table.

use crate::threshold;
use std::fmt::Write as _;
use std::path::Path;
use vigil_server::advisory_eval::{run_with, EvalOptions, EvalReport, Trial};
use vigil_shared::drift::inject::Shape;
use vigil_shared::drift::BedDrift;

fn pct(k: usize, n: usize) -> String {
    if n == 0 {
        "-".into()
    } else {
        format!("{:.0} % of {n}", 100.0 * k as f64 / n as f64)
    }
}

fn median(mut v: Vec<f64>) -> String {
    if v.is_empty() {
        return "-".into();
    }
    v.sort_by(f64::total_cmp);
    format!("{:.0} min", v[v.len() / 2])
}

/// One line of figures of `r` over the trials `keep` selects.
fn figures(r: &EvalReport, keep: &dyn Fn(&Trial) -> bool) -> [String; 3] {
    let textbook: Vec<&Trial> = r.trials.iter().filter(|t| !t.to_alarm && keep(t)).collect();
    let alarmed: Vec<&Trial> = r.trials.iter().filter(|t| t.to_alarm && t.alarm.is_some() && keep(t)).collect();
    let before: Vec<&&Trial> = alarmed.iter().filter(|t| t.before_alarm() == Some(true)).collect();
    [
        pct(textbook.iter().filter(|t| t.advised()).count(), textbook.len()),
        pct(before.len(), alarmed.len()),
        median(before.iter().filter_map(|t| t.lead_min()).collect()),
    ]
}

/// Both detectors on the evaluation half, the comparison, then each one's
/// full table.
pub fn table(data_dir: &Path, thr: f32, eval: (i64, i64)) -> anyhow::Result<String> {
    let span = Some(eval);
    let hours = format!("hours {}-{}", eval.0 / 3_600_000, eval.1 / 3_600_000);
    let base = run_with(data_dir, &EvalOptions { detector: BedDrift::baseline_only, carrier_span: span })?;
    let learned = run_with(data_dir, &EvalOptions { detector: threshold::detector, carrier_span: span })?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Baseline rules alone vs rules + learned detector (threshold {thr:.2}), on data training never saw:\n\
         {hours} of the carrier, the artefact-laden record, and the accelerating shape"
    );
    let _ = writeln!(out, "  {:<44} {:>22} {:>22}", "", "baseline", "baseline + learned");
    for (b, l) in base.stable.iter().zip(&learned.stable) {
        let rate =
            |r: &vigil_server::advisory_eval::StableRow| format!("{} in {:.1} judged h", r.advisories, r.judged_hours);
        let name: String = b.name.chars().take(44).collect();
        let _ = writeln!(out, "  {:<44} {:>22} {:>22}", name, rate(b), rate(l));
    }
    let groups: Vec<(String, Box<dyn Fn(&Trial) -> bool>)> = vec![
        ("all".into(), Box::new(|_| true)),
        ("linear".into(), Box::new(|t| t.shape == Shape::Linear)),
        ("sigmoid".into(), Box::new(|t| t.shape == Shape::Sigmoid)),
        ("accelerating (held-out shape)".into(), Box::new(|t| t.shape == Shape::Accelerating)),
        ("30 min ramps".into(), Box::new(|t| t.ramp_min == 30)),
        ("4 h ramps".into(), Box::new(|t| t.ramp_min == 240)),
    ];
    let _ = writeln!(
        out,
        "\n  {:<30} {:>13} {:>13} {:>13} {:>13} {:>13} {:>13}",
        "drifts", "textbook", "advised", "to a limit", "before alarm", "median", "lead"
    );
    let _ = writeln!(
        out,
        "  {:<30} {:>13} {:>13} {:>13} {:>13} {:>13} {:>13}",
        "", "baseline", "+ learned", "baseline", "+ learned", "baseline", "+ learned"
    );
    for (name, keep) in &groups {
        let [bt, ba, bl] = figures(&base, keep.as_ref());
        let [lt, la, ll] = figures(&learned, keep.as_ref());
        let _ = writeln!(out, "  {name:<30} {bt:>13} {lt:>13} {ba:>13} {la:>13} {bl:>13} {ll:>13}");
    }
    let _ = writeln!(out, "\n  Advisories on the stable {hours} of the carrier, with what they said:");
    let (_, mimic) = vigil_server::advisory_eval::recordings(data_dir)?;
    let stable = vigil_server::advisory_eval::carrier(&mimic, span)?;
    for (name, make) in [("baseline", BedDrift::baseline_only as fn() -> BedDrift), ("+ learned", threshold::detector)]
    {
        let mut d = make();
        for &(off, kind, v) in &stable.numerics {
            d.on_numeric(kind, off, v);
        }
        for a in d.log().iter().chain(d.advisory()) {
            let h = |t: i64| (t + eval.0) as f64 / 3_600_000.0;
            let _ = writeln!(
                out,
                "    {name:<10} hour {:>5.1} for {:>3} min{}: {}",
                h(a.onset),
                (a.ended.unwrap_or(a.assessment.t) - a.onset) / 60_000,
                if a.assessment.by_model { " (by the learned detector)" } else { "" },
                a.assessment.reason
            );
        }
    }
    let _ = writeln!(out, "\n== Baseline rules alone, {hours} ==\n{}", base.render());
    let _ = writeln!(out, "== Baseline + learned, {hours} ==\n{}", learned.render());
    Ok(out)
}
