//! One parameter's per-minute means: live samples are averaged into their
//! minute, the server's history arrives as minute means already (its
//! per-minute aggregates), and both end up in the same map.

use std::collections::BTreeMap;

/// The per-minute means of one vital sign, by minute index (ms / 60 000).
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Series {
    minutes: BTreeMap<i64, f64>,
    /// The minute still collecting samples: (minute, sum, count).
    open: Option<(i64, f64, u32)>,
}

impl Series {
    /// A live sample of `minute`; a newer minute closes the one collecting.
    /// A sample of a minute already closed is ignored.
    pub fn add(&mut self, minute: i64, value: f64) {
        match &mut self.open {
            Some((m, sum, n)) if *m == minute => {
                *sum += value;
                *n += 1;
            }
            Some((m, _, _)) if *m > minute => {}
            _ => {
                if self.minutes.range(minute..).next().is_some() {
                    return;
                }
                self.close_before(minute);
                self.open = Some((minute, value, 1));
            }
        }
    }

    /// Closes the collecting minute if it is before `minute`.
    pub fn close_before(&mut self, minute: i64) {
        if let Some((m, sum, n)) = self.open {
            if m < minute {
                self.minutes.insert(m, sum / f64::from(n));
                self.open = None;
            }
        }
    }

    /// A minute mean from history; a minute already held is kept as it is.
    pub fn insert(&mut self, minute: i64, value: f64) {
        if self.open.is_some_and(|(m, _, _)| m <= minute) {
            return;
        }
        self.minutes.entry(minute).or_insert(value);
    }

    /// Closed minutes in `[from, to)`.
    pub fn points(&self, from: i64, to: i64) -> impl DoubleEndedIterator<Item = (i64, f64)> + '_ {
        self.minutes.range(from..to.max(from)).map(|(&m, &v)| (m, v))
    }

    pub fn values(&self, from: i64, to: i64) -> Vec<f64> {
        self.points(from, to).map(|(_, v)| v).collect()
    }

    /// The oldest minute held.
    pub fn first_minute(&self) -> Option<i64> {
        self.minutes.keys().next().copied()
    }

    /// Forgets minutes before `minute`.
    pub fn prune(&mut self, minute: i64) {
        self.minutes = self.minutes.split_off(&minute);
    }
}

/// The median of `v` (reordered in place); NaN for none.
pub(super) fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_unstable_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The median absolute deviation from `centre`, scaled by 1.4826 so that it
/// estimates the standard deviation of normal data.
pub(super) fn mad(v: &[f64], centre: f64) -> f64 {
    let mut dev: Vec<f64> = v.iter().map(|x| (x - centre).abs()).collect();
    1.4826 * median(&mut dev)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn samples_average_into_their_minute_and_a_newer_minute_closes_it() {
        let mut s = Series::default();
        s.add(5, 70.0);
        s.add(5, 80.0);
        assert_eq!(s.values(0, 10), Vec::<f64>::new());
        s.add(6, 90.0);
        assert_eq!(s.values(0, 10), vec![75.0]);
        s.add(5, 200.0);
        s.close_before(7);
        assert_eq!(s.values(0, 10), vec![75.0, 90.0]);
    }

    #[test]
    fn history_fills_gaps_but_never_replaces() {
        let mut s = Series::default();
        s.insert(1, 60.0);
        s.add(3, 70.0);
        s.insert(1, 99.0);
        s.insert(2, 65.0);
        s.insert(3, 99.0);
        s.close_before(4);
        assert_eq!(s.values(0, 10), vec![60.0, 65.0, 70.0]);
        s.prune(2);
        assert_eq!(s.values(0, 10), vec![65.0, 70.0]);
    }

    #[test]
    fn median_and_mad_are_robust_to_one_wild_value() {
        let mut v = vec![10.0, 11.0, 9.0, 10.0, 500.0];
        let m = median(&mut v);
        assert_eq!(m, 10.0);
        assert!((mad(&v, m) - 1.4826).abs() < 1e-9);
        assert!(median(&mut []).is_nan());
    }
}
