//! Scoring alarm decisions as the PhysioNet/CinC Challenge 2015 did, and
//! cross-validation by record with the thresholds tuned, and any learned
//! second look trained, inside each fold.

use super::check::{decide_rules, decide_with, CheckParams, Evidence};
use super::vt_net::VtNet;
use super::ArrhythmiaKind;
use std::collections::BTreeMap;

/// Counts of decisions against labels; "positive" = alarm kept as true.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub tp: u32,
    pub tn: u32,
    pub fp: u32,
    pub fn_: u32,
}

impl Tally {
    pub fn add(&mut self, keep: bool, truth: bool) {
        match (keep, truth) {
            (true, true) => self.tp += 1,
            (false, false) => self.tn += 1,
            (true, false) => self.fp += 1,
            (false, true) => self.fn_ += 1,
        }
    }

    pub fn merge(&mut self, o: Tally) {
        self.tp += o.tp;
        self.tn += o.tn;
        self.fp += o.fp;
        self.fn_ += o.fn_;
    }

    /// The Challenge score in percent: (TP+TN) / (TP+TN+FP+5 FN).
    pub fn score(&self) -> f64 {
        let d = self.tp + self.tn + self.fp + 5 * self.fn_;
        if d == 0 {
            0.0
        } else {
            100.0 * (self.tp + self.tn) as f64 / d as f64
        }
    }

    /// True-positive rate in percent (true alarms kept).
    pub fn tpr(&self) -> f64 {
        100.0 * self.tp as f64 / (self.tp + self.fn_).max(1) as f64
    }

    /// True-negative rate in percent (false alarms suppressed).
    pub fn tnr(&self) -> f64 {
        100.0 * self.tn as f64 / (self.tn + self.fp).max(1) as f64
    }

    pub fn total(&self) -> u32 {
        self.tp + self.tn + self.fp + self.fn_
    }
}

/// Per alarm type and overall.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub by_type: BTreeMap<ArrhythmiaKind, Tally>,
}

impl Report {
    pub fn overall(&self) -> Tally {
        let mut t = Tally::default();
        for v in self.by_type.values() {
            t.merge(*v);
        }
        t
    }

    /// A table: one line per alarm type, then the total.
    pub fn table(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<26} {:>5} {:>4} {:>4} {:>4} {:>4} {:>7} {:>7} {:>7}",
            "alarm type", "n", "TP", "FN", "TN", "FP", "TPR %", "TNR %", "score"
        );
        let mut row = |name: &str, t: &Tally| {
            let _ = writeln!(
                s,
                "{:<26} {:>5} {:>4} {:>4} {:>4} {:>4} {:>7.1} {:>7.1} {:>7.2}",
                name,
                t.total(),
                t.tp,
                t.fn_,
                t.tn,
                t.fp,
                t.tpr(),
                t.tnr(),
                t.score()
            );
        };
        for (k, t) in &self.by_type {
            row(k.challenge_name(), t);
        }
        row("all", &self.overall());
        s
    }
}

/// Thresholds per alarm type (each type's decision uses only its own).
pub type TypeParams = BTreeMap<ArrhythmiaKind, CheckParams>;

pub fn default_params() -> TypeParams {
    ArrhythmiaKind::ALL.into_iter().map(|k| (k, CheckParams::default())).collect()
}

/// A labelled alarm.
#[derive(Debug, Clone)]
pub struct Labelled {
    pub record: String,
    pub evidence: Evidence,
    pub truth: bool,
}

/// The decisions on `items` with thresholds `params` and, if given, `net`'s
/// second look, against their labels.
pub fn evaluate<'a>(items: impl IntoIterator<Item = &'a Labelled>, params: &TypeParams, net: Option<&VtNet>) -> Report {
    let mut r = Report::default();
    for it in items {
        let p = params.get(&it.evidence.alarm).copied().unwrap_or_default();
        r.by_type.entry(it.evidence.alarm).or_default().add(decide_with(&it.evidence, &p, net).keep, it.truth);
    }
    r
}

/// The threshold combinations tried for one alarm type. The beat-shape
/// agreement that makes a channel trusted is never below the default's: a
/// channel whose beats disagree in shape is no evidence against an alarm,
/// whatever a training fold's luck says (a fold that took 0.6 suppressed a
/// true asystole on a noisy pleth).
pub fn grid(kind: ArrhythmiaKind) -> Vec<CheckParams> {
    grid_from(kind, CheckParams::default())
}

