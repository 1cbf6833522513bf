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
