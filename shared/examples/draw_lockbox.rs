//! Draws the lockbox of the Challenge 2015 alarms (see
//! `vigil_shared::arrhythmia::lockbox`) from `DIR/ALARMS` and prints it in the
//! form of the committed `shared/src/arrhythmia/lockbox.txt`. It reads only
//! record names, types and labels: no decision, no waveform.
//!
//! `cargo run -p vigil-shared --example draw_lockbox [-- DIR]`
//! (default `../shared/data/challenge2015`)

use vigil_shared::arrhythmia::lockbox::{draw, SEED};
use vigil_shared::arrhythmia::ArrhythmiaKind;

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "../shared/data/challenge2015".into());
    let text = std::fs::read_to_string(format!("{dir}/ALARMS")).expect("reading DIR/ALARMS");
    let alarms: Vec<(String, ArrhythmiaKind, bool)> = text
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.trim().split(',').collect();
            let kind = ArrhythmiaKind::from_challenge_name(f.get(1)?)?;
            Some((f[0].to_string(), kind, f.get(2)? == &"1"))
        })
        .collect();
    let lockbox = draw(&alarms, SEED);
    println!("# The lockbox of the Challenge 2015 alarms: {} of {}, drawn by", lockbox.len(), alarms.len());
    println!("# `cargo run -p vigil-shared --example draw_lockbox` (seed {SEED:#x}, a third of");
    println!("# each alarm type and label). Not designed on; scored once per piece of work.");
    for r in lockbox {
        println!("{r}");
    }
}
