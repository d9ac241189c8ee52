//! Beat-by-beat comparison of detected beats with reference annotations, as
//! ANSI/AAMI EC57 prescribes: a detection within 150 ms of a reference beat
//! matches it (each at most once, nearest first); the comparison starts after
//! the learning period (5 minutes for the MIT-BIH records).

/// Matched, missed and extra beats.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BeatCounts {
    pub tp: u64,
    pub fn_: u64,
    pub fp: u64,
}

impl BeatCounts {
    /// Sensitivity, TP / (TP + FN).
    pub fn sensitivity(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fn_).max(1) as f64
    }

    /// Positive predictivity, TP / (TP + FP).
    pub fn positive_predictivity(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fp).max(1) as f64
    }

    pub fn add(&mut self, o: BeatCounts) {
        self.tp += o.tp;
        self.fn_ += o.fn_;
        self.fp += o.fp;
    }
}

/// Compares sorted `detected` with sorted `reference` sample indices; beats
/// before `from` are not counted. `window` is the match tolerance in samples.
pub fn compare(reference: &[u64], detected: &[u64], window: u64, from: u64) -> BeatCounts {
    let reference: Vec<u64> = reference.iter().copied().filter(|&r| r >= from).collect();
    let detected: Vec<u64> = detected.iter().copied().filter(|&d| d >= from).collect();
    let mut used = vec![false; detected.len()];
    let mut c = BeatCounts::default();
    let mut j0 = 0;
    for &r in &reference {
        while j0 < detected.len() && detected[j0] + window < r {
            j0 += 1;
        }
        let mut best: Option<(u64, usize)> = None;
        let mut j = j0;
        while j < detected.len() && detected[j] <= r + window {
            if !used[j] {
                let dist = detected[j].abs_diff(r);
                if best.is_none_or(|(d, _)| dist < d) {
                    best = Some((dist, j));
                }
            }
            j += 1;
        }
        match best {
            Some((_, j)) => {
                used[j] = true;
                c.tp += 1;
            }
            None => c.fn_ += 1,
        }
    }
    c.fp = used.iter().filter(|u| !**u).count() as u64;
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn beats_match_within_the_window_once_each() {
        let reference = [100, 400, 700, 1000];
        let detected = [95, 460, 705, 710, 1200];
        let c = compare(&reference, &detected, 54, 0);
        assert_eq!(c, BeatCounts { tp: 2, fn_: 2, fp: 3 });
        assert_eq!(compare(&reference, &detected, 54, 500), BeatCounts { tp: 1, fn_: 1, fp: 2 });
        assert!((c.sensitivity() - 0.5).abs() < 1e-12);
        assert!((c.positive_predictivity() - 0.4).abs() < 1e-12);
    }
}
