// Verification of a credential, step by step: the browser twin of generator/verify.py.
// Same steps, same order, same codes and messages (messages.js is generated from
// generator/messages.json); a shared test corpus runs both and fails if they disagree.
// Verification returns a result; it never throws for an invalid credential.
import MESSAGES from "./messages.js";
import { BadIri, canonizeRdfc, checkContexts, expandSafe, UnsafeDocument, WorkLimit } from "./ld.js";
import {
  decodeBase58, decodeBase64url, decodeMultibaseKey, hex, jcs, sha256, utf8, verifyEd25519,
} from "./crypto.js";
import { decodeUtf8, inflate, JsonProblem, parseStrict } from "./untrusted.js";

export const CHECKS = ["format", "issuer", "signature", "dates", "revocation", "recipient"];
const VC_V1 = "https://www.w3.org/2018/credentials/v1";
const VC_V2 = "https://www.w3.org/ns/credentials/v2";
const SUITES = ["eddsa-rdfc-2022", "eddsa-jcs-2022"];
// proofs other verifiers make that this one does not check: "could not check", not "not
// authentic"; only these names (a made-up one must not turn "not authentic" into UNKNOWN)
const OTHER_TYPES = ["Ed25519Signature2020", "Ed25519Signature2018", "EcdsaSecp256k1Signature2019",
  "JsonWebSignature2020", "BbsBlsSignature2020"];
const OTHER_SUITES = ["ecdsa-rdfc-2019", "ecdsa-jcs-2019", "ecdsa-sd-2023", "bbs-2023", "eddsa-2022"];
const MAX_PROOFS = 4; // each proof costs a canonicalization and a key lookup
const MAX_STATUS_LIST = 16000000; // decompressed bytes: 128 million entries
const MAX_BYTES = 2000000; // a fetched issuer document or status list

export class FetchError extends Error {}
class ProofError extends Error {}
// A well-formed proof of a kind this verifier does not check (another proof type or
// cryptosuite): no evidence of tampering, so "could not check", never "not authentic".
class Unsupported extends ProofError {}
class WrongPurpose extends ProofError {
  constructor(purpose) {
    super(`the proof's purpose is '${purpose}', not 'assertionMethod'`);
    this.purpose = purpose;
  }
}

export function message(code, params = {}) {
  return MESSAGES[code].replace(/\{(\w+)\}/g, (_, k) => (params[k] ?? ""));
}

function check(name, status, code, params = {}) {
  return { check: name, status, code, params, message: message(code, params) };
}

export function verdictOf(checks) {
  if (checks.some((c) => c.status === "fail")) return "invalid";
  if (checks.some((c) => c.status === "unknown" && c.check !== "recipient")) return "unknown";
  return "valid";
}

const asList = (v) => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

// what a JSON value that is not text is, in words both verifiers use
const jsonKind = (v) => (v === null ? "null" : typeof v === "boolean" ? "true or false"
  : typeof v === "number" ? "a number" : Array.isArray(v) ? "a list" : "an object");

// xsd:dateTime -> Date (a missing zone is read as UTC): exactly what verify.py
// parse_datetime accepts, a real calendar day and time, to the millisecond.
export function parseDateTime(value) {
  if (typeof value !== "string") throw new Error(`${jsonKind(value)} is not a date-time`);
  const m = DATE_TIME.exec(value);
  const bad = () => new Error(`'${value}' is not a date-time`);
  if (!m) throw bad();
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const days = new Date(Date.UTC(2000, mo, 0)).getUTCDate() - (mo === 2 && !(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)) ? 1 : 0);
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > days || h > 23 || mi > 59 || s > 59) throw bad();
  const date = new Date(value.slice(0, 19) + (m[7] || "").slice(0, 4) + (m[8] || "Z"));
  if (Number.isNaN(date.getTime())) throw bad();
  return date;
}

