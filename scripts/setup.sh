#!/usr/bin/env bash
# Installs what building Vigil needs on a new Debian machine with Rust:
# the wasm32 target, wasm-bindgen-cli matching Cargo.lock, and the npm
# packages in end2end/ (which include binaryen's wasm-opt). With `--test` it
# also installs Debian's Chromium for the Playwright suite and Mosquitto and
# nats-server for the benchmark's side-by-side runs. Each step is
# skipped when already done, so running it again costs seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! rustup component list --installed | grep -q '^clippy'; then
  say "adding clippy (the tests check the input modules' arithmetic lints)"
  rustup component add clippy
fi

# wasm-bindgen's CLI must be exactly the version of the crate in Cargo.lock.
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  say "installing wasm-bindgen-cli $want (about 5 minutes)"
  # Not --locked: its lock file names a crate version the registry lacks.
  cargo install wasm-bindgen-cli --version "$want"
fi

if [ ! -x end2end/node_modules/.bin/wasm-opt ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  say "installing npm packages (Playwright, binaryen)"
  (cd end2end && npm ci --no-audit --no-fund)
fi

# For the tests: Debian's Chromium (Playwright), and the relays the benchmark
# compares Vigil with (`vigil bench`: Mosquitto, NATS).
if [ "${1:-}" = "--test" ]; then
  missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
  command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] || missing+=(nats-server)
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing from Debian: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q "${missing[@]}" || { sleep 5; apt-get install -y -q "${missing[@]}"; }
  fi
fi
