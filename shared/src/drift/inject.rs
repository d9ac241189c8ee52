//! The deterioration generator: a gradual multi-parameter drift added to a
//! real recording, so the advisory can be measured on real noise, real
//! gaps and real artefacts with a known onset.
//!
//! A drift is a pattern (which parameters move, by how much at full size),
//! a shape (how it unfolds over the ramp: steadily, slowly then quickly then
//! levelling off, or accelerating), a start, a ramp and a hold at full size.
//! The change is added to every real value from the start on, so the
//! patient's own variability rides on top of it; values stay within what a
//! monitor can report. Diastolic and mean pressures follow systolic at 0.6
//! and 0.73 of its change, as they do in haemorrhage and sepsis.
//!
//! The named patterns are textbook courses, sized so that a full drift
//! crosses at least one adult default limit from a typical baseline:
//! - sepsis: HR +40/min, RR +12/min, systolic -35 mmHg, SpO2 -4 %, +1.5 °C;
//! - haemorrhage: HR +45/min, systolic -45 mmHg, RR +6/min;
//! - respiratory failure: RR +16/min, SpO2 -10 %, HR +25/min.

use super::Param;
use crate::VitalKind;

/// How a drift unfolds over its ramp, as the fraction of its full size at
/// `x` = 0..1 of the ramp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// The same change every minute.
    Linear,
    /// Slow, then quick, then levelling off (a logistic curve).
    Sigmoid,
    /// Slow at first and ever quicker (exponential): the late-declaring course.
    Accelerating,
}

impl Shape {
    pub const ALL: [Shape; 3] = [Shape::Linear, Shape::Sigmoid, Shape::Accelerating];

    pub fn name(self) -> &'static str {
        match self {
            Shape::Linear => "linear",
            Shape::Sigmoid => "sigmoid",
            Shape::Accelerating => "accelerating",
        }
    }

    /// The fraction of the full change at `x` (clamped to 0..1) of the ramp.
    pub fn fraction(self, x: f64) -> f64 {
        let x = x.clamp(0.0, 1.0);
        match self {
            Shape::Linear => x,
            Shape::Sigmoid => {
                let k = 10.0;
                let f = |x: f64| 1.0 / (1.0 + (-k * (x - 0.5)).exp());
                (f(x) - f(0.0)) / (f(1.0) - f(0.0))
            }
            Shape::Accelerating => {
                let k = 3.0;
                ((k * x).exp() - 1.0) / (k.exp() - 1.0)
            }
        }
    }
}

/// Which parameters move, and by how much at full size.
#[derive(Debug, Clone, PartialEq)]
pub enum Pattern {
    Sepsis,
    Haemorrhage,
    RespiratoryFailure,
    Custom(Vec<(Param, f64)>),
}

impl Pattern {
    pub fn named() -> [Pattern; 3] {
        [Pattern::Sepsis, Pattern::Haemorrhage, Pattern::RespiratoryFailure]
    }

    pub fn name(&self) -> &'static str {
        match self {
            Pattern::Sepsis => "sepsis",
            Pattern::Haemorrhage => "haemorrhage",
            Pattern::RespiratoryFailure => "respiratory failure",
            Pattern::Custom(_) => "custom",
        }
    }

    /// The full-size change of each parameter that moves.
    pub fn changes(&self) -> Vec<(Param, f64)> {
        match self {
            Pattern::Sepsis => {
                vec![(Param::Hr, 40.0), (Param::Rr, 12.0), (Param::Sys, -35.0), (Param::Spo2, -4.0), (Param::Temp, 1.5)]
            }
            Pattern::Haemorrhage => vec![(Param::Hr, 45.0), (Param::Sys, -45.0), (Param::Rr, 6.0)],
            Pattern::RespiratoryFailure => vec![(Param::Rr, 16.0), (Param::Spo2, -10.0), (Param::Hr, 25.0)],
            Pattern::Custom(c) => c.clone(),
        }
    }
}

/// One injected deterioration, in recording time (ms from its start).
#[derive(Debug, Clone, PartialEq)]
pub struct Injection {
    pub pattern: Pattern,
    pub shape: Shape,
    pub start_ms: i64,
    pub ramp_ms: i64,
    pub hold_ms: i64,
}

impl Injection {
    /// When the drift reaches full size.
    pub fn full_ms(&self) -> i64 {
        self.start_ms + self.ramp_ms
    }

    /// When the hold ends.
    pub fn end_ms(&self) -> i64 {
        self.full_ms() + self.hold_ms
    }

    /// The fraction of the full change at recording time `t`: 0 before the
    /// start and after the hold.
    pub fn fraction_at(&self, t: i64) -> f64 {
        if t < self.start_ms || t >= self.end_ms() {
            return 0.0;
        }
        self.shape.fraction((t - self.start_ms) as f64 / self.ramp_ms.max(1) as f64)
    }

    /// The recording with the drift added, ending when the hold ends (the
    /// patient is not followed further: nothing after says anything about
    /// this drift).
    pub fn apply(&self, numerics: &[(i64, VitalKind, f64)]) -> Vec<(i64, VitalKind, f64)> {
        let mut out = self.apply_without_truncating(numerics);
        out.retain(|&(t, _, _)| t < self.end_ms());
        out
    }

    /// The recording with the drift added, and the patient back to their own
    /// values after the hold (as after a treatment that worked).
    pub fn apply_without_truncating(&self, numerics: &[(i64, VitalKind, f64)]) -> Vec<(i64, VitalKind, f64)> {
        let changes = self.pattern.changes();
        let change = |p: Param| changes.iter().find(|(q, _)| *q == p).map_or(0.0, |(_, d)| *d);
        numerics
            .iter()
            .map(|&(t, kind, v)| {
                let f = self.fraction_at(t);
                if f == 0.0 {
                    return (t, kind, v);
                }
                let d = match kind {
                    VitalKind::Hr | VitalKind::Pulse => change(Param::Hr),
                    VitalKind::Rr => change(Param::Rr),
                    VitalKind::Spo2 => change(Param::Spo2),
                    VitalKind::NibpSys | VitalKind::ArtSys => change(Param::Sys),
                    VitalKind::NibpDia | VitalKind::ArtDia => 0.6 * change(Param::Sys),
                    VitalKind::NibpMean | VitalKind::ArtMean => 0.73 * change(Param::Sys),
                    VitalKind::Temp => change(Param::Temp),
                };
                let range = kind.measurable_range();
                (t, kind, (v + f * d).clamp(*range.start(), *range.end()))
            })
            .collect()
    }
}
