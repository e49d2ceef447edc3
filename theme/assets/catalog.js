// Catalog search and filters: runs entirely in the browser over the cards already on the
// page, so it needs no server and works for hundreds of badges. Without JavaScript the
// form stays hidden and every badge is listed.
const form = document.getElementById("filters");
const list = document.getElementById("badge-list");
const count = document.getElementById("result-count");
const empty = document.getElementById("no-results");
const cards = Array.from(list.querySelectorAll(".card"));
const fields = ["q", "skill", "level", "type"];

function current() {
  const data = new FormData(form);
  return Object.fromEntries(fields.map((k) => [k, String(data.get(k) || "").trim()]));
}

function apply() {
  const f = current();
  const words = f.q.toLowerCase().split(/\s+/).filter(Boolean);
  let shown = 0;
  for (const card of cards) {
    const skills = card.dataset.skills ? card.dataset.skills.split("|") : [];
    const ok = (!f.skill || skills.includes(f.skill)) &&
      (!f.level || card.dataset.level === f.level) &&
      (!f.type || card.dataset.type === f.type) &&
      words.every((w) => card.dataset.text.includes(w));
    card.hidden = !ok;
    if (ok) shown++;
  }
  const filtered = fields.some((k) => f[k]);
  count.textContent = filtered ? `${shown} of ${cards.length} badges` : `${cards.length} badges`;
  empty.hidden = shown > 0;
  const params = new URLSearchParams();
  for (const k of fields) if (f[k]) params.set(k, f[k]);
  const query = params.toString();
  history.replaceState(null, "", query ? `?${query}` : location.pathname);
}

// Restore filters from the address, so a filtered view can be bookmarked and shared.
const initial = new URLSearchParams(location.search);
for (const k of fields) {
  const value = initial.get(k);
  const el = form.elements.namedItem(k);
  if (value && el) {
    if (el.tagName === "SELECT" && ![...el.options].some((o) => o.value === value)) continue;
    el.value = value;
  }
}
form.hidden = false;
form.addEventListener("input", apply);
form.addEventListener("change", apply);
form.addEventListener("submit", (e) => { e.preventDefault(); apply(); });
form.addEventListener("reset", () => setTimeout(apply, 0));
apply();
