// The capture outbox: every capture is written to IndexedDB first, then sent.
// An entry leaves only after the server answers 2xx for it; a network error,
// 5xx or 429 stops the flush until later; another 4xx is set aside for the owner.
// Each entry names the account it was made under: on a shared phone, captures
// wait for their own owner to log in again and are never sent under another.
const DB_NAME = "morrow";
const ENDPOINT = "/api/v1/contacts";
const LOCK = "morrow-outbox";
const MAX_DELAY = 60000;
const channel = "BroadcastChannel" in self ? new BroadcastChannel("morrow-outbox") : null;

let dbPromise = null;
let running = null;
let retryTimer = null;
let retryDelay = 0;
let needsLogin = false;

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore("outbox", { keyPath: "id" });
      request.result.createObjectStore("meta", { keyPath: "key" });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function withStore(name, mode, work) {
  dbPromise = dbPromise || openDb();
  const db = await dbPromise;
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(name, mode);
    const request = work(transaction.objectStore(name));
    transaction.oncomplete = () => resolve(request ? request.result : undefined);
    transaction.onerror = transaction.onabort = () => reject(transaction.error);
  });
}

const getEntry = (id) => withStore("outbox", "readonly", (s) => s.get(id));
const putEntry = (entry) => withStore("outbox", "readwrite", (s) => s.put(entry));
const deleteEntry = (id) => withStore("outbox", "readwrite", (s) => s.delete(id));

// The signed-in account, as the page names it (see base.html).
function account() {
  return (typeof document !== "undefined" && document.body && document.body.dataset.account) || null;
}

// Entries saved before entries named their account go with whoever sends them.
const mine = (entry) => !entry.account || entry.account === account();

async function allEntries() {
  return (await withStore("outbox", "readonly", (s) => s.getAll())) || [];
}

async function entries(status) {
  const all = await allEntries();
  return all.filter((e) => e.status === status && mine(e)).sort((a, b) => a.createdAt - b.createdAt);
}

export const listPending = () => entries("pending");
export const listFailed = () => entries("failed");
export async function pendingCount() { return (await listPending()).length; }
/** Captures made on this device under other accounts, waiting for them. */
export async function otherAccountsCount() { return (await allEntries()).filter((e) => !mine(e)).length; }
export function outboxState() { return { needsLogin }; }

function changed(fromOtherTab = false) {
  if (!fromOtherTab && channel) channel.postMessage("changed");
  if (typeof window !== "undefined") window.dispatchEvent(new CustomEvent("outbox-change"));
}
if (channel) channel.onmessage = () => changed(true);

/** A new capture's id (UUID 4), made on the phone. Plain http on a LAN has no
 * crypto.randomUUID; getRandomValues works everywhere. */
export function newCaptureId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// What the server said about captures it saved but wants looked at (a phone
// number kept as typed), by capture id, until saveCapture reports it.
const warned = new Map();

/** Keep a capture on this device, then try to send it. */
export async function saveCapture(payload) {
  const id = payload.id || newCaptureId();
  const existing = await getEntry(id);
  await putEntry({ id, payload: { ...payload, id }, status: "pending",
                   account: existing ? existing.account : account(),
                   createdAt: existing ? existing.createdAt : Date.now() });
  changed();
  requestBackgroundSync();
  // Wait briefly for the network; the entry is safe either way.
  await Promise.race([flush(), new Promise((r) => setTimeout(r, 4000))]);
  const entry = await getEntry(id);
  const warnings = warned.get(id) || [];
  warned.delete(id);
  return { queued: Boolean(entry), failed: Boolean(entry && entry.status === "failed"),
           error: entry ? entry.error || null : null, fields: (entry && entry.fields) || {},
           warnings };
}

/** Put a failed capture back in line, with the owner's corrections. */
export async function resend(id, changes = {}) {
  const entry = await getEntry(id);
  if (!entry) return;
  await putEntry({ ...entry, payload: { ...entry.payload, ...changes, id },
                   status: "pending", error: null });
  changed();
  retryDelay = 0;
  return flush();
}

// Delete every entry `which` picks; returns how many went.
async function dropEntries(which) {
  const gone = (await allEntries()).filter(which);
  await Promise.all(gone.map((e) => deleteEntry(e.id)));
  changed();
  return gone.length;
}

/** Drop what this device still keeps for an account that was deleted. */
export const forgetAccount = (key) => dropEntries((e) => e.account === key);
if (typeof document !== "undefined" && document.body && document.body.dataset.forgetAccount) {
  forgetAccount(document.body.dataset.forgetAccount).catch(() => {});
}

// The account of the page loaded last on this device: a tab left open from
// before someone else logged in must not take their captures for another's.
if (account()) {
  withStore("meta", "readwrite", (s) => s.put({ key: "account", value: account() })).catch(() => {});
}

/** The session ended (logged out here or elsewhere): forget who was logged in
 * and their token. Every capture stays, each under its own account, until that
 * account logs in again; a page left open can no longer discard the others. */
