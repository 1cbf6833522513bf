// Morrow's service worker: the shell offline, pages network-first, the outbox
// flushed in the background. /sw.js fills in VERSION and SHELL.
const VERSION = "__VERSION__";
const SHELL = ["__SHELL__"];
const STATIC_CACHE = `morrow-static-${VERSION}`;
const PAGES_CACHE = `morrow-pages-${VERSION}`;
// Opened once, they must work with no signal: Home, Card, Capture, People, the QR codes.
const PAGES = ["/", "/card", "/capture", "/people", "/card/qr.svg?mode=url", "/card/qr.svg?mode=vcard"];
let pagesFetchedAt = 0;
let session = 0;  // counts the sessions ended: a page fetched in an older one is not kept

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(STATIC_CACHE);
    // Fetched as nobody: the offline page must not carry the account, its token or tabs.
    await cache.addAll(SHELL.map((url) => new Request(url, { cache: "reload", credentials: "omit" })));
    await cachePages();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const keep = new Set([STATIC_CACHE, PAGES_CACHE]);
    for (const key of await caches.keys()) {
      if (key.startsWith("morrow-") && !keep.has(key)) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

// Cache the owner's screens; a page that fails (the link QR 404s until the
// card is saved) is skipped; one that leads to the login page means the session
// ended, and every cached page goes.
async function cachePages() {
  pagesFetchedAt = Date.now();
  const started = session;
  const cache = await caches.open(PAGES_CACHE);
  await Promise.all(PAGES.map(async (url) => {
    try {
      const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
      if (sessionEnded(response)) await clearPages();
      else if (response.ok && !response.redirected && started === session) await cache.put(url, response);
    } catch (error) { /* offline: keep what we have */ }
  }));
}

// The owner's pages answer with the login (or setup) page once the session is over.
function sessionEnded(response) {
  if (response.status === 401) return true;
  if (!response.redirected) return false;
  const path = new URL(response.url).pathname;
  return path === "/login" || path === "/setup";
}

/** Forget every private page this phone keeps; the shell stays. */
async function clearPages() {
  session += 1;
  for (const key of await caches.keys()) {
    if (key.startsWith("morrow-pages-")) await caches.delete(key);
  }
}

self.addEventListener("message", (event) => {
  const type = event.data && event.data.type;
  if (type === "SKIP_WAITING") self.skipWaiting();
  if (type === "SESSION_ENDED") event.waitUntil(clearPages());
  if (type === "CACHE_PAGES" && Date.now() - pagesFetchedAt > 5 * 60 * 1000) {
    event.waitUntil(cachePages());
  }
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && url.pathname === "/logout") {
    event.waitUntil(clearPages());  // the next person sees nothing
    return;
  }
  if (request.method !== "GET" || url.pathname.startsWith("/api/")) return;
  if (request.mode === "navigate") {
    event.respondWith(networkFirst(request, true));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(cacheFirst(request));
  } else if (url.pathname.startsWith("/card/qr.")) {
    event.respondWith(networkFirst(request, false));
  }
});

async function cacheFirst(request) {
  const cached = await caches.match(request, { cacheName: STATIC_CACHE, ignoreSearch: true });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) (await caches.open(STATIC_CACHE)).put(request, response.clone());
  return response;
}

async function networkFirst(request, isPage) {
  const started = session;
  try {
    const response = await fetch(request);
    // A navigation's redirect stays opaque: only the owner's cached screens
    // redirect (to the login page) when the session is over.
    const path = new URL(request.url).pathname + new URL(request.url).search;
    if (sessionEnded(response) || (response.type === "opaqueredirect" && PAGES.includes(path))) {
      await clearPages();
    } else if (response.ok && !response.redirected && started === session) {
      await (await caches.open(PAGES_CACHE)).put(request, response.clone());
    }
    return response;
  } catch (error) {
    const options = { cacheName: PAGES_CACHE };  // caches.open would make an empty one
    const cached = await caches.match(request, options)
      || await caches.match(request, { ...options, ignoreSearch: true });
    if (cached) return cached;
    if (!isPage) throw error;
    return caches.match("/offline", { cacheName: STATIC_CACHE });
  }
}

