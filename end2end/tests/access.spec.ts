import { expect, test, type Page } from "@playwright/test";
import { createHmac } from "node:crypto";
import { PASSWORD, STATE, as, hydrated, post, signIn } from "./fixtures/accounts";
import { Station, closeOpenedContexts } from "./fixtures/station";

test.afterEach(closeOpenedContexts);

// Who may see and do what, as people meet it: signing in, a caregiver's
// invitation and portal, a clinician of another ward, the audit view, and
// markup in names shown as text. The server refuses; the page only follows.

/** Opens a live socket from the page and reports what the server said. */
async function socketFrom(page: Page, messages: object[]): Promise<string[]> {
  return page.evaluate(
    (messages) =>
      new Promise<string[]>((resolve) => {
        const said: string[] = [];
        const ws = new WebSocket(`ws://${location.host}/ws/live`);
        const done = () => resolve(said);
        ws.onerror = () => {
          said.push("refused");
          done();
        };
        ws.onopen = () => messages.forEach((m) => ws.send(JSON.stringify(m)));
        ws.onmessage = (e) => {
          const m = JSON.parse(e.data);
          said.push(m.type === "error" || m.type === "event_rejected" ? `${m.type}: ${m.message ?? m.reason}` : m.type);
          if (m.type === "pong") done();
        };
        setTimeout(done, 5_000);
      }),
    messages,
  );
}

test("signing in: a wrong password is refused without saying why, the right one opens the ward, signing out ends it", async ({ browser }) => {
  const page = await (await browser.newContext({ storageState: undefined })).newPage();
  await page.goto("/bed/b03");
  await expect(page).toHaveURL(/\/signin\?next=\/bed\/b03$/);
  await hydrated(page);
  await page.getByTestId("signin-username").fill("nurse");
  await page.getByTestId("signin-password").fill("not-the-password");
  await page.getByTestId("signin-submit").click();
  await expect(page.getByTestId("signin-error")).toHaveText("wrong user name, password or code");
  await page.getByTestId("signin-password").fill(PASSWORD);
  await page.getByTestId("signin-submit").click();
  await expect(page).toHaveURL(/\/bed\/b03$/);
  await expect(page.getByTestId("connection")).toHaveAttribute("data-state", "live");
  await expect(page.getByTestId("signed-in-as")).toContainText("nurse");
  // The tablet keeps the ward's last minutes for a reload without a server
  // (saved every 5 s); signing out deletes them with the session.
  const saved = async () => (await Station.savedSnapshot(page)) !== null;
  await expect.poll(saved, { timeout: 15_000 }).toBe(true);
  await page.getByTestId("sign-out").click();
  await expect(page).toHaveURL(/\/signin$/);
  expect(await saved()).toBe(false);
  expect(await page.evaluate(() => localStorage.getItem("vigil.me"))).toBeNull();
  await page.goto("/");
  await expect(page).toHaveURL(/\/signin/);

  // A sign-in link that would send the browser to another site after signing
  // in (a tab the URL parser drops: "/\t/evil.example") goes to the ward.
  await page.goto("/signin?next=%2F%09%2Fevil.example");
  await hydrated(page);
  await page.getByTestId("signin-username").fill("nurse");
  await page.getByTestId("signin-password").fill(PASSWORD);
  await page.getByTestId("signin-submit").click();
  await expect(page).toHaveURL(/^http:\/\/127\.0\.0\.1:\d+\/$/);
});

