#!/usr/bin/env bash
# Coverage-guided fuzzing (cargo-fuzz, libFuzzer, AddressSanitizer) of every
# decoder that takes outside input: fuzz/fuzz_targets/*.rs.
#
#   scripts/fuzz.sh smoke          each target over its committed corpus, then
#                                  200,000 new inputs (the test command runs this)
#   scripts/fuzz.sh long RUNS      each target for RUNS executions, new corpus
#                                  entries kept in fuzz/corpus/<target>
#   scripts/fuzz.sh long RUNS T    only target T
#
# A crash stops the script with the input in fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! rustup toolchain list | grep -q '^nightly'; then
  echo "== installing the nightly toolchain (cargo-fuzz needs it)"
  rustup toolchain install nightly --profile minimal
fi
if ! command -v cargo-fuzz >/dev/null; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

mode=${1:-smoke}
targets=(device_message tablet_message wfdb stored_frame cookie_token query_params)
if [ -n "${3:-}" ]; then targets=("$3"); fi

for t in "${targets[@]}"; do cargo +nightly fuzz build "$t"; done

for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t"
  case "$mode" in
    smoke)
      # Over a copy, so a smoke run leaves the committed corpus as it was.
      work=$(mktemp -d)
      cp -r "fuzz/corpus/$t/." "$work/"
      echo "== fuzz $t (smoke)"
      if ! cargo +nightly fuzz run "$t" "$work" -- -runs=200000 -max_len=65536 -print_final_stats=1 >"$work.log" 2>&1; then
        tail -40 "$work.log"
        echo "fuzz target $t crashed: the input is in fuzz/artifacts/$t/"
        exit 1
      fi
      grep -E "^(stat::number_of_executed_units|Done)" "$work.log" || true
      rm -rf "$work" "$work.log"
      ;;
    long)
      runs=${2:?scripts/fuzz.sh long RUNS}
      echo "== fuzz $t: $runs executions"
      log=$(mktemp)
      if ! cargo +nightly fuzz run "$t" "fuzz/corpus/$t" -- -runs="$runs" -max_len=65536 -print_final_stats=1 >"$log" 2>&1; then
        tail -60 "$log"
        echo "fuzz target $t crashed: the input is in fuzz/artifacts/$t/"
        exit 1
      fi
      grep -E "^(stat::|Done|#[0-9]+ *DONE)" "$log" || true
      rm -f "$log"
      cargo +nightly fuzz cmin "$t" "fuzz/corpus/$t" >/dev/null 2>&1
      ;;
    *) echo "usage: scripts/fuzz.sh smoke | long RUNS [TARGET]"; exit 2 ;;
  esac
done
