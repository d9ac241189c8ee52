#!/usr/bin/env bash
# Builds what the tablet downloads into target/site: the app compiled to
# WebAssembly (profile wasm-release), its JavaScript glue, the CSS and the
# static assets. The server serves target/site (config `site_root`).
#
# Path chosen over cargo-leptos (see README, "How it is built"): the same
# steps, no 20-30 min tool install on a new machine.
set -euo pipefail
cd "$(dirname "$0")/.."

site=target/site
pkg=$site/pkg
rm -rf "$site"
mkdir -p "$pkg"
# Debian's binaryen 108 breaks hydration; the npm binaryen (end2end devDependency) works.
wasm_opt=end2end/node_modules/.bin/wasm-opt

# One hydrated bundle per kind of page (app/Cargo.toml, `bundle_for` in
# app/src/lib.rs): `vigil` the central station, `family` the family portal,
# `desk` sign-in, account and administration.
for bundle in vigil:station family:family desk:desk; do
  name=${bundle%%:*} feature=${bundle##*:}
  cargo build -p vigil-app --lib --target wasm32-unknown-unknown --profile wasm-release --features "$feature"
  wasm-bindgen --target web --no-typescript --out-dir "$pkg" --out-name "$name" \
    target/wasm32-unknown-unknown/wasm-release/vigil_app.wasm
  mv "$pkg/${name}_bg.wasm" "$pkg/$name.wasm"
  "$wasm_opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int -o "$pkg/$name.wasm" "$pkg/$name.wasm"
done
cp style/main.css "$pkg/vigil.css"
cp -r public/. "$site/"
for name in vigil family desk; do
  raw=$(stat -c %s "$pkg/$name.wasm")
  gz=$(gzip -9 -c "$pkg/$name.wasm" | wc -c)
  echo "site built in $site: $name.wasm $raw bytes, $gz bytes gzipped"
done