test("a caregiver signs in from an invitation and sees only their patient, in plain words; other beds are refused; revoking ends the access", async ({ page, browser }) => {
  test.setTimeout(150_000);
  // The clinician invites bed 1's caregiver from the bed view, once the
  // page is live (hydrated: text typed before that is reset by hydration).
  await page.goto("/bed/b01");
  await expect(page.getByTestId("connection")).toHaveAttribute("data-state", "live");
  await page.getByTestId("invite-name").fill("Sam Okafor");
  await page.getByTestId("invite-create").click();
  const link = await page.getByTestId("invite-link").innerText();
  expect(link).toMatch(/\/invite\/vgi_[0-9a-f]{64}$/);

  const family = await (await browser.newContext({ storageState: undefined, viewport: { width: 390, height: 844 } })).newPage();
  const errors: string[] = [];
  family.on("pageerror", (e) => errors.push(e.message));
  await family.goto(link);
  await hydrated(family);
  await family.getByTestId("invite-username").fill("sam-okafor");
  await family.getByTestId("invite-password").fill("sams-own-password-1");
  await family.getByTestId("invite-password-again").fill("sams-own-password-1");
  await family.getByTestId("invite-submit").click();
  await expect(family).toHaveURL(/\/family$/);
  await expect(family.getByTestId("family-patient")).toHaveText("A. Okafor");
  // Values come 60 s late: within a minute of the server starting, there are some.
  const heart = family.locator('[data-testid="family-vital"][data-what="Heart rate"]');
  await expect(heart).toBeVisible({ timeout: 80_000 });
  await expect(heart.getByTestId("family-value")).toHaveText(/^\d+$/);
  await expect(heart).toContainText("beats a minute");
  await expect(family.getByTestId("family-note")).toContainText("Values are shown 60 seconds late");
  const text = await family.locator("body").innerText();
  for (const other of ["B. Lindqvist", "C. Moreau", "Bed 2"]) expect(text).not.toContain(other);
  await expect(family.getByTestId("ack")).toHaveCount(0);
  await expect(family.getByTestId("limits-row")).toHaveCount(0);

  // Another bed's page, the ward, the staff API and the live stream: refused.
  await family.goto("/bed/b02");
  await expect(family).toHaveURL(/\/family$/);
  await family.goto("/");
  await expect(family).toHaveURL(/\/family$/);
  for (const url of ["/api/beds/b02/trend", "/api/beds/b01/trend", "/api/wards"]) {
    expect([403, 404]).toContain((await family.request.get(url)).status());
  }
  expect(await socketFrom(family, [{ type: "subscribe", beds: ["b02"] }, { type: "ping", id: 1 }])).toEqual(["refused"]);

  // The clinician revokes the invitation: the portal says the access ended.
  await page.reload();
  const row = page.getByTestId("bed-invitation").filter({ hasText: "Sam Okafor" });
  await expect(row).toContainText("in use");
  await row.getByTestId("invite-revoke").click();
  await expect(row).toContainText("revoked");
  await expect(family.getByTestId("family-ended")).toBeVisible({ timeout: 15_000 });
  await family.goto("/family");
  await expect(family).toHaveURL(/\/signin/);
  expect(errors).toEqual([]);
});

test("a clinician of another ward sees none of this ward and cannot acknowledge its alarms", async ({ browser }) => {
  const olu = await as(browser, STATE.olu);
  await olu.goto("/");
  await expect(olu.getByTestId("connection")).toHaveAttribute("data-state", "live");
  await expect(olu.getByTestId("bed-tile")).toHaveCount(1);
  await expect(olu.getByTestId("bed-tile")).toContainText("Bed X1");
  expect((await olu.goto("/bed/b13"))?.status()).toBe(404);
  await olu.goto("/");
  const said = await socketFrom(olu, [
    { type: "subscribe", beds: ["b13"] },
    {
      type: "event",
      request: { id: "olu-ack-1", bed: "b13", actor: "someone", event: { type: "acknowledge", ids: [{ bed: "b13", condition: { type: "vital", kind: "spo2", band: "extreme_low" }, onset: Date.now() - 20_000 }] } },
    },
    { type: "ping", id: 2 },
  ]);
  expect(said).toContain('error: there is no bed "b13": nothing subscribed');
  expect(said).toContain('event_rejected: there is no bed "b13"');
  // Nothing was recorded: the audit trail has no acknowledgement by olu.
  const admin = await as(browser, STATE.admin);
  const entries = await (await admin.request.get("/api/audit?actor=olu")).json();
  expect(entries.map((e: { kind: string }) => e.kind)).not.toContain("acknowledge");
});

test("the audit view shows what was done, filters it and exports it", async ({ browser }) => {
  const admin = await as(browser, STATE.admin);
  const inv = await post(admin.request, "/api/invitations", { bed: "b02", caregiver_name: "Audit Test Family" });
  await post(admin.request, `/api/invitations/${inv.id}/revoke`, {});
  await admin.goto("/admin");
  await hydrated(admin);
  const rows = admin.getByTestId("audit-row");
  await expect(rows.filter({ hasText: "invitation_revoked" }).first()).toBeVisible();
  await expect(rows.filter({ hasText: "sign_in" }).first()).toBeVisible();
  await expect(rows.filter({ hasText: "user_created" }).first()).toBeVisible();
  await admin.getByTestId("audit-kind").fill("invitation_revoked");
  await expect(rows.first()).toHaveAttribute("data-kind", "invitation_revoked");
  for (const kind of await rows.evaluateAll((els) => els.map((e) => e.getAttribute("data-kind")))) {
    expect(kind).toBe("invitation_revoked");
  }
  const href = await admin.getByTestId("audit-export").getAttribute("href");
  const csv = await (await admin.request.get(href!)).text();
  expect(csv.split("\n")[0]).toBe("seq,at,bed,actor,kind,payload,hash");
  expect(csv).toContain(",admin,invitation_revoked,");
  // A clinician does not reach it.
  const nurse = await as(browser, STATE.nurse);
  await nurse.goto("/admin");
  await expect(nurse).toHaveURL(/\/$/);
  expect((await nurse.request.get("/api/audit")).status()).toBe(403);
});

