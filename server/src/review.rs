//! `vigil review-alarms DIR` and `vigil qrs-check`: the arrhythmia-alarm check
//! and the QRS detector of `vigil_shared` run over PhysioNet records on disk.
//! The decisions are made from the waveforms alone; labels (the third column
//! of `DIR/ALARMS`) are read only afterwards, to score.

use anyhow::{bail, Context};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use vigil_shared::arrhythmia::check::{self, Decision, Evidence};
use vigil_shared::arrhythmia::score::{self, Labelled};
use vigil_shared::arrhythmia::subsets;
use vigil_shared::arrhythmia::{lockbox, record};
use vigil_shared::signal::{ec57, qrs};
use vigil_shared::wfdb::{parse_annotations, Header, WfdbError};

/// One reviewed alarm.
pub struct Reviewed {
    pub record: String,
    pub alarm_type: String,
    pub decision: Option<Decision>,
    pub evidence: Option<Evidence>,
}

fn read_header(dir: &Path, name: &str) -> anyhow::Result<Header> {
    let path = dir.join(format!("{name}.hea"));
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    Header::parse(&text).with_context(|| format!("parsing {}", path.display()))
}

/// Reviews one record: loads every channel, gathers the evidence at its last
/// sample and decides with the default thresholds.
pub fn review_record(dir: &Path, name: &str) -> anyhow::Result<Reviewed> {
    let header = read_header(dir, name)?;
    let alarm_type = header.comments.first().cloned().unwrap_or_default();
    let rec = record::load(&header, |file| {
        std::fs::read(dir.join(file)).map_err(|e| WfdbError::Data { file: file.to_string(), message: e.to_string() })
    })
    .with_context(|| format!("reading record {name}"))?;
    let Some(kind) = rec.alarm else {
        return Ok(Reviewed { record: name.to_string(), alarm_type, decision: None, evidence: None });
    };
    let evidence = Evidence::gather(&rec.monitor, kind, rec.duration);
    let decision = check::decide(&evidence, &Default::default());
    Ok(Reviewed { record: name.to_string(), alarm_type, decision: Some(decision), evidence: Some(evidence) })
}

/// Which of the Challenge alarms `review-alarms` judges.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Split {
    /// Every record in DIR/RECORDS.
    #[default]
    All,
    /// Every record but those in the committed lockbox: what is designed on.
    Design,
    /// The lockbox alone, with thresholds tuned on the rest.
    Lockbox,
}

/// Options of `review-alarms`.
#[derive(Debug, Clone, Default)]
pub struct ReviewOptions {
    /// Print each decision's reason to stderr.
    pub reasons: bool,
    /// Also run K-fold cross-validation (needs labels).
    pub folds: Option<usize>,
    pub split: Split,
    /// Judge on the first ECG lead and the pulse channels only.
    pub one_lead: bool,
    /// Print the score with each rule removed in turn.
    pub ablation: bool,
}

/// Bootstrap resamples for the score's interval.
const BOOTSTRAP_REPS: usize = 2000;

fn interval(
    items: &[Labelled],
    params: &score::TypeParams,
    net: Option<&vigil_shared::arrhythmia::vt_net::VtNet>,
) -> String {
    let decisions: Vec<(bool, bool)> = items
        .iter()
        .map(|it| {
            let p = params.get(&it.evidence.alarm).copied().unwrap_or_default();
            (check::decide_with(&it.evidence, &p, net).keep, it.truth)
        })
        .collect();
    match lockbox::bootstrap_score(&decisions, BOOTSTRAP_REPS, 0.95, lockbox::SEED) {
        Some((lo, hi)) => {
            format!("score 95 % bootstrap interval {lo:.2}-{hi:.2} ({BOOTSTRAP_REPS} resamples of the alarms)")
        }
        None => "no alarms to score".into(),
    }
}

