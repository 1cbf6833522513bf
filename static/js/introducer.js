// "Introduced by": an ARIA combobox over the owner's people, on Capture and on
// a person's Edit page. Picking one fills the hidden introduced_by_id; typing
// again clears it, and the server then looks the typed name up.
export function introducerCombo(form) {
  const combo = form.querySelector("[data-introducer]");
  if (!combo) return null;
  const listbox = document.getElementById(combo.getAttribute("aria-controls"));
  const idField = form.elements.namedItem("introduced_by_id");
  const exclude = combo.dataset.exclude || "";
  let options = [];
  let active = -1;
  let timer = null;

  function closeList() {
    listbox.hidden = true;
    combo.setAttribute("aria-expanded", "false");
    combo.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function choose(person) {
    combo.value = person.name;
    idField.value = person.id;
    closeList();
  }

  function highlight(index) {
    active = index;
    [...listbox.children].forEach((li, i) => li.setAttribute("aria-selected", String(i === index)));
    if (index >= 0) combo.setAttribute("aria-activedescendant", `intro-${index}`);
  }

  async function suggest() {
    const q = combo.value.trim();
    if (!q) return closeList();
    try {
      const response = await fetch(`/api/v1/contacts?limit=6&q=${encodeURIComponent(q)}`,
        { headers: { Accept: "application/json" } });
      if (!response.ok) return closeList();
      options = (await response.json()).items.filter((p) => p.id !== exclude).slice(0, 5);
    } catch {
      return closeList(); // offline: the typed name is kept as it is
    }
    listbox.replaceChildren(...options.map((person, i) => {
      const li = document.createElement("li");
      li.id = `intro-${i}`;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.textContent = person.company ? `${person.name} · ${person.company}` : person.name;
      li.addEventListener("mousedown", (event) => { event.preventDefault(); choose(person); });
      return li;
    }));
    listbox.hidden = !options.length;
    if (options.length) listbox.scrollIntoView({ block: "nearest" });
    combo.setAttribute("aria-expanded", String(Boolean(options.length)));
    active = -1;
  }

  combo.addEventListener("input", () => {
    idField.value = "";
    clearTimeout(timer);
    timer = setTimeout(suggest, 200);
  });
  combo.addEventListener("keydown", (event) => {
    if (listbox.hidden) return;
    if (event.key === "ArrowDown") highlight(Math.min(active + 1, options.length - 1));
    else if (event.key === "ArrowUp") highlight(Math.max(active - 1, 0));
    else if (event.key === "Enter" && active >= 0) choose(options[active]);
    else if (event.key === "Escape") closeList();
    else return;
    event.preventDefault();
  });
  combo.addEventListener("blur", () => setTimeout(closeList, 100));
  return combo;
}

// A page that only needs the combobox (a person's Edit page) loads this file alone.
const page = document.querySelector("form[data-introducer-form]");
if (page) introducerCombo(page);
