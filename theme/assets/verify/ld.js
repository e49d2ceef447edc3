// JSON-LD with pinned contexts only, in safe mode: the browser twin of generator/ld.py.
// A property the contexts do not define would be dropped by expansion (displayed but not
// signed), so safe mode turns every such drop into an error. No context is ever fetched.
// The same two extra rules as ld.py: ids and types are IRIs both processors read alike, and
// canonicalization stops at rdf-canonize's deep-iteration limit (maxWorkFactor 1, its
// default), which ld.py counts the same way.
import jsonld from "../vendor/jsonld.esm.js";
import CONTEXTS from "./contexts.js";

export class UnsafeDocument extends Error {}
export class BadIri extends UnsafeDocument {}
export class WorkLimit extends UnsafeDocument {}

// what no IRI contains unencoded: spaces (JavaScript's \s), controls, "<>\^`{|}
const NOT_IRI = /[\x00-\x20\x7f-\x9f"<>\\^`{|}\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/;
const SCHEME = /^(?:[A-Za-z][A-Za-z0-9+,.-]*|_):/; // how jsonld.js tells absolute from relative
const NAMES = { " ": "a space", '"': "a double quote", "\\": "a backslash", "`": "a backtick" };

function charName(c) {
  if (c in NAMES) return NAMES[c];
  if ("<>^{|}".includes(c)) return `'${c}'`;
  return `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
}

export function iriProblem(value) {
  const m = NOT_IRI.exec(value);
  return m ? `'${value}' contains ${charName(m[0])}, which an IRI cannot contain unencoded` : "";
}

// Every id with a scheme, and every type, as written in the document (ld.py check_iris).
export function checkIris(node) {
  if (Array.isArray(node)) { node.forEach(checkIris); return; }
  if (!node || typeof node !== "object") return;
  for (const [key, value] of Object.entries(node)) {
    if ((key === "id" || key === "@id") && typeof value === "string" && SCHEME.test(value) && iriProblem(value)) {
      throw new BadIri(`id ${iriProblem(value)}`);
    }
    if (key === "type" || key === "@type") {
      for (const t of Array.isArray(value) ? value : [value]) {
        if (typeof t === "string" && iriProblem(t)) throw new BadIri(`type ${iriProblem(t)}`);
      }
    }
    if (key !== "@context") checkIris(value);
  }
}

// IRI-valued properties, once expanded (ld.py _check_expanded): jsonld.js's safe mode sees a
// relative "@id" but not a relative value of a property typed @id.
function checkExpanded(node) {
  if (Array.isArray(node)) { node.forEach(checkExpanded); return; }
  if (!node || typeof node !== "object" || "@value" in node) return;
  const id = node["@id"];
  if (typeof id === "string" && !SCHEME.test(id)) {
    throw new UnsafeDocument(`id '${id}' is relative; ids must be absolute (https:, urn:uuid:, did:)`);
  }
  if (typeof id === "string" && iriProblem(id)) throw new BadIri(`id ${iriProblem(id)}`);
  for (const t of Array.isArray(node["@type"]) ? node["@type"] : []) {
    if (iriProblem(t)) throw new BadIri(`type ${iriProblem(t)}`);
  }
  for (const [key, value] of Object.entries(node)) if (key !== "@id" && key !== "@type") checkExpanded(value);
}

export function knownContext(url) {
  return Object.prototype.hasOwnProperty.call(CONTEXTS, url);
}

async function documentLoader(url) {
  if (!knownContext(url)) {
    throw new UnsafeDocument(`unknown JSON-LD context '${url}'`);
  }
  return { contextUrl: null, documentUrl: url, document: structuredClone(CONTEXTS[url]) };
}

// Every @context entry anywhere must be a pinned URL (an inline context could redefine terms).
export function checkContexts(node) {
  if (Array.isArray(node)) { node.forEach(checkContexts); return; }
  if (!node || typeof node !== "object") return;
  if ("@context" in node) {
    const ctx = node["@context"];
    for (const entry of Array.isArray(ctx) ? ctx : [ctx]) {
      if (typeof entry !== "string") {
        throw new UnsafeDocument("an embedded (inline) @context is not accepted; use only published context URLs");
      }
      if (!knownContext(entry)) throw new UnsafeDocument(`unknown JSON-LD context '${entry}'`);
    }
  }
  for (const [k, v] of Object.entries(node)) if (k !== "@context") checkContexts(v);
}

// jsonld.js safe-mode events, said the way generator/ld.py says them.
function explain(error) {
  let e = error;
  while (e) {
    if (e instanceof UnsafeDocument) return e;
    const limit = /Maximum deep iterations exceeded \((\d+)\)/.exec(e.message || "");
    if (limit) return new WorkLimit(`more than ${limit[1]} deep iterations over its blank nodes`);
    const ev = e.details && e.details.event;
    if (ev) {
      const d = ev.details || {};
      switch (ev.code) {
        case "invalid property":
          return new UnsafeDocument(`property '${d.property}' is not defined by the document's contexts, so the signature would not cover it`);
        case "relative @id reference":
          if (SCHEME.test(d.id) && iriProblem(d.id)) return new BadIri(`id ${iriProblem(d.id)}`);
          return new UnsafeDocument(`id '${d.id}' is relative; ids must be absolute (https:, urn:uuid:, did:)`);
        case "relative @type reference":
          return new UnsafeDocument(`type '${d.type}' is not defined by the document's contexts`);
        default:
          return new UnsafeDocument(`${ev.message || ev.code}`);
      }
    }
    e = e.cause || (e.details && e.details.cause);
  }
  return new UnsafeDocument(`not valid JSON-LD: ${error && error.message}`);
}

export async function expandSafe(doc) {
  checkContexts(doc);
  checkIris(doc);
  let expanded;
  try {
    expanded = await jsonld.expand(structuredClone(doc), { documentLoader, safe: true, base: null });
  } catch (error) {
    throw explain(error);
  }
  checkExpanded(expanded);
  return expanded;
}

// The last few results are kept, as in ld.py: the format check canonicalizes the credential
// (to enforce the work limit) and the signature check then reuses that work.
const canonical = new Map();

export async function canonizeRdfc(doc) {
  const key = JSON.stringify(doc);
  if (canonical.has(key)) return canonical.get(key);
  checkContexts(doc);
  checkIris(doc);
  let nquads;
  try {
    nquads = await jsonld.canonize(structuredClone(doc), {
      algorithm: "URDNA2015", format: "application/n-quads", safe: true, documentLoader, base: null,
    });
  } catch (error) {
    throw explain(error);
  }
  canonical.set(key, nquads);
  if (canonical.size > 32) canonical.delete(canonical.keys().next().value);
  return nquads;
}