/// Each rule removed in turn: the score of the rules and the policy
/// (without the learned V-tach check) with the rule off, against all rules.
/// With `tuned_on`, the thresholds are tuned on those alarms and `items`
/// scored (the lockbox); else in sample with the defaults, and, with
/// `folds`, cross-validated with the rule off in every fold's tuning.
fn ablation(items: &[Labelled], folds: Option<usize>, tuned_on: Option<&[Labelled]>) -> String {
    use vigil_shared::arrhythmia::check::{CheckParams, Rule, Rules};
    let run = |base: CheckParams| -> (score::Tally, Option<score::Tally>) {
        match tuned_on {
            Some(design) => {
                let params = score::tune_from(&design.iter().collect::<Vec<_>>(), base);
                (score::evaluate(items, &params, None).overall(), None)
            }
            None => {
                let params: score::TypeParams =
                    vigil_shared::arrhythmia::ArrhythmiaKind::ALL.into_iter().map(|k| (k, base)).collect();
                let cv = folds.map(|k| score::cross_validate_from(items, k, None, base).0.overall());
                (score::evaluate(items, &params, None).overall(), cv)
            }
        }
    };
    let (all, all_cv) = run(CheckParams::default());
    let mut s = String::new();
    let what = if tuned_on.is_some() { "the lockbox (thresholds tuned on the design set)" } else { "in sample" };
    let _ = writeln!(
        s,
        "\nAblation: each rule removed in turn (rules and policy, no learned check); {what}{}:",
        if folds.is_some() && tuned_on.is_none() { ", and cross-validated" } else { "" }
    );
    let _ = writeln!(
        s,
        "{:<20} {:>7} {:>6} {:>4} {:>4} {:>7} {:>9} {:>7}",
        "removed", "score", "TPR %", "TN", "FN", "change", "CV score", "change"
    );
    let mut row = |name: &str, t: score::Tally, cv: Option<score::Tally>| {
        let cv_cols = match (cv, all_cv) {
            (Some(c), Some(a)) => format!("{:>9.2} {:>+7.2}", c.score(), c.score() - a.score()),
            _ => String::new(),
        };
        let _ = writeln!(
            s,
            "{:<20} {:>7.2} {:>6.1} {:>4} {:>4} {:>+7.2} {cv_cols}",
            name,
            t.score(),
            t.tpr(),
            t.tn,
            t.fn_,
            t.score() - all.score()
        );
    };
    row("(none: all rules)", all, all_cv);
    for r in Rule::ALL {
        let (t, cv) = run(CheckParams { off: Rules::default().with(r), ..CheckParams::default() });
        row(&format!("{r:?}"), t, cv);
    }
    s
}

/// What the policy for lethal rhythms changed: alarms the rules alone would
/// have suppressed and the policy keeps, per type and label.
fn policy_cost(items: &[Labelled], params: &score::TypeParams) -> String {
    let mut by: BTreeMap<(String, bool), u32> = BTreeMap::new();
    for it in items {
        let p = params.get(&it.evidence.alarm).copied().unwrap_or_default();
        if !check::decide_rules_unguarded(&it.evidence, &p).keep && check::decide_rules(&it.evidence, &p).keep {
            *by.entry((it.evidence.alarm.challenge_name().to_string(), it.truth)).or_default() += 1;
        }
    }
    if by.is_empty() {
        return "The policy for lethal rhythms kept no alarm the rules alone would have suppressed.\n".into();
    }
    let mut s = String::from("Kept by the policy for lethal rhythms (one channel cannot silence them), the rules alone would have suppressed:\n");
    for ((kind, truth), n) in by {
        let _ = writeln!(s, "  {kind}: {n} {} alarm(s)", if truth { "true" } else { "false" });
    }
    s
}

