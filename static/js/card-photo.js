// "Photo of a card" on Capture, loaded when a photo is taken: the photo is
// shrunk on the phone (JPEG, at most 1600 px, the camera's rotation applied)
// and shown; online, the server reads it and the fields it found fill the
// empty ones of the form, marked for a check; what was typed stays. Offline
// (or when reading fails) the photo simply goes with the capture, and the
// server reads it after the sync, filling only fields still empty.
import { csrfToken } from "./app.js";
import { classifyReach } from "./reach.js";

const MAX_SIDE = 1600;
const QUALITY = 0.85;
const REACH = ["email", "phone", "linkedin", "website"];
const LABELS = { name: "name", title: "title", company: "company", email: "email",
                 phone: "phone", website: "website", linkedin: "LinkedIn" };

// Its styles load with it, off the Capture page's first load.
const style = document.createElement("link");
style.rel = "stylesheet";
style.href = new URL("../css/card-photo.css", import.meta.url).href;
const styled = new Promise((resolve) => { style.onload = style.onerror = resolve; });
document.head.append(style);

let photo = null;  // {dataUrl, read: the server read it here, extra: fields with no box}
let pending = Promise.resolve();
let generation = 0;

/** What a capture carries of the photo (nothing when there is none). */
export function photoFields() {
  if (!photo) return {};
  return { ...photo.extra, card_photo: photo.dataUrl, card_photo_read: photo.read };
}

export const hasPhoto = () => photo !== null;
/** Wait for the photo being shrunk (a Save tapped right after the photo). */
export const ready = () => pending;

// The preview, made on the first photo: the page's first load stays small.
const PREVIEW = `<img alt="The card photo" data-card-image>
  <div class="card-preview-text">
    <p class="card-photo-status" role="status" aria-live="polite" data-card-status></p>
    <button type="button" class="small" data-card-remove>Remove photo</button>
  </div>`;

function parts(form) {
  if (!form.querySelector("[data-card-preview]")) {
    const box = document.createElement("div");
    box.className = "card-preview";
    box.dataset.cardPreview = "";
    box.hidden = true;
    box.innerHTML = PREVIEW;
    form.querySelector(".capture-tools").after(box);
    box.querySelector("[data-card-remove]").addEventListener("click", () => {
      clearPhoto(form);
      form.querySelector("[data-card-photo-input]").focus();
    });
  }
  return {
    box: form.querySelector("[data-card-preview]"),
    image: form.querySelector("[data-card-image]"),
    status: form.querySelector("[data-card-status]"),
    input: form.querySelector("[data-card-photo-input]"),
  };
}

function say(form, text, { busy = false, error = false } = {}) {
  const { status } = parts(form);
  status.textContent = text;
  status.classList.toggle("error", error);
  status.toggleAttribute("data-busy", busy);
}

/** Forget the photo and the marks it left (after a save, or "Remove photo"). */
export function clearPhoto(form) {
  generation += 1;
  photo = null;
  const { box, image, input } = parts(form);
  if (image.src && image.src.startsWith("blob:")) URL.revokeObjectURL(image.src);
  image.removeAttribute("src");
  box.hidden = true;
  input.value = "";
  for (const field of form.querySelectorAll(".prefilled")) field.classList.remove("prefilled");
}

async function decode(file) {
  if (self.createImageBitmap) {
    try { return await createImageBitmap(file, { imageOrientation: "from-image" }); } catch { /* below */ }
  }
  const img = new Image();
  img.src = URL.createObjectURL(file);
  try { await img.decode(); } finally { URL.revokeObjectURL(img.src); }
  return img;
}

/** The photo as a JPEG Blob of at most MAX_SIDE px on its longest side. */
async function shrink(file) {
  const source = await decode(file);
  const width = source.width || source.naturalWidth;
  const height = source.height || source.naturalHeight;
  const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const context = canvas.getContext("2d");
  context.fillStyle = "#fff";  // a transparent PNG reads as a white card
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.drawImage(source, 0, 0, canvas.width, canvas.height);
  if (source.close) source.close();
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("no JPEG"))), "image/jpeg", QUALITY));
}

