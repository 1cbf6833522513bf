// Shared page behaviour: time zone preset, service worker registration.
import "./sw-register.js";
import "./outbox-ui.js";

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
