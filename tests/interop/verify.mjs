#!/usr/bin/env node
// Verify badgepress credentials with two independent JavaScript stacks, fully offline.
//
//   node verify.mjs --site DIR --base-url URL [options] FILE|DIR|URL...
//
// FILE     a credential JSON file
// DIR      every credential.json below it (e.g. DIR/credentials)
// URL      a URL on the site (served from --site like the static host would)
//
// --site DIR        the built site (what the static host serves at --base-url)
// --base-url URL    the site's base URL (its origin + path prefix are mapped onto DIR)
// --now ISO         the time to verify at (both stacks; default: now)
// --stack S         dcc, db or both (default both)
// --no-network-contexts   do not answer context URLs over the (offline) network: shows
//                   which contexts a stack does not bundle (DCC fetches those at run time)
// --serve URL=FILE  also answer URL with FILE (repeatable), e.g. a local copy of the OB 3.0
//                   JSON schema that verifier-core fetches for its schema check
// --tamper          also verify a copy of each credential with one field changed
// --pretty          indent the JSON
// --table           print a Markdown table (one row per credential) instead of JSON
//
// Prints one JSON object per credential (one per line unless --pretty):
//   {source, id, tampered?, dcc: {verified, checks, errors, network}, db: {...}}
// Exit status: 0 when every credential verified in every stack, 1 otherwise, 2 on misuse.
import fs from 'node:fs';
import path from 'node:path';
import {parseArgs} from 'node:util';

import {OfflineNetwork} from './lib/network.mjs';
import {withClock} from './lib/clock.mjs';

const USAGE = 'usage: node verify.mjs --site DIR --base-url URL [--now ISO] ' +
  '[--stack dcc|db|both] [--no-network-contexts] [--serve URL=FILE] [--tamper] ' +
  '[--pretty | --table] FILE|DIR|URL...';

let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: {
      site: {type: 'string'},
      'base-url': {type: 'string'},
      now: {type: 'string'},
      stack: {type: 'string', default: 'both'},
      'no-network-contexts': {type: 'boolean', default: false},
      tamper: {type: 'boolean', default: false},
      serve: {type: 'string', multiple: true, default: []},
      pretty: {type: 'boolean', default: false},
      table: {type: 'boolean', default: false},
      help: {type: 'boolean', short: 'h', default: false}
    }
  });
} catch(e) {
  console.error(`${e.message}\n${USAGE}`);
  process.exit(2);
}
const opts = args.values;
if(opts.help) {
  console.log(USAGE);
  process.exit(0);
}
if(!opts['base-url'] || !args.positionals.length ||
  !['dcc', 'db', 'both'].includes(opts.stack)) {
  console.error(USAGE);
  process.exit(2);
}
if(opts.now && Number.isNaN(new Date(opts.now).getTime())) {
  console.error(`--now: not a date-time: ${opts.now}`);
  process.exit(2);
}

// The network must be replaced before any stack makes a request.
const extra = {};
for(const pair of opts.serve) {
  const at = pair.indexOf('=');
  if(at < 1 || !fs.existsSync(pair.slice(at + 1))) {
    console.error(`--serve URL=FILE: bad value or missing file: ${pair}`);
    process.exit(2);
  }
  extra[pair.slice(0, at)] = pair.slice(at + 1);
}
const network = new OfflineNetwork({
  siteDir: opts.site, baseUrl: opts['base-url'],
  serveContexts: !opts['no-network-contexts'], extra
}).install();
// stdout carries only results; libraries that print go to stderr
console.log = console.error;

const {verifyWithDcc, verifyWithDb} = await import('./lib/stacks.mjs');

const inputs = [];
for(const arg of args.positionals) {
  if(/^https?:\/\//.test(arg)) {
    inputs.push({source: arg, load: () => _loadUrl(arg)});
  } else if(fs.existsSync(arg) && fs.statSync(arg).isDirectory()) {
    for(const file of _credentialFiles(arg)) {
      inputs.push({source: file, load: () => JSON.parse(fs.readFileSync(file, 'utf8'))});
    }
  } else {
    inputs.push({source: arg, load: () => JSON.parse(fs.readFileSync(arg, 'utf8'))});
  }
}

