import { expect, test, type WebSocketRoute } from "@playwright/test";
import { Station } from "./fixtures/station";

test("a lost connection is shown at once, and the tablet reconnects and catches up", async ({ page }) => {
  let blocked = false;
  const open: WebSocketRoute[] = [];
  await page.routeWebSocket(/\/ws\/live$/, (ws) => {
    if (blocked) {
      ws.close({ code: 1011, reason: "test: network down" });
      return;
    }
    ws.connectToServer();
    open.push(ws);
  });
  const station = new Station(page);
  await station.openWard();
  await expect(station.tiles).toHaveCount(15);
  // Data has arrived before the cut (else there is nothing to go stale).
  await expect(station.tile("b01").getByTestId("freshness")).toHaveText("live");

  // Cut the link and keep it cut.
  blocked = true;
  for (const ws of open) await ws.close({ code: 1006, reason: "test: network down" });
  await expect(station.connection).toHaveAttribute("data-state", "lost", { timeout: 5_000 });
  await expect(station.connection).toContainText("CONNECTION LOST");
  // ...and, after its 3 s delay, the tablet's own technical alarm in the list.
  const lostAlarm = page.locator('[data-testid="alarm"][data-condition="connection_lost"]');
  await expect(lostAlarm).toHaveCount(1, { timeout: 6_000 });
  await expect(lostAlarm.getByTestId("alarm-text")).toHaveText("Connection to server lost");
  // the data it shows is marked stale, not passed off as live
  await expect(station.tile("b01").getByTestId("freshness")).toContainText("no data for", { timeout: 10_000 });

  // Restore it: the tablet reconnects by itself and the ward is live again.
  blocked = false;
  await expect(station.connection).toHaveAttribute("data-state", "live", { timeout: 15_000 });
  await expect(station.tile("b01").getByTestId("freshness")).toHaveText("live");
  await expect(lostAlarm).toHaveCount(0);
});
