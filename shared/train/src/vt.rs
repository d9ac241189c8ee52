//! Training the learned second look at V-tach alarms
//! (`vigil_shared::arrhythmia::vt_net`): five burn networks over the features
//! of the V-tach alarms the rules keep and the guard rails leave open, each
//! fitted with Adam on burn's autodiff CPU device (full batch, L2 penalty)
//! from its own seed, their logits averaged; the threshold is the lowest
//! mean logit a true alarm got in a 5-fold cross-validation inside the
//! training alarms, so that on those it would have silenced none.
//!
//! Everything is done per training set, so the evaluation trains one network
//! inside each outer fold (after that fold's rule thresholds) and scores the
//! held-out fold with it: the cross-validated score includes the learning.

use anyhow::Context;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig, Relu};
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::activation::log_sigmoid;
use burn::tensor::{Device, Tensor, TensorData};
use std::path::Path;
use vigil_server::review;
use vigil_shared::arrhythmia::check::{decide_rules_unguarded, CheckParams, Evidence};
use vigil_shared::arrhythmia::score::{Labelled, TypeParams};
use vigil_shared::arrhythmia::vt_features::{features, NAMES, N_FEATURES};
use vigil_shared::arrhythmia::vt_net::{open_to_second_look, Member, VtNet};
use vigil_shared::arrhythmia::ArrhythmiaKind;

#[derive(Debug, Clone, Copy)]
pub struct VtOptions {
    pub seed: u64,
    pub epochs: usize,
    pub hidden: usize,
    pub learning_rate: f64,
    /// L2 penalty on the weights, as `l2 / (2 n) * sum(w^2)`.
    pub l2: f64,
    /// Inner folds for the threshold.
    pub folds: usize,
    /// Networks in the ensemble (seeds `seed`, `seed + 1`, ...).
    pub members: usize,
}

impl Default for VtOptions {
    fn default() -> Self {
        VtOptions { seed: 2015, epochs: 1500, hidden: 16, learning_rate: 1e-3, l2: 1.0, folds: 5, members: 5 }
    }
}

/// Fewest training alarms (and true ones among them) worth a network.
const MIN_ROWS: usize = 30;
const MIN_TRUE: usize = 5;

#[derive(Module, Debug)]
pub struct Net {
    hidden: Linear,
    out: Linear,
    relu: Relu,
}

impl Net {
    fn new(hidden: usize, device: &Device) -> Self {
        Net {
            hidden: LinearConfig::new(N_FEATURES, hidden).init(device),
            out: LinearConfig::new(hidden, 1).init(device),
            relu: Relu::new(),
        }
    }

    /// Logits, `[rows, N_FEATURES]` (standardised) -> `[rows, 1]`.
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.out.forward(self.relu.forward(self.hidden.forward(x)))
    }

    fn penalty(&self) -> Tensor<1> {
        let sq = |w: Tensor<2>| (w.clone() * w).sum();
        sq(self.hidden.weight.val()) + sq(self.out.weight.val())
    }
}

fn values(t: Tensor<2>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap_or_default()
}

/// The training rows: features of the V-tach alarms in `items` that the
/// rules with `params` keep and the guard rails leave to the second look.
pub fn rows(items: &[&Labelled], params: &TypeParams) -> (Vec<[f32; N_FEATURES]>, Vec<bool>) {
    rows_where(items, params, &|ev, p| open_to_second_look(ev, p).is_some())
}

/// Which kept V-tach alarms a network judges.
pub type Open<'o> = &'o dyn Fn(&Evidence, &CheckParams) -> bool;

/// The rows of the kept V-tach alarms that `open` lets a network judge.
pub fn rows_where(items: &[&Labelled], params: &TypeParams, open: Open) -> (Vec<[f32; N_FEATURES]>, Vec<bool>) {
    kept_where(items, params, open).map(|it| (features(&it.evidence), it.truth)).unzip()
}

