const { chromium } = require("@playwright/test");
(async () => {
  const b = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
  const ctx = await b.newContext();
  const page = await ctx.newPage();
  page.on("console", (m) => console.log("console:", m.type(), m.text()));
  page.on("requestfinished", async (r) => { if (r.url().includes("trend")) { const resp = await r.response(); console.log("req", r.url(), resp && resp.status()); } });
  await page.goto("http://127.0.0.1:3190/signin");
  await page.waitForFunction(() => performance.getEntriesByName("vigil-hydrated").length > 0);
  await page.getByTestId("signin-username").fill("nurse");
  await page.getByTestId("signin-password").fill("e2e-demo-password-2026");
  await page.getByTestId("signin-submit").click();
  await page.waitForURL((u) => !u.pathname.includes("signin"));
  const p2 = await ctx.newPage(); await p2.goto("http://127.0.0.1:3190/"); await page.close();
  const pg = p2;
  for (let i = 0; i < 14; i++) {
    await pg.waitForTimeout(10000);
    const t = await pg.locator('[data-bed="b11"] [data-testid="tile-advisory"]').count();
    console.log("t+", (i + 1) * 10, "s advisory:", t);
    if (t) { console.log(await pg.locator('[data-bed="b11"] [data-testid="tile-advisory"]').innerText()); break; }
  }
  await b.close();
})();
