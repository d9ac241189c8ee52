//! `vigil-train`: trains the learned trend detector and compares it with the
//! baseline detector on data it was not trained on.
//!
//! ```text
//! cargo run --release -p vigil-train               # train, write the weights, print the comparison
//! cargo run --release -p vigil-train -- --check    # retrain and require the committed weights, bit for bit
//! cargo run --release -p vigil-train -- --evaluate # the comparison with the committed weights only
//! ```
//!
//! The carrier of the injected drifts, the 32-hour MIMIC-II record, is cut
//! in two: training (examples and the threshold) sees only its first 16
//! hours, the evaluation only its last 16, the artefact-laden record and the
//! accelerating shape, which training never sees. Nothing needs the network.

mod compare;
mod examples;
mod fit;
mod threshold;

use anyhow::Context;
use clap::Parser;
use std::path::PathBuf;
use vigil_server::advisory_eval::{carrier, recordings};
use vigil_shared::drift::learned::{self, TrendNet};

/// The training half of the carrier, ms from its start.
pub const TRAIN_SPAN: (i64, i64) = (0, 16 * examples::HOUR);
/// The evaluation half.
pub const EVAL_SPAN: (i64, i64) = (16 * examples::HOUR, 33 * examples::HOUR);

#[derive(Parser, Debug)]
#[command(name = "vigil-train", about = "Train and evaluate Vigil's learned trend detector")]
struct Args {
    /// The PhysioNet data folder (with `bidmc/` and `mimic2/`).
    #[arg(long, env = "VIGIL_DATA_DIR", default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))]
    data_dir: PathBuf,
    /// Where the weights and their metadata are written.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../src/drift"))]
    out: PathBuf,
    /// Retrain and fail unless the result is the committed weights.
    #[arg(long)]
    check: bool,
    /// Only compare the committed weights with the baseline detector.
    #[arg(long)]
    evaluate: bool,
    /// With --evaluate: a threshold other than the committed one, to see
    /// the trade-off (choosing it on the evaluation half would be tuning on
    /// the test data: the committed one is chosen on the training half).
    #[arg(long)]
    threshold: Option<f32>,
    /// The moves the network needs before it can make a minute unusual: two
    /// or more parameters by this many deviations ...
    /// (Default: 2, or the committed one with --evaluate.)
    #[arg(long)]
    gate_z: Option<f64>,
    /// ... and this share of a clinically meaningful change.
    /// (Default: 0.5, or the committed one with --evaluate.)
    #[arg(long)]
    gate_change: Option<f64>,
    #[arg(long, default_value_t = fit::FitOptions::default().seed)]
    seed: u64,
    #[arg(long, default_value_t = fit::FitOptions::default().epochs)]
    epochs: usize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let committed = learned::meta().ok();
    let (gate_z, gate_change) = match (&committed, args.evaluate) {
        (Some(m), true) => (args.gate_z.unwrap_or(m.soft_z), args.gate_change.unwrap_or(m.soft_change)),
        _ => (
            args.gate_z.unwrap_or(vigil_shared::drift::SOFT_Z),
            args.gate_change.unwrap_or(vigil_shared::drift::SOFT_CHANGE),
        ),
    };
    threshold::set_gate(gate_z, gate_change);
    if args.evaluate {
        let meta = learned::meta().map_err(anyhow::Error::msg)?;
        let net = TrendNet::trained(&burn::tensor::Device::flex()).map_err(anyhow::Error::msg)?;
        let thr = args.threshold.unwrap_or(meta.threshold);
        threshold::install(net, thr);
        print!("{}", compare::table(&args.data_dir, thr, EVAL_SPAN)?);
        return Ok(());
    }
    let (_, mimic) = recordings(&args.data_dir)?;
    let (bytes, thr) = train(&mimic, TRAIN_SPAN, args.seed, args.epochs)?;
    let train_name = carrier(&mimic, None)?.name;
    let meta = serde_json::json!({
        "threshold": thr,
        "trained_on": format!(
            "vigil-train --seed {} --epochs {}: the first 16 h of MIMIC-II {} with injected drifts (linear and sigmoid)",
            args.seed, args.epochs, train_name
        ),
        "seed": args.seed,
        "epochs": args.epochs,
        "soft_z": gate_z,
        "soft_change": gate_change,
    });
    let meta = serde_json::to_string_pretty(&meta)? + "\n";
    if args.check {
        // The same weights, bit for bit (the record's parameter ids are
        // random and do not count), and the same threshold and metadata.
        let committed = TrendNet::trained(&burn::tensor::Device::flex()).map_err(anyhow::Error::msg)?.parameters();
        let retrained = threshold::load(&bytes)?.parameters();
        let same = committed.len() == retrained.len()
            && committed.iter().zip(&retrained).all(|(a, b)| a.to_bits() == b.to_bits());
        let parsed: serde_json::Value = serde_json::from_str(learned::META_JSON)?;
        let same_meta = parsed == serde_json::from_str::<serde_json::Value>(&meta)?;
        anyhow::ensure!(
            same && same_meta,
            "retraining did not reproduce the committed detector: weights {}, metadata {}",
            if same { "same" } else { "differ" },
            if same_meta { "same" } else { "differs" }
        );
        println!("retrained: the same {} weights and threshold {thr:.2} as committed", retrained.len());
        return Ok(());
    }
    std::fs::write(args.out.join("trend_net.bin"), &bytes)
        .with_context(|| format!("writing to {}", args.out.display()))?;
    std::fs::write(args.out.join("trend_net.json"), &meta)?;
    eprintln!("wrote {}/trend_net.bin and trend_net.json", args.out.display());
    println!("Fold 1 (the committed weights): trained on hours 0-16, evaluated on hours 16-33\n");
    print!("{}", compare::table(&args.data_dir, thr, EVAL_SPAN)?);
    let (_, thr2) = train(&mimic, EVAL_SPAN, args.seed, args.epochs)?;
    println!("\nFold 2 (a check, not kept): trained on hours 16-33, evaluated on hours 0-16\n");
    print!("{}", compare::table(&args.data_dir, thr2, TRAIN_SPAN)?);
    Ok(())
}

/// Trains on `span` of the carrier; returns the weights and the threshold,
/// with the network installed for the evaluation.
fn train(
    mimic: &[vigil_server::replay::Recording],
    span: (i64, i64),
    seed: u64,
    epochs: usize,
) -> anyhow::Result<(Vec<u8>, f32)> {
    let train = carrier(mimic, Some(span))?;
    let t = std::time::Instant::now();
    let ex = examples::build(&train.numerics, seed);
    eprintln!(
        "examples: {} rows ({} positive, {} negative) from {} injected drifts and hours {}-{} of {} ({:.1} s)",
        ex.rows(),
        ex.positives,
        ex.negatives,
        ex.trials,
        span.0 / examples::HOUR,
        span.1 / examples::HOUR,
        train.name,
        t.elapsed().as_secs_f64()
    );
    let opts = fit::FitOptions { seed, epochs, ..Default::default() };
    let t = std::time::Instant::now();
    let bytes = fit::to_bytes(fit::fit(&ex, &opts))?;
    eprintln!("trained {epochs} epochs in {:.1} s: {} bytes of weights", t.elapsed().as_secs_f64(), bytes.len());
    threshold::install(threshold::load(&bytes)?, 1.0);
    let thr = threshold::choose(&train.numerics);
    eprintln!("threshold {thr:.2}: 0.5, or the lowest with no advisory of its own on the training half, plus a margin");
    Ok((bytes, thr))
}
