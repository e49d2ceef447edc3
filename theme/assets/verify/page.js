// The /verify/ page: a pasted or dropped credential (JSON, baked PNG or SVG) checked in the
// browser with the same algorithm as the credential pages. Nothing is uploaded.
import { credentialText } from "./bake.js";
import { makeResolver, verifyCredential } from "./core.js";
import { claims, longDate } from "./fields.js";
import { dropZone, renderPending, renderResult } from "./ui.js";

const form = document.getElementById("verify-form");
const text = document.getElementById("credential-text");
const fileInput = document.getElementById("credential-file");
const drop = document.getElementById("drop-zone");
const fileName = document.getElementById("file-name");
const panel = document.getElementById("verification");
const claimsBox = document.getElementById("claims");
const siteRoot = new URL("../../../", import.meta.url).href;
// Only a failure of format, issuer key or signature makes the details unreliable.
const NOTES = {
  valid: "These details come from the verified credential.",
  forged: "These details are NOT verified: see the failed checks above.",
  unconfirmed: "These details are not confirmed: see the incomplete checks above.",
  revoked: "These details are as the issuer signed them, but the issuer has since revoked the credential.",
  expired: "These details are as the issuer signed them, but the credential has expired.",
  signed: "These details are as the issuer signed them; see the checks above for what is not valid or not checked.",
};

async function verify() {
  panel.hidden = false;
  claimsBox.hidden = true;
  renderPending(panel);
  const resolver = makeResolver({ siteBase: form.dataset.siteBase, siteRoot });
  const email = form.elements.namedItem("email").value.trim();
  let result;
  try {
    result = await verifyCredential(text.value, { resolver, now: new Date(), email: email || null });
  } catch (error) {
    result = { verdict: "unknown", credential: null, checks: [{ check: "format", status: "unknown", code: "error", message: `The verifier stopped: ${error.message}` }] };
  }
  const standing = renderResult(panel, result, { howUrl: "#how" });
  if (result.credential) {
    const c = claims(result.credential);
    const values = {
      earner: c.earner || "Name withheld", badge: c.badge, issuer: c.issuer,
      validFrom: longDate(c.validFrom), validUntil: c.validUntil ? longDate(c.validUntil) : "Does not expire",
    };
    for (const [k, v] of Object.entries(values)) claimsBox.querySelector(`[data-claim=${k}]`).textContent = v;
    claimsBox.dataset.standing = standing.standing;
    document.getElementById("claims-note").textContent = NOTES[standing.standing] || NOTES.signed;
    claimsBox.hidden = false;
  }
  panel.scrollIntoView({ block: "nearest" });
}

async function load(file) {
  fileName.textContent = `Reading ${file.name}…`;
  try {
    text.value = await credentialText(file);
    fileName.textContent = `Loaded ${file.name}`;
    await verify();
  } catch (error) {
    fileName.textContent = `${file.name}: ${error.message}`;
    panel.hidden = false;
    renderResult(panel, { verdict: "invalid", checks: [{ check: "format", status: "fail", code: "format.read", message: `Could not read a credential from this source (${error.message}).` }] }, { howUrl: "#how" });
  }
}

form.hidden = false;
form.addEventListener("submit", (e) => { e.preventDefault(); verify(); });
form.addEventListener("reset", () => { panel.hidden = true; claimsBox.hidden = true; fileName.textContent = ""; });
fileInput.addEventListener("change", () => { if (fileInput.files[0]) load(fileInput.files[0]); });
dropZone(drop, ([file]) => { if (file) load(file); });
