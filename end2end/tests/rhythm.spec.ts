import { expect, test, type Locator } from "@playwright/test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DemoServer } from "./fixtures/server";

// Vigil's own arrhythmia detection, the check of each alarm against every
// waveform, and the policy for lethal rhythms, run in the tablet on what the
// beds stream. Its own server, on tests/fixtures/rhythm-ward.toml: bed 1's
// ECG goes flat for 15 s a minute with only the pleth beating (one channel
// cannot hold an asystole back: it sounds); bed 2 arrests (a true asystole);
// bed 3 is bed 1 with an arterial line too (held back: a low-priority
// "possible artefact" line with its evidence); bed 4's ECG stays flat for a
// minute with both pulses beating (held back, then high at 30 s).
const port = Number(process.env.VIGIL_E2E_RHYTHM_PORT ?? 3119);

test("a true asystole sounds; a flat ECG with only the pleth beating sounds too; with two pulses it is a low-priority possible artefact that sounds once it lasts 30 s", async ({ browser }) => {
  test.setTimeout(300_000);
  const dir = mkdtempSync(join(tmpdir(), "vigil-rhythm-"));
  const server = new DemoServer(port, join(dir, "vigil.db"), "tests/fixtures/rhythm-ward.toml");
  try {
    const { context, station } = await server.tablet(browser);
    const page = station.page;
    // Episodes whose 16 s of evidence began before the tablet was live are
    // judged on what its 30 s backlog holds: only later ones are held to
    // the result.
    const judgedLive = Date.now() + 16_000;
    await expect(station.tiles).toHaveCount(4);
    await page.getByTestId("start-shift").click();
    const sound = page.getByTestId("sound");
    await expect(sound).toHaveAttribute("data-state", "on");
    const rowsOf = (bed: string, condition: string) =>
      page.locator(`[data-testid="alarm-list"] [data-testid="alarm"][data-bed="${bed}"][data-condition="${condition}"]`);
    const asystoleOf = (bed: string) => rowsOf(bed, "arrhythmia.asystole");
    const lineOf = (bed: string) => rowsOf(bed, "possible_artefact.asystole");
    const onsetOf = async (row: Locator) => Number(((await row.getAttribute("data-id")) ?? "@0").split("@")[1]);
    /** The first row of `rows` whose onset is judged live and that `ok` accepts, as [id, priority, text]. */
    const find = async (rows: Locator, ok: (priority: string, text: string) => boolean) => {
      for (const row of await rows.all()) {
        const [id, priority, text] = await Promise.all([
          row.getAttribute("data-id"),
          row.getAttribute("data-priority"),
          row.getByTestId("alarm-text").innerText(),
        ]).catch(() => [null, null, null]);
        if (id && priority && text !== null && (await onsetOf(row)) >= judgedLive && ok(priority, text)) return [id, priority, text];
      }
      return null;
    };

    // Bed 2 arrests: Asystole, high priority, sounding, on the list and tile.
    const asystole = asystoleOf("b02");
    await expect(asystole.first()).toBeVisible({ timeout: 90_000 });
    await expect(asystole.first()).toHaveAttribute("data-priority", "high");
    await expect(asystole.first().locator(".a-marker")).toHaveText("!!!");
    await expect(asystole.first().getByTestId("alarm-text")).toHaveText("Asystole");
    await expect(station.tile("b02")).toHaveAttribute("data-alarm", "high");
    await expect.poll(async () => Number(await sound.getAttribute("data-bursts")), { timeout: 15_000 }).toBeGreaterThan(0);

    // Bed 3: the flat ECG is held back by the pleth and the arterial line
    // beating together, and shown at once as a low-priority line naming them.
    const held3 = async () =>
      find(lineOf("b03"), (p, t) => p === "low" && /^Asystole\? Possible artefact: .*confirmed by .*(PPG|ABP)/.test(t));
    await expect.poll(held3, { timeout: 90_000 }).not.toBeNull();

    // Bed 1: the same flat ECG with only the pleth: it sounds as the
    // high-priority alarm (one channel cannot hold it back).
    await expect.poll(async () => find(asystoleOf("b01"), (p) => p === "high"), { timeout: 90_000 }).not.toBeNull();

    // Bed 4: held back as a possible artefact, then, 30 s after its onset,
    // the asystole itself at high priority.
    await expect.poll(async () => find(lineOf("b04"), (p) => p === "low"), { timeout: 150_000 }).not.toBeNull();
    const high4 = async () => find(asystoleOf("b04"), (p, t) => p === "high" && t === "Asystole");
    await expect.poll(high4, { timeout: 45_000 }).not.toBeNull();
    // High alarms latch: it is still listed, and its id names its history row.
    const [high4Id] = (await high4()) ?? [""];

    // Bed 3's held-back asystoles never went high (each lasted 15 s), and
    // bed 1's were never held back.
    expect(await find(asystoleOf("b03"), () => true)).toBeNull();
    expect(await find(lineOf("b01"), () => true)).toBeNull();

    // The histories say why: bed 1's names the policy, bed 4's the limit.
    const history = page.getByTestId("alarm-history");
    await station.tile("b01").click();
    await expect(page).toHaveURL(/\/bed\/b01$/);
    await expect(history.locator('[data-testid="history-row"]', { hasText: "one channel alone cannot silence Asystole" }).first()).toBeVisible();
    await page.goBack();
    await station.tile("b04").click();
    await expect(page).toHaveURL(/\/bed\/b04$/);
    await expect(history.locator(`[data-testid="history-row"][data-id="${high4Id}"]`)).toContainText(/lasted 3\d s: a lethal rhythm is held back/);
    expect(station.consoleErrors).toEqual([]);
    await context.close();
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
