import { defineConfig } from "@playwright/test";
import { launchOptions } from "./tests/fixtures/chromium";

// Client cost (BENCHMARKS.md): `vigil demo` with VIGIL_PERF_BEDS beds (16 or
// 32) and Chromium's own performance counters. Run by scripts/client-bench.sh,
// once per ward size; not part of the functional suite (playwright.config.ts).
const port = Number(process.env.VIGIL_PERF_PORT ?? 3150);
const beds = Number(process.env.VIGIL_PERF_BEDS ?? 16);
const baseURL = `http://127.0.0.1:${port}`;
// Another build to compare in the same sitting (e.g. the previous commit's
// binary and site): VIGIL_PERF_BIN, VIGIL_PERF_SITE.
const bin = process.env.VIGIL_PERF_BIN ?? "../target/release/vigil";
const site = process.env.VIGIL_PERF_SITE ?? "../target/site";

export default defineConfig({
  testDir: "./perf",
  timeout: 180_000,
  expect: { timeout: 20_000 },
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL,
    // A ward tablet in landscape.
    viewport: { width: 1280, height: 800 },
    browserName: "chromium",
    launchOptions,
  },
  webServer: {
    command:
      `rm -rf ../target/perf-data && exec ${bin} demo --beds ${beds} ` +
      `--database ../target/perf-data/vigil.db --site-root ${site} --listen 127.0.0.1:${port}`,
    url: `${baseURL}/health`,
    timeout: 60_000,
    reuseExistingServer: false,
    env: { RUST_LOG: "warn", VIGIL_DEMO_PASSWORD: process.env.VIGIL_DEMO_PASSWORD ?? "perf-demo-password-2026" },
    stdout: "ignore",
    stderr: "pipe",
  },
});