/// [`grid`] around `base` (its switched-off rules kept in every point).
pub fn grid_from(kind: ArrhythmiaKind, base: CheckParams) -> Vec<CheckParams> {
    let mut out = Vec::new();
    match kind {
        ArrhythmiaKind::Asystole => {
            for template in [0.7, 0.8, 0.9] {
                for asystole_gap_s in [2.5, 3.0, 3.5, 4.0] {
                    out.push(CheckParams { template, asystole_gap_s, ..base });
                }
            }
        }
        ArrhythmiaKind::ExtremeBradycardia => {
            for template in [0.7, 0.8, 0.9] {
                for brady_rate in [42.0, 44.0, 46.0, 48.0, 50.0] {
                    for brady_agreed_rate in [42.0, 44.0, brady_rate] {
                        out.push(CheckParams { template, brady_rate, brady_agreed_rate, ..base });
                    }
                }
            }
        }
        ArrhythmiaKind::ExtremeTachycardia => {
            for template in [0.7, 0.8, 0.9] {
                for tachy_rate in [0.0, 80.0, 90.0, 100.0, 110.0, 120.0] {
                    for tachy_def_rate in [100.0, 110.0, 120.0] {
                        out.push(CheckParams { template, tachy_rate, tachy_def_rate, ..base });
                    }
                }
            }
        }
        ArrhythmiaKind::VentricularTachycardia => {
            for template in [0.8, 0.9] {
                for vt_rr_cv in [0.05, 0.1, 0.15, 0.2] {
                    for vt_size_cv in [0.15, 0.2, 0.3] {
                        for vt_rate in [100.0, 110.0, 120.0] {
                            for vt_def_rate in [95.0, 100.0] {
                                for vt_wide in [0.08, 0.09, 0.1] {
                                    for vt_narrow in [0.06, 0.07, 0.08] {
                                        out.push(CheckParams {
                                            template,
                                            vt_rr_cv,
                                            vt_size_cv,
                                            vt_rate,
                                            vt_def_rate,
                                            vt_wide,
                                            vt_narrow,
                                            ..base
                                        });
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        ArrhythmiaKind::VentricularFlutterFib => {
            for template in [0.7, 0.8, 0.9] {
                for vf_gap_s in [1.5, 2.0, 2.5, 3.0] {
                    out.push(CheckParams { template, vf_gap_s, ..base });
                }
            }
        }
    }
    out
}

/// Score points below the best within which tuning takes the most cautious
/// thresholds.
pub const TUNING_MARGIN: f64 = 1.0;

/// The rules' thresholds for each type: of those that score within
/// [`TUNING_MARGIN`] of the best on `items`, the ones that keep the most
/// alarms (then the higher score, then the first in the grid). On a few dozen
/// alarms per type the best score is partly luck; among near-equals the
/// cautious choice suppresses fewer true alarms on records it has not seen.
pub fn tune(items: &[&Labelled]) -> TypeParams {
    tune_from(items, CheckParams::default())
}

/// [`tune`] around `base` (for the ablation: a rule switched off in every
/// threshold tried).
pub fn tune_from(items: &[&Labelled], base: CheckParams) -> TypeParams {
    let mut params: TypeParams = ArrhythmiaKind::ALL.into_iter().map(|k| (k, base)).collect();
    for kind in ArrhythmiaKind::ALL {
        let of_kind: Vec<&Labelled> = items.iter().copied().filter(|i| i.evidence.alarm == kind).collect();
        if of_kind.is_empty() {
            continue;
        }
        let tallies: Vec<(Tally, CheckParams)> = grid_from(kind, base)
            .into_iter()
            .map(|p| {
                let mut t = Tally::default();
                for it in &of_kind {
                    t.add(decide_rules(&it.evidence, &p).keep, it.truth);
                }
                (t, p)
            })
            .collect();
        let top = tallies.iter().map(|(t, _)| t.score()).fold(f64::NEG_INFINITY, f64::max);
        let mut best: Option<(f64, u32, CheckParams)> = None;
        for (t, p) in tallies.into_iter().filter(|(t, _)| t.score() >= top - TUNING_MARGIN - 1e-9) {
            let better = match best {
                None => true,
                Some((s, k, _)) => t.tp + t.fp > k || (t.tp + t.fp == k && t.score() > s + 1e-9),
            };
            if better {
                best = Some((t.score(), t.tp + t.fp, p));
            }
        }
        if let Some((_, _, p)) = best {
            params.insert(kind, p);
        }
    }
    params
}

/// Fold of each item: stratified by (alarm type, label), records in name order
/// shuffled with a fixed seed, dealt round-robin.
pub fn folds(items: &[Labelled], k: usize) -> Vec<usize> {
    let mut groups: BTreeMap<(ArrhythmiaKind, bool), Vec<usize>> = BTreeMap::new();
    for (i, it) in items.iter().enumerate() {
        groups.entry((it.evidence.alarm, it.truth)).or_default().push(i);
    }
    let mut fold = vec![0; items.len()];
    let mut state: u64 = 0x5eed_2015;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut deal = 0;
    for (_, mut idx) in groups {
        idx.sort_by(|&a, &b| items[a].record.cmp(&items[b].record));
        for i in (1..idx.len()).rev() {
            let j = (next() % (i as u64 + 1)) as usize;
            idx.swap(i, j);
        }
        for i in idx {
            fold[i] = deal % k.max(1);
            deal += 1;
        }
    }
    fold
}

/// Trains a second look on a fold's training alarms, given the rules'
/// thresholds tuned on them (`vigil-train` trains the V-tach network).
pub type Trainer<'t> = &'t dyn Fn(&[&Labelled], &TypeParams) -> Option<VtNet>;

/// What one fold chose: the rules' thresholds and the second look, if any.
pub struct FoldChoice {
    pub params: TypeParams,
    pub net: Option<VtNet>,
}

/// K-fold cross-validation of the rules alone by record: thresholds tuned on
/// the other folds, scored on the held-out one; the held-out decisions pooled.
pub fn cross_validate(items: &[Labelled], k: usize) -> (Report, Vec<FoldChoice>) {
    cross_validate_with(items, k, None)
}

/// K-fold cross-validation by record of the rules and, with `trainer`, a
/// second look trained on the same training folds after the thresholds.
pub fn cross_validate_with(items: &[Labelled], k: usize, trainer: Option<Trainer>) -> (Report, Vec<FoldChoice>) {
    cross_validate_from(items, k, trainer, CheckParams::default())
}

/// [`cross_validate_with`], the thresholds tuned around `base`.
pub fn cross_validate_from(
    items: &[Labelled],
    k: usize,
    trainer: Option<Trainer>,
    base: CheckParams,
) -> (Report, Vec<FoldChoice>) {
    let fold = folds(items, k);
    let mut pooled = Report::default();
    let mut chosen = Vec::new();
    for f in 0..k {
        let train: Vec<&Labelled> = items.iter().zip(&fold).filter(|(_, &g)| g != f).map(|(i, _)| i).collect();
        let params = tune_from(&train, base);
        let net = trainer.and_then(|t| t(&train, &params));
        let test = items.iter().zip(&fold).filter(|(_, &g)| g == f).map(|(i, _)| i);
        for (kind, t) in evaluate(test, &params, net.as_ref()).by_type {
            pooled.by_type.entry(kind).or_default().merge(t);
        }
        chosen.push(FoldChoice { params, net });
    }
    (pooled, chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn tuning_never_trusts_a_channel_on_less_beat_agreement_than_the_default() {
        for kind in ArrhythmiaKind::ALL {
            let g = grid(kind);
            assert!(!g.is_empty());
            assert!(g.iter().all(|p| p.template >= CheckParams::default().template), "{kind:?}");
        }
    }

    #[test]
    fn the_challenge_score_weighs_a_missed_true_alarm_five_times() {
        let t = Tally { tp: 10, tn: 10, fp: 5, fn_: 1 };
        assert!((t.score() - 100.0 * 20.0 / 30.0).abs() < 1e-9);
        let keep_all = Tally { tp: 216, tn: 0, fp: 334, fn_: 0 };
        assert!((keep_all.score() - 39.27).abs() < 0.01, "keeping every alarm of the 550 scores about 39");
        assert_eq!((t.tpr().round(), t.tnr().round()), (91.0, 67.0));
    }
}
