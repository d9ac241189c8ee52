import { expect, test } from "@playwright/test";
import { STATE } from "./fixtures/accounts";
import { Station, closeOpenedContexts } from "./fixtures/station";

test.afterEach(closeOpenedContexts);

// Bed 11 of tests/fixtures/ward.toml ("slow_sepsis") was monitored for five
// hours before the suite started and has been drifting for the last ninety
// minutes: heart rate and respiration up, pressure down, every value inside
// its alarm limits. The tablets judge that drift against the patient's own
// baseline, from the server's per-minute history and the live data.

test("a slow drift inside the limits shows as an unusual-trend advisory on the tile and in the bed view; a clinician dismisses it for every tablet, and it is logged", async ({ browser }) => {
  test.setTimeout(180_000);
  const a = new Station(await (await browser.newContext({ storageState: STATE.amal })).newPage());
  const b = new Station(await (await browser.newContext({ storageState: STATE.bea })).newPage());
  await a.openWard();
  await b.openWard();

  // On the tile, worded (never colour alone), on both tablets.
  for (const s of [a, b]) {
    await expect(s.tile("b11").getByTestId("tile-advisory")).toContainText(/Unusual trend: .*HR \+\d+\/min/, { timeout: 120_000 });
  }
  // An advisory is not an alarm: no sound, no alarm row for the bed.
  await expect(a.page.locator('[data-testid="alarm-list"] [data-testid="alarm"][data-bed="b11"][data-condition^="vital"]')).toHaveCount(0);
  await expect(a.tile("b11")).not.toHaveClass(/flashing/);

  // The bed view says why, since when, and charts the drifting parameters.
  await a.tile("b11").click();
  await expect(a.page).toHaveURL(/\/bed\/b11$/);
  const panel = a.page.getByTestId("advisory");
  await expect(panel).toBeVisible();
  await expect(a.page.getByTestId("advisory-reason")).toContainText(/HR \+\d+\/min.* over \d+ min/);
  await expect(panel.getByTestId("advisory-chart").first()).toBeVisible();
  expect(await panel.getByTestId("advisory-chart").count()).toBeGreaterThanOrEqual(2);
  await expect(panel.locator('[data-param="hr"] polyline')).toHaveAttribute("points", /\d+\.\d,\d+\.\d( \d+\.\d,\d+\.\d){20,}/);

  // Dismissing needs a shift (who did it is recorded).
  await a.page.getByTestId("start-shift").click();
  await expect(a.page.getByTestId("sound")).toContainText("amal");
  await a.page.getByTestId("dismiss-advisory").click();
  await expect(panel).toHaveCount(0);
  await expect(a.page.getByTestId("bed-events")).toContainText("dismissed the unusual-trend advisory");
  const row = a.page.locator('[data-testid="history-row"][data-id*="/advisory@"]');
  await expect(row).toContainText("Unusual trend (advisory)");
  await expect(row).toContainText("dismissed: amal");

  // The other tablet hides it too.
  await expect(b.tile("b11").getByTestId("tile-advisory")).toHaveCount(0);
  expect(a.consoleErrors).toEqual([]);
  expect(b.consoleErrors).toEqual([]);
});
