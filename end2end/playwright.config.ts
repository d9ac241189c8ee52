import { defineConfig } from "@playwright/test";
import { PASSWORD, STATE } from "./tests/fixtures/accounts";
import { launchOptions } from "./tests/fixtures/chromium";

// The whole system: `vigil demo` (server on a fresh embedded database with a
// simulated 12-bed ward), built beforehand by scripts/test.sh.
const port = Number(process.env.VIGIL_E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL,
    viewport: { width: 1280, height: 800 },
    trace: "retain-on-failure",
  },
  projects: [
    {
      // Signs in the test accounts once (tests/auth.setup.ts).
      name: "setup",
      testMatch: /.*\.setup\.ts/,
      use: { browserName: "chromium", launchOptions },
    },
    {
      name: "chromium",
      dependencies: ["setup"],
      use: {
        browserName: "chromium",
        // Signed in as the demo ward's clinician unless a spec says otherwise.
        storageState: STATE.nurse,
        launchOptions,
      },
    },
  ],
  webServer: {
    command:
      `rm -rf ../target/e2e-data && exec ../target/release/vigil demo --ward tests/fixtures/ward.toml ` +
      `--database ../target/e2e-data/vigil.db --site-root ../target/site --listen 127.0.0.1:${port}`,
    url: `${baseURL}/health`,
    timeout: 60_000,
    reuseExistingServer: false,
    env: { RUST_LOG: "warn", VIGIL_DEMO_PASSWORD: PASSWORD },
    stdout: "ignore",
    stderr: "pipe",
  },
});
