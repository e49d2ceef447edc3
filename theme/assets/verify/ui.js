// Renders a verification result as the panel people read and tools parse:
// data-verdict on the panel, data-check + data-status on each check (DESIGN.md "Contracts").
// Only the verdict line is a live region, and it is written once per verification (empty
// while checking), so a screen reader announces the answer once.
import { longDate } from "./fields.js";
import { standingOf, summaryText } from "./standing.js";

const LABELS = {
  format: "Format", issuer: "Issuer's key", signature: "Signature", dates: "Dates",
  revocation: "Revocation", recipient: "Recipient",
};
const STATUS_WORDS = { pass: "Pass", fail: "Fail", unknown: "Could not check" };
const PENDING = "Checking this credential…";

const el = (tag, attrs = {}, text = "") => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text) node.textContent = text;
  return node;
};

// A drop zone for files: highlighted while something is dragged over it, ``onFiles`` given
// the dropped files (the /verify/ page's single check and its many-at-once check).
export function dropZone(zone, onFiles) {
  for (const type of ["dragenter", "dragover"]) {
    zone.addEventListener(type, (e) => { e.preventDefault(); zone.classList.add("over"); });
  }
  for (const type of ["dragleave", "drop"]) zone.addEventListener(type, () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    onFiles([...e.dataTransfer.files]);
  });
}

export function renderPending(panel) {
  panel.dataset.verdict = "pending";
  delete panel.dataset.standing;
  panel.querySelector("[data-role=verdict]").textContent = "";
  const pending = panel.querySelector("[data-role=pending]");
  if (pending) pending.textContent = PENDING;
}

export function renderChecks(list, checks) {
  list.replaceChildren();
  for (const c of checks) {
    const item = el("li", { "data-check": c.check, "data-status": c.status, "data-code": c.code });
    const mark = c.status === "pass" ? "✓" : c.status === "fail" ? "✗" : "?";
    item.append(el("span", { class: "check-status", "aria-hidden": "true" }, mark));
    const body = el("div", { class: "check-body" });
    const head = el("p", { class: "check-head" });
    head.append(el("strong", {}, LABELS[c.check] || c.check), " ",
      el("span", { class: "check-word" }, STATUS_WORDS[c.status]));
    body.append(head, el("p", { class: "check-message" }, c.message));
    item.append(body);
    list.append(item);
  }
}

// Returns the standing ({ standing, code, params, text }) so the page can mark its claims.
// revocation: the issuer's record ({ date, reason }) when the page knows it.
export function renderResult(panel, result, { verifiedAt = new Date(), howUrl = null, revocation = null } = {}) {
  const standing = standingOf(result, revocation);
  const text = summaryText(standing, longDate);
  panel.dataset.verdict = result.verdict;
  panel.dataset.standing = standing.standing;
  renderChecks(panel.querySelector("[data-role=checks]"), result.checks);
  const when = panel.querySelector("[data-role=when]");
  if (when) {
    when.replaceChildren(`Verified on ${verifiedAt.toISOString().slice(0, 10)} by your browser, which fetched the issuer's published keys itself.`);
    if (howUrl) when.append(" ", el("a", { href: howUrl }, "How verification works"));
  }
  // last: the one change the live region announces
  panel.querySelector("[data-role=verdict]").textContent = text;
  return { ...standing, text };
}
