//! The learned trend detector (the `learned` feature): a small multilayer
//! perceptron in burn over a bed's [`Features`], giving the probability that
//! the minute belongs to a deterioration. It is trained by `vigil-train`
//! (`shared/train`, see its README section) on deteriorations injected into
//! one half of a real recording; the weights and the threshold chosen on
//! that half are embedded here and loaded on first use.
//!
//! The network is written once against burn's [`Device`]: training runs it
//! on the autodiff CPU device, inference on the plain pure-Rust CPU device
//! (flex), natively and compiled to WebAssembly; any other burn backend
//! would do. The tablet does not carry it today (README, "Unusual-trend
//! advisory"): it runs the combined-drift rule alone.

use super::{Features, Model, N_FEATURES};
use burn::module::Module;
use burn::nn::{Linear, LinearConfig, Relu};
use burn::store::ModuleRecord;
use burn::tensor::activation::sigmoid;
use burn::tensor::{Bytes, Device, Tensor, TensorData};
use serde::Deserialize;

/// Hidden layer widths.
pub const HIDDEN: [usize; 2] = [32, 16];

/// The trained weights (burn's record bytes) and what was chosen with them.
pub const WEIGHTS: &[u8] = include_bytes!("trend_net.bin");
pub const META_JSON: &str = include_str!("trend_net.json");

/// What training chose and saw, stored beside the weights.
#[derive(Debug, Clone, Deserialize)]
pub struct Meta {
    /// The probability from which a minute counts as unusual.
    pub threshold: f32,
    /// The training command's settings and data, for the record.
    pub trained_on: String,
    pub seed: u64,
    pub epochs: usize,
    /// The moves needed before the network can make a minute unusual.
    #[serde(default = "soft_z")]
    pub soft_z: f64,
    #[serde(default = "soft_change")]
    pub soft_change: f64,
}

fn soft_z() -> f64 {
    super::SOFT_Z
}

fn soft_change() -> f64 {
    super::SOFT_CHANGE
}

#[derive(Module, Debug)]
pub struct TrendNet {
    hidden: Linear,
    hidden2: Linear,
    out: Linear,
    relu: Relu,
}

impl TrendNet {
    /// A network with freshly initialised weights on `device`.
    pub fn new(device: &Device) -> Self {
        TrendNet {
            hidden: LinearConfig::new(N_FEATURES, HIDDEN[0]).init(device),
            hidden2: LinearConfig::new(HIDDEN[0], HIDDEN[1]).init(device),
            out: LinearConfig::new(HIDDEN[1], 1).init(device),
            relu: Relu::new(),
        }
    }

    /// Logits, one per row of `x` (`[rows, N_FEATURES]` -> `[rows, 1]`).
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let h = self.relu.forward(self.hidden.forward(x));
        let h = self.relu.forward(self.hidden2.forward(h));
        self.out.forward(h)
    }

    /// The embedded trained network on `device`.
    pub fn trained(device: &Device) -> Result<Self, String> {
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(WEIGHTS.to_vec())).map_err(|e| format!("{e:?}"))?;
        Ok(TrendNet::new(device).load_record(record))
    }

    /// Every weight and bias, layer by layer: what "the same network" means
    /// (the record bytes also carry random parameter ids).
    pub fn parameters(&self) -> Vec<f32> {
        let mut out = Vec::new();
        for layer in [&self.hidden, &self.hidden2, &self.out] {
            out.extend(layer.weight.val().into_data().try_to_vec::<f32>().unwrap_or_default());
            if let Some(b) = &layer.bias {
                out.extend(b.val().into_data().try_to_vec::<f32>().unwrap_or_default());
            }
        }
        out
    }

    /// The probability for one bed's features.
    pub fn probability(&self, f: &Features, device: &Device) -> f32 {
        let x = Tensor::<2>::from_data(TensorData::new(f.to_vec(), [1, N_FEATURES]), device);
        sigmoid(self.forward(x)).into_data().try_to_vec::<f32>().map_or(0.0, |v| v[0])
    }
}

pub fn meta() -> Result<Meta, String> {
    serde_json::from_str(META_JSON).map_err(|e| e.to_string())
}

thread_local! {
    /// Loaded once per thread (the tablet has one): `None` if the embedded
    /// weights do not load, and then the baseline rules judge alone.
    static NET: Option<(TrendNet, Device)> = {
        let device = Device::flex();
        TrendNet::trained(&device).ok().map(|n| (n, device))
    };
}

fn score(f: &Features) -> f32 {
    NET.with(|n| n.as_ref().map_or(0.0, |(net, device)| net.probability(f, device)))
}

/// The embedded detector, or `None` when its weights or threshold do not
/// load (a test makes sure they do).
pub fn model() -> Option<Model> {
    let m = meta().ok()?;
    NET.with(|n| n.is_some()).then_some(Model {
        score,
        threshold: m.threshold,
        soft_z: m.soft_z,
        soft_change: m.soft_change,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn the_embedded_weights_and_threshold_load() {
        let m = model().expect("the trained detector loads");
        assert!((0.0..1.0).contains(&m.threshold), "{}", m.threshold);
        let quiet = (m.score)(&[0.0; N_FEATURES]);
        assert!((0.0..=1.0).contains(&quiet));
        assert!(quiet < m.threshold, "a bed that has not moved is not unusual: {quiet}");
        let n = TrendNet::trained(&Device::flex()).unwrap().parameters().len();
        assert_eq!(n, N_FEATURES * HIDDEN[0] + HIDDEN[0] + HIDDEN[0] * HIDDEN[1] + HIDDEN[1] + HIDDEN[1] + 1);
    }
}
