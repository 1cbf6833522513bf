// Shared page behaviour: time zone preset, service worker registration, logout,
// and the outbox loaded when it is needed.
import { endSession } from "./sw-register.js";

// The outbox (outbox.js with outbox-core.js, and outbox-ui.js showing it) is
// a third of a page's weight: a page loads it only when something waits in it
// (or a send met 401), when the page keeps something (a capture, a queue
// action), when another tab does, with no signal (the service worker has it),
// or to forget a deleted account.
let outboxModule = null;
export function loadOutbox() {
  outboxModule = outboxModule || import("./outbox.js");
  return outboxModule;
}

const requestDone = (request) => new Promise((resolve, reject) => {
  request.onsuccess = () => resolve(request.result);
  request.onerror = () => reject(request.error);
});

/** Whether this phone's outbox holds anything, for any account, or a send met
 * 401: read without loading the outbox, and without creating its database. */
export async function outboxWaiting() {
  if (!("indexedDB" in self)) return false;
  if (!indexedDB.databases) return true;  // can't look without opening: load it
  const names = (await indexedDB.databases()).map((d) => d.name);
  if (!names.includes("morrow")) return false;
  const open = indexedDB.open("morrow");
  open.onupgradeneeded = () => open.transaction.abort();  // gone meanwhile: create nothing
  const db = await requestDone(open);
  try {
    if (!db.objectStoreNames.contains("outbox") || !db.objectStoreNames.contains("meta")) return true;
    const transaction = db.transaction(["outbox", "meta"], "readonly");
    const [count, login] = await Promise.all([
      requestDone(transaction.objectStore("outbox").count()),
      requestDone(transaction.objectStore("meta").get("needsLogin")),
    ]);
    return count > 0 || Boolean(login && login.value);
  } finally {
    db.close();
  }
}

if (document.body.hasAttribute("data-signed-in")) {
  if (navigator.onLine) outboxWaiting().then((waiting) => waiting && loadOutbox()).catch(() => loadOutbox());
  else loadOutbox();
  window.addEventListener("offline", () => { loadOutbox(); });
  // Another tab (or the service worker) kept or sent something: show it here too.
  if ("BroadcastChannel" in self) {
    const channel = new BroadcastChannel("morrow-outbox");
    channel.onmessage = () => { channel.close(); loadOutbox(); };
  }
} else if (document.body.dataset.forgetAccount) {
  loadOutbox();
}

// Log out: forget the cached private pages and who was logged in first (even
// with no signal), then let the form go to the server.
for (const form of document.querySelectorAll('form[action$="/logout"]')) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await Promise.race([endSession(), new Promise((resolve) => setTimeout(resolve, 2000))]);
    form.submit();
  });
}

for (const input of document.querySelectorAll("input[data-autotz]")) {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  // The device's zone replaces the instance's default, not one the person typed.
  if (zone && (!input.value || input.value === (input.dataset.autotz || "UTC"))) input.value = zone;
}

export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

// "Copy link" buttons: shown only where the clipboard can be written.
for (const button of document.querySelectorAll("button[data-copy]")) {
  if (!navigator.clipboard) continue;
  button.hidden = false;
  button.addEventListener("click", () => {
    const status = document.querySelector("[data-copy-status]");
    navigator.clipboard.writeText(document.getElementById(button.dataset.copy).value).then(
      () => { if (status) status.textContent = "Link copied."; },
      () => { if (status) status.textContent = "Couldn't copy: select the link and copy it."; },
    );
  });
}
