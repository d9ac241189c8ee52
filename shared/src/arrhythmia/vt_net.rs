//! The learned second look at V-tach alarms the rules keep.
//!
//! The rules keep a V-tach alarm whenever nothing clearly refutes it; most of
//! what they keep is still false (noise and artefact that looks fast on the
//! ECG while a pulse carries on). Small networks (27 features, 16 hidden
//! units, one output; five of them, seeded apart, averaged) trained on the
//! kept alarms of the Challenge 2015 records give each a score; below the
//! threshold training chose, the alarm is suppressed, with the score in the
//! reason.
//!
//! Guard rails, because a statistical model must not silence a lethal rhythm
//! on its own:
//! - it only looks at alarms with two ECG leads or more, as every alarm it
//!   was trained on had (on one lead its features are unlike anything it
//!   learned from), and a pulse waveform that is beating (some
//!   channel other than the ECG shows a perfused heart); with no pulse
//!   waveform, or a flat one, the rules' keep stands;
//! - it never looks at an alarm whose pulse fades with it: a pulse channel
//!   whose pulses over the last 4 s are under [`PULSE_FADING`] of their
//!   16 s median (the falling output of a VT that compromises the heart);
//! - it never looks at an alarm whose every lead shows a sustained run of
//!   [`GUARD_RUN`] or more complexes unlike the usual beat, wide and faster
//!   than VT's rate: the textbook VT.
//!
//! The network is trained in burn by `vigil-train --model vt` (see
//! `shared/train`), inside the cross-validation folds; the weights it writes
//! (`vt_net.json`) are embedded here. Inference is this module's few dozen
//! multiply-adds in `f32`, in a fixed order, so native and WASM decide alike
//! and the server's `review-alarms` needs no tensor library; `vigil-train
//! --check` makes sure burn's own forward pass gives the same scores.

use super::check::{CheckParams, Decision, Evidence};
use super::monitor::ChannelKind;
use super::summary::Summary;
use super::vt_features::{features, NAMES, N_FEATURES};
use super::ArrhythmiaKind;
use serde::{Deserialize, Serialize};

/// Complexes in a row unlike the usual beat, on every lead, from which a
/// wide, fast run is left to the rules alone.
pub const GUARD_RUN: usize = 10;

/// ECG leads the second look needs: every alarm it was trained on had two.
pub const MIN_LEADS: usize = 2;

/// Pulses over the last 4 s under this share of the 16 s median: a fading
/// pulse, which leaves the alarm to the rules. True V-tach alarms of the
/// Challenge records fade to 0.48-0.6 (v837l, v404s, v714s, v769l, v815l).
pub const PULSE_FADING: f64 = 0.6;

/// One trained network: 16 hidden units with ReLU over the standardised
/// features, one output (a logit).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    /// `hidden[h]`: the weights of hidden unit `h` over the features.
    pub hidden: Vec<Vec<f32>>,
    pub hidden_bias: Vec<f32>,
    pub out: Vec<f32>,
    pub out_bias: f32,
}

impl Member {
    fn valid(&self) -> bool {
        let h = self.hidden_bias.len();
        h > 0 && self.hidden.len() == h && self.hidden.iter().all(|w| w.len() == N_FEATURES) && self.out.len() == h
    }

    fn logit(&self, z: &[f32]) -> f32 {
        let mut y = self.out_bias;
        for ((w, b), o) in self.hidden.iter().zip(&self.hidden_bias).zip(&self.out) {
            let mut a = *b;
            for (wi, zi) in w.iter().zip(z) {
                a += wi * zi;
            }
            y += o * a.max(0.0);
        }
        y
    }
}

/// The trained networks (an ensemble: the same data, different seeds; their
/// mean logit is the score) and the threshold chosen with them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VtNet {
    /// The feature names, in order: must be [`NAMES`].
    pub features: Vec<String>,
    /// Standardisation of each feature (from the training alarms).
    pub mean: Vec<f32>,
    pub scale: Vec<f32>,
    pub members: Vec<Member>,
    /// Alarms scoring below this (the mean logit) are suppressed.
    pub threshold: f32,
    /// How it was trained, for the record.
    pub trained_on: String,
    /// The first member's seed (the others follow it).
    pub seed: u64,
    pub epochs: usize,
}

impl VtNet {
    /// Whether the shapes fit the features this build computes.
    pub fn valid(&self) -> bool {
        self.features.iter().map(String::as_str).eq(NAMES)
            && self.mean.len() == N_FEATURES
            && self.scale.len() == N_FEATURES
            && self.scale.iter().all(|s| s.is_finite() && *s > 0.0)
            && !self.members.is_empty()
            && self.members.iter().all(Member::valid)
            && self.threshold.is_finite()
    }

