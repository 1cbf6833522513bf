// Registers the service worker for the owner, offers updates and installation,
// asks the browser to keep the offline data (best effort), and forgets the
// private pages and who was logged in when the session ends.

const signedIn = document.body.hasAttribute("data-signed-in");

function banner(message, actionLabel, onAction) {
  const box = document.createElement("div");
  box.className = "pwa-banner";
  box.setAttribute("role", "status");
  const text = document.createElement("span");
  text.textContent = message;
  const action = document.createElement("button");
  action.type = "button";
  action.className = "primary small";
  action.textContent = actionLabel;
  action.addEventListener("click", () => onAction(box));
  box.append(text, action);
  document.body.append(box);
  return box;
}

function offerUpdate(worker) {
  banner("Update available", "Reload", () => {
    navigator.serviceWorker.addEventListener("controllerchange", () => location.reload());
    worker.postMessage({ type: "SKIP_WAITING" });
  });
}

async function register() {
  const registration = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  if (registration.waiting && navigator.serviceWorker.controller) offerUpdate(registration.waiting);
  registration.addEventListener("updatefound", () => {
    const worker = registration.installing;
    worker.addEventListener("statechange", () => {
      // The first install needs no prompt: there was no older version running.
      if (worker.state === "installed" && navigator.serviceWorker.controller) offerUpdate(worker);
    });
  });
  const ready = await navigator.serviceWorker.ready;
  if (ready.active) ready.active.postMessage({ type: "CACHE_PAGES" });
}

if ("serviceWorker" in navigator && signedIn) register().catch(() => {});

if (signedIn && navigator.storage && navigator.storage.persist) {
  navigator.storage.persisted()
    .then((persisted) => persisted || navigator.storage.persist())
    .catch(() => {});
}

// "Add to home screen": only where the browser offers it, and only on Home.
const homeSpot = document.querySelector("[data-install-hint]") || document.querySelector(".big-actions");
let installEvent = null;
window.addEventListener("beforeinstallprompt", (event) => {
  if (!homeSpot || !signedIn) return;
  event.preventDefault();
  installEvent = event;
  if (document.querySelector(".install-hint")) return;
  const hint = document.createElement("p");
  hint.className = "install-hint";
  const button = document.createElement("button");
  button.type = "button";
  button.className = "small";
  button.textContent = "Add Morrow to your home screen";
  button.addEventListener("click", async () => {
    if (!installEvent) return;
    installEvent.prompt();
    await installEvent.userChoice.catch(() => null);
    installEvent = null;
    hint.remove();
  });
  hint.append(button);
  homeSpot.after(hint);
});
window.addEventListener("appinstalled", () => {
  const hint = document.querySelector(".install-hint");
  if (hint) hint.remove();
});

/** Drop the cached private pages (the shell stays) and the outbox's idea of
 * who is logged in; captures kept for any account stay. */
export async function endSession() {
  const worker = "serviceWorker" in navigator && navigator.serviceWorker.controller;
  if (worker) worker.postMessage({ type: "SESSION_ENDED" });  // stops a caching run too
  const pages = "caches" in window
    ? caches.keys().then((keys) =>
      Promise.all(keys.filter((k) => k.startsWith("morrow-pages-")).map((k) => caches.delete(k))))
    : null;
  const outbox = import("./outbox.js").then((module) => module.forgetSession());
  await Promise.all([pages, outbox].map((p) => Promise.resolve(p).catch(() => {})));
}

// The login page while signed out: the session ended (logged out, password
// changed elsewhere, account deleted), so nothing private stays here.
if (!signedIn && location.pathname === "/login") endSession();
