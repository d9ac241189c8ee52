import { expect, test } from "@playwright/test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DemoServer } from "./fixtures/server";
import { Station } from "./fixtures/station";

// Its own server (a second `vigil demo` on its own database and port), so
// that this test can stop it and start it again without touching the suite's.
const port = Number(process.env.VIGIL_E2E_RESTART_PORT ?? 3118);

test("reloaded while the server is down, a tablet opens the ward from what it saved, marked stale, and queues an acknowledgement; when the server restarts it goes live by itself and the acknowledgement is recorded", async ({ browser }) => {
  test.setTimeout(240_000);
  const dir = mkdtempSync(join(tmpdir(), "vigil-restart-"));
  const db = join(dir, "vigil.db");
  const server = new DemoServer(port, db);
  try {
    const { context, station } = await server.tablet(browser);
    const page = station.page;
    // What the page warns of (a save to IndexedDB that failed) goes to the
    // log, to tell a slow save from a failed one when this test fails.
    page.on("console", (m) => {
      if (m.type() === "warning" || m.type() === "error") console.log(`page ${m.type()}: ${m.text()}`);
    });
    await expect(station.tiles).toHaveCount(15);
    await expect(station.tile("b01").getByTestId("freshness")).toHaveText("live");
    // Bed 13 desaturates every minute: wait until its alarm is on the list.
    const desat = page.locator('[data-testid="alarm-list"] [data-testid="alarm"][data-bed="b13"][data-condition="spo2.extreme_low"]');
    await expect(desat.first()).toBeVisible({ timeout: 75_000 });
    const desatSeenAt = Date.now();

    // The app shell is in the service worker's cache and the ward's last
    // minutes in IndexedDB (saved every 5 s).
    await expect
      .poll(() => page.evaluate(async () => (await (await caches.open("vigil-shell-v1")).keys()).length), { timeout: 15_000 })
      .toBeGreaterThan(3);
    const savedAt = async () => (await Station.savedSnapshot(page))?.saved_at ?? 0;
    // Saved since the desaturation was seen, so the saved minutes hold it.
    // Saves are every 5 s; a CI run on a loaded machine (ECG sweep draw 6 ms,
    // against 0.5 ms) once saw none in 15 s, so it waits up to 30 s.
    await expect.poll(savedAt, { timeout: 30_000 }).toBeGreaterThan(desatSeenAt);
    console.log(`saved ${(await savedAt()) - desatSeenAt} ms after the desaturation was seen`);
    await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);

    // The server dies; the tablet is reloaded.
    await server.stop();
    await page.reload();
    await expect(station.tiles).toHaveCount(15);
    await expect(station.tile("b01")).toContainText("A. Okafor");
    await expect(station.connection).toHaveAttribute("data-state", "lost");
    await expect(station.connection).toContainText("showing the ward as saved on this tablet at");
    // The numbers are there, and marked as not live.
    await expect(station.tile("b01").getByTestId("value-hr").locator(".r-value")).toHaveText(/\d/);
    await expect(station.tile("b01").getByTestId("freshness")).toContainText("no data for");
    const lostAlarm = page.locator('[data-testid="alarm"][data-condition="connection_lost"]');
    await expect(lostAlarm).toHaveCount(1, { timeout: 10_000 });
    // The alarms judged from the saved minutes are there too.
    await expect(desat.first()).toBeVisible();

    // Acknowledged while the server is down: silenced here at once, queued,
    // kept across another reload, and recorded when the server is back.
    // Starting the shift works offline too: the tablet remembers who signed in.
    await page.getByTestId("start-shift").click();
    const id = await desat.first().getAttribute("data-id");
    await desat.first().getByTestId("ack").click();
    const acked = (p: typeof page) => p.locator(`[data-testid="alarm"][data-id="${id}"][data-acked="yes"]`);
    await expect(acked(page)).toHaveCount(1);
    // Saved with the ward (every 5 s): the snapshot holds the queued
    // acknowledgement. (Not "a save after now": the save that holds it may
    // already have happened, and nothing changes after it while offline.)
    const queuedAcks = async () =>
      ((await Station.savedSnapshot(page))?.outbox ?? []).filter((r) => r.bed === "b13" && r.event.type === "acknowledge").length;
    await expect.poll(queuedAcks, { timeout: 15_000 }).toBe(1);
    await page.reload();
    await expect(station.connection).toContainText("showing the ward as saved on this tablet at");
    await expect(acked(page)).toHaveCount(1, { timeout: 10_000 });

    // The server comes back on the same database: the tablet reconnects by
    // itself, resumes from the saved cursors, and is live again.
    server.restart();
    await server.healthy();
    await expect(station.connection).toHaveAttribute("data-state", "live", { timeout: 20_000 });
    await expect(station.connection).not.toContainText("saved on this tablet");
    await expect(station.tile("b01").getByTestId("freshness")).toHaveText("live", { timeout: 15_000 });
    await expect(lostAlarm).toHaveCount(0);
    // The acknowledgement made offline is now in the server's audit log.
    await expect
      .poll(() => {
        const out = spawnSync("../target/release/vigil", ["audit", "--database", db], { encoding: "utf8" });
        return out.stdout.split("\n").filter((l) => l.includes("\tb13\t") && l.includes("\tnurse\t") && l.includes("acknowledge")).length;
      }, { timeout: 15_000 })
      .toBe(1);
    await context.close();
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