export async function forgetSession() {
  await withStore("meta", "readwrite", (s) => {
    s.delete("csrf");
    return s.put({ key: "account", value: null });
  });
  changed();
}

/** Drop what this device keeps for other accounts (never sent, not recoverable).
 * Returns how many went, or -1 when this page is older than the last login. */
export async function discardOtherAccounts() {
  const latest = await withStore("meta", "readonly", (s) => s.get("account"));
  if (!account() || (latest && latest.value !== account())) return -1;
  return dropEntries((e) => !mine(e));
}

/** Drop a failed capture the owner no longer wants. */
export async function discard(id) {
  const entry = await getEntry(id);
  if (entry && entry.status === "failed") await deleteEntry(id);
  changed();
}

/** Send what waits, in order; only one flush runs at a time, across tabs too. */
export function flush() {
  if (!running) {
    running = exclusive(sendAll)
      .catch(() => scheduleRetry())
      .finally(() => { running = null; });
  }
  return running;
}

async function exclusive(work) {
  if (navigator.locks) return navigator.locks.request(LOCK, work);
  // Older browsers: a short lease in localStorage; the server's idempotent
  // create still makes a rare overlap harmless.
  const key = "morrow-outbox-lease";
  if (Number(localStorage.getItem(key) || 0) > Date.now()) return scheduleRetry();
  localStorage.setItem(key, String(Date.now() + 30000));
  try { return await work(); } finally { localStorage.removeItem(key); }
}

async function sendAll() {
  for (const { id } of await listPending()) {
    const entry = await getEntry(id);  // another tab may have sent it meanwhile
    if (!entry || entry.status !== "pending") continue;
    const outcome = await send(entry);
    if (outcome === "retry") return scheduleRetry();
    if (outcome === "login") { needsLogin = true; changed(); return; }
  }
  needsLogin = false;
  retryDelay = 0;
  clearTimeout(retryTimer);
}

async function send(entry) {
  let response;
  try {
    response = await post(entry, await csrfToken());
    if (await isErrorCode(response, 400, "csrf_failed")) response = await post(entry, await freshCsrfToken());
  } catch (error) {
    return "retry";
  }
  if (response.ok) {
    const body = await response.clone().json().catch(() => null);
    if (body && Array.isArray(body.warnings) && body.warnings.length) warned.set(entry.id, body.warnings);
    await deleteEntry(entry.id);
    changed();
    return "sent";
  }
  if (response.status === 401) return "login";
  // Logged in as someone else since the page loaded: it waits for its owner.
  if (await isErrorCode(response, 409, "wrong_account")) return "skip";
  if (response.status === 429 || response.status >= 500) return "retry";
  const body = await response.json().catch(() => null);
  const error = (body && body.error && body.error.message) || `The server refused it (${response.status}).`;
  const fields = (body && body.error && body.error.fields) || {};
  await putEntry({ ...entry, status: "failed", error, fields });
  changed();
  return "failed";
}

function post(entry, token) {
  const headers = { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token || "" };
  if (entry.account) headers["X-Morrow-Account"] = entry.account;
  return fetch(ENDPOINT, {
    method: "POST",
    credentials: "same-origin",
    headers,
    body: JSON.stringify(entry.payload),
  });
}

async function isErrorCode(response, status, code) {
  if (response.status !== status) return false;
  const body = await response.clone().json().catch(() => null);
  return Boolean(body && body.error && body.error.code === code);
}

async function csrfToken() {
  const meta = typeof document !== "undefined" && document.querySelector('meta[name="csrf-token"]');
  if (meta && meta.content) return meta.content;
  const stored = await withStore("meta", "readonly", (s) => s.get("csrf"));
  return stored ? stored.value : "";
}

// A page served from the offline cache may carry an old token: ask for a new one.
async function freshCsrfToken() {
  const response = await fetch("/settings", { credentials: "same-origin", cache: "no-store" });
  const match = (await response.text()).match(/name="csrf-token" content="([^"]+)"/);
  if (!match) return "";
  await withStore("meta", "readwrite", (s) => s.put({ key: "csrf", value: match[1] }));
  return match[1];
}

function scheduleRetry() {
  retryDelay = Math.min(MAX_DELAY, retryDelay ? retryDelay * 2 : 1000);
  clearTimeout(retryTimer);
  retryTimer = setTimeout(flush, retryDelay * (0.8 + Math.random() * 0.4));
  requestBackgroundSync();
}

function requestBackgroundSync() {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.ready
    .then((registration) => registration.sync && registration.sync.register("outbox"))
    .catch(() => {});
}

// Flush on load, when the network returns and when the owner comes back.
if (typeof window !== "undefined" && document.body.hasAttribute("data-signed-in")) {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (meta && meta.content) {
    // The service worker flushes without a page, so it needs the token too.
    withStore("meta", "readwrite", (s) => s.put({ key: "csrf", value: meta.content })).catch(() => {});
  }
  window.addEventListener("online", () => { retryDelay = 0; flush(); });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") flush();
  });
  flush();
}