const asDataUrl = (blob) => new Promise((resolve, reject) => {
  const reader = new FileReader();
  reader.onload = () => resolve(reader.result);
  reader.onerror = () => reject(reader.error);
  reader.readAsDataURL(blob);
});

/** Take the photo the file input holds: shrink, show, and read it when online. */
export function takePhoto(form, file, onChange = () => {}) {
  const mine = ++generation;
  const { box, image } = parts(form);
  pending = (async () => {
    await styled;
    if (mine !== generation) return;
    box.hidden = false;
    say(form, "Preparing the photo…", { busy: true });
    let blob;
    try {
      blob = await shrink(file);
    } catch {
      if (mine !== generation) return;
      clearPhoto(form);
      box.hidden = false;
      say(form, "This photo can't be opened here. Take it again, or send a JPEG or PNG "
                + "(on an iPhone, Settings → Camera → Formats → Most Compatible).", { error: true });
      return;
    }
    if (mine !== generation) return;
    image.src = URL.createObjectURL(blob);
    photo = { dataUrl: await asDataUrl(blob), read: false, extra: {} };
    onChange();
    if (!navigator.onLine) {
      say(form, "Offline: the card will be read once this capture is sent.");
      return;
    }
    await read(form, blob, mine, onChange);
  })();
  return pending;
}

async function read(form, blob, mine, onChange) {
  say(form, "Reading the card…", { busy: true });
  const body = new FormData();
  body.append("image", blob, "card.jpg");
  let response;
  let answer = null;
  try {
    response = await fetch("/api/v1/contacts/scan-card", {
      method: "POST", body, credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
    });
    answer = await response.json().catch(() => null);
  } catch {
    if (mine === generation) say(form, "Couldn't reach Morrow: the card will be read once this capture is sent.");
    return;
  }
  if (mine !== generation) return;
  if (!response.ok) {
    const why = (answer && answer.error && answer.error.message) || `Morrow couldn't read it (${response.status}).`;
    say(form, `${why} The photo still goes with this person.`, { error: true });
    return;
  }
  const filled = prefill(form, (answer && answer.fields) || {});
  photo.read = true;
  onChange();
  const named = filled.map((f) => LABELS[f] || f);
  const extra = Object.values(photo.extra);
  say(form, (named.length
    ? `Read from the card: ${named.join(", ")}. Check the marked fields.`
    : "Nothing more could be read from the card; the photo goes with this person.")
    + (extra.length ? ` Also saved from it: ${extra.join(", ")}.` : ""));
}

/** Fill the form's empty fields with what the card says; answer the fields filled. */
function prefill(form, fields) {
  const $ = (name) => form.elements.namedItem(name);
  const filled = [];
  const mark = (input, value, field) => {
    input.value = value;
    input.dispatchEvent(new Event("input", { bubbles: true }));  // the reach hint
    input.classList.add("prefilled");
    input.addEventListener("input", () => input.classList.remove("prefilled"), { once: true });
    filled.push(field);
  };
  for (const field of ["name", "company", "title"]) {
    const input = $(field);
    if (fields[field] && input && !input.value.trim()) mark(input, fields[field], field);
  }
  const boxes = ["reach", "reach2"].map($).filter(Boolean);
  const typed = new Set(boxes.map((box) => classifyReach(box.value)).filter(Boolean));
  for (const field of REACH) {
    const value = fields[field];
    if (!value || typed.has(field)) continue;
    const empty = boxes.find((box) => !box.value.trim());
    if (empty) mark(empty, value, field);
    else photo.extra[field] = value;  // no box left: it goes with the capture as read
  }
  const reach2 = $("reach2");
  if (filled.includes("company") || filled.includes("title") || (reach2 && reach2.classList.contains("prefilled"))) {
    const more = form.querySelector("details.more");
    if (more) more.open = true;
  }
  return filled;
}
