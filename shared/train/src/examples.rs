//! The training examples: every judged minute of deteriorations injected
//! into the training half of the carrier, and of that half left alone.
//!
//! A minute of an injected drift is a positive once the drift has moved the
//! patient by at least one clinically meaningful change in all (the sum over
//! its parameters of the change so far, the worse way, in units of
//! [`Param::min_change`]); minutes of a drift smaller than that so far are
//! left out (neither clearly normal nor clearly not); only parameters the
//! recording measures count. Every minute of the carrier itself, and of each
//! course at full size with its changes negated (the patient improving), is
//! a negative. The augmentation is the generator's: the
//! three textbook patterns and random mixtures of two or three parameters,
//! at half, full and one and a half times their size, linear and sigmoid
//! (the accelerating shape is held out for the evaluation), over ramps of
//! 30 minutes to 4 hours, started every hour.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use vigil_server::advisory_eval::T0;
use vigil_shared::drift::inject::{Injection, Pattern, Shape};
use vigil_shared::drift::{BedDrift, Features, Param, N_FEATURES};
use vigil_shared::VitalKind;

pub const MIN: i64 = 60_000;
pub const HOUR: i64 = 60 * MIN;
pub const SHAPES: [Shape; 2] = [Shape::Linear, Shape::Sigmoid];
const RAMPS_MIN: [i64; 4] = [30, 60, 120, 240];
const SCALES: [f64; 3] = [0.5, 1.0, 1.5];
const HOLD: i64 = 30 * MIN;
const FIRST_START: i64 = 4 * HOUR;
const START_EVERY: i64 = HOUR;
/// History fed before a drift's start: the baselines' reach.
const LEAD_IN: i64 = 6 * HOUR + 10 * MIN;
/// Positive once the drift has moved this many meaningful changes in all.
pub const POSITIVE_SEVERITY: f64 = 1.0;

/// Rows of features with a label (1 deterioration, 0 not) and a weight.
#[derive(Debug, Default, Clone)]
pub struct Examples {
    pub x: Vec<f32>,
    pub y: Vec<f32>,
    pub w: Vec<f32>,
    pub positives: usize,
    pub negatives: usize,
    pub trials: usize,
}

impl Examples {
    pub fn rows(&self) -> usize {
        self.y.len()
    }

    fn push(&mut self, f: &Features, label: bool) {
        self.x.extend_from_slice(f);
        self.y.push(f32::from(u8::from(label)));
        if label {
            self.positives += 1;
        } else {
            self.negatives += 1;
        }
    }

    /// Weights that give both classes the same total.
    fn balance(&mut self) {
        let (p, n) = (self.positives.max(1) as f32, self.negatives.max(1) as f32);
        let total = (p + n) / 2.0;
        self.w = self.y.iter().map(|&y| if y > 0.5 { total / p } else { total / n }).collect();
    }
}

/// How far the drift has moved the patient at `t`, in meaningful changes,
/// counting only the parameters the recording measures (the carrier has no
/// temperature: a fever injected into it is invisible).
pub fn severity(inj: &Injection, t: i64, measured: &[Param]) -> f64 {
    let f = inj.fraction_at(t);
    inj.pattern
        .changes()
        .iter()
        .filter(|(p, _)| measured.contains(p))
        .map(|&(p, c)| (p.worse() * c * f).max(0.0) / p.min_change())
        .sum()
}

/// Every judged minute of `numerics` from `from` (ms), with its features.
fn judged(numerics: &[(i64, VitalKind, f64)], from: i64) -> Vec<(i64, Features)> {
    let mut d = BedDrift::baseline_only();
    d.record_features();
    for &(off, kind, v) in numerics {
        d.on_numeric(kind, T0 + off, v);
    }
    d.take_features().into_iter().map(|(t, f, _)| (t - T0, f)).filter(|(t, _)| *t >= from).collect()
}

/// Two or three parameters moving the worse way, each by one to three
/// meaningful changes.
fn random_pattern(rng: &mut StdRng) -> Pattern {
    let mut params = Param::ALL.to_vec();
    params.shuffle(rng);
    let n = rng.gen_range(2..=3);
    Pattern::Custom(params[..n].iter().map(|&p| (p, p.worse() * p.min_change() * rng.gen_range(1.0..3.0))).collect())
}

/// The examples from `carrier` (the training half), seeded.
pub fn build(carrier: &[(i64, VitalKind, f64)], seed: u64) -> Examples {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut ex = Examples::default();
    let measured: Vec<Param> =
        Param::ALL.into_iter().filter(|p| carrier.iter().any(|n| Param::of(n.1) == Some(*p))).collect();
    let end = carrier.last().map_or(0, |n| n.0);
    for (_, f) in judged(carrier, 0) {
        ex.push(&f, false);
    }
    let mut patterns: Vec<Pattern> = Pattern::named().into();
    patterns.extend((0..3).map(|_| random_pattern(&mut rng)));
    for pattern in &patterns {
        for shape in SHAPES {
            for ramp_min in RAMPS_MIN {
                let ramp_ms = ramp_min * MIN;
                let mut start = FIRST_START;
                while start + ramp_ms + HOLD <= end {
                    for scale in SCALES {
                        let changes: Vec<(Param, f64)> =
                            pattern.changes().iter().map(|&(p, c)| (p, c * scale)).collect();
                        let window: Vec<_> = carrier.iter().copied().filter(|n| n.0 >= start - LEAD_IN).collect();
                        let worse = Injection {
                            pattern: Pattern::Custom(changes.clone()),
                            shape,
                            start_ms: start,
                            ramp_ms,
                            hold_ms: HOLD,
                        };
                        for (t, f) in judged(&worse.apply(&window), start) {
                            let sev = severity(&worse, t, &measured);
                            if sev >= POSITIVE_SEVERITY {
                                ex.push(&f, true);
                            }
                        }
                        ex.trials += 1;
                        // The same course backwards: a patient getting better.
                        if scale == 1.0 {
                            let better = Injection {
                                pattern: Pattern::Custom(changes.iter().map(|&(p, c)| (p, -c)).collect()),
                                ..worse
                            };
                            for (_, f) in judged(&better.apply(&window), start) {
                                ex.push(&f, false);
                            }
                            ex.trials += 1;
                        }
                    }
                    start += START_EVERY;
                }
            }
        }
    }
    debug_assert_eq!(ex.x.len(), ex.rows() * N_FEATURES);
    ex.balance();
    ex
}
