import { expect, test, type Page, type Response } from "@playwright/test";
import { STATE, as, hydrated, post } from "./fixtures/accounts";

// Every page works under the server's strict Content-Security-Policy, in
// Chromium: no violation is reported while it loads, hydrates and goes live,
// and each answer carries the policy (with a nonce of its own), no framing,
// nosniff and no referrer (issue 26).

/** Collects CSP violations of `page`, as the browser reports them. */
async function violations(page: Page): Promise<() => Promise<string[]>> {
  const seen: string[] = [];
  page.on("console", (m) => {
    if (/Content[- ]Security[- ]Policy/i.test(m.text())) seen.push(`console: ${m.text()}`);
  });
  await page.addInitScript(() => {
    const w = window as unknown as { cspViolations: string[] };
    w.cspViolations = [];
    document.addEventListener("securitypolicyviolation", (e) =>
      w.cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`),
    );
  });
  return async () => [...seen, ...(await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations))];
}

function checkHeaders(resp: Response | null, path: string): string {
  expect(resp, path).not.toBeNull();
  const h = resp!.headers();
  const csp = h["content-security-policy"] ?? "";
  expect(csp, path).toContain("default-src 'self'");
  expect(csp, path).toContain("frame-ancestors 'none'");
  expect(csp, path).not.toContain("unsafe-inline");
  expect(csp, path).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9_-]{16,}'/);
  expect(h["x-content-type-options"], path).toBe("nosniff");
  expect(h["referrer-policy"], path).toBe("no-referrer");
  expect(h["x-frame-options"], path).toBe("DENY");
  return csp;
}

/** Loads `path`, waits until the app has taken the page over, then checks. */
async function visit(page: Page, path: string, ready?: (p: Page) => Promise<void>) {
  const report = await violations(page);
  const resp = await page.goto(path);
  const csp = checkHeaders(resp, path);
  await hydrated(page);
  if (ready) await ready(page);
  // The nonce in the policy is the one on the page's inline script, and it
  // is new for every page.
  const nonce = /'nonce-([^']+)'/.exec(csp)![1];
  expect(await page.locator(`script[nonce]`).count(), path).toBeGreaterThan(0);
  expect(await page.locator("script:not([src])").evaluateAll((s) => s.map((e) => (e as HTMLScriptElement).nonce)), path)
    .toEqual(expect.arrayContaining([nonce]));
  expect(await report(), path).toEqual([]);
  return nonce;
}

test("the station, a bed, the account page and the administration work under the policy with no violation", async ({ page, browser }) => {
  test.setTimeout(120_000);
  const live = async (p: Page) => {
    await expect(p.getByTestId("connection")).toHaveAttribute("data-state", "live");
  };
  const first = await visit(page, "/", live);
  const second = await visit(page, "/bed/b01", live);
  expect(second).not.toBe(first);
  await visit(page, "/account");
  const admin = await as(browser, STATE.admin);
  await visit(admin, "/admin", async (p) => {
    await expect(p.getByTestId("audit-kind")).toBeVisible();
  });
  await admin.context().close();
});

test("sign-in, an invitation and the family portal work under the policy with no violation", async ({ page, browser }) => {
  test.setTimeout(120_000);
  const out = await (await browser.newContext({ storageState: undefined })).newPage();
  await visit(out, "/signin");
  const invite = await post(page.request, "/api/invitations", { bed: "b01", caregiver_name: "Policy Test" });
  await visit(out, invite.link);
  const token = invite.link.split("/").pop();
  const accepted = await out.request.post("/api/invitations/accept", {
    data: { token, username: "policy-test-family", password: "quiet-harbour-lantern-57" },
    headers: { "x-vigil-csrf": "1" },
  });
  expect(accepted.ok(), await accepted.text()).toBe(true);
  await visit(out, "/family", async (p) => {
    await expect(p.getByTestId("family-patient")).toBeVisible();
  });
  await out.context().close();
});

test("API answers and static files carry nosniff and the policy too", async ({ page }) => {
  for (const path of ["/api/me", "/health", "/favicon.svg"]) {
    const r = await page.request.get(path);
    expect(r.headers()["x-content-type-options"], path).toBe("nosniff");
    expect(r.headers()["content-security-policy"] ?? "", path).toContain("frame-ancestors 'none'");
  }
});
