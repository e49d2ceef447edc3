// Where the credentials of a bulk check come from: addresses a person pasted (credential
// pages, credential.json, baked badge images) and files they chose. Everything read is
// untrusted: a page is parsed with DOMParser, which runs none of its scripts and loads none
// of its images, and only the text of its JSON-LD credential is taken, which the verifier
// then reads strictly (untrusted.js). Only GET requests to the addresses given are made.
import { credentialTextOf, isPng, MAX_FILE_BYTES } from "./bake.js";
import { FetchError, fetchProblem, readCapped } from "./core.js";
import { decodeUtf8, MAX_DEPTH, MAX_JSON_BYTES, nestingDepth, sizeText } from "./untrusted.js";

export const MAX_ENTRIES = 200;

// A problem with a source, before any check could run, in words a person understands.
export class SourceProblem extends Error {
  constructor(message, verdict = "invalid") {
    super(message);
    this.verdict = verdict; // "unknown" when the source could not be reached at all
  }
}

// The non-blank lines of a pasted list, trimmed, in order (a repeated address is checked
// again: each line is a row, so a list from a spreadsheet keeps its shape).
export function addressesOf(text) {
  return text.split(/\r\n|\r|\n/).map((line) => line.trim()).filter(Boolean);
}

// Why `address` is not fetched, or "" (then `target` is what to fetch). The site's own
// pages and this origin are read from the origin serving this page (local preview, as the
// verifier's resolver does for the site's own keys); anything else only when the verifier
// would fetch it for a credential: https, and not this computer or its network.
export function fetchPlan(address, { siteBase, siteRoot, origin }) {
  let url;
  // an address copied without its scheme (badges.example.org/credentials/…) means https
  const full = /^[a-z0-9-]+(\.[a-z0-9-]+)+(:\d+)?(\/|$)/i.test(address) ? `https://${address}` : address;
  try { url = new URL(full); } catch { return { problem: "it is not a web address (one address per line, starting with https://)" }; }
  if (siteBase && siteRoot && siteRoot !== siteBase && url.href.startsWith(siteBase)) {
    return { target: new URL(url.href.slice(siteBase.length), siteRoot).href, own: true };
  }
  // an opaque origin ("null": data:, blob:, javascript:, file:…) is nobody's own
  if (url.origin === origin && url.origin !== "null" && /^https?:$/.test(url.protocol)) {
    return { target: url.href, own: true };
  }
  const problem = fetchProblem(url.href);
  return problem ? { problem } : { target: url.href, own: false };
}

const CANNOT_READ = "network error, or the site does not allow other pages to read it (CORS)";

async function fetchBytes(address, context) {
  const plan = fetchPlan(address, context);
  if (plan.problem) throw new SourceProblem(`Not fetched: ${plan.problem}.`, "unknown");
  let response;
  try {
    response = await fetch(plan.target, {
      credentials: "omit", cache: "no-store", signal: AbortSignal.timeout(30000),
      headers: { Accept: "text/html, application/ld+json;q=0.9, application/json;q=0.8, image/*;q=0.5" },
    });
  } catch {
    throw new SourceProblem(`Could not fetch: ${CANNOT_READ}.`, "unknown");
  }
  if (!plan.own && response.redirected && fetchProblem(response.url)) {
    throw new SourceProblem(`Could not fetch: it redirects elsewhere, and ${fetchProblem(response.url)}.`, "unknown");
  }
  if (!response.ok) throw new SourceProblem(`Could not fetch: the site answered HTTP ${response.status}.`, "unknown");
  try {
    return { bytes: await readCapped(response, MAX_FILE_BYTES), type: response.headers.get("content-type") || "" };
  } catch (e) {
    if (e instanceof FetchError) throw new SourceProblem(`Could not fetch: it is larger than ${sizeText(MAX_FILE_BYTES)}.`, "unknown");
    throw new SourceProblem(`Could not fetch: ${CANNOT_READ}.`, "unknown");
  }
}

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

// Is this JSON-LD block meant as a credential? Read leniently (within the size and depth
// limits) only to tell; the verifier reads the chosen one strictly and says what is wrong.
function isCredential(text) {
  if (text.length > MAX_JSON_BYTES || nestingDepth(text) > MAX_DEPTH) return false;
  try {
    const doc = JSON.parse(text);
    const types = Array.isArray(doc.type) ? doc.type : [doc.type];
    return isObject(doc) && types.includes("VerifiableCredential");
  } catch {
    return false;
  }
}

// The credential text embedded in an HTML page: the badgepress page's #credential-data
// block, else the one JSON-LD block that is a Verifiable Credential (two are refused, never
// one picked, as for baked images).
export function credentialInPage(html) {
  const doc = new DOMParser().parseFromString(html, "text/html");
  const blocks = [...doc.querySelectorAll("script")].filter(
    (s) => (s.getAttribute("type") || "").trim().toLowerCase() === "application/ld+json");
  const own = blocks.find((s) => s.id === "credential-data");
  if (own) return own.textContent;
  const found = blocks.filter((s) => isCredential(s.textContent));
  if (found.length > 1) throw new SourceProblem("More than one credential on this page: check each one's own address.");
  if (!found.length) throw new SourceProblem("No credential on this page.");
  return found[0].textContent;
}

const looksLikeHtml = (type, text) => /\btext\/html\b/i.test(type) || /^\ufeff?\s*<(!doctype\s+html|html)[\s>]/i.test(text);

// The credential text at a pasted address: a credential page, credential.json, or a baked
// PNG or SVG image.
export async function credentialFromAddress(address, context) {
  const { bytes, type } = await fetchBytes(address, context);
  try {
    if (!isPng(bytes)) {
      const text = decodeUtf8(bytes);
      if (looksLikeHtml(type, text)) return credentialInPage(text);
    }
    return await credentialTextOf(bytes);
  } catch (e) {
    if (e instanceof SourceProblem) throw e;
    throw new SourceProblem(`Could not read a credential from this address (${e.message}).`);
  }
}

// Runs `work(item, index)` for every item, at most `limit` at a time; resolves when all
// are done (work reports its own outcome and never rejects).
export async function eachLimited(items, limit, work) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

// A resolver that fetches each issuer document and status list once per bulk check: 200
// credentials of one issuer cost two requests, not 400.
export function sharedResolver(resolver) {
  const seen = new Map();
  return {
    rewritten: resolver.rewritten,
    fetch(url) {
      if (!seen.has(url)) seen.set(url, resolver.fetch(url));
      return seen.get(url);
    },
  };
}
