// An offline stand-in for the network, installed as globalThis.fetch so that every HTTP
// client in both stacks (ky in @digitalcredentials/http-client and @digitalbazaar/http-client,
// the schema fetch in verifier-core, the issuer-registry client) goes through it.
// It behaves like a static host plus a plain HTTP client:
//   - the fragment of a URL is never sent (fetch semantics), so https://h/issuer.json#k
//     is answered with the document at https://h/issuer.json;
//   - URLs on the site's origin, under the base path, are served from the site directory by
//     path, JSON files only (application/json, as Netlify serves them); anything else: 404;
//   - the pinned JSON-LD contexts are served at their own URLs (what w3.org / w3id.org /
//     purl.imsglobal.org would answer), unless contexts are turned off;
//   - documents given with --serve URL=FILE are served at their URL;
//   - every other URL is refused as a network error. Nothing ever leaves this process.
// Every request is recorded in `log` so the caller can report what a stack fetched.
import fs from 'node:fs';
import path from 'node:path';
import {pinnedContext} from './contexts.mjs';

export class OfflineNetwork {
  constructor({siteDir, baseUrl, serveContexts = true, extra = {}}) {
    this.extra = extra; // {url: file}: documents served at any URL (e.g. a JSON schema)
    this.siteDir = siteDir ? path.resolve(siteDir) : null;
    this.base = new URL(baseUrl);
    if(!this.base.pathname.endsWith('/')) {
      this.base.pathname += '/';
    }
    this.serveContexts = serveContexts;
    this.log = [];
  }

  takeLog() {
    const log = this.log;
    this.log = [];
    return log;
  }

  /** The site file behind a URL on the site's origin, or null. */
  sitePath(url) {
    const u = new URL(url);
    if(!this.siteDir || u.origin !== this.base.origin ||
      !u.pathname.startsWith(this.base.pathname)) {
      return null;
    }
    const rel = decodeURIComponent(u.pathname.slice(this.base.pathname.length));
    const file = path.resolve(this.siteDir, rel);
    if(file !== this.siteDir && !file.startsWith(this.siteDir + path.sep)) {
      return null;
    }
    return file;
  }

  install() {
    const net = this;
    const fetch = async function offlineFetch(input, init) {
      const requested = typeof input === 'string' ? input :
        input instanceof URL ? input.href : input.url;
      const url = new URL(requested);
      url.hash = ''; // fragments are not sent over HTTP
      const href = url.href;
      const entry = {url: requested};
      net.log.push(entry);
      if(url.protocol !== 'https:' && url.protocol !== 'http:') {
        entry.result = 'refused';
        throw _networkError(requested, 'unsupported scheme');
      }
      if(url.origin === net.base.origin) {
        const file = net.sitePath(href);
        if(file && /\.json$/.test(file) && _isFile(file)) {
          entry.result = 'site';
          entry.file = path.relative(net.siteDir, file);
          return new Response(fs.readFileSync(file), {
            status: 200, headers: {'content-type': 'application/json'}
          });
        }
        entry.result = '404';
        return new Response('Not Found', {
          status: 404, statusText: 'Not Found',
          headers: {'content-type': 'text/plain'}
        });
      }
      if(net.extra[href]) {
        entry.result = 'extra';
        return new Response(fs.readFileSync(net.extra[href]), {
          status: 200, headers: {'content-type': 'application/json'}
        });
      }
      const ctx = net.serveContexts ? pinnedContext(href) : undefined;
      if(ctx !== undefined) {
        entry.result = 'pinned-context';
        return new Response(JSON.stringify(ctx), {
          status: 200, headers: {'content-type': 'application/ld+json'}
        });
      }
      entry.result = 'refused';
      throw _networkError(requested, `offline harness refuses host ${url.host}`);
    };
    globalThis.fetch = fetch;
    return this;
  }
}

function _isFile(file) {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function _networkError(url, reason) {
  // what undici's fetch throws for a network failure
  const error = new TypeError('fetch failed');
  error.cause = new Error(`${reason} (${url})`);
  return error;
}
