//! What the learned detector sees of a bed at one minute: for each watched
//! parameter, how far it has moved the worse way from the patient's own
//! baseline, in its own deviations (z) and in clinically meaningful changes
//! ([`Param::min_change`]), now and 10, 20 and 30 minutes ago, and whether
//! it is measured at all. The same numbers the baseline detector judges, so
//! the two are judged on the same evidence and compared fairly.

use super::{Level, Param};
use std::collections::VecDeque;

/// The minutes back each parameter's move is seen at.
pub const LAGS_MIN: [i64; 4] = [0, 10, 20, 30];
/// Per parameter: z and change at each lag, then "measured".
pub const PER_PARAM: usize = 2 * LAGS_MIN.len() + 1;
pub const N_FEATURES: usize = Param::ALL.len() * PER_PARAM;
pub type Features = [f32; N_FEATURES];

/// z is clipped to this range (a probe artefact is not "more" unusual)...
const Z_RANGE: (f64, f64) = (-5.0, 10.0);
/// ... and so is the change in clinically meaningful units.
const CHANGE_RANGE: (f64, f64) = (-3.0, 5.0);

/// One judged minute's move of each parameter: (z, change), if measured.
type Moves = [Option<(f32, f32)>; 5];

/// Each judged minute's moves, for the last [`LAGS_MIN`] minutes.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct MoveHistory {
    minutes: VecDeque<(i64, Moves)>,
}

impl MoveHistory {
    /// Minute `t` was judged with these levels.
    pub fn push(&mut self, t: i64, levels: &[Option<Level>; 5]) {
        let moves = std::array::from_fn(|i| {
            let p = Param::ALL[i];
            levels[i].map(|l| {
                let worse = p.worse() * (l.recent - l.baseline);
                let z = (worse / l.scale).clamp(Z_RANGE.0, Z_RANGE.1) / 5.0;
                let c = (worse / p.min_change()).clamp(CHANGE_RANGE.0, CHANGE_RANGE.1) / 2.0;
                (z as f32, c as f32)
            })
        });
        self.minutes.push_back((t, moves));
        let oldest = t - LAGS_MIN[LAGS_MIN.len() - 1];
        while self.minutes.front().is_some_and(|m| m.0 < oldest) {
            self.minutes.pop_front();
        }
    }

    pub fn clear(&mut self) {
        self.minutes.clear();
    }

    /// The features at minute `t` (the newest pushed): a lag with no
    /// judgement of that parameter reads as "no move".
    pub fn features(&self, t: i64) -> Features {
        let mut f = [0.0; N_FEATURES];
        for (i, lag) in LAGS_MIN.iter().enumerate() {
            let Some((_, moves)) = self.minutes.iter().rev().find(|m| m.0 == t - lag) else { continue };
            for (p, mv) in moves.iter().enumerate() {
                if let Some((z, c)) = mv {
                    f[p * PER_PARAM + 2 * i] = *z;
                    f[p * PER_PARAM + 2 * i + 1] = *c;
                    if i == 0 {
                        f[p * PER_PARAM + PER_PARAM - 1] = 1.0;
                    }
                }
            }
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::VitalKind;

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn hr(recent: f64) -> [Option<Level>; 5] {
        [Some(Level { kind: VitalKind::Hr, baseline: 70.0, scale: 4.0, recent }), None, None, None, None]
    }

    #[test]
    fn moves_are_signed_the_worse_way_clipped_and_seen_at_each_lag() {
        let mut h = MoveHistory::default();
        h.push(100, &hr(90.0));
        h.push(110, &hr(78.0));
        h.push(130, &hr(500.0));
        let f = h.features(130);
        // Now: clipped at 10 deviations and 5 meaningful changes.
        assert_eq!(&f[0..2], &[2.0, 2.5]);
        // 10 min ago: not judged; 20 min ago: +8/min = 2 deviations, 0.8 changes.
        assert_eq!(&f[2..4], &[0.0, 0.0]);
        assert_eq!(&f[4..6], &[0.4, 0.4]);
        // 30 min ago: +20/min.
        assert_eq!(&f[6..8], &[1.0, 1.0]);
        assert_eq!(f[PER_PARAM - 1], 1.0, "HR measured");
        assert!(f[PER_PARAM..].iter().all(|x| *x == 0.0), "nothing else measured");
    }

    #[test]
    fn a_fall_of_a_parameter_that_rises_when_worse_is_a_negative_move() {
        let mut h = MoveHistory::default();
        h.push(5, &hr(50.0));
        assert_eq!(&h.features(5)[0..2], &[-1.0, -1.0]);
    }
}