export const day = (value) => (value instanceof Date ? value : parseDateTime(value)).toISOString().slice(0, 10);
const unsecuredOf = (doc) => { const u = { ...doc }; delete u.proof; return u; };

function dayOrRaw(value) {
  try { return day(value); } catch { return String(value); }
}

export function issuerIdOf(doc) {
  const issuer = doc.issuer;
  if (typeof issuer === "string") return issuer;
  if (isObject(issuer) && typeof issuer.id === "string") return issuer.id;
  return null;
}

// 1. format ---------------------------------------------------------------------------
export async function checkFormat(doc) {
  if (!isObject(doc)) return [check("format", "fail", "format.shape", { detail: "it is not a JSON object" }), false];
  const ctxList = asList(doc["@context"]);
  if (!ctxList.length || ![VC_V2, VC_V1].includes(ctxList[0])) {
    return [check("format", "fail", "format.shape", { detail: `its first @context must be ${VC_V2}` }), false];
  }
  try {
    checkContexts(doc);
  } catch (e) {
    const m = /'([^']*)'/.exec(e.message);
    return [check("format", "fail", "format.context", { detail: m ? m[1] : e.message }), false];
  }
  const types = asList(doc.type);
  const problems = [];
  if (!types.includes("VerifiableCredential")) problems.push("'type' must include VerifiableCredential");
  if (issuerIdOf(doc) === null) problems.push("'issuer' must be an id or an object with an id");
  const subject = doc.credentialSubject;
  if (!(isObject(subject) || Array.isArray(subject))) problems.push("'credentialSubject' property is required");
  if (!asList(doc.proof).every((p) => isObject(p) && Object.keys(p).length)) {
    // JSON-LD would drop anything else from the proof graph, one processor silently
    problems.push("'proof' must be an object or a list of objects");
  }
  const isOb = types.includes("OpenBadgeCredential") || types.includes("AchievementCredential");
  if (isOb) {
    const subj = Array.isArray(subject) && subject.length ? subject[0] : subject;
    const ach = isObject(subj) ? subj.achievement : undefined;
    if (!isObject(ach)) problems.push("an Open Badge needs 'credentialSubject.achievement'");
    else for (const key of ["id", "name", "criteria"]) if (!(key in ach)) problems.push(`'achievement.${key}' property is required`);
    if (ctxList[0] === VC_V2 && !("validFrom" in doc)) problems.push("'validFrom' property is required");
  }
  if (problems.length) return [check("format", "fail", "format.shape", { detail: problems.join("; ") }), false];
  try {
    await expandSafe(doc);
  } catch (e) {
    if (e instanceof BadIri) return [check("format", "fail", "format.bad_id", { detail: e.message }), false];
    return [check("format", "fail", "format.undefined", { detail: e.message }), false];
  }
  try { // the work limit; the signature check then reuses this canonical form
    await canonizeRdfc(unsecuredOf(doc));
  } catch (e) {
    if (e instanceof WorkLimit) return [check("format", "fail", "format.too_complex", { detail: e.message }), false];
    // what keeps it from being canonicalized is the signature check's to report
  }
  return [check("format", "pass", isOb ? "format.ok" : "format.ok_vc"), true];
}

