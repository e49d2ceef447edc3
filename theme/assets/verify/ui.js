// Renders a verification result as the panel people read and tools parse:
// data-verdict on the panel, data-check + data-status on each check (DESIGN.md "Contracts").
const LABELS = {
  format: "Format", issuer: "Issuer's key", signature: "Signature", dates: "Dates",
  revocation: "Revocation", recipient: "Recipient",
};
const STATUS_WORDS = { pass: "Pass", fail: "Fail", unknown: "Could not check" };
const VERDICT_WORDS = {
  pending: "Checking this credential…",
  valid: "Verified: this credential is genuine and current",
  invalid: "Not valid: do not rely on this credential",
  unknown: "Could not fully verify this credential",
};

const el = (tag, attrs = {}, text = "") => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text) node.textContent = text;
  return node;
};

export function renderPending(panel) {
  panel.dataset.verdict = "pending";
  panel.querySelector("[data-role=verdict]").textContent = VERDICT_WORDS.pending;
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

export function renderResult(panel, result, { verifiedAt = new Date(), howUrl = null } = {}) {
  panel.dataset.verdict = result.verdict;
  panel.querySelector("[data-role=verdict]").textContent = VERDICT_WORDS[result.verdict];
  renderChecks(panel.querySelector("[data-role=checks]"), result.checks);
  const when = panel.querySelector("[data-role=when]");
  if (when) {
    when.replaceChildren(`Verified on ${verifiedAt.toISOString().slice(0, 10)} by your browser, which fetched the issuer's published keys itself.`);
    if (howUrl) when.append(" ", el("a", { href: howUrl }, "How verification works"));
  }
}
