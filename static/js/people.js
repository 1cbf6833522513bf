// People: search as you type and filter without reloading the page.
const form = document.querySelector("[data-people-search]");
const results = document.querySelector("[data-people-results]");
let timer = null;
let latest = 0;

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
    // offline: the list stays as it was
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