let allVerified = true;
let tableHeader = false;
for(const input of inputs) {
  let credential;
  try {
    credential = await input.load();
  } catch(e) {
    _print({source: input.source, error: `cannot read: ${e.message}`});
    allVerified = false;
    continue;
  }
  const variants = [{credential, tampered: false}];
  if(opts.tamper) {
    variants.push({credential: _tamper(credential), tampered: true});
  }
  for(const {credential: doc, tampered} of variants) {
    const result = {source: input.source, id: doc.id};
    if(opts.tamper) {
      result.tampered = tampered;
    }
    for(const [name, run] of [['dcc', verifyWithDcc], ['db', verifyWithDb]]) {
      if(opts.stack !== 'both' && opts.stack !== name) {
        continue;
      }
      network.takeLog();
      let r;
      try {
        r = await withClock(opts.now, () => run(doc, {now: opts.now}));
      } catch(e) {
        r = {verified: false, checks: {}, errors: [{name: e.name, message: e.message}]};
      }
      r.network = _summarize(network.takeLog());
      result[name] = r;
      allVerified &&= r.verified;
    }
    _print(result);
  }
}
process.exit(allVerified ? 0 : 1);

async function _loadUrl(url) {
  const response = await globalThis.fetch(url);
  if(!response.ok) {
    throw new Error(`HTTP ${response.status}`);
  }
  network.takeLog();
  return response.json();
}

function _credentialFiles(dir) {
  const out = [];
  for(const e of fs.readdirSync(dir, {withFileTypes: true})) {
    const p = path.join(dir, e.name);
    if(e.isDirectory()) {
      out.push(..._credentialFiles(p));
    } else if(e.name === 'credential.json') {
      out.push(p);
    }
  }
  return out.sort();
}

function _tamper(doc) {
  const copy = structuredClone(doc);
  const achievement = copy.credentialSubject?.achievement;
  if(achievement?.name) {
    achievement.name += ' (tampered)';
  } else if(copy.credentialSubject?.encodedList) {
    copy.credentialSubject.encodedList += 'A';
  } else {
    copy.name = `${copy.name ?? ''} (tampered)`;
  }
  return copy;
}

function _summarize(log) {
  const out = {};
  for(const e of log) {
    const key = {site: 'site', '404': 'notFound', refused: 'refused',
      'pinned-context': 'contexts', extra: 'served'}[e.result] ?? e.result;
    (out[key] ??= []);
    if(!out[key].includes(e.url)) {
      out[key].push(e.url);
    }
  }
  return out;
}

function _print(obj) {
  if(!opts.table) {
    process.stdout.write(JSON.stringify(obj, null, opts.pretty ? 2 : 0) + '\n');
    return;
  }
  const stacks = ['dcc', 'db'].filter(s => opts.stack === 'both' || opts.stack === s);
  if(!tableHeader) {
    tableHeader = true;
    process.stdout.write(`| credential | ${stacks.map(s => `${s} verified | ${s} ` +
      'proof/expiry/status | ' + `${s} first error`).join(' | ')} |\n` +
      `|---|${stacks.map(() => '---|---|---').join('|')}|\n`);
  }
  const name = (obj.id ?? obj.source).replace(/^urn:uuid:/, '')
    .replace(/^https?:\/\/[^/]+\//, '/').slice(0, 36) +
    (obj.tampered ? ' (tampered)' : '');
  const cells = stacks.map(s => {
    const r = obj[s];
    if(!r) {
      return `- | - | ${obj.error ?? ''}`;
    }
    const c = r.checks;
    const why = r.proofErrors?.flatMap(p => p.errors).map(e => e.message).find(Boolean) ??
      r.errors.map(e => e.message).find(m => m && !/^Verification error/.test(m)) ?? '';
    return `${r.verified} | ${c.proof}/${c.expiry}/${c.status} | ` +
      why.replace(/\|/g, '/').replace(/\s+/g, ' ').slice(0, 90);
  });
  process.stdout.write(`| ${name} | ${cells.join(' | ')} |\n`);
}
