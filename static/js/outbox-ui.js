// Shows the outbox: "2 waiting to sync" (captures) and "1 queue action waiting
// to sync" in the header and on Home, and on the People list the captures not
// yet on the server, failed ones editable, and queue actions the server refused.
import {
  discard, discardOtherAccounts, flush, isAction, listFailed, listPending, otherAccountsCount, outboxState, resend,
} from "./outbox.js";

const status = document.querySelector("[data-sync-status]");
const count = document.querySelector("[data-outbox-count]");
const list = document.querySelector("[data-outbox-list]");
const EDITABLE = [
  ["name", "Name", "text"], ["email", "Email", "email"], ["phone", "Phone", "tel"],
  ["company", "Company", "text"], ["linkedin", "LinkedIn", "url"], ["website", "Website", "url"],
];

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

function summary(pending, actions, failed, others, needsLogin) {
  const parts = [];
  if (pending) parts.push(`${pending} waiting to sync`);
  if (actions) parts.push(`${actions} queue ${actions === 1 ? "action" : "actions"} waiting to sync`);
  if (failed) parts.push(`${failed} not saved`);
  if (others) parts.push(`${others} kept for another account`);
  if (needsLogin) parts.push("log in again to sync");
  return parts.join(" · ");
}

async function render() {
  const [pending, failed, others, state] = await Promise.all([
    listPending(), listFailed(), otherAccountsCount(), outboxState()]);
  const actions = pending.filter(isAction).length;
  const text = summary(pending.length - actions, actions, failed.length, others, state.needsLogin);
  const offline = !navigator.onLine;
  if (status) {
    status.textContent = offline ? (text ? `Offline · ${text}` : "Offline") : text;
    status.hidden = !status.textContent;
  }
  if (count) {
    count.hidden = !text;
    const href = pending.length === actions && !failed.length && !others ? "/queue" : "/people";
    const link = el("a", { href, class: "outbox-link", text });
    count.replaceChildren(...(text ? [link] : []));
  }
  if (list) renderList(pending, failed, others);
}

function renderList(pending, failed, others) {
  const items = [
    ...failed.map((entry) => (isAction(entry) ? failedAction(entry) : failedItem(entry))),
    ...pending.filter((entry) => !isAction(entry)).map((entry) => el("li", { class: "outbox-item" },
      el("span", { class: "outbox-name", text: entry.payload.name || "(no name)" }),
      el("span", { class: "badge", text: "not yet synced" }))),
  ];
  if (others) items.push(othersItem(others));
  list.replaceChildren(...items);
  list.hidden = items.length === 0;
  // "No one yet" under people waiting to sync would contradict them.
  const noOneYet = document.querySelector("[data-no-one-yet]");
  if (noOneYet) noOneYet.hidden = items.length > 0;
}

function failedItem(entry) {
  const base = `outbox-${entry.id}`;
  const form = el("form", { class: "outbox-fix stack", "aria-labelledby": `${base}-title` });
  form.append(
    el("p", { class: "outbox-title", id: `${base}-title` },
      el("strong", { text: entry.payload.name || "(no name)" }), " ",
      el("span", { class: "badge failed", text: "not saved" })),
    el("p", { class: "error", role: "alert", text: entry.error || "The server refused it." }));
  for (const [field, label, type] of EDITABLE) {
    if (field !== "name" && !entry.payload[field] && !(entry.fields || {})[field]) continue;
    const id = `${base}-${field}`;
    form.append(el("div", { class: "field" }, el("label", { for: id, text: label }),
      el("input", { id, name: field, type, value: entry.payload[field] || "" })));
  }
  const send = el("button", { type: "submit", class: "primary small", text: "Send again" });
  const drop = el("button", { type: "button", class: "danger small", text: "Discard" });
  form.append(el("div", { class: "row" }, send, drop));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const changes = Object.fromEntries(new FormData(form).entries());
    resend(entry.id, changes);
  });
  drop.addEventListener("click", () => {
    if (confirm(`Discard ${entry.payload.name || "this capture"}? It was never saved.`)) discard(entry.id);
  });
  return el("li", { class: "outbox-item failed" }, form);
}

// A queue action the server refused (the follow-up was deleted, a date it
// would not take): the message, and a way to let it go.
function failedAction(entry) {
  const drop = el("button", { type: "button", class: "danger small", text: "Discard" });
  drop.addEventListener("click", () => discard(entry.id));
  return el("li", { class: "outbox-item failed" },
    el("p", { class: "outbox-title" }, el("strong", { text: entry.label || "Queue action" }), " ",
      el("span", { class: "badge failed", text: "not saved" })),
    el("p", { class: "error", role: "alert", text: entry.error || "The server refused it." }),
    drop);
}

// Someone else's captures on a shared phone: a count, never names, and a way
// to let them go when that person won't be back on this phone.
function othersItem(others) {
  const what = others === 1 ? "1 capture" : `${others} captures`;
  const drop = el("button", { type: "button", class: "danger small", text: "Discard them" });
  drop.addEventListener("click", async () => {
    if (!confirm(`Discard ${what} kept for another account? They never reached Morrow and can't be recovered.`)) return;
    if ((await discardOtherAccounts()) < 0) {
      drop.replaceWith(el("p", { class: "error", role: "alert", text: "This page is out of date: reload it first." }));
    }
  });
  return el("li", { class: "outbox-item others" },
    el("p", { text: `${what} kept on this phone for another account: sent when that account logs in here.` }),
    drop);
}

window.addEventListener("outbox-change", () => { render().catch(() => {}); });
window.addEventListener("online", () => { render().catch(() => {}); });
window.addEventListener("offline", () => { render().catch(() => {}); });
if (document.body.hasAttribute("data-signed-in")) render().catch(() => {});
export { flush };