// 2. issuer key ------------------------------------------------------------------------
// did:web: a domain name and an optional port (%3A), then path segments (did:web spec 3.2);
// a host or segment that would change the URL's shape once decoded is refused (resolve.py).
const DID_WEB_HOST = /^[A-Za-z0-9.-]+(?::[0-9]{1,5})?$/;
const DID_WEB_SEGMENT = /^[^/?#\\%@\x00-\x20\x7f]+$/;

export function didWebUrl(did) {
  const parts = did.split(":").slice(2);
  const wrong = new Error(`not a did:web identifier: ${did}`);
  let host;
  let path;
  try {
    host = parts.length ? decodeURIComponent(parts[0]) : "";
    path = parts.slice(1).map(decodeURIComponent);
  } catch { throw wrong; }
  if (!DID_WEB_HOST.test(host) || path.some((p) => !DID_WEB_SEGMENT.test(p) || p === "." || p === "..")) throw wrong;
  return path.length ? `https://${host}/${path.join("/")}/did.json` : `https://${host}/.well-known/did.json`;
}

export function controllerDocumentUrl(issuerId) {
  if (issuerId.startsWith("did:web:")) return didWebUrl(issuerId);
  if (issuerId.startsWith("did:key:")) return null;
  return issuerId.split("#")[0];
}

function didKeyDocument(did) {
  const multibase = did.split(":").slice(2).join(":").split("#")[0];
  if (!multibase.startsWith("z")) throw new Error(`not a did:key identifier: ${did}`);
  const vm = `${did}#${multibase}`;
  return {
    id: did,
    verificationMethod: [{ id: vm, type: "Multikey", controller: did, publicKeyMultibase: multibase }],
    assertionMethod: [vm],
  };
}

// Every proof of the document, each of which must verify (a proof set).
function proofSet(doc) {
  const proofs = asList(doc.proof);
  if (!proofs.length) throw new ProofError("the credential has no proof: it is not signed");
  if (proofs.length > MAX_PROOFS) throw new ProofError(`the credential has ${proofs.length} proofs; at most ${MAX_PROOFS} are checked`);
  for (const p of proofs) {
    if (!isObject(p) || typeof p.type !== "string") throw new ProofError("the proof is not a DataIntegrityProof");
  }
  return proofs;
}

function fallbackKey(vm) {
  let candidate = vm.includes("#") ? vm.split("#").slice(1).join("#") : vm.replace(/^did:key:/, "");
  if (vm.startsWith("did:key:")) candidate = vm.split("#")[0].replace(/^did:key:/, "");
  try {
    return [decodeMultibaseKey(candidate), ""];
  } catch {
    return [null, `${vm} is not a key the issuer's documents publish`];
  }
}

// Is the key of `proof` one that the issuer publishes under its own identifier?
export async function checkIssuer(doc, resolver, proof) {
  const issuer = issuerIdOf(doc) || "?";
  const label = isObject(doc.issuer) ? doc.issuer.name : null;
  const vm = proof.verificationMethod;
  if (typeof vm !== "string") {
    return { check: check("issuer", "fail", "signature.proof", { detail: "the proof has no 'verificationMethod'" }) };
  }
  const [fallback, fallbackError] = fallbackKey(vm);
  const params = { issuer: typeof label === "string" && label ? label : issuer, issuer_id: issuer, key: vm };
  const withFallback = (c, keyError = fallbackError) => ({ check: c, publicKey: fallback, keyError });
  let url = null;
  let source;
  let controllerDoc;
  try {
    if (issuer.startsWith("did:key:")) {
      controllerDoc = didKeyDocument(issuer);
      source = "identifier";
    } else {
      url = controllerDocumentUrl(issuer);
      controllerDoc = await resolver.fetch(url);
      source = issuer.startsWith("did:") ? "DID document" : "issuer profile";
    }
  } catch (e) {
    if (e instanceof FetchError) {
      return withFallback(check("issuer", "unknown", "issuer.fetch", { ...params, url: url || issuer, detail: e.message }),
        fallbackError && `the issuer's documents, which publish ${vm}, could not be loaded`);
    }
    return withFallback(check("issuer", "fail", "issuer.bad_document", { ...params, url: issuer, detail: e.message }));
  }
  if (!isObject(controllerDoc)) {
    return withFallback(check("issuer", "fail", "issuer.bad_document", { ...params, url: url || issuer, detail: "it is not a JSON object" }));
  }
  if (controllerDoc.id !== issuer) {
    return withFallback(check("issuer", "fail", "issuer.id_mismatch", { ...params, url: url || issuer, found: String(controllerDoc.id) }));
  }
  // who publishes the key, in its own words (the credential's issuer.name is only its claim)
  if (typeof controllerDoc.name === "string" && controllerDoc.name) params.issuer = controllerDoc.name;
  const methods = [...asList(controllerDoc.verificationMethod), ...asList(controllerDoc.assertionMethod)].filter(isObject);
  const method = methods.find((m) => m.id === vm);
  if (!method) return withFallback(check("issuer", "fail", "issuer.not_listed", params));
  let publicKey;
  try {
    publicKey = decodeMultibaseKey(method.publicKeyMultibase || "");
  } catch (e) {
    return withFallback(check("issuer", "fail", "issuer.bad_document", { ...params, url: url || issuer, detail: `key ${vm}: ${e.message}` }));
  }
  const keyed = (c) => ({ check: c, publicKey });
  if (method.revoked) return keyed(check("issuer", "fail", "issuer.revoked", { ...params, date: dayOrRaw(method.revoked) }));
  const assertion = asList(controllerDoc.assertionMethod)
    .filter((m) => typeof m === "string" || isObject(m)).map((m) => (typeof m === "string" ? m : m.id));
  if (!assertion.includes(vm)) return keyed(check("issuer", "fail", "issuer.not_assertion", params));
  if (method.controller !== issuer) {
    return keyed(check("issuer", "fail", "issuer.controller", { ...params, controller: String(method.controller) }));
  }
  if (method.expires) {
    let expired;
    try { expired = parseDateTime(proof.created || "") >= parseDateTime(method.expires); } catch { expired = true; }
    if (expired) {
      return keyed(check("issuer", "fail", "issuer.expired", { ...params, created: dayOrRaw(proof.created || "?"), date: dayOrRaw(method.expires) }));
    }
  }
  if (issuer.startsWith("did:key:")) return keyed(check("issuer", "pass", "issuer.did_key", params));
  const local = resolver.rewritten && url ? resolver.rewritten[url] : null;
  if (local) return keyed(check("issuer", "pass", "issuer.local", { ...params, url: local, origin: url }));
  return keyed(check("issuer", "pass", "issuer.ok", { ...params, source }));
}

// 3. signature -------------------------------------------------------------------------
function prepare(doc, proof) {
  if (proof.type !== "DataIntegrityProof") {
    if (OTHER_TYPES.includes(proof.type)) throw new Unsupported(`the proof's type is ${proof.type}`);
    throw new ProofError("the proof is not a DataIntegrityProof");
  }
  const suite = proof.cryptosuite;
  if (OTHER_SUITES.includes(suite)) throw new Unsupported(`the proof's cryptosuite is ${suite}`);
  if (!SUITES.includes(suite)) throw new ProofError(`unsupported cryptosuite '${suite}' (supported: ${SUITES.join(", ")})`);
  const value = proof.proofValue;
  if (typeof value !== "string" || !value.startsWith("z")) throw new ProofError("proofValue must be a base58btc multibase string starting with 'z'");
  // 64 bytes are at most 88 characters; base58 decoding is quadratic in the length
  if (value.length > 100) throw new ProofError("proofValue is too long to be an Ed25519 signature");
  let signature;
  try { signature = decodeBase58(value.slice(1)); } catch { throw new ProofError("proofValue is not valid base58btc"); }
  if (signature.length !== 64) throw new ProofError(`proofValue decodes to ${signature.length} bytes; an Ed25519 signature has 64`);
  for (const key of ["verificationMethod", "proofPurpose"]) {
    if (typeof proof[key] !== "string") throw new ProofError(`the proof has no '${key}'`);
  }
  if (proof.proofPurpose !== "assertionMethod") throw new WrongPurpose(proof.proofPurpose);
  const unsecured = unsecuredOf(doc);
  const options = { ...proof };
  delete options.proofValue;
  if ("@context" in options) {
    const docCtx = asList(unsecured["@context"]);
    const proofCtx = asList(options["@context"]);
    if (JSON.stringify(docCtx.slice(0, proofCtx.length)) !== JSON.stringify(proofCtx)) {
      throw new ProofError("the proof's @context does not match the credential's");
    }
    unsecured["@context"] = options["@context"];
  }
  const config = { ...options, "@context": unsecured["@context"] };
  return [unsecured, config, signature];
}

async function canonical(doc, suite) {
  if (suite === "eddsa-rdfc-2022") return utf8(await canonizeRdfc(doc));
  return jcs(doc);
}

async function hashData(unsecured, config, suite) {
  const proofHash = await sha256(await canonical(config, suite));
  const docHash = await sha256(await canonical(unsecured, suite));
  const out = new Uint8Array(64);
  out.set(proofHash, 0);
  out.set(docHash, 32);
  return out;
}

// Does `proof` verify with the key found for it?
export async function checkSignature(doc, key, safe, proof) {
  let unsecured, config, signature;
  try { [unsecured, config, signature] = prepare(doc, proof); } catch (e) {
    if (e instanceof WrongPurpose) return check("signature", "fail", "signature.purpose", { purpose: e.purpose });
    if (e instanceof Unsupported) return check("signature", "unknown", "signature.unsupported", { detail: e.message });
    return check("signature", "fail", "signature.proof", { detail: e.message });
  }
  if (!safe) return check("signature", "unknown", "signature.unsafe");
  if (!key.publicKey) return check("signature", "unknown", "signature.no_key", { detail: key.keyError || "no key" });
  const suite = config.cryptosuite;
  let data;
  try { data = await hashData(unsecured, config, suite); } catch (e) {
    return check("signature", "fail", "signature.proof", { detail: e.message });
  }
  if (!(await verifyEd25519(key.publicKey, signature, data))) return check("signature", "fail", "signature.bad");
  return check("signature", "pass", "signature.ok", { created: dayOrRaw(String(config.created ?? "?")), suite });
}

function firstWorst(items, checkOf) {
  for (const status of ["fail", "unknown"]) {
    const found = items.find((i) => checkOf(i).status === status);
    if (found) return found;
  }
  return items[0];
}

// Steps 2-3 for every proof: each must pass; each step reports its first failing proof
// (else its first unknown one, else the first proof).
export async function checkProofSet(doc, resolver, safe) {
  let proofs;
  try { proofs = proofSet(doc); } catch (e) {
    const params = { detail: e.message };
    return [{ check: check("issuer", "fail", "signature.proof", params) }, check("signature", "fail", "signature.proof", params)];
  }
  const keys = [];
  const sigs = [];
  for (const proof of proofs) {
    const key = await checkIssuer(doc, resolver, proof);
    const sig = await checkSignature(doc, key, safe, proof);
    // an unchecked proof confirms no key either, whatever its verificationMethod names
    keys.push(sig.code === "signature.unsupported" ? { check: check("issuer", "unknown", "issuer.unchecked") } : key);
    sigs.push(sig);
  }
  return [firstWorst(keys, (k) => k.check), firstWorst(sigs, (c) => c)];
}

// 4. dates -----------------------------------------------------------------------------
export function checkDates(doc, now) {
  let [startKey, endKey] = ["validFrom", "validUntil"];
  if (asList(doc["@context"])[0] === VC_V1) [startKey, endKey] = ["issuanceDate", "expirationDate"];
  if (!(startKey in doc)) return check("dates", "fail", "dates.missing", { detail: `it has no ${startKey}` });
  let start, end;
  let key = startKey;
  try {
    start = parseDateTime(doc[startKey]);
    key = endKey;
    end = endKey in doc ? parseDateTime(doc[endKey]) : null;
  } catch (e) {
    return check("dates", "fail", "dates.missing", { detail: `${key}: ${e.message}` });
  }
  const params = { from: day(start), until: end ? day(end) : "" };
  if (now < start) return check("dates", "fail", "dates.not_yet", params);
  if (end && now >= end) return check("dates", "fail", "dates.expired", params);
  return check("dates", "pass", end ? "dates.ok_until" : "dates.ok", params);
}

// 5. revocation ------------------------------------------------------------------------
export async function decodeStatusList(encoded) {
  if (typeof encoded !== "string" || !encoded.startsWith("u")) throw new Error("encodedList must be multibase base64url (starting with 'u')");
  let packed;
  try { packed = decodeBase64url(encoded.slice(1)); } catch { throw new Error("encodedList is not valid base64url"); }
  return inflate(packed, MAX_STATUS_LIST, { gzip: true });
}

export const bitAt = (bits, index) => Boolean(bits[index >> 3] & (0x80 >> (index % 8)));

export async function checkRevocation(doc, resolver, now) {
  const entries = asList(doc.credentialStatus).filter(isObject);
  if (!doc.credentialStatus) return check("revocation", "pass", "revocation.none");
  const entry = entries.find((e) => e.type === "BitstringStatusListEntry");
  if (!entry) return check("revocation", "unknown", "revocation.bad_entry", { detail: "only BitstringStatusListEntry is supported" });
  const url = entry.statusListCredential;
  const purpose = entry.statusPurpose;
  const index = /^\s*\d+\s*$/.test(String(entry.statusListIndex)) ? parseInt(entry.statusListIndex, 10) : NaN;
  if (typeof url !== "string" || !["revocation", "suspension"].includes(purpose) || !(index >= 0)) {
    return check("revocation", "fail", "revocation.bad_entry", { detail: "it needs statusListCredential, statusPurpose and a statusListIndex" });
  }
  const params = { url, index: String(index) };
  let statusDoc;
  try { statusDoc = await resolver.fetch(url); } catch (e) {
    if (!(e instanceof FetchError)) throw e;
    return check("revocation", "unknown", "revocation.fetch", { ...params, detail: e.message });
  }
  const problem = await statusListProblem(statusDoc, doc, url, purpose, resolver, now);
  if (problem) return check("revocation", "unknown", "revocation.list_invalid", { ...params, detail: problem });
  let bits;
  try {
    bits = await decodeStatusList(statusDoc.credentialSubject.encodedList);
    if (index >= bits.length * 8) throw new Error(`index ${index} is beyond the list's ${bits.length * 8} entries`);
  } catch (e) {
    return check("revocation", "unknown", "revocation.list_invalid", { ...params, detail: e.message });
  }
  if (bitAt(bits, index)) return check("revocation", "fail", "revocation.revoked", params);
  return check("revocation", "pass", "revocation.ok", params);
}

async function statusListProblem(statusDoc, doc, url, purpose, resolver, now) {
  const [fmt, safe] = await checkFormat(statusDoc);
  if (fmt.status !== "pass") return fmt.message;
  const types = asList(statusDoc.type);
  const subject = statusDoc.credentialSubject;
  if (!types.includes("BitstringStatusListCredential") || !isObject(subject)) return "it is not a BitstringStatusListCredential";
  if (statusDoc.id !== url) return `its id is ${statusDoc.id}, not the address it came from`;
  if (issuerIdOf(statusDoc) !== issuerIdOf(doc)) return "it was issued by someone other than the credential's issuer";
  if (subject.statusPurpose !== purpose) return `its purpose is ${subject.statusPurpose}, not ${purpose}`;
  const [key, sig] = await checkProofSet(statusDoc, resolver, safe);
  if (key.check.status !== "pass") return key.check.message;
  if (sig.status !== "pass") return sig.message;
  if ("validFrom" in statusDoc) {
    const dates = checkDates(statusDoc, now);
    if (dates.status !== "pass") return dates.message;
  }
  return "";
}

// 6. recipient -------------------------------------------------------------------------
export async function emailHash(email, salt) {
  return `sha256$${hex(await sha256(utf8(email + salt)))}`;
}

export async function checkRecipient(doc, email) {
  let subject = doc.credentialSubject;
  if (Array.isArray(subject) && subject.length) subject = subject[0];
  const ids = isObject(subject) ? asList(subject.identifier) : [];
  const candidates = [...new Set([email.trim(), email.trim().toLowerCase()])];
  let compared = false;
  for (const ident of ids) {
    if (!isObject(ident) || ident.identityType !== "emailAddress") continue;
    const value = String(ident.identityHash ?? "");
    compared = true;
    if (ident.hashed) {
      const salt = String(ident.salt ?? "");
      for (const c of candidates) if ((await emailHash(c, salt)) === value) return check("recipient", "pass", "recipient.match");
    } else if (value.toLowerCase() === email.trim().toLowerCase()) {
      return check("recipient", "pass", "recipient.match");
    }
  }
  if (!compared) return check("recipient", "unknown", "recipient.none");
  return check("recipient", "fail", "recipient.mismatch");
}

// fetching -----------------------------------------------------------------------------
// What is fetched is chosen by whoever wrote the credential, so it must never be this
// computer or its network. A page cannot see where a host name resolves, so it refuses what
// the URL itself shows (the rules and lists of generator/trust/resolve.py, which also
// resolves names): anything but https, localhost, and private, local or reserved addresses,
// whatever way they are written (the URL parser turns 2130706433 or 0x7f.1 into 127.0.0.1).
const NOT_HTTPS = "only https addresses are fetched";
const LOCALHOST = "it names this computer (localhost), which is never fetched";
const PRIVATE = "it is a private, local or reserved network address, which is never fetched";
const NOT_A_URL = "it is not a valid URL";
const BLOCKED_V4 = [["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8],
  ["169.254.0.0", 16], ["172.16.0.0", 12], ["192.0.0.0", 24], ["192.0.2.0", 24],
  ["192.88.99.0", 24], ["192.168.0.0", 16], ["198.18.0.0", 15], ["198.51.100.0", 24],
  ["203.0.113.0", 24], ["224.0.0.0", 4], ["240.0.0.0", 4]];
const BLOCKED_V6 = [["::", 8], ["64:ff9b:1::", 48], ["100::", 64], ["2001::", 23], ["2001:db8::", 32],
  ["fc00::", 7], ["fe80::", 10], ["fec0::", 10], ["ff00::", 8]];

const v4Number = (dotted) => dotted.split(".").reduce((n, part) => n * 256n + BigInt(part), 0n);

function v6Number(text) {
  const [head, tail] = text.includes("::") ? text.split("::") : [text, null];
  const groups = (s) => (s ? s.split(":") : []);
  const h = groups(head);
  const t = tail === null ? [] : groups(tail);
  const all = tail === null ? h : [...h, ...new Array(8 - h.length - t.length).fill("0"), ...t];
  return all.reduce((n, g) => n * 65536n + BigInt(`0x${g}`), 0n);
}

const inBlock = (n, blocks, width, parse) => blocks.some(([base, bits]) => (n >> BigInt(width - bits)) === (parse(base) >> BigInt(width - bits)));

function blockedV4(n) { return inBlock(n, BLOCKED_V4, 32, v4Number); }

function blockedV6(n) {
  const low32 = n & 0xffffffffn;
  if (n >> 32n === 0xffffn) return blockedV4(low32); // IPv4-mapped
  if (n >> 112n === 0x2002n) return blockedV4((n >> 80n) & 0xffffffffn); // 6to4
  if (n >> 32n === v6Number("64:ff9b::") >> 32n) return blockedV4(low32); // NAT64
  return inBlock(n, BLOCKED_V6, 128, v6Number);
}

// Why `url` is never fetched, or "" (resolve.py refuses the same, and more: it resolves names).
export function fetchProblem(url) {
  let u;
  try { u = new URL(url); } catch { return NOT_A_URL; }
  if (u.protocol !== "https:" || !u.hostname) return NOT_HTTPS;
  const host = u.hostname;
  const name = host.replace(/\.+$/, "").toLowerCase();
  if (name === "localhost" || name.endsWith(".localhost")) return LOCALHOST;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host) && blockedV4(v4Number(host))) return PRIVATE;
  if (host.startsWith("[") && blockedV6(v6Number(host.slice(1, -1)))) return PRIVATE;
  return "";
}

