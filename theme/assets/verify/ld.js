// JSON-LD with pinned contexts only, in safe mode: the browser twin of generator/ld.py.
// A property the contexts do not define would be dropped by expansion (displayed but not
// signed), so safe mode turns every such drop into an error. No context is ever fetched.
import jsonld from "../vendor/jsonld.esm.js";
import CONTEXTS from "./contexts.js";

export class UnsafeDocument extends Error {}

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
    const ev = e.details && e.details.event;
    if (ev) {
      const d = ev.details || {};
      switch (ev.code) {
        case "invalid property":
          return new UnsafeDocument(`property '${d.property}' is not defined by the document's contexts, so the signature would not cover it`);
        case "relative @id reference":
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
  try {
    return await jsonld.expand(structuredClone(doc), { documentLoader, safe: true, base: null });
  } catch (error) {
    throw explain(error);
  }
}

export async function canonizeRdfc(doc) {
  checkContexts(doc);
  try {
    return await jsonld.canonize(structuredClone(doc), {
      algorithm: "URDNA2015", format: "application/n-quads", safe: true, documentLoader, base: null,
    });
  } catch (error) {
    throw explain(error);
  }
}
