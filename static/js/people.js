// People: search as you type and filter without reloading the page. With no
// signal, the search runs over the people this page already lists.
const form = document.querySelector("[data-people-search]");
const results = document.querySelector("[data-people-results]");
let timer = null;
let latest = 0;

// "Jose" finds "José": compared without case or accents.
const fold = (text) => text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();

function filterHere(query) {
  const words = fold(query).split(/\s+/).filter(Boolean);
  const rows = [...results.querySelectorAll(".people-list > li")];
  let shown = 0;
  for (const row of rows) {
    const text = fold(row.textContent);
    row.hidden = !words.every((word) => text.includes(word));
    if (!row.hidden) shown += 1;
  }
  let note = results.querySelector("[data-offline-search]");
  if (!note) {
    note = document.createElement("p");
    note.className = "hint";
    note.setAttribute("data-offline-search", "");
    results.prepend(note);
  }
  note.textContent = shown || !words.length
    ? "Offline: searching the people kept on this phone (names, companies, tags)."
    : "Offline: nobody kept on this phone matches. Notes are searched when you're back online.";
}

async function refresh() {
  const params = new URLSearchParams(new FormData(form));
  for (const [key, value] of [...params]) if (!value) params.delete(key);
  const query = params.toString();
  history.replaceState(null, "", query ? `?${query}` : location.pathname);
  params.set("partial", "1");
  const ticket = ++latest;
  try {
    const response = await fetch(`${form.action}?${params}`, { headers: { Accept: "text/html" } });
    if (!response.ok || ticket !== latest) return;
    results.innerHTML = await response.text(); // our own server-escaped fragment
  } catch {
    if (ticket === latest) filterHere(form.elements.q.value);
  }
}

if (form && results) {
  form.addEventListener("input", (event) => {
    clearTimeout(timer);
    timer = setTimeout(refresh, event.target.type === "search" ? 200 : 0);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    refresh();
  });
}
