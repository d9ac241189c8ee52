#!/usr/bin/env bash
# Sets up what is missing and runs every test: the Rust unit and integration
# tests, the shared core compiled and tested for wasm32, and the Playwright
# suite against the whole system in Debian's Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test

echo "== Rust tests (native)"
# vigil-train is built on its own below: in this build it would switch the
# learned detector on in every crate (cargo unifies features).
cargo test --workspace --exclude vigil-app --exclude vigil-train
cargo test -p vigil-app --features ssr
cargo test -p vigil-shared --features learned

echo "== lints: no arithmetic that can wrap or panic in the modules that read outside input"
# Those modules deny clippy::arithmetic_side_effects (see their headers).
cargo clippy -p vigil-shared -p vigil-server --tests -- -D warnings

echo "== fuzzing: every decoder of outside input over its committed corpus, then 200,000 new inputs each"
scripts/fuzz.sh smoke

echo "== the learned trend detector: retrained from the data, it must be the committed one"
cargo run --release -p vigil-train -- --check
echo "== the learned V-tach check: retrained inside and outside the folds, it must be the committed one and hold its held-out floors"
cargo run --release -p vigil-train -- --model vt --check

echo "== shared core on wasm32 (Node)"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test -p vigil-shared --target wasm32-unknown-unknown
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test -p vigil-shared --features learned --target wasm32-unknown-unknown --release --test same_decisions

echo "== build for the browser tests"
scripts/build-site.sh
cargo build --release -p vigil-server

echo "== fault test: 100 beds, the server killed with SIGKILL 3 times mid-stream"
RUST_LOG=warn target/release/vigil fault-test --beds 100 --kills 3 --seconds 40

echo "== benchmark smoke runs (BENCHMARKS.md has the full runs and figures)"
RUST_LOG=warn target/release/vigil store-bench --beds 4 --seconds 10
RUST_LOG=warn target/release/vigil bench --beds 4 --tablets 2 --warmup 1 --seconds 3 --require-lossless
cargo bench -p vigil-shared --bench core -- --test
scripts/client-bench.sh --smoke

echo "== Playwright (end2end/)"
cd end2end
npx playwright test
