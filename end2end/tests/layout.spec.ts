import { expect, test } from "@playwright/test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DemoServer } from "./fixtures/server";

// Every bed in view at the alarm load a ward has on a bad night: 16 beds on
// a 10-11" tablet in landscape (1280x800, 1180x820), 32 on 1920x1080, with
// at least 12 alarms active (tests/fixtures/layout-16.toml, layout-32.toml:
// beds that alarm throughout, two or more alarms each). Each size is a
// fresh tablet signed in on its own server; screenshots go to
// test-results/layout-*.png.
const base = Number(process.env.VIGIL_E2E_LAYOUT_PORT ?? 3125);

const cases = [
  { ward: "layout-16.toml", beds: 16, width: 1280, height: 800 },
  { ward: "layout-16.toml", beds: 16, width: 1180, height: 820 },
  { ward: "layout-32.toml", beds: 32, width: 1920, height: 1080 },
];

for (const [i, c] of cases.entries()) {
  test(`${c.beds} beds at ${c.width}x${c.height} with 12 alarms or more: every tile lies in view and each bed's most urgent alarm reads on its tile`, async ({ browser }) => {
    test.setTimeout(120_000);
    const dir = mkdtempSync(join(tmpdir(), "vigil-layout-"));
    const server = new DemoServer(base + i, join(dir, "vigil.db"), `tests/fixtures/${c.ward}`);
    try {
      const { context, station } = await server.tablet(browser, { width: c.width, height: c.height });
      const page = station.page;
      await expect(station.tiles).toHaveCount(c.beds);
      const bar = page.getByTestId("alarm-list");
      await expect.poll(async () => Number(await bar.getAttribute("data-count")), { timeout: 30_000 }).toBeGreaterThanOrEqual(12);

      // Every tile's whole box inside the viewport, with no scrolling.
      const boxes = await station.tiles.evaluateAll((tiles) =>
        tiles.map((t) => {
          const r = t.getBoundingClientRect();
          return { bed: t.getAttribute("data-bed"), left: r.left, top: r.top, right: r.right, bottom: r.bottom };
        }),
      );
      for (const b of boxes) {
        expect(b.left, `${b.bed} left`).toBeGreaterThanOrEqual(0);
        expect(b.top, `${b.bed} top`).toBeGreaterThanOrEqual(0);
        expect(b.right, `${b.bed} right`).toBeLessThanOrEqual(c.width);
        expect(b.bottom, `${b.bed} bottom`).toBeLessThanOrEqual(c.height);
      }
      expect(await page.evaluate(() => [window.scrollX, window.scrollY])).toEqual([0, 0]);

      await page.screenshot({ path: `test-results/layout-${c.beds}-${c.width}x${c.height}.png` });
      // The bar holds two rows and "+N more"; opened, the list lies over the
      // tiles and moves none of them.
      const more = page.getByTestId("alarm-more");
      await expect(more).toHaveText(/^\+\d+ more$/);
      const firstTile = await station.tiles.first().boundingBox();
      await more.click();
      await expect(bar).toHaveAttribute("data-open", "yes");
      const rows = bar.getByTestId("alarm");
      expect(await rows.count()).toBeGreaterThanOrEqual(12);
      await expect(rows.nth(Math.min(5, (await rows.count()) - 1))).toBeInViewport();
      expect(await station.tiles.first().boundingBox()).toEqual(firstTile);
      await page.screenshot({ path: `test-results/layout-${c.beds}-${c.width}x${c.height}-open.png` });
      await more.click();
      await expect(bar).toHaveAttribute("data-open", "no");

      // Each alarming bed's tile says its most urgent alarm, whole, in type
      // a nurse reads across the room.
      const alarmed = await station.tiles.evaluateAll((tiles) =>
        tiles.filter((t) => t.getAttribute("data-alarm") !== "none").map((t) => t.getAttribute("data-bed")),
      );
      expect(alarmed.length).toBeGreaterThanOrEqual(6);
      for (const bed of alarmed) {
        const line = station.tile(bed!).getByTestId("tile-alarm");
        const first = bar.locator(`[data-testid="alarm"][data-bed="${bed}"]`).first();
        const text = (await first.getByTestId("alarm-text").innerText()).trim();
        await expect(line).toContainText(text);
        const fit = await line.evaluate((el) => ({
          whole: el.scrollWidth <= el.clientWidth + 1 && el.scrollHeight <= el.clientHeight + 1,
          px: parseFloat(getComputedStyle(el).fontSize),
        }));
        expect(fit.whole, `${bed}: "${text}" fits its tile`).toBe(true);
        expect(fit.px).toBeGreaterThanOrEqual(14);
        await expect(line).toBeInViewport({ ratio: 1 });
      }
      // Nothing on a tile is cut off by its box: the alarm line and every reading.
      const clipped = await station.tiles.evaluateAll((tiles) =>
        tiles.flatMap((t) => {
          const box = t.getBoundingClientRect();
          return [...t.querySelectorAll('[data-testid="tile-alarm"], .reading')]
            .filter((el) => {
              const r = el.getBoundingClientRect();
              return r.height > 0 && (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5);
            })
            .map((el) => `${t.getAttribute("data-bed")}: ${(el as HTMLElement).innerText.replace(/\s+/g, " ")}`);
        }),
      );
      expect(clipped).toEqual([]);
      // Values at arm's length: HR, SpO2 and RR in 24 px type or larger,
      // blood pressure and temperature 18 px or larger.
      const sizes = await station.tiles.first().locator(".reading").evaluateAll((rs) =>
        rs.map((r) => [r.getAttribute("data-testid"), parseFloat(getComputedStyle(r.querySelector(".r-value")!).fontSize)]),
      );
      for (const [what, px] of sizes) expect(px as number, what as string).toBeGreaterThanOrEqual(/hr|spo2|rr/.test(what as string) ? 24 : 18);

      if (i === 0) {
        // A tablet opened after the cuffs measured: each bed's NIBP, sent
        // by the server on subscribing, with its age.
        for (const bed of boxes.map((b) => b.bed!)) {
          const bp = station.tile(bed).getByTestId("value-bp");
          await expect(bp.locator(".r-label")).toHaveText(/^NIBP(just now|\d+ min)$/);
          await expect(bp.locator(".r-value")).toHaveText(/^\d{2,3}\/\d{2,3} \(\d{2,3}\)$/);
          await expect(bp.getByTestId("age")).toHaveText(/^(just now|\d+ min)$/);
        }
        // Older than the tablet's 30 s of backfill: some bed's NIBP is a
        // minute old or more, and only the server's latest values carry it.
        const ages = await station.tiles.locator('[data-testid="value-bp"] [data-testid="age"]').allInnerTexts();
        expect(ages.some((a) => /^\d+ min$/.test(a)), ages.join(", ")).toBe(true);
      }
      expect(station.consoleErrors).toEqual([]);
      await context.close();
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
