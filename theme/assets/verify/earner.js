// An earner page: every listed credential is fetched (its signed credential.json, the file
// its own page embeds) and verified in the browser with the same algorithm as a credential
// page; each row shows its own verdict. A row whose file names another credential than the
// row says is shown as not verified. The page's heading name comes from the issuer's earner
// file, which no credential signature covers: each row shows the name its own signed
// credential carries (only once the signature checks out), and says when it differs.
import { makeResolver, verifyCredential } from "./core.js";
import { claims, longDate } from "./fields.js";
import { standingOf, summaryText } from "./standing.js";

const article = document.querySelector("article.earner-page");
const siteRoot = new URL("../../../", import.meta.url).href;
const resolver = makeResolver({ siteBase: article.dataset.siteBase, siteRoot });

async function check(row) {
  const verdict = row.querySelector("[data-role=verdict]");
  verdict.textContent = "Checking this credential…";
  let result;
  try {
    const response = await fetch(row.dataset.credential);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    result = await verifyCredential(await response.text(), { resolver, now: new Date() });
    if (result.credential && result.credential.id !== `urn:uuid:${row.dataset.uuid}`) {
      result = { ...result, verdict: "invalid", checks: [{ check: "format", status: "fail", code: "error", message: "The file is another credential than this row lists." }] };
    }
  } catch (error) {
    result = { verdict: "unknown", credential: null, checks: [{ check: "format", status: "unknown", code: "error", message: `The verifier stopped: ${error.message}` }] };
  }
  const revocation = row.dataset.revokedOn
    ? { date: row.dataset.revokedOn, reason: row.dataset.revokedReason || "" } : null;
  const standing = standingOf(result, revocation);
  const signedName = row.querySelector("[data-role=signed-name]");
  const signed = result.credential && result.checks.some((c) => c.check === "signature" && c.status === "pass");
  if (signedName && signed) {
    const name = claims(result.credential).earner;
    row.dataset.signedName = name;
    row.dataset.nameMatches = String(name.trim() === (article.dataset.earnerName || "").trim());
    signedName.textContent = !name ? "This signed credential carries no name."
      : row.dataset.nameMatches === "true" ? `Name in the signed credential: ${name}.`
        : `Name in the signed credential: ${name} (not the name at the top of this page).`;
  }
  row.dataset.verdict = result.verdict;
  row.dataset.standing = standing.standing;
  verdict.textContent = summaryText(standing, longDate);
}

// one after another: the resolver fetches the issuer's keys and status lists once
for (const row of document.querySelectorAll("li.earner-credential")) await check(row);
article.dataset.verified = "done";
