//! The threshold: 0.5, or higher if the network raises advisories of its own
//! (ones it raised before the rules) on the training half of the carrier at
//! 0.5; and the trained network made callable by
//! the detector (a plain function, as on the tablet). The training half's
//! untouched minutes are also negatives of the fit: the threshold is chosen
//! in sample, so its quiet there is optimistic (the evaluation half says how
//! optimistic).

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device};
use std::cell::RefCell;
use vigil_shared::drift::learned::TrendNet;
use vigil_shared::drift::{BedDrift, DriftChange, Features, Model, SOFT_CHANGE, SOFT_Z};
use vigil_shared::VitalKind;

/// Above the lowest quiet threshold by this much.
const MARGIN: f32 = 0.05;

thread_local! {
    static NET: RefCell<Option<(TrendNet, Device, f32)>> = const { RefCell::new(None) };
    static GATE: std::cell::Cell<(f64, f64)> = const { std::cell::Cell::new((SOFT_Z, SOFT_CHANGE)) };
}

/// The moves the network needs before it can make a minute unusual.
pub fn set_gate(z: f64, change: f64) {
    GATE.with(|g| g.set((z, change)));
}

pub fn gate() -> (f64, f64) {
    GATE.with(|g| g.get())
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
    let (soft_z, soft_change) = gate();
    BedDrift::with_model(Some(Model { score, threshold, soft_z, soft_change }))
}

/// Advisories the learned detector raised over `numerics`.
fn own_advisories(numerics: &[(i64, VitalKind, f64)]) -> usize {
    let mut d = detector();
    let mut n = 0;
    for &(off, kind, v) in numerics {
        d.on_numeric(kind, vigil_server::advisory_eval::T0 + off, v);
        for c in d.take_changes() {
            // Looked up by onset: it may have ended in the same catch-up.
            if let DriftChange::Raised(onset) = c {
                n += usize::from(d.log().iter().chain(d.advisory()).any(|a| a.onset == onset && a.by_model));
            }
        }
    }
    n
}

/// Chooses and installs the threshold from the training half: 0.5 (the
/// boundary of a classifier fitted to balanced classes), or, if that is not
/// quiet there, the lowest of 0.51 ... 0.99 from which the network raises
/// nothing there, plus a margin; 1.01 (never) if even 0.99 raises something.
pub fn choose(train: &[(i64, VitalKind, f64)]) -> f32 {
    let mut lowest_quiet = None;
    for step in (50..=99).rev() {
        let t = step as f32 / 100.0;
        set_threshold(t);
        if own_advisories(train) > 0 {
            break;
        }
        lowest_quiet = Some(t);
    }
    let chosen = match lowest_quiet {
        None => 1.01,
        Some(t) if t <= 0.5 => 0.5,
        Some(t) => (t + MARGIN).min(0.99),
    };
    set_threshold(chosen);
    chosen
}
