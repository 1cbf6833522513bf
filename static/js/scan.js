// "Scan their code": read a QR code with the camera and prefill the capture form.
// BarcodeDetector where the browser has it; otherwise the vendored jsQR, loaded
// only now. The server parses the text; offline, a small parser here does.
import { csrfToken } from "./app.js";

const JSQR_URL = (document.querySelector("[data-scan]") || {}).dataset?.jsqr || "/static/vendor/jsqr/jsQR.js";

export function loadJsQR() {
  if (window.jsQR) return Promise.resolve(window.jsQR);
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = JSQR_URL;
    script.onload = () => resolve(window.jsQR);
    script.onerror = () => reject(new Error("The QR reader could not load."));
    document.head.append(script);
  });
}

async function makeDetector() {
  if ("BarcodeDetector" in window) {
    const formats = await window.BarcodeDetector.getSupportedFormats();
    if (formats.includes("qr_code")) {
      const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      return async (video) => {
        const codes = await detector.detect(video);
        return codes.length ? codes[0].rawValue : null;
      };
    }
  }
  const jsQR = await loadJsQR();
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  return async (video) => {
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    if (!canvas.width) return null;
    context.drawImage(video, 0, 0);
    const image = context.getImageData(0, 0, canvas.width, canvas.height);
    const code = jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
    return code ? code.data : null;
  };
}

// Offline fallback: enough of vCard, MECARD, URLs, email and phone to prefill.
export function parseLocally(text) {
  const fields = {};
  const value = text.trim();
  const unescape = (s) => s.replace(/\\([,;:\\])/g, "$1").replace(/\\n/gi, " ").trim();
  if (/^BEGIN:VCARD/i.test(value)) {
    const lines = value.replace(/\r?\n[ \t]/g, "").split(/\r?\n/);
    for (const line of lines) {
      const match = line.match(/^(?:[\w-]+\.)?([A-Z-]+)[^:]*:(.*)$/i);
      if (!match) continue;
      const [key, raw] = [match[1].toUpperCase(), match[2]];
      if (key === "FN") fields.name = unescape(raw);
      else if (key === "N" && !fields.name) fields.name = raw.split(";").slice(0, 2).reverse().map(unescape).join(" ").trim();
      else if (key === "TEL" && !fields.phone) fields.phone = unescape(raw).replace(/^tel:/i, "");
      else if (key === "EMAIL" && !fields.email) fields.email = unescape(raw);
      else if (key === "ORG" && !fields.company) fields.company = unescape(raw.split(";")[0]);
      else if (key === "TITLE") fields.title = unescape(raw);
      else if (key === "URL") fields[/linkedin\.com/i.test(raw) ? "linkedin" : "website"] = unescape(raw);
    }
  } else if (/^MECARD:/i.test(value)) {
    for (const part of value.slice(7).split(/(?<!\\);/)) {
      const [key, ...rest] = part.split(":");
      const raw = unescape(rest.join(":"));
      const upper = key.toUpperCase();
      if (upper === "N") fields.name = raw.split(",").reverse().join(" ").trim();
      else if (upper === "TEL" && !fields.phone) fields.phone = raw;
      else if (upper === "EMAIL" && !fields.email) fields.email = raw;
      else if (upper === "ORG") fields.company = raw;
      else if (upper === "URL") fields[/linkedin\.com/i.test(raw) ? "linkedin" : "website"] = raw;
    }
  } else if (/^mailto:/i.test(value) || /^[^\s@/]+@[^\s@/]+$/.test(value)) {
    fields.email = value.replace(/^mailto:/i, "").split("?")[0];
  } else if (/^(tel:)?\+?[\d\s().\-/]{6,}$/i.test(value)) {
    fields.phone = value.replace(/^tel:/i, "");
  } else if (/^(https?:\/\/|www\.)/i.test(value)) {
    fields[/linkedin\.com/i.test(value) ? "linkedin" : "website"] = value;
  }
  return fields;
}

