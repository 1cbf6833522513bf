// Queue: act on follow-ups in place. Without this file every form still posts.
import { csrfToken } from "./app.js";

const progress = document.querySelector("[data-progress]");

function updateProgress(doneDelta, totalDelta) {
  if (!progress) return;
  const done = Number(progress.dataset.done) + doneDelta;
  const total = Number(progress.dataset.total) + totalDelta;
  progress.dataset.done = done;
  progress.dataset.total = total;
  progress.querySelector("strong").textContent = `${done} of ${total} done`;
}

async function send(url, method, body) {
  const response = await fetch(url, {
    method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify(body || {}),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(data.error ? data.error.message : "Not saved.");
    error.status = response.status;
    throw error;
  }
  return data;
}

function announce(item, text) {
  let status = item.querySelector("[data-status]");
  if (!status) {
    status = document.createElement("p");
    status.setAttribute("role", "status");
    status.dataset.status = "";
    item.querySelector("article").append(status);
  }
  status.textContent = text;
}

function removeItem(item) {
  item.remove();
  if (!document.querySelector("[data-followup]")) {
    const empty = document.querySelector("[data-empty]");
    if (empty) empty.hidden = false;
  }
}

function snoozeBody(form, submitter) {
  const when = submitter ? submitter.value : "tomorrow";
  if (when === "date") return { until: form.elements.date.value };
  const days = when === "next_week" ? 7 : 1;
  const day = new Date();
  day.setDate(day.getDate() + days);
  const pad = (n) => String(n).padStart(2, "0");
  return { until: `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}` };
}

// Percent-encoding as the server writes the links (drafts.py): every
// character but letters, digits and -._~ is escaped.
const encode = (text) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

// The links carry the draft's text: after an edit they must carry the edit.
function relink(item, draft) {
  const subject = draft.elements.subject.value;
  const body = draft.elements.body.value;
  for (const link of item.querySelectorAll("[data-channel]")) {
    const base = link.getAttribute("href").split("?")[0];
    const channel = link.dataset.channel;
    if (channel === "email") {
      link.setAttribute("href", `${base}?subject=${encode(subject)}&body=${encode(body.replace(/\r?\n/g, "\r\n"))}`);
    } else if (channel === "sms") {
      link.setAttribute("href", `${base}?body=${encode(body)}`);
    } else if (channel === "whatsapp") {
      link.setAttribute("href", `${base}?text=${encode(body)}`);
    }
  }
}

for (const item of document.querySelectorAll("[data-followup]")) {
  const api = item.dataset.api;
  const sent = item.querySelector("[data-sent]");
  const draft = item.querySelector("[data-draft-form]");
  let edited = false;
  draft.addEventListener("input", () => {
    edited = true;
    relink(item, draft);
  });
  const saveDraft = () => send(api, "PATCH", {
    subject: draft.elements.subject.value,
    body: draft.elements.body.value,
  });

  for (const link of item.querySelectorAll("[data-channel]")) {
    link.addEventListener("click", () => {
      // The text that goes out is the text kept, even without "Save draft".
      if (edited) {
        edited = false;
        saveDraft().catch((error) => announce(item, error.message));
      }
      // Opening the app is the first tap; Sent, now highlighted, is the second.
      sent.classList.add("primary", "ready");
      sent.focus({ preventScroll: true });
      if (link.dataset.copyFrom && navigator.clipboard) {
        const text = document.getElementById(link.dataset.copyFrom).value;
        navigator.clipboard.writeText(text).then(
          () => announce(item, "Text copied — paste it into LinkedIn."),
          () => announce(item, "Copy the text above, then paste it into LinkedIn."),
        );
      }
    });
  }

  draft.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const data = await saveDraft();
      edited = false;
      for (const link of item.querySelectorAll("[data-channel]")) {
        const href = data.links[link.dataset.channel];
        if (href) link.href = href;
      }
      announce(item, "Draft saved.");
    } catch (error) {
      announce(item, error.message);
    }
  });

  for (const form of item.querySelectorAll("form[data-action]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const action = form.dataset.action;
      const body = action === "snooze" ? snoozeBody(form, event.submitter) : {};
      // A card is one message: one request acts on every follow-up in it
      // (?also=, the others in data-also-ids); one closed elsewhere already
      // is left as it is. The progress line counts cards.
      const also = (item.dataset.alsoIds || "").split(" ").filter(Boolean);
      const query = also.map((id) => `also=${encodeURIComponent(id)}`).join("&");
      try {
        await send(`${api}/${action}${query ? `?${query}` : ""}`, "POST", body);
        updateProgress(action === "done" ? 1 : 0, action === "done" ? 0 : -1);
        removeItem(item);
      } catch (error) {
        announce(item, error.message);
      }
    });
  }
}
