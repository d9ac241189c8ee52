//! The hook for a learned detector beside the baseline rules: what a model
//! is, and the moves a minute needs before a model alone can make it unusual.

use super::Features;

/// A minute the learned detector alone finds unusual counts only with a
/// reason: two or more parameters moved the worse way by at least this
/// many of their own deviations ...
pub const SOFT_Z: f64 = 2.0;
/// ... and this share of a clinically meaningful change.
pub const SOFT_CHANGE: f64 = 0.5;

/// A learned detector: the probability that a bed's minute belongs to a
/// deterioration (the patient moved one clinically meaningful change or
/// more in all), from its [`Features`], and the probability from which a
/// minute counts as unusual.
#[derive(Debug, Clone, Copy)]
pub struct Model {
    pub score: fn(&Features) -> f32,
    pub threshold: f32,
    /// The moves a minute needs before the model can make it unusual: two
    /// or more parameters by this many deviations ...
    pub soft_z: f64,
    /// ... and this share of a meaningful change.
    pub soft_change: f64,
}

impl Model {
    /// A model with the default need of moved parameters.
    pub const fn new(score: fn(&Features) -> f32, threshold: f32) -> Self {
        Model { score, threshold, soft_z: SOFT_Z, soft_change: SOFT_CHANGE }
    }
}

/// The combined-drift rule on its own: the learned detector's gate with a
/// detector that always agrees. A minute is unusual when two or more
/// parameters have each moved [`SOFT_Z`] deviations and [`SOFT_CHANGE`] of a
/// meaningful change the worse way, each under what the rules need alone.
/// On the held-out halves of the evaluation (README, "Unusual-trend
/// advisory") it decides exactly as the trained network behind the same
/// gate, so a build without the network (the tablet's) runs this.
pub const COMBINED_DRIFT: Model = Model::new(always, 0.5);

fn always(_: &Features) -> f32 {
    1.0
}

impl PartialEq for Model {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::fn_addr_eq(self.score, other.score)
            && self.threshold == other.threshold
            && self.soft_z == other.soft_z
            && self.soft_change == other.soft_change
    }
}
