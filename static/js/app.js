// Shared page behaviour: time zone preset, service worker registration, logout.
import { endSession } from "./sw-register.js";
import "./outbox-ui.js";

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
