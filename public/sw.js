// Vigil's service worker: keeps the app shell (pages, script, WebAssembly,
// CSS, icon) so that a tablet reloaded while the server is unreachable still
// opens, then restores the ward from IndexedDB and shows it as stale.
//
// Network first, always: a running server is the truth and a new build must
// win. The cache answers only when the network fails. Live data (/ws/) and
// the API (/api/) are never cached here.

const SHELL_CACHE = "vigil-shell-v1";
// A page request that has not answered in this long is served from the cache:
// a dead Wi-Fi does not always tell the browser it is offline.
const PAGE_TIMEOUT_MS = 5000;

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== SHELL_CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/") || url.pathname.startsWith("/ws/") || url.pathname === "/health") return;
  const network =
    req.mode === "navigate"
      ? Promise.race([
          fetch(req),
          new Promise((_, reject) => setTimeout(() => reject(new Error("no answer")), PAGE_TIMEOUT_MS)),
        ])
      : fetch(req);
  event.respondWith(
    network
      .then((resp) => {
        if (resp.ok) {
          const copy = resp.clone();
          caches.open(SHELL_CACHE).then((c) => c.put(req, copy));
        }
        return resp;
      })
      .catch(async () => {
        const cache = await caches.open(SHELL_CACHE);
        const hit = await cache.match(req, { ignoreSearch: true });
        if (hit) return hit;
        // A page not visited before: the ward overview.
        if (req.mode === "navigate") {
          const ward = await cache.match("/");
          if (ward) return ward;
        }
        return new Response("Vigil is offline and this was not saved on the tablet.", {
          status: 503,
          headers: { "Content-Type": "text/plain; charset=utf-8" },
        });
      }),
  );
});
