//! The lockbox: a fixed third of the Challenge 2015 alarms kept out of design.
//!
//! Every one of the 550 alarms in `../shared/data/challenge2015` has been
//! looked at while the check was built, so no split of them is clean any
//! more. From 2026-12-07 on, changes to the check are designed on the other
//! two thirds (with cross-validation inside them), and the lockbox is scored
//! once, at the end of a piece of work, with a bootstrap interval. Its
//! records are never printed one by one while designing.
//!
//! The list is drawn by [`draw`] (stratified by alarm type and label, records
//! in name order shuffled with [`SEED`], a third of each stratum rounded to
//! the nearest) and committed as `lockbox.txt`, so it cannot drift when the
//! code that draws it changes; a test checks the two agree.

use super::score::Tally;
use super::ArrhythmiaKind;
use std::collections::{BTreeMap, BTreeSet};

/// The seed of the draw.
pub const SEED: u64 = 0x10c_b0c5_2026;

/// The committed lockbox: one record name per line; `#` starts a comment.
pub const LIST: &str = include_str!("lockbox.txt");

/// The record names in the committed lockbox.
pub fn records() -> BTreeSet<&'static str> {
    LIST.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect()
}

/// Whether `record` is in the committed lockbox.
pub fn contains(record: &str) -> bool {
    records().contains(record)
}

/// A small deterministic generator (xorshift64), the same everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// Draws a third of `alarms` (record, type, label), stratified by type and
/// label: in each stratum the records in name order are shuffled with `seed`
/// and the first `round(n / 3)` taken.
pub fn draw(alarms: &[(String, ArrhythmiaKind, bool)], seed: u64) -> BTreeSet<String> {
    let mut strata: BTreeMap<(ArrhythmiaKind, bool), Vec<&str>> = BTreeMap::new();
    for (record, kind, truth) in alarms {
        strata.entry((*kind, *truth)).or_default().push(record);
    }
    let mut rng = Rng::new(seed);
    let mut out = BTreeSet::new();
    for (_, mut names) in strata {
        names.sort_unstable();
        names.dedup();
        for i in (1..names.len()).rev() {
            let j = rng.below(i + 1);
            names.swap(i, j);
        }
        let take = (names.len() as f64 / 3.0).round() as usize;
        out.extend(names.into_iter().take(take).map(String::from));
    }
    out
}

/// A percentile bootstrap interval of the Challenge score: the decisions
/// (kept, truth) resampled with replacement `reps` times with `seed`; the
/// `(1 - level) / 2` and `(1 + level) / 2` quantiles of the resampled scores.
pub fn bootstrap_score(decisions: &[(bool, bool)], reps: usize, level: f64, seed: u64) -> Option<(f64, f64)> {
    if decisions.is_empty() || reps == 0 {
        return None;
    }
    let mut rng = Rng::new(seed);
    let mut scores: Vec<f64> = (0..reps)
        .map(|_| {
            let mut t = Tally::default();
            for _ in 0..decisions.len() {
                let (keep, truth) = decisions[rng.below(decisions.len())];
                t.add(keep, truth);
            }
            t.score()
        })
        .collect();
    scores.sort_by(f64::total_cmp);
    let at = |q: f64| scores[((q * (reps - 1) as f64).round() as usize).min(reps - 1)];
    Some((at((1.0 - level) / 2.0), at((1.0 + level) / 2.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn alarms(n: usize, kind: ArrhythmiaKind, truth: bool, prefix: &str) -> Vec<(String, ArrhythmiaKind, bool)> {
        (0..n).map(|i| (format!("{prefix}{i:03}"), kind, truth)).collect()
    }

    #[test]
    fn the_draw_takes_a_third_of_every_type_and_label_and_is_the_same_every_time() {
        let mut all = alarms(73, ArrhythmiaKind::Asystole, false, "a");
        all.extend(alarms(13, ArrhythmiaKind::Asystole, true, "b"));
        all.extend(alarms(4, ArrhythmiaKind::VentricularFlutterFib, true, "f"));
        let box1 = draw(&all, SEED);
        assert_eq!(box1, draw(&all, SEED));
        let count = |p: &str| box1.iter().filter(|r| r.starts_with(p)).count();
        assert_eq!((count("a"), count("b"), count("f")), (24, 4, 1));
        assert_ne!(box1, draw(&all, SEED + 1), "another seed draws other records");
    }

    #[test]
    fn the_committed_lockbox_is_a_third_of_the_550_alarms() {
        let r = records();
        assert_eq!(r.len(), 181, "the list holds {} records", r.len());
        assert!(r.iter().all(|n| n.len() == 5 && n.is_ascii()));
    }

    #[test]
    fn a_bootstrap_interval_holds_the_score_and_narrows_with_more_alarms() {
        let few: Vec<(bool, bool)> = (0..30).map(|i| (i % 3 != 0, i % 2 == 0)).collect();
        let many: Vec<(bool, bool)> = (0..300).map(|i| (i % 3 != 0, i % 2 == 0)).collect();
        let score = |d: &[(bool, bool)]| {
            let mut t = Tally::default();
            d.iter().for_each(|&(k, y)| t.add(k, y));
            t.score()
        };
        let (lo, hi) = bootstrap_score(&few, 2000, 0.95, SEED).unwrap();
        let (lo2, hi2) = bootstrap_score(&many, 2000, 0.95, SEED).unwrap();
        assert!(lo <= score(&few) && score(&few) <= hi, "{lo} {hi}");
        assert!(hi2 - lo2 < hi - lo, "{lo2}-{hi2} vs {lo}-{hi}");
        assert_eq!(bootstrap_score(&[], 100, 0.95, SEED), None);
    }
}
