import { expect, test } from "@playwright/test";
import { Station } from "./fixtures/station";

test("the ward shows every simulated bed, live, with values that change", async ({ page }) => {
  const station = new Station(page);
  await station.openWard();
  await expect(station.tiles).toHaveCount(15);
  for (let i = 1; i <= 15; i++) {
    const bed = `b${String(i).padStart(2, "0")}`;
    await expect(station.tile(bed)).toContainText(`Bed ${i}`);
  }
  // A stable bed shows numbers for HR and SpO2 and is marked live.
  const first = station.tile("b01");
  await expect(first.getByTestId("value-hr").locator(".r-value")).toHaveText(/^\d{2,3}$/);
  await expect(first.getByTestId("value-spo2").locator(".r-value")).toHaveText(/^\d{2,3}$/);
  await expect(first.getByTestId("freshness")).toHaveText("live");
  await expect(first.locator(".spark polyline")).toHaveAttribute("points", /\d/);

  const before = await station.wardValues();
  await expect.poll(() => station.wardValues(), { timeout: 20_000 }).not.toBe(before);
  expect(station.consoleErrors).toEqual([]);
});

test("a bed with a detached lead says so on its tile and shows no heart rate", async ({ page }) => {
  // Bed 7 has its lead off from the start (tests/fixtures/ward.toml).
  const station = new Station(page);
  await station.openWard();
  const bed = station.tile("b07");
  await expect(bed.getByTestId("technical")).toContainText("Lead off (ECG)", { timeout: 20_000 });
  await expect(bed.getByTestId("value-hr").locator(".r-value")).toHaveText("-?-", { timeout: 15_000 });
});

test("until the app has loaded, its buttons show as not ready and take no tap; hydrated, they are ready", async ({ page }) => {
  // Hold the WebAssembly back: the page is the server's HTML alone.
  let release: () => void = () => {};
  const held = new Promise<void>((r) => (release = r));
  await page.route("**/pkg/vigil.wasm", async (route) => {
    await held;
    await route.continue();
  });
  await page.goto("/", { waitUntil: "domcontentloaded" });
  const signOut = page.getByTestId("sign-out");
  await expect(signOut).toBeVisible();
  await expect(signOut).toHaveCSS("pointer-events", "none");
  await expect(signOut).toHaveCSS("opacity", "0.6");
  // A tap now would be swallowed; Playwright's own click refuses it.
  await expect(signOut.click({ timeout: 1_000 })).rejects.toThrow(/pointer events|Timeout/);
  await expect(page).toHaveURL(/\/$/);

  release();
  await expect(signOut).toHaveCSS("pointer-events", "auto");
  await expect(page.locator("html")).toHaveAttribute("data-hydrated", "");
});
