//! Fitting the network: weighted binary cross-entropy on the logits, Adam,
//! shuffled mini-batches, all seeded, on burn's autodiff CPU device. The
//! same seed and examples give the same weights, bit for bit, on the same
//! kind of CPU (the matrix kernels are chosen by CPU feature at run time).

use crate::examples::Examples;
use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::activation::log_sigmoid;
use burn::tensor::{Device, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use vigil_shared::drift::learned::TrendNet;
use vigil_shared::drift::N_FEATURES;

#[derive(Debug, Clone, Copy)]
pub struct FitOptions {
    pub seed: u64,
    pub epochs: usize,
    pub batch: usize,
    pub learning_rate: f64,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions { seed: 2015, epochs: 25, batch: 512, learning_rate: 2e-3 }
    }
}

/// One rows-by-features batch of `ex` and its labels and weights.
fn batch(ex: &Examples, rows: &[usize], device: &Device) -> (Tensor<2>, Tensor<2>, Tensor<2>) {
    let mut x = Vec::with_capacity(rows.len() * N_FEATURES);
    for &r in rows {
        x.extend_from_slice(&ex.x[r * N_FEATURES..(r + 1) * N_FEATURES]);
    }
    let col = |v: &[f32]| {
        let d: Vec<f32> = rows.iter().map(|&r| v[r]).collect();
        Tensor::<2>::from_data(TensorData::new(d, [rows.len(), 1]), device)
    };
    (Tensor::<2>::from_data(TensorData::new(x, [rows.len(), N_FEATURES]), device), col(&ex.y), col(&ex.w))
}

/// Weighted binary cross-entropy of `logits` against `y`.
fn loss(logits: Tensor<2>, y: Tensor<2>, w: Tensor<2>) -> Tensor<1> {
    let pos = log_sigmoid(logits.clone()) * y.clone();
    let neg = log_sigmoid(logits.neg()) * (y.neg() + 1.0);
    ((pos + neg) * w).neg().mean()
}

/// Trains a fresh network on `ex`; prints the loss every few epochs.
pub fn fit(ex: &Examples, opts: &FitOptions) -> TrendNet {
    let device = Device::flex().autodiff();
    device.seed(opts.seed);
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let mut model = TrendNet::new(&device);
    let mut optim = AdamConfig::new().init();
    let mut order: Vec<usize> = (0..ex.rows()).collect();
    for epoch in 0..opts.epochs {
        order.shuffle(&mut rng);
        let mut total = 0.0;
        let mut batches = 0;
        for rows in order.chunks(opts.batch) {
            let (x, y, w) = batch(ex, rows, &device);
            let l = loss(model.forward(x), y, w);
            if epoch % 5 == 4 || epoch + 1 == opts.epochs {
                total += l.clone().into_data().try_to_vec::<f32>().map_or(0.0, |v| v[0]);
                batches += 1;
            }
            let grads = GradientsParams::from_grads(l.backward(), &model);
            model = optim.step(opts.learning_rate, model, grads);
        }
        if batches > 0 {
            eprintln!("  epoch {:>3}: loss {:.4}", epoch + 1, total / batches as f32);
        }
    }
    model.valid()
}

/// The network's weights as burn record bytes.
pub fn to_bytes(net: TrendNet) -> anyhow::Result<Vec<u8>> {
    let bytes = net.into_record().into_bytes().map_err(|e| anyhow::anyhow!("{e:?}"))?;
    Ok(bytes.to_vec())
}