/// Reviews every record in `DIR/RECORDS`; returns stdout (one line per record)
/// and stderr (scores when `DIR/ALARMS` has labels).
pub fn review_dir(dir: &Path, opts: &ReviewOptions) -> anyhow::Result<(String, String)> {
    let list =
        std::fs::read_to_string(dir.join("RECORDS")).with_context(|| format!("reading {}/RECORDS", dir.display()))?;
    let mut out = String::new();
    let mut err = String::new();
    let mut reviewed = Vec::new();
    let locked = lockbox::records();
    let mut design = Vec::new();
    for name in list.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let in_box = locked.contains(name);
        if opts.split == Split::Design && in_box {
            continue;
        }
        if opts.split == Split::Lockbox && !in_box {
            // Read only to tune the thresholds the lockbox is scored with.
            if let Ok(mut r) = review_record(dir, name) {
                if opts.one_lead {
                    r.evidence = r.evidence.map(|e| subsets::one_lead(&e));
                }
                design.push(r);
            }
            continue;
        }
        let r = match review_record(dir, name) {
            Ok(r) => r,
            Err(e) => {
                // A record that cannot be read is kept (fail safe) and named.
                let _ = writeln!(out, "{name},,1");
                let _ = writeln!(err, "{name}: kept, the record could not be checked: {e:#}");
                continue;
            }
        };
        let mut r = r;
        if opts.one_lead {
            r.evidence = r.evidence.map(|e| subsets::one_lead(&e));
            r.decision = r.evidence.as_ref().map(|e| check::decide(e, &Default::default()));
        }
        match &r.decision {
            Some(d) => {
                let _ = writeln!(out, "{},{},{}", r.record, r.alarm_type, u8::from(d.keep));
                if opts.reasons {
                    let _ = writeln!(
                        err,
                        "{}: {} {}: {}",
                        r.record,
                        d.alarm.label(),
                        if d.keep { "kept" } else { "suppressed" },
                        d.reason
                    );
                }
            }
            None => {
                // An alarm type the check does not know: kept, as a monitor would.
                let _ = writeln!(out, "{},{},1", r.record, r.alarm_type);
                let _ = writeln!(err, "{}: unknown alarm type {:?}, kept", r.record, r.alarm_type);
            }
        }
        reviewed.push(r);
    }

    // Labels, read only now, to score.
    let labels = match std::fs::read_to_string(dir.join("ALARMS")) {
        Ok(text) => parse_labels(&text)?,
        Err(_) => BTreeMap::new(),
    };
    let labelled = |reviewed: Vec<Reviewed>| -> Vec<Labelled> {
        reviewed
            .into_iter()
            .filter_map(|r| {
                let truth = *labels.get(&r.record)?;
                Some(Labelled { record: r.record, evidence: r.evidence?, truth })
            })
            .collect()
    };
    if !labels.is_empty() && opts.split == Split::Lockbox {
        let items = labelled(reviewed);
        let tuned_on = labelled(design);
        let params = score::tune(&tuned_on.iter().collect::<Vec<_>>());
        let view = if opts.one_lead { ", one-lead view" } else { "" };
        let _ = writeln!(
            err,
            "The lockbox ({} alarms{view}), thresholds tuned on the {} design alarms, the rules and the policy for lethal rhythms \
             (report once per piece of work; do not design on it):",
            items.len(),
            tuned_on.len()
        );
        err.push_str(&score::evaluate(&items, &params, None).table());
        let _ = writeln!(err, "{}", interval(&items, &params, None));
        let _ = writeln!(err, "thresholds: {}", describe_params(&params));
        if let Some(net) = vigil_shared::arrhythmia::vt_net::embedded() {
            let _ = writeln!(
                err,
                "\nWith the learned V-tach check as well (trained on the design set; not deployed: it earned nothing \
                 held out on the design set):"
            );
            err.push_str(&score::evaluate(&items, &params, Some(net)).table());
            let _ = writeln!(err, "{}", interval(&items, &params, Some(net)));
        }
        if opts.ablation {
            err.push_str(&ablation(&items, None, Some(&tuned_on)));
        }
        return Ok((out, err));
    }
    if !labels.is_empty() {
        let items = labelled(reviewed);
        // What `decide` does: the rules under the policy for lethal rhythms.
        let net = None;
        let report = score::evaluate(&items, &score::default_params(), net);
        let _ = writeln!(
            err,
            "Challenge 2015 score with the default thresholds{} ({} labelled alarms, in sample):",
            if net.is_some() { " and the learned V-tach check" } else { "" },
            items.len()
        );
        err.push_str(&report.table());
        let _ = writeln!(err, "{}", interval(&items, &score::default_params(), net));
        err.push_str(&policy_cost(&items, &score::default_params()));
        let parts = subsets::true_alarms_on_channel_subsets(&items);
        let _ = writeln!(
            err,
            "\nTrue alarms on each part of their channels (as if only those were streamed): {} of {} subsets of {} true alarms suppressed",
            parts.suppressed.len(),
            parts.subsets,
            parts.alarms
        );
        for s in &parts.suppressed {
            let _ = writeln!(err, "  {} on {}: {}", s.record, s.channels.join(" + "), s.reason);
        }
        if let Some(k) = opts.folds {
            if k < 2 || k > items.len() {
                bail!("--cross-validate needs between 2 and {} folds", items.len());
            }
            let (cv, chosen) = score::cross_validate(&items, k);
            let _ = writeln!(
                err,
                "\n{k}-fold cross-validation by record of the rules under the policy for lethal rhythms (thresholds tuned inside each fold, \
                 scored on the held-out fold; with the learned V-tach check trained inside the folds too, not deployed: \
                 cargo run --release -p vigil-train -- --model vt --evaluate):"
            );
            err.push_str(&cv.table());
            let _ = writeln!(err, "thresholds chosen per fold:");
            for (f, c) in chosen.iter().enumerate() {
                let _ = writeln!(err, "  fold {f}: {}", describe_params(&c.params));
            }
        }
        if opts.ablation {
            err.push_str(&ablation(&items, opts.folds, None));
        }
    }
    Ok((out, err))
}

