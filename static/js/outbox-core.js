// The outbox, written once for the page and the service worker.
//
// A classic script with no import or export: the service worker loads it with
// importScripts (classic workers run in every browser with a service worker),
// and the page imports it as a module for its side effect. Both then use
// self.MorrowOutbox.
//
// Schema: IndexedDB "morrow", version 1, two stores.
// - outbox (key "id"): one entry per thing to send, oldest first (createdAt).
//   Every entry: {id, status: "pending" | "failed", account, createdAt,
//   error?, fields?}, `account` naming who made it on a shared phone.
//   A capture (no kind): {payload} for POST /api/v1/contacts (with a card
//   photo: payload.card_photo, a data: URL of a JPEG shrunk on the phone to at
//   most 1600 px, ~100-400 KB, kept in IndexedDB until sent).
//   A queue action: {kind: "followup-action", followup_id, action: "done" |
//   "skip" | "snooze" | "edit", also: [ids sent in the same message], until? or
//   when? and chosen_at? (snooze),
//   draft?: {subject, body}, label}.
// - meta (key "key"): "account" (who loaded a page last), "csrf" (the token
//   for sending without a page), "needsLogin" (a send met 401).
//
// Response policy, the same wherever it runs: 2xx deletes the entry; 401 stops
// the flush and marks needs-login; 409 wrong_account leaves the entry for its
// own account; 400 csrf_failed fetches a fresh token once and sends again;
// 5xx, 429 and network errors stop the flush to retry later with backoff; any
// other 4xx sets the entry aside with the server's message and field errors.
// A queue action answered 409 was already done elsewhere: it counts as done.
//
// Captures go in batches (POST /api/v1/contacts/batch, up to BATCH_SIZE and
// BATCH_BYTES, at most PHOTOS_PER_BATCH with a card photo, oldest first, one
// account each): the batch's own answer follows the policy above
// for all its entries, and in a 200 each item's result follows it for its own
// entry, so an entry leaves only once its own item answered 2xx. A batch the
// server refuses as a whole for another reason (an older server without the
// route, too large) is sent one capture at a time instead. Queue actions keep
// their own requests.
//
// One flush runs at a time across tabs and the worker (navigator.locks).
(() => {
  "use strict";

  const DB_NAME = "morrow";
  const DB_VERSION = 1;
  const STORES = { outbox: "id", meta: "key" };
  const LOCK = "morrow-outbox";
  const BATCH_SIZE = 50;
  const BATCH_BYTES = 900 * 1024;  // the server takes 1 MB
  // Captures carrying a card photo (~100-400 KB each) go at most this many to a
  // request, so a batch stays small on a slow network; one photo larger than
  // BATCH_BYTES goes alone (and, if the batch route refuses it as too large,
  // on its own to POST /api/v1/contacts, which takes a full photo).
  const PHOTOS_PER_BATCH = 3;
  const hasPhoto = (entry) => Boolean(entry.payload && entry.payload.card_photo);
  const channel = "BroadcastChannel" in self ? new BroadcastChannel("morrow-outbox") : null;
  const listeners = new Set();
  let dbPromise = null;

  function openDb() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => {
        for (const [name, keyPath] of Object.entries(STORES)) {
          if (!request.result.objectStoreNames.contains(name)) {
            request.result.createObjectStore(name, { keyPath });
          }
        }
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
  const allEntries = async () => (await withStore("outbox", "readonly", (s) => s.getAll())) || [];
  const getMeta = async (key) => {
    const record = await withStore("meta", "readonly", (s) => s.get(key));
    return record ? record.value : null;
  };
  const putMeta = (key, value) => withStore("meta", "readwrite", (s) => s.put({ key, value }));

  /** Tell this context's listeners and every other tab (and worker) that the outbox changed. */
  function changed() {
    if (channel) channel.postMessage("changed");
    for (const listener of listeners) listener();
  }
  if (channel) channel.onmessage = () => { for (const listener of listeners) listener(); };

  // Entries saved before entries named their account go with whoever sends them.
  // `account` undefined (the service worker) takes every account's: the
  // server refuses another's with 409 wrong_account, and it waits.
  const belongsTo = (entry, account) => account === undefined || !entry.account || entry.account === account;

  /**
   * Send what waits, oldest first, under the lock. `context`: {account, token()
   * (the page's CSRF token, else the stored one), onLogin() (called on 401)}.
   * Answers "done", "retry" (stopped: try again later) or "login".
   */
  function flush(context = {}) {
    return exclusive(() => sendAll(context));
  }

  async function exclusive(work) {
    if (self.navigator.locks) return self.navigator.locks.request(LOCK, work);
    // Older browsers: a short lease in localStorage (pages only); the server's
    // idempotent create and the queue's 409 make a rare overlap harmless.
    if (typeof localStorage === "undefined") return work();
    const key = "morrow-outbox-lease";
    if (Number(localStorage.getItem(key) || 0) > Date.now()) return "retry";
    localStorage.setItem(key, String(Date.now() + 30000));
    try { return await work(); } finally { localStorage.removeItem(key); }
  }

  async function sendAll(context) {
    const pending = (await allEntries())
      .filter((e) => e.status === "pending" && belongsTo(e, context.account))
      .sort((a, b) => a.createdAt - b.createdAt);
    let next = 0;
    while (next < pending.length) {
      const batch = [];
      let bytes = 0;
      let photos = 0;
      // A run of captures of one account, or a single queue action.
      for (; next < pending.length && batch.length < BATCH_SIZE; next++) {
        const entry = await getEntry(pending[next].id);  // another tab may have sent it meanwhile
        if (!entry || entry.status !== "pending") continue;
        const size = JSON.stringify(entry.payload || {}).length;
        const action = entry.kind === "followup-action";
        if (batch.length && (action || isAction(batch[0]) || entry.account !== batch[0].account
                             || bytes + size > BATCH_BYTES
                             || (hasPhoto(entry) && photos >= PHOTOS_PER_BATCH))) break;
        batch.push(entry);
        bytes += size;
        if (hasPhoto(entry)) photos += 1;
      }
      if (!batch.length) continue;
      const outcome = isAction(batch[0]) ? await deliver(batch[0], context) : await deliverBatch(batch, context);
      if (outcome === "retry" || outcome === "login") return outcome;
    }
    if (await getMeta("needsLogin")) {
      await putMeta("needsLogin", false);
      changed();
    }
    return "done";
  }

  async function deliver(entry, context) {
    let response;
    try {
      response = await send(entry, await token(context));
      if (await isErrorCode(response, 400, "csrf_failed")) response = await send(entry, await freshToken());
    } catch (error) {
      return "retry";
    }
    return settle(entry, response, context);
  }

  const isAction = (entry) => entry.kind === "followup-action";

  async function deliverBatch(batch, context) {
    let response;
    let results;
    try {
      response = await sendBatch(batch, await token(context));
      if (await isErrorCode(response, 400, "csrf_failed")) response = await sendBatch(batch, await freshToken());
      // Read the whole answer here: a connection cut while it arrives is a retry.
      if (response.status === 200) results = (await response.json()).results;
    } catch (error) {
      return "retry";
    }
    if (response.ok && response.status !== 200) return "retry";  // not Morrow's answer
    if (response.status !== 200) {
      const refusedAsAWhole = response.status >= 400 && response.status < 500 && response.status !== 401
        && response.status !== 429 && !(await isErrorCode(response, 409, "wrong_account"));
      if (!refusedAsAWhole) {
        return settle(batch[0], response, context);
      }
      for (const entry of batch) {
        const outcome = await deliver(entry, context);
        if (outcome === "retry" || outcome === "login") return outcome;
      }
      return "sent";
    }
    if (!Array.isArray(results) || results.length !== batch.length) return "retry";
    let stopped = null;
    for (const [n, entry] of batch.entries()) {
      const result = results[n] || {};
      const body = result.error ? { error: result.error } : result.contact || {};
      const answer = new Response(JSON.stringify(body), {
        status: result.id === entry.id && result.status >= 200 ? result.status : 500,
        headers: { "Content-Type": "application/json" },
      });
      const outcome = await settle(entry, answer, context);
      if (outcome === "retry" || outcome === "login") stopped = stopped || outcome;
    }
    return stopped || "sent";
  }

  async function settle(entry, response, context) {
    if (response.ok) {
      // What the server wants looked at (a phone kept as typed) goes to the page.
      if (context.onSent) context.onSent(entry, await response.clone().json().catch(() => null));
      context.sent = (context.sent || 0) + 1;  // the saved Home, People and Queue pages are now behind
      await deleteEntry(entry.id);
      changed();
      return "sent";
    }
    if (response.status === 401) {
      await putMeta("needsLogin", true);
      changed();
      if (context.onLogin) await context.onLogin();
      return "login";
    }
    // Logged in as someone else since it was made: it waits for its owner.
    if (await isErrorCode(response, 409, "wrong_account")) return "skip";
    if (response.status === 429 || response.status >= 500) return "retry";
    const body = await response.json().catch(() => null);
    const error = (body && body.error && body.error.message) || `The server refused it (${response.status}).`;
    const fields = (body && body.error && body.error.fields) || {};
    await putEntry({ ...entry, status: "failed", error, fields });
    changed();
    return "failed";
  }

  /**
   * The one send step: hand an entry to the server and answer its Response
   * (a network error rejects). A queue action is one request per follow-up in
   * its message, after its draft edit; one already closed elsewhere (409) is
   * skipped, so sending it again after a half-done try finishes the rest.
   */
  async function send(entry, csrf) {
    const headers = { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf || "" };
    if (entry.account) headers["X-Morrow-Account"] = entry.account;
    const request = (url, method, body) =>
      fetch(url, { method, credentials: "same-origin", headers, body: JSON.stringify(body) });
    if (entry.kind !== "followup-action") return request("/api/v1/contacts", "POST", entry.payload);

    const steps = [];
    const base = (id) => `/api/v1/followups/${encodeURIComponent(id)}`;
    if (entry.draft) steps.push([base(entry.followup_id), "PATCH", entry.draft]);
    if (entry.action !== "edit") {
      const body = entry.action === "snooze"
        ? (entry.when ? { when: entry.when, chosen_at: entry.chosen_at } : { until: entry.until })
        : {};
      for (const id of [entry.followup_id, ...(entry.also || [])]) {
        steps.push([`${base(id)}/${entry.action}`, "POST", body]);
      }
    }
    for (const [url, method, body] of steps) {
      const response = await request(url, method, body);
      if (response.ok) continue;
      if (response.status === 409 && !(await isErrorCode(response, 409, "wrong_account"))) continue;
      return response;
    }
    return new Response(null, { status: 204 });
  }

  /** Send captures as one batch and answer its Response (a network error rejects). */
  function sendBatch(entries, csrf) {
    const headers = { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf || "" };
    if (entries[0].account) headers["X-Morrow-Account"] = entries[0].account;
    return fetch("/api/v1/contacts/batch", {
      method: "POST", credentials: "same-origin", headers,
      body: JSON.stringify({ items: entries.map((entry) => entry.payload) }),
    });
  }

  async function isErrorCode(response, status, code) {
    if (response.status !== status) return false;
    const body = await response.clone().json().catch(() => null);
    return Boolean(body && body.error && body.error.code === code);
  }

  async function token(context) {
    const fromPage = context.token ? await context.token() : "";
    return fromPage || (await getMeta("csrf")) || "";
  }

  // A page served from the offline cache, or the worker, may hold an old token.
  async function freshToken() {
    const response = await fetch("/settings", { credentials: "same-origin", cache: "no-store" });
    const match = (await response.text()).match(/name="csrf-token" content="([^"]+)"/);
    if (!match) return "";
    await putMeta("csrf", match[1]);
    return match[1];
  }

  self.MorrowOutbox = {
    withStore, getEntry, putEntry, deleteEntry, allEntries, getMeta, putMeta,
    belongsTo, changed, flush, send, sendBatch, onChange: (listener) => listeners.add(listener),
  };
})();