test("markup in a bed label or a patient's name is shown as text and never runs", async ({ browser }) => {
  const admin = await as(browser, STATE.admin);
  await post(admin.request, "/api/admin/wards", { id: "w-xss", name: "<b>Ward</b>", beds: [{ id: "xss1", label: "<img src=x onerror=window.__xss=1>" }] });
  await post(admin.request, "/api/admin/patients", { bed: "xss1", name: "<script>window.__xss=2</script>" });
  await admin.goto("/");
  // An administrator watches every ward but is offered no acknowledgement
  // the server would refuse.
  await expect(admin.getByTestId("watch-only")).toBeVisible({ timeout: 30_000 });
  await expect(admin.getByTestId("ack")).toHaveCount(0);
  const tile = admin.locator('[data-testid="bed-tile"][data-bed="xss1"]');
  await expect(tile).toContainText("<img src=x onerror=window.__xss=1>");
  await expect(tile).toContainText("<script>window.__xss=2</script>");
  expect(await admin.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  await expect(tile.locator("img, script")).toHaveCount(0);

  // Discharged from the administration page: the bed is free, and it is audited.
  await admin.goto("/admin");
  const row = admin.locator('[data-testid="patient-row"][data-bed="xss1"]');
  await expect(row).toContainText("<script>window.__xss=2</script>");
  await row.getByTestId("discharge").click();
  await expect(row).toHaveCount(0);
  await expect(admin.getByTestId("audit-row").filter({ hasText: "patient_discharged" }).first()).toBeVisible();
  expect(await admin.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
});

/** RFC 6238 code (HMAC-SHA1, 30 s, 6 digits) for a base32 secret. */
function totpCode(secret: string, at = Date.now()): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secret) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30_000)));
  const h = createHmac("sha1", key).update(counter).digest();
  const o = h[19] & 0x0f;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

test("a clinician sets up a second factor on the Account page, and signing in then asks for the code", async ({ browser }) => {
  const admin = await as(browser, STATE.admin);
  await post(admin.request, "/api/admin/users", { username: "tess", display_name: "RN Tess Totp", role: "clinician", password: PASSWORD, wards: ["w1"] });
  const page = await (await browser.newContext({ storageState: undefined })).newPage();
  await signIn(page, "tess");
  // One's account opens in a tab of its own: the station keeps monitoring.
  await hydrated(page);
  const [account] = await Promise.all([page.context().waitForEvent("page"), page.getByTestId("signed-in-as").click()]);
  await expect(account).toHaveURL(/\/account$/);
  await expect(page).toHaveURL(/\/$/);
  await hydrated(account);
  await account.getByTestId("totp-password").fill(PASSWORD);
  await account.getByTestId("totp-begin").click();
  const secret = await account.getByTestId("totp-secret").innerText();
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  await account.getByTestId("totp-code").fill(totpCode(secret));
  await account.getByTestId("totp-confirm").click();
  await expect(account.getByTestId("totp-on")).toBeVisible();
  await account.close();

  await page.goto("/");
  // Buttons are inert until the page has hydrated: without this wait a slow
  // hydration leaves the click unanswered (the style sheet holds them).
  await hydrated(page);
  await page.getByTestId("sign-out").click();
  await expect(page).toHaveURL(/\/signin$/);
  await hydrated(page);
  await page.getByTestId("signin-username").fill("tess");
  await page.getByTestId("signin-password").fill(PASSWORD);
  await page.getByTestId("signin-submit").click();
  await expect(page.getByTestId("signin-code")).toBeVisible();
  await expect(page).toHaveURL(/\/signin$/);
  await page.getByTestId("signin-code").fill(totpCode(secret));
  await page.getByTestId("signin-submit").click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId("signed-in-as")).toContainText("tess");
});
