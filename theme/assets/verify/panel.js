// The credential page: verify the embedded credential as soon as the page loads, show each
// check, and re-render the claims the panel vouches for from the verified JSON.
import { checkRecipient, makeResolver, verdictOf, verifyCredential } from "./core.js";
import { claims, longDate } from "./fields.js";
import { renderPending, renderResult } from "./ui.js";

const panel = document.getElementById("verification");
const data = document.getElementById("credential-data");
const article = document.querySelector("article.credential");
const banner = document.querySelector("[data-role=standing]");
// assets/<hash>/verify/panel.js -> the site root this page is served from
const siteRoot = new URL("../../../", import.meta.url).href;
// The issuer's own record of a revocation (date; reason when public), from the build: the
// signed status list says only "revoked".
const revocation = article.dataset.revokedOn
  ? { date: article.dataset.revokedOn, reason: article.dataset.revokedReason || "" } : null;

// What the standing means for the details shown above the panel. Only a failure of format,
// issuer key or signature makes them unreliable; a revoked or expired credential is genuine.
const SIGNED = "The details on this page are as the issuer signed them";
const BANNERS = {
  forged: ["bad", "The details on this page are not verified and must not be relied on."],
  unconfirmed: ["warn", "The details on this page are not confirmed by the issuer yet."],
  revoked: ["bad", `${SIGNED}, but the issuer has revoked this credential: it is no longer valid.`],
  expired: ["warn", `${SIGNED}; it was valid until then.`],
  "not-yet-valid": ["warn", `${SIGNED}, but it is not valid yet.`],
  "not-valid": ["bad", `${SIGNED}, but it is not valid.`],
  "other-recipient": ["warn", `${SIGNED}, for someone other than the email address you typed.`],
  unchecked: ["warn", `${SIGNED}, but not every check could be completed (see Verification).`],
};

function showStanding(standing) {
  article.dataset.standing = standing.standing;
  const entry = BANNERS[standing.standing];
  banner.hidden = !entry;
  if (!entry) return;
  const [tone, note] = entry;
  banner.className = `notice ${tone} standing`;
  const head = document.createElement("strong");
  head.textContent = standing.text;
  banner.replaceChildren(head, " ", note);
}

function setField(name, value) {
  for (const node of document.querySelectorAll(`[data-field="${name}"]`)) node.textContent = value;
}

function showClaims(doc) {
  const c = claims(doc);
  setField("earner", c.earner || "Name withheld");
  setField("badge-name", c.badge);
  setField("issuer-name", c.issuer);
  setField("valid-from", longDate(c.validFrom));
  setField("valid-until", c.validUntil ? longDate(c.validUntil) : "Does not expire");
  const evidence = document.querySelector("[data-field=evidence]");
  if (evidence) {
    evidence.replaceChildren();
    for (const e of c.evidence) {
      const li = document.createElement("li");
      if (e.url) {
        const p = document.createElement("p");
        const a = document.createElement("a");
        if (/^https?:\/\//.test(e.url)) a.href = e.url;
        a.rel = "nofollow noopener";
        a.textContent = e.name || e.url;
        p.append(a);
        li.append(p);
      }
      if (e.narrative) {
        const p = document.createElement("p");
        p.className = "narrative";
        p.textContent = e.narrative;
        li.append(p);
      }
      evidence.append(li);
    }
  }
}

async function run() {
  renderPending(panel);
  const resolver = makeResolver({ siteBase: panel.dataset.siteBase, siteRoot });
  let result;
  try {
    // the text, not a parsed object: the verifier's own strict reading (duplicate keys,
    // depth, size) applies to the embedded credential as to any other
    result = await verifyCredential(data.textContent, { resolver, now: new Date() });
  } catch (error) {
    result = { verdict: "unknown", checks: [{ check: "format", status: "unknown", code: "error", message: `The verifier stopped: ${error.message}` }] };
  }
  if (result.credential) showClaims(result.credential);
  article.dataset.verified = result.verdict;
  showStanding(renderResult(panel, result, { howUrl: panel.dataset.howUrl, revocation }));
  const recipient = panel.querySelector("[data-role=recipient]");
  if (recipient && result.credential) {
    recipient.hidden = false;
    recipient.addEventListener("submit", async (e) => {
      e.preventDefault();
      const email = recipient.elements.namedItem("email").value.trim();
      if (!email) return;
      const checks = result.checks.filter((c) => c.check !== "recipient");
      checks.push(await checkRecipient(result.credential, email));
      result = { ...result, checks, verdict: verdictOf(checks) };
      article.dataset.verified = result.verdict;
      showStanding(renderResult(panel, result, { howUrl: panel.dataset.howUrl, revocation }));
    });
  }
  const note = panel.querySelector("[data-role=preview]");
  if (note && Object.keys(resolver.rewritten).length) {
    note.hidden = false;
    note.textContent = `Local preview: this page is served from ${new URL(siteRoot).origin}, not from ${new URL(panel.dataset.siteBase).origin}, so it read the site's own keys and status lists from this server.`;
  }
}

run();