    /// The features standardised as in training.
    pub fn standardise(&self, x: &[f32; N_FEATURES]) -> Vec<f32> {
        x.iter().zip(&self.mean).zip(&self.scale).map(|((v, m), s)| (v - m) / s).collect()
    }

    /// The mean logit of the members for `x`: high for alarms like the true
    /// ones.
    pub fn logit(&self, x: &[f32; N_FEATURES]) -> f32 {
        let z = self.standardise(x);
        self.members.iter().map(|m| m.logit(&z)).sum::<f32>() / self.members.len() as f32
    }
}

const EMBEDDED: &str = include_str!("vt_net.json");

/// The embedded network, or `None` if it does not load or does not fit
/// (a test makes sure it does; without it the rules judge alone).
pub fn embedded() -> Option<&'static VtNet> {
    static NET: std::sync::OnceLock<Option<VtNet>> = std::sync::OnceLock::new();
    NET.get_or_init(|| serde_json::from_str::<VtNet>(EMBEDDED).ok().filter(VtNet::valid)).as_ref()
}

/// The pulse channel showing a beating heart over the 8 s, the best-shaped
/// one: what the second look needs before it may look at all.
fn beating_pulse(ev: &Evidence) -> Option<&Summary> {
    ev.short
        .iter()
        .filter(|s| s.kind.is_pulse() && s.live() && s.beats.len() >= 3)
        .max_by(|a, b| a.template.total_cmp(&b.template))
}

/// Every lead shows a run of [`GUARD_RUN`] complexes unlike its usual beat,
/// wide, and 5 of them faster than VT's rate.
fn wide_run_on_every_lead(ev: &Evidence, p: &CheckParams) -> bool {
    let mut leads = ev.long.iter().zip(&ev.short).zip(&ev.usual).filter(|((s, _), _)| s.kind == ChannelKind::Ecg);
    let mut any = false;
    let all = leads.all(|((long, short), usual)| {
        any = true;
        usual.as_ref().is_none_or(|u| u.longest_other_run >= GUARD_RUN)
            && short.width.is_some_and(|w| w >= p.vt_wide)
            && long.max_rate5.is_some_and(|r| r >= p.vt_def_rate)
    });
    any && all
}

/// Some pulse channel's pulses over the last 4 s are under [`PULSE_FADING`]
/// of its 16 s median.
fn pulse_fading(ev: &Evidence) -> bool {
    ev.long.iter().zip(&ev.recent).any(|(long, recent)| {
        long.kind.is_pulse()
            && long.beats.len() >= 3
            && long.size > 0.0
            && !recent.beats.is_empty()
            && recent.size < PULSE_FADING * long.size
    })
}

/// Whether the second look may judge this alarm, and the pulse it rests on.
pub fn open_to_second_look<'a>(ev: &'a Evidence, p: &CheckParams) -> Option<&'a Summary> {
    if ecg_leads(ev) < MIN_LEADS {
        return None;
    }
    guards_open(ev, p)
}

/// ECG leads in the evidence.
pub fn ecg_leads(ev: &Evidence) -> usize {
    ev.short.iter().filter(|s| s.kind == ChannelKind::Ecg).count()
}

/// The guard rails but the lead count: a V-tach alarm, no wide fast run on
/// every lead, no fading pulse, a beating pulse (returned).
pub fn guards_open<'a>(ev: &'a Evidence, p: &CheckParams) -> Option<&'a Summary> {
    if ev.alarm != ArrhythmiaKind::VentricularTachycardia || wide_run_on_every_lead(ev, p) || pulse_fading(ev) {
        return None;
    }
    beating_pulse(ev)
}

/// The second look at a decision of the rules: a kept V-tach alarm open to
/// it and scoring under the threshold is suppressed; anything else stands.
pub fn second_look(ev: &Evidence, p: &CheckParams, rules: Decision, net: &VtNet) -> Decision {
    if !rules.keep {
        return rules;
    }
    let Some(pulse) = open_to_second_look(ev, p) else {
        return rules;
    };
    let score = net.logit(&features(ev));
    if score >= net.threshold {
        return rules;
    }
    Decision {
        alarm: ev.alarm,
        keep: false,
        reason: format!(
            "learned check: unlike the true V-tach alarms it was trained on (score {score:.1}, threshold {:.1}), \
             pulse beating on {} at {}; the rules had kept it ({})",
            net.threshold,
            super::check::channel(pulse),
            super::check::per_min(pulse.rate),
            rules.reason
        ),
    }
}
