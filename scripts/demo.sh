#!/usr/bin/env bash
# Sets up what is missing, builds, and runs Vigil with a simulated 12-bed
# ward on the embedded database (vigil-data/demo.db). Prints the URL.
# Extra arguments go to `vigil demo` (e.g. --beds 16, --listen 0.0.0.0:3000).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build-site.sh
cargo build --release -p vigil-server
exec target/release/vigil demo --database vigil-data/demo.db --site-root target/site "$@"