pub fn describe_params(p: &score::TypeParams) -> String {
    use vigil_shared::arrhythmia::ArrhythmiaKind as K;
    let g = |k: K| p.get(&k).copied().unwrap_or_default();
    format!(
        "asystole gap {}s tmpl {}; brady {}/min, {}/min on agreeing channels, tmpl {}; tachy pulse {}/min 17 beats < {}/min tmpl {}; VT cv {} size {} rate {} tmpl {} 5 beats > {}/min narrow < {}s wide >= {}s; VF gap {}s tmpl {}",
        g(K::Asystole).asystole_gap_s,
        g(K::Asystole).template,
        g(K::ExtremeBradycardia).brady_rate,
        g(K::ExtremeBradycardia).brady_agreed_rate,
        g(K::ExtremeBradycardia).template,
        g(K::ExtremeTachycardia).tachy_rate,
        g(K::ExtremeTachycardia).tachy_def_rate,
        g(K::ExtremeTachycardia).template,
        g(K::VentricularTachycardia).vt_rr_cv,
        g(K::VentricularTachycardia).vt_size_cv,
        g(K::VentricularTachycardia).vt_rate,
        g(K::VentricularTachycardia).template,
        g(K::VentricularTachycardia).vt_def_rate,
        g(K::VentricularTachycardia).vt_narrow,
        g(K::VentricularTachycardia).vt_wide,
        g(K::VentricularFlutterFib).vf_gap_s,
        g(K::VentricularFlutterFib).template,
    )
}

/// `record,type,label` lines; a line with only two columns has no label.
pub fn parse_labels(text: &str) -> anyhow::Result<BTreeMap<String, bool>> {
    let mut m = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let f: Vec<&str> = line.trim().split(',').map(str::trim).collect();
        if f.len() < 3 || f[0].is_empty() {
            continue;
        }
        let truth = match f[2] {
            "1" => true,
            "0" => false,
            other => bail!("ALARMS line {}: label {other:?} is not 0 or 1", i + 1),
        };
        m.insert(f[0].to_string(), truth);
    }
    Ok(m)
}

/// One MIT-BIH record checked beat by beat.
#[derive(Debug)]
pub struct QrsRow {
    pub record: String,
    pub counts: ec57::BeatCounts,
}

/// The QRS detector on the first lead of every MIT-BIH record in `dir` against
/// its reference annotations (EC57: 150 ms window, from 5 min on).
pub fn qrs_check(dir: &Path) -> anyhow::Result<Vec<QrsRow>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".atr")).map(str::to_string))
        .collect();
    names.sort();
    if names.is_empty() {
        bail!("no .atr annotation files in {}", dir.display());
    }
    let mut rows = Vec::new();
    for name in names {
        let header = read_header(dir, &name)?;
        let Some(spec) = header.signals.first() else {
            bail!("{name}.hea describes no signal");
        };
        let file = spec.file.clone();
        let bytes = std::fs::read(dir.join(&file)).with_context(|| format!("reading {file}"))?;
        // The first signal is the first of its file (signals_in keeps header order).
        let signals = header.decode(&file, &bytes)?;
        let beats = qrs::detect_all(header.fs, signals[0].iter().map(|&v| spec.physical(v)));
        let detected: Vec<u64> = beats.iter().map(|b| b.index).collect();
        let ann = parse_annotations(&std::fs::read(dir.join(format!("{name}.atr")))?)?;
        let reference: Vec<u64> = ann.iter().filter(|a| a.is_beat()).map(|a| a.sample).collect();
        let counts =
            ec57::compare(&reference, &detected, (0.15 * header.fs).round() as u64, (300.0 * header.fs) as u64);
        rows.push(QrsRow { record: name, counts });
    }
    Ok(rows)
}

pub fn qrs_table(rows: &[QrsRow]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{:<8} {:>6} {:>5} {:>5} {:>8} {:>8}", "record", "TP", "FN", "FP", "Se %", "+P %");
    let mut total = ec57::BeatCounts::default();
    for r in rows {
        let c = r.counts;
        total.add(c);
        let _ = writeln!(
            s,
            "{:<8} {:>6} {:>5} {:>5} {:>8.2} {:>8.2}",
            r.record,
            c.tp,
            c.fn_,
            c.fp,
            100.0 * c.sensitivity(),
            100.0 * c.positive_predictivity()
        );
    }
    let c = total;
    let _ = writeln!(
        s,
        "{:<8} {:>6} {:>5} {:>5} {:>8.2} {:>8.2}",
        "gross",
        c.tp,
        c.fn_,
        c.fp,
        100.0 * c.sensitivity(),
        100.0 * c.positive_predictivity()
    );
    s
}