export async function readCapped(response, max) {
  if (Number(response.headers.get("content-length")) > max) throw new FetchError("the document is too large");
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const parts = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      reader.cancel().catch(() => {});
      throw new FetchError("the document is too large");
    }
    parts.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) { out.set(part, at); at += part.length; }
  return out;
}

// Fetches JSON; the site's own documents are read from the origin serving this page when
// it is not the site's published address (local preview), and only those.
export function makeResolver({ siteBase = null, siteRoot = null, fetchImpl = (...a) => fetch(...a) } = {}) {
  const rewritten = {};
  return {
    rewritten,
    async fetch(url) {
      let target = url;
      const own = Boolean(siteBase && siteRoot && siteRoot !== siteBase && typeof url === "string" && url.startsWith(siteBase));
      if (own) {
        target = new URL(url.slice(siteBase.length), siteRoot).href;
        rewritten[url] = target;
      } else if (fetchProblem(url)) {
        throw new FetchError(fetchProblem(url));
      }
      let response;
      let bytes;
      try {
        response = await fetchImpl(target, {
          headers: { Accept: "application/ld+json, application/json;q=0.9" }, credentials: "omit",
          signal: AbortSignal.timeout(30000),
        });
        if (!own && response.redirected && fetchProblem(response.url)) throw new FetchError(fetchProblem(response.url));
        if (!response.ok) throw new FetchError(`HTTP ${response.status}`);
        bytes = await readCapped(response, MAX_BYTES);
      } catch (e) {
        if (e instanceof FetchError) throw e;
        throw new FetchError("network error, or the server does not allow this page to read it (CORS)");
      }
      try {
        return parseStrict(decodeUtf8(bytes), MAX_BYTES);
      } catch (e) {
        if (e instanceof JsonProblem) throw new FetchError(`the response is not a JSON document this verifier reads (${e.code})`);
        throw new FetchError("the response is not UTF-8 JSON");
      }
    },
  };
}