/// The kept V-tach alarms of `items` that `open` lets a network judge.
fn kept_where<'a>(
    items: &'a [&'a Labelled],
    params: &TypeParams,
    open: Open<'a>,
) -> impl Iterator<Item = &'a Labelled> + 'a {
    let p = params.get(&ArrhythmiaKind::VentricularTachycardia).copied().unwrap_or_default();
    items
        .iter()
        .copied()
        .filter(|it| it.evidence.alarm == ArrhythmiaKind::VentricularTachycardia)
        .filter(move |it| decide_rules_unguarded(&it.evidence, &p).keep && open(&it.evidence, &p))
}

/// Mean and standard deviation of each feature (1 where it does not vary).
fn standardisation(x: &[[f32; N_FEATURES]]) -> (Vec<f32>, Vec<f32>) {
    let n = x.len().max(1) as f64;
    let mut mean = vec![0.0f32; N_FEATURES];
    let mut scale = vec![1.0f32; N_FEATURES];
    for j in 0..N_FEATURES {
        let m = x.iter().map(|r| f64::from(r[j])).sum::<f64>() / n;
        let v = x.iter().map(|r| (f64::from(r[j]) - m).powi(2)).sum::<f64>() / n;
        mean[j] = m as f32;
        if v.sqrt() > 1e-6 {
            scale[j] = v.sqrt() as f32;
        }
    }
    (mean, scale)
}

fn matrix(x: &[[f32; N_FEATURES]], mean: &[f32], scale: &[f32], device: &Device) -> Tensor<2> {
    let flat: Vec<f32> = x.iter().flat_map(|r| (0..N_FEATURES).map(move |j| (r[j] - mean[j]) / scale[j])).collect();
    Tensor::<2>::from_data(TensorData::new(flat, [x.len(), N_FEATURES]), device)
}

/// Fits one network with `seed` on the standardised rows `xs`.
fn fit_member(xs: &Tensor<2>, y: &[bool], seed: u64, o: &VtOptions, device: &Device) -> (Net, Member) {
    device.seed(seed);
    let mut net = Net::new(o.hidden, device);
    let mut optim = AdamConfig::new().init();
    let ys = Tensor::<2>::from_data(
        TensorData::new(y.iter().map(|&t| f32::from(u8::from(t))).collect::<Vec<f32>>(), [y.len(), 1]),
        device,
    );
    let l2 = (o.l2 / (2.0 * y.len() as f64)) as f32;
    for _ in 0..o.epochs {
        let logits = net.forward(xs.clone());
        let bce = (log_sigmoid(logits.clone()) * ys.clone() + log_sigmoid(logits.neg()) * (ys.clone().neg() + 1.0))
            .neg()
            .mean();
        let loss = bce + net.penalty() * l2;
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        net = optim.step(o.learning_rate, net, grads);
    }
    let net = net.valid();
    let w1 = values(net.hidden.weight.val());
    let h = o.hidden;
    let bias = |l: &Linear| l.bias.as_ref().and_then(|b| b.val().into_data().try_to_vec::<f32>().ok());
    let member = Member {
        hidden: (0..h).map(|k| (0..N_FEATURES).map(|i| w1[i * h + k]).collect()).collect(),
        hidden_bias: bias(&net.hidden).unwrap_or_else(|| vec![0.0; h]),
        out: values(net.out.weight.val()),
        out_bias: bias(&net.out).map_or(0.0, |v| v[0]),
    };
    (net, member)
}

/// Fits the ensemble on raw rows: burn's modules and the plain networks
/// with their standardisation, threshold not yet chosen.
fn fit(x: &[[f32; N_FEATURES]], y: &[bool], o: &VtOptions) -> (Vec<Net>, VtNet) {
    let (mean, scale) = standardisation(x);
    let device = Device::flex().autodiff();
    let xs = matrix(x, &mean, &scale, &device);
    let (nets, members) = (0..o.members as u64).map(|k| fit_member(&xs, y, o.seed + k, o, &device)).unzip();
    let plain = VtNet {
        features: NAMES.iter().map(|s| s.to_string()).collect(),
        mean,
        scale,
        members,
        threshold: f32::NEG_INFINITY,
        trained_on: String::new(),
        seed: o.seed,
        epochs: o.epochs,
    };
    (nets, plain)
}

