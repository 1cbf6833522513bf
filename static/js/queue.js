// Queue: act on follow-ups in place. Without this file every form still posts.
// Sent, Skip, Snooze and draft edits go into the outbox (static/js/outbox.js)
// like a capture does, so the queue is cleared on the underground too: the card
// leaves at once and the action reaches the server when the signal is back.
// The outbox loads with the first action (the service worker keeps it for
// offline), or at once when something already waits in it.
import { loadOutbox, outboxWaiting } from "./app.js";

const saveAction = async (action) => (await loadOutbox()).saveAction(action);
const discard = async (id) => (await loadOutbox()).discard(id);

const progress = document.querySelector("[data-progress]");

function updateProgress(doneDelta, totalDelta) {
  if (!progress) return;
  const done = Number(progress.dataset.done) + doneDelta;
  const total = Number(progress.dataset.total) + totalDelta;
  progress.dataset.done = done;
  progress.dataset.total = total;
  progress.querySelector("strong").textContent = `${done} of ${total} done`;
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

function showEmpty() {
  const empty = document.querySelector("[data-empty]");
  if (empty) empty.hidden = Boolean(document.querySelector("[data-followup]:not([hidden])"));
}

function removeItem(item) {
  item.remove();
  showEmpty();
}

const LABELS = { done: "Sent", skip: "Skipped", snooze: "Snoozed", edit: "Draft edited" };
// The follow-ups a merged card's message also answers: ids from their API links.
const alsoIds = (item) => (item.dataset.also || "").split(" ").filter(Boolean).map((url) => Number(url.split("/").pop()));
// "N of M done": Sent counts each follow-up of the message done; Skip and Snooze take them off today's list.
const progressFor = (action, count, sign = 1) =>
  updateProgress(action === "done" ? sign * count : 0, action === "done" ? 0 : -sign * count);

// "Tomorrow" and "Next week" are counted by the server, in the owner's time
// zone, from the moment of the tap (which may reach it later, offline).
function snoozeBody(form, submitter) {
  const when = submitter ? submitter.value : "tomorrow";
  if (when === "date") return { until: form.elements.date.value };
  return { when, chosen_at: new Date().toISOString() };
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
  const followupId = Number(item.dataset.followup);
  const also = alsoIds(item);
  const sent = item.querySelector("[data-sent]");
  const draft = item.querySelector("[data-draft-form]");
  const name = item.querySelector("h2").textContent;
  let edited = false;
  draft.addEventListener("input", () => {
    edited = true;
    relink(item, draft);
  });
  const currentDraft = () => ({ subject: draft.elements.subject.value, body: draft.elements.body.value });
  const act = (action, fields = {}) =>
    saveAction({ followup_id: followupId, action, also, label: `${LABELS[action]} · ${name}`, ...fields });
  // A refused action is shown on its card and let go; what was typed stays in the fields.
  const refused = (result) => {
    announce(item, result.error);
    return discard(result.id);
  };
  const saveDraft = async () => {
    edited = false;
    const result = await act("edit", { draft: currentDraft() });
    if (result.failed) {
      edited = true;
      await refused(result);
    }
    return result;
  };

  for (const link of item.querySelectorAll("[data-channel]")) {
    link.addEventListener("click", () => {
      // The text that goes out is the text kept, even without "Save draft".
      if (edited) saveDraft().catch((error) => announce(item, error.message));
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
      const result = await saveDraft();
      if (result.failed) return;
      announce(item, result.queued ? "Draft kept on this phone: it is saved when you are back online." : "Draft saved.");
    } catch (error) {
      announce(item, error.message);
    }
  });

  for (const form of item.querySelectorAll("form[data-action]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const action = form.dataset.action;
      const body = action === "snooze" ? snoozeBody(form, event.submitter) : {};
      if (action === "snooze" && !body.until && !body.when) {
        announce(item, "Pick a day to snooze it to.");
        return;
      }
      // A card is one message: it acts on every follow-up in it; the outbox
      // sends them one by one, and counts one already closed elsewhere (409) as
      // done. The card leaves at once, with or without signal. The progress
      // line counts cards.
      const fields = { ...body, ...(edited ? { draft: currentDraft() } : {}) };
      edited = false;
      item.hidden = true;
      showEmpty();
      progressFor(action, 1);
      try {
        const result = await act(action, fields);
        if (!result.failed) return removeItem(item);
        if (fields.draft) edited = true;
        progressFor(action, 1, -1);
        item.hidden = false;
        showEmpty();
        await refused(result);
      } catch (error) {
        item.hidden = false;
        showEmpty();
        announce(item, error.message);
      }
    });
  }
}

// Opened again before the outbox is empty (offline, or the server still
// failing): what was done on this phone stays done on the page.
(async () => {
  if (!(await outboxWaiting().catch(() => true))) return;
  const { isAction, listFailed, listPending } = await loadOutbox();
  const entries = [...await listPending(), ...await listFailed()].filter(isAction);
  for (const entry of entries) {
    const item = document.querySelector(`[data-followup="${entry.followup_id}"]`);
    if (!item) continue;
    const draft = item.querySelector("[data-draft-form]");
    if (entry.draft) {
      draft.elements.subject.value = entry.draft.subject;
      draft.elements.body.value = entry.draft.body;
      relink(item, draft);
    }
    if (entry.status === "failed") {
      if (entry.draft) draft.dispatchEvent(new Event("input"));  // goes with the next tap
      announce(item, entry.error);
      await discard(entry.id);
    } else if (entry.action !== "edit") {
      progressFor(entry.action, 1);
      removeItem(item);
    }
  }
})().catch(() => {});