// Background sync: send what waits in the outbox, the same way the page does.
self.addEventListener("sync", (event) => {
  if (event.tag === "outbox") event.waitUntil(flushOutbox());
});

// The same rules as static/js/outbox.js, kept short: 2xx deletes the entry,
// network error / 5xx / 429 stops (the browser retries the sync), 4xx is set aside;
// another account's capture (409 wrong_account) waits for its owner.
async function flushOutbox() {
  const run = async () => {
    const db = await new Promise((resolve, reject) => {
      const open = indexedDB.open("morrow", 1);
      open.onupgradeneeded = () => {
        open.result.createObjectStore("outbox", { keyPath: "id" });
        open.result.createObjectStore("meta", { keyPath: "key" });
      };
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const op = (store, mode, work) => new Promise((resolve, reject) => {
      const tx = db.transaction(store, mode);
      const request = work(tx.objectStore(store));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
    });
    const token = ((await op("meta", "readonly", (s) => s.get("csrf"))) || {}).value || "";
    const pending = (await op("outbox", "readonly", (s) => s.getAll()))
      .filter((e) => e.status === "pending").sort((a, b) => a.createdAt - b.createdAt);
    for (const { id } of pending) {
      const entry = await op("outbox", "readonly", (s) => s.get(id));
      if (!entry || entry.status !== "pending") continue;
      const headers = { "Content-Type": "application/json", "X-CSRFToken": token };
      if (entry.account) headers["X-Morrow-Account"] = entry.account;
      const response = await fetch("/api/v1/contacts", {
        method: "POST", credentials: "same-origin", body: JSON.stringify(entry.payload), headers,
      });  // a network error rejects: the browser schedules another sync
      if (response.ok) {
        await op("outbox", "readwrite", (s) => s.delete(id));
      } else if (response.status >= 500 || response.status === 429 || response.status === 401) {
        if (response.status === 401) await clearPages();  // the session is over
        throw new Error(`outbox: ${response.status}, try later`);
      } else {
        const body = await response.json().catch(() => null);
        // A stale token is not the capture's fault: leave it for the page, which renews it.
        if (body && body.error && body.error.code === "csrf_failed") throw new Error("outbox: token");
        if (body && body.error && body.error.code === "wrong_account") continue;
        const error = (body && body.error && body.error.message) || `The server refused it (${response.status}).`;
        await op("outbox", "readwrite", (s) => s.put({ ...entry, status: "failed", error }));
      }
      new BroadcastChannel("morrow-outbox").postMessage("changed");
    }
  };
  return self.navigator.locks ? self.navigator.locks.request("morrow-outbox", run) : run();
}

// --- Nudges (Web Push) -------------------------------------------------------
// Every push shows a notification (iOS drops subscriptions that push silently);
// a tap opens the Queue, in a Morrow window when one is open.
self.addEventListener("push", (event) => {
  let nudge = {};
  try { nudge = event.data ? event.data.json() : {}; } catch (error) { /* not JSON */ }
  const title = nudge.title || "Morrow";
  event.waitUntil(self.registration.showNotification(title, {
    body: nudge.body || "Your follow-ups are ready.",
    tag: nudge.tag || "morrow-nudge",
    icon: "/static/icons/icon-192.png",
    data: { url: nudge.url || "/queue" },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL((event.notification.data && event.notification.data.url) || "/queue", self.location.origin);
  if (target.origin !== self.location.origin) return;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const client of windows) {
      if (new URL(client.url).origin === self.location.origin && "navigate" in client) {
        await client.focus();
        return client.navigate(target.href);
      }
    }
    return self.clients.openWindow(target.href);
  })());
});
// --- end of Nudges ------------------------------------------------------------
