// Settings → Notifications: subscribe this phone to Web Push nudges, or stop them.
import { csrfToken } from "./app.js";

const box = document.querySelector("[data-push]");
const on = box.querySelector("[data-push-on]");
const off = box.querySelector("[data-push-off]");
const status = box.querySelector("[data-push-status]");
const url = box.dataset.subscriptionsUrl;

function say(text) { status.textContent = text; }

function keyBytes(base64url) {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
  const raw = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

async function send(method, body) {
  const response = await fetch(url, {
    method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify(body),
  });
  if (!response.ok) {
    const answer = await response.json().catch(() => null);
    throw new Error((answer && answer.error && answer.error.message) || `The server answered ${response.status}.`);
  }
}

async function show() {
  const registration = await navigator.serviceWorker.ready;
  const subscription = await registration.pushManager.getSubscription();
  on.hidden = Boolean(subscription);
  off.hidden = !subscription;
}

on.addEventListener("click", async () => {
  try {
    if ((await Notification.requestPermission()) !== "granted") {
      say("Notifications are blocked for Morrow: allow them in the browser's site settings.");
      return;
    }
    const registration = await navigator.serviceWorker.ready;
    const subscription = await registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: keyBytes(box.dataset.vapidKey),
    });
    await send("POST", subscription.toJSON());
    say("This phone gets your morning nudge.");
  } catch (error) {
    say(`Could not turn on nudges: ${error.message}`);
  }
  await show();
});

off.addEventListener("click", async () => {
  try {
    const registration = await navigator.serviceWorker.ready;
    const subscription = await registration.pushManager.getSubscription();
    if (subscription) {
      await send("DELETE", { endpoint: subscription.endpoint });
      await subscription.unsubscribe();
    }
    say("No more nudges on this phone.");
  } catch (error) {
    say(`Could not stop nudges: ${error.message}`);
  }
  await show();
});

if (!("serviceWorker" in navigator) || !("PushManager" in window) || !window.isSecureContext) {
  say("This browser can't receive push here: it needs Morrow over https:// (on an iPhone, from the home screen).");
} else {
  show();
}
