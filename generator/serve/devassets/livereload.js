// badgepress serve: injected into pages only while previewing. Long-polls the dev server;
// reloads the page after a rebuild, swaps stylesheets in place for CSS-only changes, and
// shows build errors as an overlay until they are fixed.
const BASE = "/__badgepress/";
let epoch = null;

function overlay(message) {
  let box = document.getElementById("badgepress-error-overlay");
  if (!message) { if (box) box.remove(); return; }
  if (!box) {
    box = document.createElement("div");
    box.id = "badgepress-error-overlay";
    box.setAttribute("role", "alert");
    const title = document.createElement("h2");
    title.textContent = "Build failed: still showing the last good version";
    const pre = document.createElement("pre");
    const hint = document.createElement("p");
    hint.textContent = "Fix the file and save: this page reloads by itself.";
    box.append(title, pre, hint);
    document.body.append(box);
  }
  box.querySelector("pre").textContent = message;
}

async function swapStylesheets() {
  const response = await fetch(location.href, { cache: "no-store" });
  const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
  const next = [...fresh.querySelectorAll('link[rel="stylesheet"]')].map((l) => l.getAttribute("href"));
  const current = [...document.querySelectorAll('link[rel="stylesheet"]')]
    .filter((l) => !l.getAttribute("href").startsWith(BASE));
  if (next.length !== current.length) { location.reload(); return; }
  current.forEach((link, i) => link.setAttribute("href", next[i]));
  document.documentElement.dataset.badgepressCss = String(epoch);
}

async function poll() {
  for (;;) {
    try {
      const response = await fetch(`${BASE}events?epoch=${epoch ?? ""}`, { cache: "no-store" });
      const event = await response.json();
      const first = epoch === null;
      const changed = event.epoch !== epoch;
      epoch = event.epoch;
      overlay(event.error);
      if (!first && changed && !event.error) {
        if (event.css) await swapStylesheets(); else location.reload();
      }
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

const sheet = document.createElement("link");
sheet.rel = "stylesheet";
sheet.href = `${BASE}overlay.css`;
document.head.append(sheet);
poll();
