// What a verification means for a person, in one sentence: genuine or not, and still valid
// or not. The twin of summarize() in generator/commands/verify_sources.py (the summary line
// of `badgepress verify`); the sentences are the summary.* codes of messages.json.
import { message } from "./core.js";

// A failure of one of these means the credential is not what its issuer signed. Any other
// failure (expired, revoked, another recipient) concerns a genuine credential.
export const AUTHENTICITY = ["format", "issuer", "signature"];

function issuerLabel(doc) {
  const issuer = doc && doc.issuer;
  if (issuer && typeof issuer === "object" && typeof issuer.name === "string" && issuer.name) return issuer.name;
  if (issuer && typeof issuer === "object" && typeof issuer.id === "string") return issuer.id;
  return typeof issuer === "string" ? issuer : "the issuer";
}

const day = (value) => String(value).slice(0, 10);

// result: { checks, credential } from verifyCredential. revocation: the issuer's record of
// it ({ date, reason }, reason only when public), when the page knows it; the signed status
// list itself says only "revoked". Returns { standing, code, params }; params.date is
// YYYY-MM-DD, as in the Python summary.
export function standingOf(result, revocation = null) {
  const checks = Object.fromEntries(result.checks.map((c) => [c.check, c]));
  const proof = AUTHENTICITY.filter((name) => checks[name]).map((name) => checks[name]);
  const failed = proof.find((c) => c.status === "fail");
  if (failed) return { standing: "forged", code: "summary.forged", params: { reason: failed.message } };
  const unsure = proof.find((c) => c.status !== "pass");
  if (unsure) return { standing: "unconfirmed", code: "summary.unconfirmed", params: { reason: unsure.message } };
  const issuer = { issuer: issuerLabel(result.credential) };
  const { dates, revocation: status } = checks;
  if (status && status.code === "revocation.revoked") {
    if (!revocation || !revocation.date) return { standing: "revoked", code: "summary.revoked_undated", params: issuer };
    const when = { ...issuer, date: day(revocation.date) };
    if (revocation.reason) {
      return { standing: "revoked", code: "summary.revoked_reason", params: { ...when, reason: revocation.reason.trim().replace(/\.+$/, "") } };
    }
    return { standing: "revoked", code: "summary.revoked", params: when };
  }
  if (dates && dates.code === "dates.expired") return { standing: "expired", code: "summary.expired", params: { date: dates.params.until } };
  if (dates && dates.code === "dates.not_yet") return { standing: "not-yet-valid", code: "summary.not_yet", params: { date: dates.params.from } };
  const later = [dates, status].filter(Boolean);
  const broken = later.find((c) => c.status === "fail");
  if (broken) return { standing: "not-valid", code: "summary.not_valid", params: { reason: broken.message } };
  if (checks.recipient && checks.recipient.status === "fail") return { standing: "other-recipient", code: "summary.recipient", params: {} };
  const open = later.find((c) => c.status !== "pass");
  if (open) return { standing: "unchecked", code: "summary.unchecked", params: { reason: open.message } };
  return { standing: "valid", code: "summary.valid", params: issuer };
}

// The sentence, with dates written out for people ("22 October 2026").
export function summaryText({ code, params }, formatDate = (d) => d) {
  return message(code, params.date ? { ...params, date: formatDate(params.date) } : params);
}
