//! The threshold: the lowest probability at which the network raises no
//! advisory of its own on the training half of the carrier (none the rules
//! alone would not have raised), plus a margin; and the trained network made
//! callable by the detector (a plain function, as on the tablet).

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device};
use std::cell::RefCell;
use vigil_shared::drift::learned::TrendNet;
use vigil_shared::drift::{BedDrift, DriftChange, Features, Model};
use vigil_shared::VitalKind;

/// Above the lowest quiet threshold by this much.
const MARGIN: f32 = 0.05;

thread_local! {
    static NET: RefCell<Option<(TrendNet, Device, f32)>> = const { RefCell::new(None) };
}

/// The network from its record bytes, on the plain CPU device.
pub fn load(bytes: &[u8]) -> anyhow::Result<TrendNet> {
    let device = Device::flex();
    let record =
        ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes.to_vec())).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    Ok(TrendNet::new(&device).load_record(record))
}

pub fn install(net: TrendNet, threshold: f32) {
    NET.with(|n| *n.borrow_mut() = Some((net, Device::flex(), threshold)));
}

fn set_threshold(t: f32) {
    NET.with(|n| n.borrow_mut().as_mut().expect("installed").2 = t);
}

fn score(f: &Features) -> f32 {
    NET.with(|n| n.borrow().as_ref().map_or(0.0, |(net, dev, _)| net.probability(f, dev)))
}

/// A bed judged by the rules and the installed network.
pub fn detector() -> BedDrift {
    let threshold = NET.with(|n| n.borrow().as_ref().map_or(1.0, |x| x.2));
    BedDrift::with_model(Some(Model { score, threshold }))
}

/// Advisories the detector raises over `numerics` that the rules alone
/// would not.
fn advisories(mut d: BedDrift, numerics: &[(i64, VitalKind, f64)]) -> usize {
    let mut n = 0;
    for &(off, kind, v) in numerics {
        d.on_numeric(kind, crate::examples::T0 + off, v);
        n += d.take_changes().iter().filter(|c| matches!(c, DriftChange::Raised(_))).count();
    }
    n
}

/// Chooses and installs the threshold from the training half.
pub fn choose(train: &[(i64, VitalKind, f64)]) -> f32 {
    let rules = advisories(BedDrift::baseline_only(), train);
    let mut lowest_quiet = 0.99;
    for step in (50..=99).rev() {
        let t = step as f32 / 100.0;
        set_threshold(t);
        if advisories(detector(), train) > rules {
            break;
        }
        lowest_quiet = t;
    }
    let chosen = (lowest_quiet + MARGIN).min(0.99);
    set_threshold(chosen);
    chosen
}
