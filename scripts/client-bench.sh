#!/usr/bin/env bash
# Client cost in Chromium (BENCHMARKS.md): the 16- and 32-bed ward overview,
# a bed view with three live waveforms, both together, and the tablet's
# downloads. Needs the site and the server built (scripts/build-site.sh;
# cargo build --release -p vigil-server). `--smoke`: 2 s per measurement, the
# 16-bed ward only (CI, so the benchmark does not rot).
set -euo pipefail
cd "$(dirname "$0")/../end2end"

seconds=10 sizes="16 32"
if [ "${1:-}" = "--smoke" ]; then seconds=2 sizes="16"; fi

for beds in $sizes; do
  VIGIL_PERF_BEDS=$beds VIGIL_PERF_SECONDS=$seconds npx playwright test -c perf.config.ts --reporter=dot >/dev/null
done

node - $sizes <<'JS'
const sizes = process.argv.slice(2);
const f = (x, d = 1) => x.toFixed(d).padStart(7);
console.log("client cost in Chromium (main thread: % of one core; heap MiB; hydrate ms; sweep frames/s)");
console.log("view".padEnd(44) + "busy %  script %  heap MiB  hydrate ms  fps (min)");
for (const beds of sizes) {
  const r = require(`${process.cwd()}/perf-results/client-${beds}.json`);
  const row = (name, c, fps) =>
    console.log(name.padEnd(44) + f(c.busy_percent) + "  " + f(c.script_percent) + "   " + f(c.heap_mib) +
      "   " + f(c.hydrate_ms, 0) + "     " + (fps ? f(Math.min(...Object.values(fps))) : "      -"));
  row(`${beds}-bed ward overview`, r.overview);
  row(`bed view, 3 waveforms (${beds}-bed ward)`, r.bed_view, r.bed_view.fps);
  const t = r.together;
  console.log(`${beds}-bed overview + bed view on two tablets:`.padEnd(44) + f(t.sum_busy_percent) +
    `  (overview ${t.overview_busy_percent.toFixed(1)} + bed view ${t.bed_view_busy_percent.toFixed(1)}), fps ${Math.min(...Object.values(t.fps)).toFixed(1)}`);
  if (beds === sizes[0]) {
    console.log(`downloads (Chromium ${r.chromium}): as transferred ${r.assets_transferred_total_kb} KB, gzip -9 ${r.assets_gzip_total_kb} KB`);
    for (const a of r.assets)
      console.log(`  ${a.url.padEnd(58)} ${String(a.bytes).padStart(8)} B  sent ${(a.transferred === null ? "-" : String(a.transferred)).padStart(7)} B  gzip -9 ${String(a.gzip).padStart(7)} B`);
    const fam = r.family;
    if (fam) {
      console.log(`family portal on a phone (390x844): hydrated in ${fam.hydrate_ms.toFixed(0)} ms; as transferred ${fam.assets_transferred_total_kb} KB, gzip -9 ${fam.assets_gzip_total_kb} KB`);
      for (const a of fam.assets)
        console.log(`  ${a.url.padEnd(58)} ${String(a.bytes).padStart(8)} B  sent ${(a.transferred === null ? "-" : String(a.transferred)).padStart(7)} B  gzip -9 ${String(a.gzip).padStart(7)} B`);
    }
  }
}
JS
