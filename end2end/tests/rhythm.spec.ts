import { expect, test } from "@playwright/test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DemoServer } from "./fixtures/server";

// Vigil's own arrhythmia detection and the check of each alarm against every
// waveform, run in the tablet on what the beds stream. Its own server, on
// tests/fixtures/rhythm-ward.toml: every minute bed 1's ECG goes flat for
// 15 s while its pulse carries on (a false asystole), and bed 2 arrests for
// 15 s (a true one).
const port = Number(process.env.VIGIL_E2E_RHYTHM_PORT ?? 3119);

test("a true asystole sounds as a high-priority alarm; a flat ECG with a pulse on the pleth is suppressed, never sounds, and is shown in the bed's history with its reason", async ({ browser }) => {
  test.setTimeout(200_000);
  const dir = mkdtempSync(join(tmpdir(), "vigil-rhythm-"));
  const server = new DemoServer(port, join(dir, "vigil.db"), "tests/fixtures/rhythm-ward.toml");
  try {
    const { context, station } = await server.tablet(browser);
    const page = station.page;
    // Episodes whose 16 s of evidence began before the tablet was live are
    // judged on what its 30 s backlog holds, and may rightly be kept for
    // want of a full pleth: only later ones are held to the result.
    const judgedLive = Date.now() + 16_000;
    await expect(station.tiles).toHaveCount(2);
    await page.getByTestId("start-shift").click();
    const sound = page.getByTestId("sound");
    await expect(sound).toHaveAttribute("data-state", "on");

    // Bed 2 arrests: Asystole, high priority, sounding, on the list and tile.
    const asystole = page.locator('[data-testid="alarm-list"] [data-testid="alarm"][data-bed="b02"][data-condition="arrhythmia.asystole"]');
    await expect(asystole.first()).toBeVisible({ timeout: 90_000 });
    await expect(asystole.first()).toHaveAttribute("data-priority", "high");
    await expect(asystole.first().locator(".a-marker")).toHaveText("!!!");
    await expect(asystole.first().getByTestId("alarm-text")).toHaveText("Asystole");
    await expect(station.tile("b02")).toHaveAttribute("data-alarm", "high");
    await expect.poll(async () => Number(await sound.getAttribute("data-bursts")), { timeout: 15_000 }).toBeGreaterThan(0);

    // Bed 1: its flat ECG was judged by the same detection, and the pulse on
    // the pleth refuted it. Opened from its tile, so the tablet keeps what
    // its engine judged: the suppressed asystole is in the history with the
    // pulse as its reason, and no arrhythmia alarm of bed 1 was raised.
    await station.tile("b01").click();
    await expect(page).toHaveURL(/\/bed\/b01$/);
    const history = page.getByTestId("alarm-history");
    // Row ids: "b01/suppressed.asystole@<onset ms>", "b01/arrhythmia.asystole@<onset ms>".
    const rowIds = (hasText = "") =>
      history.locator('[data-testid="history-row"]', { hasText }).evaluateAll((rows) => rows.map((r) => r.getAttribute("data-id") ?? ""));
    const since = (ids: string[], pattern: RegExp) => ids.filter((id) => pattern.test(id) && Number(id.split("@")[1]) >= judgedLive);
    const suppressedAsystoles = async () => since(await rowIds("Asystole suppressed:"), /\/suppressed\.asystole@\d+$/);
    await expect.poll(async () => (await suppressedAsystoles()).length, { timeout: 90_000 }).toBeGreaterThan(0);
    const row = history.locator(`[data-testid="history-row"][data-id="${(await suppressedAsystoles())[0]}"]`);
    await expect(row).toContainText(/no clear QRS on the ECG but beats on PPG at (7[5-9]|8[0-1])\/min/);
    await expect(row).toContainText("not raised");
    const ids = await rowIds();
    expect(since(ids, /\/arrhythmia\.[a-z_]+@\d+$/), ids.join("\n")).toEqual([]);

    // Back on the ward, bed 1 has no arrhythmia alarm and bed 2's is kept
    // with the check's reason in its own history.
    await page.goBack();
    const listed = await page
      .locator('[data-testid="alarm"][data-bed="b01"][data-condition^="arrhythmia."]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-id") ?? ""));
    expect(since(listed, /@\d+$/)).toEqual([]);
    await station.tile("b02").click();
    await expect(page).toHaveURL(/\/bed\/b02$/);
    await expect(history.locator('[data-testid="history-row"]', { hasText: "Asystole (checked:" }).first()).toContainText(
      /every channel paused at least \d+\.\d s/,
    );
    expect(station.consoleErrors).toEqual([]);
    await context.close();
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
