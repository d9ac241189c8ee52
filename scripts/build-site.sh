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
cargo build -p vigil-app --lib --target wasm32-unknown-unknown --profile wasm-release --features hydrate
rm -rf "$site"
mkdir -p "$pkg"
wasm-bindgen --target web --no-typescript --out-dir "$pkg" --out-name vigil \
  target/wasm32-unknown-unknown/wasm-release/vigil_app.wasm
mv "$pkg/vigil_bg.wasm" "$pkg/vigil.wasm"
# Debian's binaryen 108 breaks hydration; the npm binaryen (end2end devDependency) works.
wasm_opt=end2end/node_modules/.bin/wasm-opt
"$wasm_opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int -o "$pkg/vigil.wasm" "$pkg/vigil.wasm"
cp style/main.css "$pkg/vigil.css"
cp -r public/. "$site/"
raw=$(stat -c %s "$pkg/vigil.wasm")
gz=$(gzip -9 -c "$pkg/vigil.wasm" | wc -c)
echo "site built in $site: vigil.wasm $raw bytes, $gz bytes gzipped"
