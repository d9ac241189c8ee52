import { expect, test } from "@playwright/test";
import { Station } from "./fixtures/station";

test("long trends come from the server with min-max envelopes, and full disclosure pages through every stored sample", async ({ page }) => {
  const station = new Station(page);
  // Bed 2 has an arterial line: three waveforms to review.
  await page.goto("/bed/b02");
  await expect(station.connection).toHaveAttribute("data-state", "live");
  await expect(page.getByTestId("trend-chart")).toBeVisible();

  const long = page.getByTestId("long-trend");
  for (const [range, step] of [["1440", "3 min per point"], ["4320", "8 min per point"], ["480", "1 min per point"]]) {
    await page.getByTestId(`range-${range}`).click();
    await expect(page.getByTestId("history-status")).toContainText(step);
    await expect.poll(async () => Number(await long.getAttribute("data-buckets"))).toBeGreaterThan(0);
  }
  expect(await Station.ink(long)).toBeGreaterThan(50);
  await expect(page.getByTestId("trend-chart")).toBeHidden();

  // Full disclosure: the page ten seconds before the last complete ten
  // seconds, then forward to that one: every sample, 250 Hz ECG and 125 Hz
  // pleth and arterial pressure, as stored. (Right after the server starts
  // the pages may reach back before the first frame: ask again until both
  // are stored.)
  const window = page.getByTestId("strip-window");
  const note = page.getByTestId("strip-note");
  const samples = async (name: string) => Number(await page.getByTestId(`strip-${name}`).getAttribute("data-samples"));
  await expect
    .poll(async () => {
      await page.getByTestId("review-now").click();
      await page.getByTestId("strip-back").click();
      await expect(note).not.toHaveText("loading…");
      return samples("ecg-ii");
    }, { timeout: 40_000 })
    .toBeGreaterThanOrEqual(2498);
  await expect(window).toHaveText(/^\d\d:\d\d:\d\d–\d\d:\d\d:\d\d UTC$/);
  const first = await window.innerText();
  await page.getByTestId("strip-forward").click();
  await expect(window).not.toHaveText(first);
  await expect(note).not.toHaveText("loading…");
  for (const [name, n] of [["ecg-ii", 2500], ["pleth", 1250], ["abp", 1250]] as const) {
    await expect.poll(() => samples(name)).toBeGreaterThanOrEqual(n - 2);
    expect(await samples(name)).toBeLessThanOrEqual(n);
  }
  expect(await Station.ink(page.getByTestId("strip-ecg-ii"))).toBeGreaterThan(200);

  // A click on the 72 h chart reviews that moment: three days ago, before
  // this server started, there is nothing, and the strip says so.
  await page.getByTestId("range-4320").click();
  await expect(page.getByTestId("history-status")).toContainText("8 min per point");
  await long.click({ position: { x: 50, y: 20 } });
  await expect(window).not.toHaveText(first);
  await expect(page.getByTestId("strip-note")).toHaveText("no waveforms stored for this moment");
  await expect.poll(() => samples("ecg-ii")).toBe(0);
  expect(station.consoleErrors).toEqual([]);
});
