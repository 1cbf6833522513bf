// Capture: tells what the "reach" field holds, suggests introducers, saves
// through the offline outbox, and opens the scanner or takes a card photo
// (static/js/card-photo.js) only when asked.
import { introducerCombo } from "./introducer.js";
import { newCaptureId, saveCapture } from "./outbox.js";
import { classifyReach } from "./reach.js";

const form = document.querySelector("[data-capture]");
const status = document.querySelector("[data-capture-status]");
const $ = (name) => form.elements.namedItem(name);
const LABELS = { email: "📧 email", phone: "📞 phone", linkedin: "LinkedIn", website: "🔗 link" };

function showKind(input) {
  const badge = form.querySelector(`[data-reach-kind="${input.id}"]`);
  if (badge) badge.textContent = LABELS[classifyReach(input.value)] || "";
  if (input.name === "reach") {
    const kind = classifyReach(input.value);
    input.inputMode = kind === "phone" ? "tel" : kind === "website" || kind === "linkedin" ? "url" : "email";
  }
}

const combo = introducerCombo(form);

// Enter in the name goes on to the next field: a person is rarely just a name,
// and saving one by accident loses the moment to add how to reach them.
$("name").addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || event.isComposing) return;
  event.preventDefault();
  $("reach").focus();
});

for (const name of ["reach", "reach2"]) {
  const input = $(name);
  if (input) input.addEventListener("input", () => showKind(input));
}

// The one-line Topic grows as typed, where CSS field-sizing can't do it.
const oneLine = CSS.supports("field-sizing", "content") ? [] : form.querySelectorAll("textarea[rows='1']");
const grow = () => oneLine.forEach((box) => { box.style.height = "auto"; box.style.height = `${box.scrollHeight + 2}px`; });
form.addEventListener("input", grow);

// A capture's id is made on the phone. The page's own id can't be trusted: the
// service worker serves the same cached page to every offline capture, and the
// back button restores a page whose capture was already saved. One id per form
// still makes a second tap on Save (or a corrected resend) the same capture.
$("id").value = newCaptureId();
window.addEventListener("pageshow", (event) => { if (event.persisted) $("id").value = newCaptureId(); });

function payloadFromForm() {
  const data = { id: $("id").value || newCaptureId(), source: $("source").value || "capture" };
  for (const key of ["name", "company", "title", "talked_about", "promise", "notes"]) data[key] = $(key).value.trim();
  for (const key of ["reach2", "reach"]) {
    const value = $(key).value.trim();
    const kind = classifyReach(value);
    if (kind) data[kind] = value;
    else if (value) data.notes = [data.notes, value].filter(Boolean).join("\n");
  }
  const checked = [...form.querySelectorAll('input[name="tag"]:checked')].map((i) => i.value);
  data.tags = [...checked, ...$("tags_text").value.split(",")].map((t) => t.trim()).filter(Boolean);
  const met = $("met_at");
  data.met_at = met.value !== met.defaultValue ? met.value : new Date().toISOString();
  data.event_id = $("event_id").value ? Number($("event_id").value) : null;
  if (cardPhoto) {
    for (const [key, value] of Object.entries(cardPhoto.photoFields())) if (!data[key]) data[key] = value;
  }
  if ($("introduced_by_id").value) data.introduced_by_id = $("introduced_by_id").value;
  else if (combo.value.trim()) {
    data.notes = [data.notes, `Introduced by ${combo.value.trim()}`].filter(Boolean).join("\n");
  }
  return data;
}

// The server's field errors, shown at the fields the person typed them in.
const REACH_KINDS = ["email", "phone", "website", "linkedin"];

function inputFor(field) {
  if (REACH_KINDS.includes(field)) {
    return ["reach", "reach2"].map($).find((input) => input && classifyReach(input.value) === field) || $("reach");
  }
  if (field === "tags") return $("tags_text");
  if (field === "introduced_by_id") return combo;
  return $(field) instanceof HTMLElement ? $(field) : null;
}

function clearErrors() {
  for (const note of form.querySelectorAll("[data-js-error]")) note.remove();
  for (const box of form.querySelectorAll(".field.has-error")) box.classList.remove("has-error");
  for (const input of form.querySelectorAll("[aria-invalid]")) {
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
  }
}

function showErrors(fields) {
  clearErrors();
  let first = null;
  for (const [field, message] of Object.entries(fields)) {
    const input = inputFor(field);
    const box = input && input.closest(".field");
    if (!box) continue;
    const note = document.createElement("p");
    note.className = "error";
    note.id = `e-js-${input.name}`;
    note.dataset.jsError = "";
    note.textContent = message;
    box.classList.add("has-error");
    box.append(note);
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", note.id);
    const more = box.closest("details");
    if (more) more.open = true;
    first = first || input;
  }
  if (first) first.focus();
}

// "Photo of a card": its code loads when the first photo is taken.
let cardPhoto = null;
let photoTaken = null;
const photoInput = form.querySelector("[data-card-photo-input]");
photoInput.addEventListener("change", () => {
  const file = photoInput.files && photoInput.files[0];
  if (!file) return;
  photoTaken = (async () => {
    cardPhoto = cardPhoto || (await import("./card-photo.js"));
    cardPhoto.takePhoto(form, file, () => {
      for (const name of ["reach", "reach2"]) showKind($(name));
    });
  })();
});

form.addEventListener("submit", async (event) => {
  const another = event.submitter && event.submitter.value === "another";
  const withPhoto = Boolean(cardPhoto && cardPhoto.hasPhoto()) || photoInput.files.length > 0;
  if (!$("name").value.trim() && !withPhoto) return; // let the server explain, no JS needed
  event.preventDefault();
  clearErrors();
  if (photoTaken) await photoTaken;
  if (cardPhoto) await cardPhoto.ready();
  const payload = payloadFromForm();
  let result;
  try {
    result = await saveCapture(payload);
  } catch {
    form.submit(); // the page form still works when scripts fail
    return;
  }
  if (result.failed) {
    status.textContent = `Not saved: ${result.error || "please check the fields."}`;
    status.classList.add("error");
    showErrors(result.fields || {});
    return;
  }
  status.classList.remove("error");
  const who = payload.name || "the card";
  status.textContent = result.queued ? `Saved ${who} — will sync when online` : `Saved ${who} ✓`;
  if (result.warnings.length) status.textContent += ` ${result.warnings.join(" ")}`;
  if (!another && !result.warnings.length) {
    window.location.href = result.queued ? "/" : `/people/${payload.id}`;
    return;
  }
  const keep = { event_id: $("event_id").value };
  if (cardPhoto) cardPhoto.clearPhoto(form);
  form.reset();
  $("event_id").value = keep.event_id;
  $("id").value = newCaptureId();
  $("source").value = "capture";
  $("introduced_by_id").value = "";
  $("met_at").value = $("met_at").defaultValue;
  for (const name of ["reach", "reach2"]) showKind($(name));
  grow();
  $("name").focus();
});

// "Scan their code": the scanner module and its decoder load only on demand.
const scanButton = form.querySelector("[data-scan]");
if (scanButton && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
  scanButton.hidden = false;
  scanButton.addEventListener("click", async () => {
    const { scanInto } = await import("./scan.js");
    scanInto(form, { status, onDone: () => { for (const n of ["reach", "reach2"]) showKind($(n)); } });
  });
}