/// The threshold: the lowest score of a true row when each row is scored by
/// a network trained without its inner fold (rows dealt round-robin by
/// label, in order).
fn threshold(x: &[[f32; N_FEATURES]], y: &[bool], group: &[&str], o: &VtOptions) -> f32 {
    // Rows of one record (several views of it) stay in one fold.
    let mut fold = vec![0; x.len()];
    let (mut pos, mut neg) = (0, 0);
    let mut current = (None, 0);
    for (i, &t) in y.iter().enumerate() {
        if current.0 != Some(group[i]) {
            let c = if t { &mut pos } else { &mut neg };
            current = (Some(group[i]), *c % o.folds);
            *c += 1;
        }
        fold[i] = current.1;
    }
    let mut lowest = f32::INFINITY;
    for f in 0..o.folds {
        let (tx, ty): (Vec<_>, Vec<_>) = (0..x.len()).filter(|&i| fold[i] != f).map(|i| (x[i], y[i])).unzip();
        let (_, net) = fit(&tx, &ty, o);
        for i in (0..x.len()).filter(|&i| fold[i] == f && y[i]) {
            lowest = lowest.min(net.logit(&x[i]));
        }
    }
    lowest
}

/// A network and its threshold trained on `items` with the rules'
/// thresholds `params` (burn's module and the plain one the check embeds);
/// `None` with too few alarms to learn from.
pub fn train(items: &[&Labelled], params: &TypeParams, o: &VtOptions) -> Option<(Vec<Net>, VtNet)> {
    train_where(items, params, o, &|ev, p| open_to_second_look(ev, p).is_some())
}

/// [`train`] on the alarms `open` lets a network judge.
pub fn train_where(items: &[&Labelled], params: &TypeParams, o: &VtOptions, open: Open) -> Option<(Vec<Net>, VtNet)> {
    let (x, y) = rows_where(items, params, open);
    let group: Vec<&str> = kept_where(items, params, open).map(|it| it.record.as_str()).collect();
    let trues = y.iter().filter(|&&t| t).count();
    if x.len() < MIN_ROWS || trues < MIN_TRUE || trues == x.len() {
        return None;
    }
    let thr = threshold(&x, &y, &group, o);
    let (net, mut plain) = fit(&x, &y, o);
    plain.threshold = thr;
    Some((net, plain))
}

/// burn's mean logits for raw rows, standardised as `plain` does.
pub fn burn_logits(nets: &[Net], plain: &VtNet, x: &[[f32; N_FEATURES]]) -> Vec<f32> {
    let xs = matrix(x, &plain.mean, &plain.scale, &Device::flex());
    let mut sum = vec![0.0f32; x.len()];
    for net in nets {
        for (s, v) in sum.iter_mut().zip(values(net.forward(xs.clone()))) {
            *s += v;
        }
    }
    sum.iter().map(|s| s / nets.len() as f32).collect()
}

/// The labelled Challenge alarms of `dir` (decided from the waveforms, the
/// labels joined afterwards), but for the committed lockbox
/// (`vigil_shared::arrhythmia::lockbox`): the networks are trained and
/// cross-validated on the design set only, so the lockbox scores them clean.
pub fn load(dir: &Path) -> anyhow::Result<Vec<Labelled>> {
    let list =
        std::fs::read_to_string(dir.join("RECORDS")).with_context(|| format!("reading {}/RECORDS", dir.display()))?;
    let labels = review::parse_labels(&std::fs::read_to_string(dir.join("ALARMS")).context("reading ALARMS")?)?;
    let mut items = Vec::new();
    let locked = vigil_shared::arrhythmia::lockbox::records();
    for name in list.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#') && !locked.contains(l)) {
        let r = review::review_record(dir, name)?;
        if let (Some(evidence), Some(&truth)) = (r.evidence, labels.get(name)) {
            items.push(Labelled { record: r.record, evidence, truth });
        }
    }
    Ok(items)
}
