// The tablet's offline helpers, called from Rust (app/src/offline.rs):
// the service worker that keeps the app shell, and the IndexedDB record of
// the ward's last minutes.

const DB = "vigil";
const STORE = "journal";
const KEY = "ward";
const SHELL_CACHE = "vigil-shell-v1";

function openDb() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** Saves the snapshot (JSON text); resolves when it is durable in IndexedDB. */
export async function saveSnapshot(text) {
  const db = await openDb();
  try {
    await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, "readwrite");
      tx.objectStore(STORE).put(text, KEY);
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

/** Deletes the saved snapshot: the ward's data leaves the tablet at sign-out. */
export async function clearSnapshot() {
  const db = await openDb();
  try {
    await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, "readwrite");
      tx.objectStore(STORE).delete(KEY);
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

/** The saved snapshot (JSON text), or null. */
export async function loadSnapshot() {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const req = db.transaction(STORE, "readonly").objectStore(STORE).get(KEY);
      req.onsuccess = () => resolve(typeof req.result === "string" ? req.result : null);
      req.onerror = () => reject(req.error);
    });
  } finally {
    db.close();
  }
}

/**
 * Registers the service worker (/sw.js) and puts what this page loaded (the
 * page, the script, the WebAssembly, the CSS, the icon) in its cache, so that
 * the next load works without the server. Resolves to a short status.
 */
export async function registerServiceWorker() {
  if (!("serviceWorker" in navigator) || !("caches" in window)) return "unsupported";
  await navigator.serviceWorker.register("/sw.js");
  const urls = [location.pathname, "/"]
    .concat(performance.getEntriesByType("resource").map((e) => e.name))
    .map((u) => new URL(u, location.href))
    .filter((u) => u.origin === location.origin && !u.pathname.startsWith("/api/") && !u.pathname.startsWith("/ws/"))
    .map((u) => u.pathname);
  // Only what is missing: the worker refreshes what it serves on every
  // successful fetch, so this must not download the WebAssembly again.
  const cache = await caches.open(SHELL_CACHE);
  await Promise.all(
    [...new Set(urls)].map(async (u) => {
      if (!(await cache.match(u))) await cache.add(u).catch(() => undefined);
    }),
  );
  return "registered";
}
