// Morrow's service worker: the shell offline, pages network-first, the outbox
// flushed in the background. /sw.js fills in VERSION and SHELL.
const VERSION = "__VERSION__";
const SHELL = ["__SHELL__"];
const STATIC_CACHE = `morrow-static-${VERSION}`;
const PAGES_CACHE = `morrow-pages-${VERSION}`;
// The outbox's schema, policy and flush, shared with the page.
importScripts(`/static/js/outbox-core.js?v=${VERSION}`);
// Opened once, they must work with no signal: Home, Card, Capture, People, the
// Queue with its drafts (cleared on the commute), the QR codes.
const PAGES = ["/", "/card", "/capture", "/people", "/queue", "/card/qr.svg?mode=url", "/card/qr.svg?mode=vcard"];
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
async function cachePages(urls = PAGES) {
  if (urls === PAGES) pagesFetchedAt = Date.now();
  const started = session;
  const cache = await caches.open(PAGES_CACHE);
  await Promise.all(urls.map(async (url) => {
    try {
      const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
      if (sessionEnded(response)) await clearPages();
      else if (response.ok && !response.redirected && started === session) await cache.put(url, response);
    } catch (error) { /* offline: keep what we have */ }
  }));
}

// The pages a capture or a queue action changes, fetched again once it has
// reached the server (several sends in a row make one more fetch, not many).
const CHANGED_BY_SENDS = ["/", "/people", "/queue"];
let refreshing = null;
let refreshAgain = false;

function refreshChangedPages() {
  if (refreshing) {
    refreshAgain = true;
    return refreshing;
  }
  refreshing = cachePages(CHANGED_BY_SENDS).finally(() => {
    refreshing = null;
    if (refreshAgain) {
      refreshAgain = false;
      return refreshChangedPages();
    }
  });
  return refreshing;
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
  if (type === "REFRESH_PAGES") event.waitUntil(refreshChangedPages());
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

// Background sync: send what waits in the outbox, by the same code and rules
// as the page (static/js/outbox-core.js). A stop for later (network, 5xx, 429)
// fails the sync event, so the browser tries again with its own backoff; 401
// means the session is over, and the private pages go.
self.addEventListener("sync", (event) => {
  if (event.tag === "outbox") event.waitUntil(flushOutbox());
});

async function flushOutbox() {
  const context = { onLogin: clearPages };
  const outcome = await self.MorrowOutbox.flush(context);
  if (context.sent) await refreshChangedPages();
  if (outcome === "retry") throw new Error("outbox: try later");
  return outcome;
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
