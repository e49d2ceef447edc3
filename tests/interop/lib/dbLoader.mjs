// The document loader given to the Digital Bazaar stack. Fully offline:
//   - the pinned contexts (contexts/index.json), by exact URL;
//   - did:key resolved locally (@digitalbazaar/did-method-key, Ed25519 Multikey);
//   - did:web resolved by @digitalbazaar/did-method-web, whose HTTP request goes through the
//     offline network (the site's /.well-known/did.json or /<path>/did.json);
//   - any other http(s) URL fetched through the offline network like a real HTTP client:
//     the fragment is not sent, so the whole document at the URL is returned;
//   - anything else is refused.
// (jsonld-signatures adds https://w3id.org/security/v1 and /v2 itself, for framing.)
import {CachedResolver} from '@digitalbazaar/did-io';
import * as DidKey from '@digitalbazaar/did-method-key';
import * as DidWeb from '@digitalbazaar/did-method-web';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {pinnedContext} from './contexts.mjs';

export function makeDidResolver() {
  const resolver = new CachedResolver();
  const didKeyDriver = DidKey.driver();
  didKeyDriver.use({
    multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from
  });
  const didWebDriver = DidWeb.driver();
  didWebDriver.use({
    multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from
  });
  resolver.use(didKeyDriver);
  resolver.use(didWebDriver);
  return resolver;
}

export function dbDocumentLoader({refused = [], contexts = []} = {}) {
  const resolver = makeDidResolver();
  return async function documentLoader(url) {
    const ctx = pinnedContext(url);
    if(ctx !== undefined) {
      if(!contexts.includes(url)) {
        contexts.push(url);
      }
      return {contextUrl: null, documentUrl: url, document: ctx, tag: 'static'};
    }
    if(url.startsWith('did:key:') || url.startsWith('did:web:')) {
      const document = await resolver.get({url});
      return {contextUrl: null, documentUrl: url, document};
    }
    if(url.startsWith('https://') || url.startsWith('http://')) {
      const response = await globalThis.fetch(url, {
        headers: {accept: 'application/ld+json, application/json'}
      });
      if(!response.ok) {
        throw new Error(
          `NotFoundError loading "${url}": HTTP ${response.status}`);
      }
      return {contextUrl: null, documentUrl: url, document: await response.json()};
    }
    refused.push(url);
    throw new Error(`Document loader refuses "${url}".`);
  };
}