async function parse(text) {
  try {
    const response = await fetch("/api/v1/contacts/parse", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ text }),
    });
    if (response.ok) return (await response.json()).fields;
    if (response.status === 422) return {};
  } catch {
    // offline: fall through to the local parser
  }
  return parseLocally(text);
}

// Another person's Morrow link (…/c/<slug>): their public card is one fetch away,
// even on another Morrow server (its .vcf allows any origin).
const MORROW_LINK = /^https?:\/\/[^/?#\s]+(?:\/[^?#\s]*)?\/c\/[a-z0-9][a-z0-9-]{0,63}\/?$/i;
const CARD_LIMIT = 64 * 1024;

async function fetchMorrowCard(link) {
  const url = new URL(`${link.replace(/\/$/, "")}.vcf`);
  // The page's policy lets it fetch only its own origin and https.
  if (url.protocol !== "https:" && url.origin !== location.origin) return null;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 5000);
  try {
    const response = await fetch(url, { credentials: "omit", signal: controller.signal });
    if (!response.ok || !/^text\/(x-)?vcard/i.test(response.headers.get("Content-Type") || "")) return null;
    const reader = response.body.getReader();
    const chunks = [];
    for (let size = 0; ;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > CARD_LIMIT) { controller.abort(); return null; }
      chunks.push(value);
    }
    const text = await new Blob(chunks).text();
    return /^\s*BEGIN:VCARD/i.test(text) ? text : null;
  } catch {
    return null; // no signal, too slow, or not a Morrow card after all
  } finally {
    clearTimeout(timer);
  }
}

/** The fields a scanned code gives; for a Morrow link, the card behind it. */
export async function fieldsFromCode(text) {
  const link = text.trim();
  if (MORROW_LINK.test(link) && navigator.onLine) {
    const card = await fetchMorrowCard(link);
    if (card) {
      const fields = await parse(card);
      if (fields.name) return { ...fields, website: fields.website || link };
    }
  }
  return parse(text);
}

/** Fill the capture form from a scanned code; true when it held contact details. */
export async function fillFrom(form, text) {
  const fields = await fieldsFromCode(text);
  prefill(form, fields);
  return Object.keys(fields).length > 0;
}

function prefill(form, fields) {
  const set = (name, value) => {
    const input = form.elements.namedItem(name);
    if (input && value && !input.value) input.value = value;
  };
  set("name", fields.name);
  const ways = ["email", "phone", "linkedin", "website"].map((k) => fields[k]).filter(Boolean);
  set("reach", ways[0]);
  set("reach2", ways[1]);
  set("company", fields.company);
  set("title", fields.title);
  form.elements.namedItem("source").value = "scan";
  if (fields.company || fields.title || ways[1]) form.querySelector("details.more").open = true;
}

/** Open the camera, read one code, fill the form, close the camera. */
export async function scanInto(form, { status, onDone }) {
  const box = form.querySelector("[data-scanner]");
  const video = box.querySelector("video");
  let stream;
  let stopped = false;
  const stop = () => {
    stopped = true;
    if (stream) stream.getTracks().forEach((track) => track.stop());
    box.hidden = true;
  };
  box.querySelector("[data-scan-stop]").onclick = stop;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  } catch {
    status.textContent = "The camera is not available. Type their details instead.";
    return;
  }
  video.srcObject = stream;
  box.hidden = false;
  await video.play();
  status.textContent = "Point the camera at their code.";
  let detect;
  try {
    detect = await makeDetector();
  } catch (error) {
    status.textContent = error.message;
    stop();
    return;
  }
  while (!stopped) {
    const text = await detect(video).catch(() => null);
    if (text) {
      stop();
      const found = await fillFrom(form, text);
      status.textContent = found ? "Filled in from their code. Check and save."
        : "That code holds no contact details.";
      onDone();
      form.elements.namedItem("name").focus();
      return;
    }
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
}
