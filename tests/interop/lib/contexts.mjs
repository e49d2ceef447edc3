// The pinned JSON-LD context documents: the package's own (generator/trust/contexts/, whose
// index.json maps each URL to its file), so the other stacks see exactly what badgepress
// signs with. Set INTEROP_CONTEXTS=DIR to use another folder with the same layout.
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const DIR = process.env.INTEROP_CONTEXTS ||
  path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'generator',
    'trust', 'contexts');
const INDEX = JSON.parse(fs.readFileSync(path.join(DIR, 'index.json'), 'utf8'));
const cache = new Map();

export const PINNED_CONTEXT_URLS = Object.keys(INDEX);

/** The pinned context document for a URL (exact match), or undefined. */
export function pinnedContext(url) {
  const file = INDEX[url];
  if(file === undefined) {
    return undefined;
  }
  if(!cache.has(url)) {
    cache.set(url, JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8')));
  }
  // callers get their own copy (jsonld may annotate documents)
  return structuredClone(cache.get(url));
}
