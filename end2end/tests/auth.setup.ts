import { test as setup, expect } from "@playwright/test";
import { PASSWORD, STATE, post } from "./fixtures/accounts";

// Signs in the accounts the specs use, once, and keeps their cookies. The
// demo made `admin` and `nurse`; the administrator makes the rest through
// the same API the administration page uses.
setup("sign in the test accounts", async ({ browser }) => {
  const signIn = async (username: string, path: string) => {
    const context = await browser.newContext();
    const r = await context.request.post("/api/session", {
      data: { username, password: PASSWORD },
      headers: { "x-vigil-csrf": "1" },
    });
    expect(r.ok(), `${username}: ${await r.text()}`).toBe(true);
    await context.storageState({ path });
    return context;
  };
  const admin = await signIn("admin", STATE.admin);
  await post(admin.request, "/api/admin/wards", { id: "w2", name: "Ward 9", beds: [{ id: "x01", label: "Bed X1" }] });
  for (const [username, display_name, wards] of [
    ["amal", "RN Amal Test", ["w1"]],
    ["bea", "RN Bea Test", ["w1"]],
    ["limits", "Dr Limits Test", ["w1"]],
    ["olu", "RN Olu Otherward", ["w2"]],
  ] as const) {
    await post(admin.request, "/api/admin/users", { username, display_name, role: "clinician", password: PASSWORD, wards });
  }
  for (const name of ["nurse", "amal", "bea", "limits", "olu"] as const) {
    await signIn(name, STATE[name]);
  }
});
