// The page's side of the outbox (static/js/outbox-core.js holds the schema,
// the response policy and the flush): every capture is written to IndexedDB
// first, then sent. An entry leaves only after the server answers 2xx for it; a
// network error, 5xx or 429 stops the flush until later, with backoff; another
// 4xx is set aside for the owner. Each entry names the account it was made
// under: on a shared phone, captures wait for their own owner to log in again
// and are never sent under another.
import "./outbox-core.js";

const core = self.MorrowOutbox;
const { withStore, getEntry, putEntry, deleteEntry, allEntries } = core;
const MAX_DELAY = 60000;

let running = null;
let rerun = null;
let lastStamp = 0;
let retryTimer = null;
let retryDelay = 0;

// The signed-in account, as the page names it (see base.html).
function account() {
  return (typeof document !== "undefined" && document.body && document.body.dataset.account) || null;
}

const mine = (entry) => core.belongsTo(entry, account());

async function entries(status) {
  const all = await allEntries();
  return all.filter((e) => e.status === status && mine(e)).sort((a, b) => a.createdAt - b.createdAt);
}

export const listPending = () => entries("pending");
export const listFailed = () => entries("failed");
export async function pendingCount() { return (await listPending()).length; }
/** Captures made on this device under other accounts, waiting for them. */
export async function otherAccountsCount() { return (await allEntries()).filter((e) => !mine(e)).length; }
/** Whether a send met 401 (here, in another tab or in the service worker). */
export async function outboxState() { return { needsLogin: Boolean(await core.getMeta("needsLogin")) }; }

const changed = core.changed;
core.onChange(() => {
  if (typeof window !== "undefined") window.dispatchEvent(new CustomEvent("outbox-change"));
});

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

function noteWarnings(entry, body) {
  if (body && Array.isArray(body.warnings) && body.warnings.length) warned.set(entry.id, body.warnings);
}

/** Keep a capture on this device, then try to send it. */
export async function saveCapture(payload) {
  const id = payload.id || newCaptureId();
  const existing = await getEntry(id);
  await putEntry({ id, payload: { ...payload, id }, status: "pending",
                   account: existing ? existing.account : account(),
                   createdAt: existing ? existing.createdAt : stamp() });
  return sendSoon(id);
}

/** Keep a queue action on this device, then try to send it: {followup_id,
 * action: "done" | "skip" | "snooze" | "edit", also: [ids in the same message],
 * until? (snooze), draft? ({subject, body}, sent first), label (shown if refused)}. */
export async function saveAction(action) {
  const id = newCaptureId();
  await putEntry({ ...action, id, kind: "followup-action", status: "pending",
                   account: account(), createdAt: stamp() });
  return sendSoon(id);
}

export const isAction = (entry) => entry.kind === "followup-action";

// Entries keep the order they were made in, even two within a millisecond.
const stamp = () => (lastStamp = Math.max(Date.now(), lastStamp + 1));

async function sendSoon(id) {
  changed();
  requestBackgroundSync();
  // Wait briefly for the network; the entry is safe either way.
  await Promise.race([flush(), new Promise((r) => setTimeout(r, 4000))]);
  const entry = await getEntry(id);
  const warnings = warned.get(id) || [];
  warned.delete(id);
  return { id, queued: Boolean(entry), failed: Boolean(entry && entry.status === "failed"),
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
    s.delete("needsLogin");
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

/** Drop a failed entry the owner no longer wants. */
export async function discard(id) {
  const entry = await getEntry(id);
  if (entry && entry.status === "failed") await deleteEntry(id);
  changed();
}

/** Send what waits, in order; only one flush runs at a time, across tabs and
 * the service worker too. Asked again while one runs, it runs once more after
 * it, so what was saved meanwhile is not left for the next retry. */
export function flush() {
  if (running) {
    rerun = rerun || running.then(() => { rerun = null; return flush(); });
    return rerun;
  }
  const context = { account: account(), token: pageToken, onSent: noteWarnings };
  running = core.flush(context)
    .then((outcome) => {
      if (context.sent) refreshSavedPages();
      if (outcome === "retry") return scheduleRetry();
      retryDelay = 0;
      clearTimeout(retryTimer);
    })
    .catch(() => scheduleRetry())
    .finally(() => { running = null; });
  return running;
}

// What reached the server belongs on the pages kept for offline use: without
// this, People opened offline a minute later would not list who was just met.
function refreshSavedPages() {
  const worker = typeof navigator !== "undefined" && navigator.serviceWorker && navigator.serviceWorker.controller;
  if (worker) worker.postMessage({ type: "REFRESH_PAGES" });
}

function pageToken() {
  const meta = typeof document !== "undefined" && document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
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

// Shown (the header, Home, the People list) once there is something to show:
// an entry, a send that met 401, no signal.
if (typeof window !== "undefined" && document.body.hasAttribute("data-signed-in")) {
  let shown = null;
  const show = () => { shown = shown || import("./outbox-ui.js").catch(() => {}); };
  core.onChange(show);
  window.addEventListener("offline", show);
  if (!navigator.onLine) show();
  Promise.all([allEntries(), core.getMeta("needsLogin")])
    .then(([all, needsLogin]) => { if (all.length || needsLogin) show(); })
    .catch(show);
}