// the whole algorithm ------------------------------------------------------------------
function noCredential(fmt) {
  const checks = [fmt, ...CHECKS.slice(1, 5).map((c) => check(c, "unknown", "none.no_credential"))];
  return { verdict: "invalid", checks, credential: null };
}

// Run every step and return the result; never throws for an invalid credential. Text is
// read strictly (untrusted.js parseStrict); bytes must be UTF-8.
export async function verifyCredential(input, { resolver, now = new Date(), email = null } = {}) {
  let doc = input;
  let text = input;
  if (input instanceof Uint8Array) {
    try { text = decodeUtf8(input); } catch (e) { return noCredential(check("format", "fail", "format.read", { detail: e.message })); }
  }
  if (typeof text === "string") {
    try { doc = parseStrict(text); } catch (e) {
      if (!(e instanceof JsonProblem)) throw e;
      return noCredential(check("format", "fail", e.code, e.params));
    }
  }
  const [fmt, safe] = await checkFormat(doc);
  if (!isObject(doc)) return noCredential(fmt);
  const [key, sig] = await checkProofSet(doc, resolver, safe);
  // never fetch what an unauthentic document points at
  const revocation = sig.status === "pass" ? await checkRevocation(doc, resolver, now)
    : check("revocation", "unknown", sig.status === "fail" ? "revocation.unsigned" : "revocation.unconfirmed");
  const checks = [fmt, key.check, sig, checkDates(doc, now), revocation];
  if (email) checks.push(await checkRecipient(doc, email));
  return { verdict: verdictOf(checks), checks, credential: doc };
}

export { UnsafeDocument };
