#!/usr/bin/env node
// Sign an Open Badges 3.0 credential with the Digital Bazaar stack
// (@digitalbazaar/vc issue, DataIntegrityProof, eddsa-rdfc-2022), for `badgepress verify`.
//
// (a) did:key issuer (key from --seed/--key-file, or a fresh one):
//   node sign.mjs --did-key [--seed HEX | --key-file FILE] [--in FILE] [--out FILE]
// (b) a key the badgepress site publishes in its own issuer profile:
//   node sign.mjs --issuer-id URL --verification-method URL (--seed HEX | --key-file FILE)
//                 [--in FILE] [--out FILE]
//
// --in FILE        unsigned credential (any proof in it is dropped; its issuer id is
//                  replaced by the issuer id); default: a built-in OB 3.0 credential
// --seed HEX       the 32-byte Ed25519 seed, hex
// --key-file FILE  a badgepress private key file ({"secretKeyMultibase": "z3u2…"})
// --created ISO    proof.created (default: now, to the second)
// --now ISO        the issuance time checked against validFrom/validUntil (default: now)
// --proof-array    write "proof" as a one-element array (1EdTech's JSON schema wants one)
// --id URN         credential id (default: urn:uuid:<random> when --in has none)
// The public key (publicKeyMultibase) and verificationMethod are reported on stderr.
import crypto from 'node:crypto';
import fs from 'node:fs';
import {parseArgs} from 'node:util';

import * as base58 from 'base58-universal';

import {publicKeyMultibase, signCredential} from './lib/sign.mjs';

const USAGE = 'usage: node sign.mjs (--did-key | --issuer-id URL --verification-method URL)' +
  ' [--seed HEX | --key-file FILE] [--in FILE] [--out FILE] [--created ISO]' +
  ' [--now ISO] [--proof-array] [--id URN]';

let args;
try {
  args = parseArgs({options: {
    'did-key': {type: 'boolean', default: false},
    'issuer-id': {type: 'string'},
    'verification-method': {type: 'string'},
    seed: {type: 'string'},
    'key-file': {type: 'string'},
    in: {type: 'string'},
    out: {type: 'string'},
    created: {type: 'string'},
    now: {type: 'string'},
    'proof-array': {type: 'boolean', default: false},
    id: {type: 'string'},
    help: {type: 'boolean', short: 'h', default: false}
  }});
} catch(e) {
  _fail(`${e.message}\n${USAGE}`);
}
const o = args.values;
if(o.help) {
  console.log(USAGE);
  process.exit(0);
}
if(o['did-key'] === !!(o['issuer-id'] || o['verification-method'])) {
  _fail(`give either --did-key or --issuer-id with --verification-method\n${USAGE}`);
}
if(!o['did-key'] && !(o['issuer-id'] && o['verification-method'])) {
  _fail(`--issuer-id and --verification-method go together\n${USAGE}`);
}
if(!o['did-key'] && !o.seed && !o['key-file']) {
  _fail('a published key needs its private half: --seed HEX or --key-file FILE');
}

const seed = _seed();
const mb = await publicKeyMultibase(seed);
const issuerId = o['did-key'] ? `did:key:${mb}` : o['issuer-id'];
const vmId = o['did-key'] ? `did:key:${mb}#${mb}` : o['verification-method'];

const input = o.in ? JSON.parse(fs.readFileSync(o.in, 'utf8')) : _template();
delete input.proof;
// id right after @context, as badgepress writes it
const {'@context': context, id: inputId, ...rest} = input;
const credential = {'@context': context,
  id: o.id ?? inputId ?? `urn:uuid:${crypto.randomUUID()}`, ...rest};
if(credential.issuer && typeof credential.issuer === 'object') {
  credential.issuer = {...credential.issuer, id: issuerId};
} else {
  credential.issuer = issuerId;
}

const created = o.created ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
let signed;
try {
  signed = await signCredential({credential, seed, issuerId,
    verificationMethod: vmId, created, now: o.now});
} catch(e) {
  _fail(`cannot sign: ${e.message}`);
}
if(o['proof-array'] && !Array.isArray(signed.proof)) {
  signed.proof = [signed.proof];
}
const text = JSON.stringify(signed, null, 2) + '\n';
if(o.out) {
  fs.writeFileSync(o.out, text);
} else {
  process.stdout.write(text);
}
console.error(JSON.stringify({issuer: issuerId, verificationMethod: vmId,
  publicKeyMultibase: mb, id: signed.id, out: o.out ?? '-'}));

function _seed() {
  if(o.seed && o['key-file']) {
    _fail('give --seed or --key-file, not both');
  }
  if(o.seed) {
    if(!/^[0-9a-fA-F]{64}$/.test(o.seed)) {
      _fail('--seed must be 64 hex digits (32 bytes)');
    }
    return Uint8Array.from(Buffer.from(o.seed, 'hex'));
  }
  if(o['key-file']) {
    const {secretKeyMultibase: sk} = JSON.parse(fs.readFileSync(o['key-file'], 'utf8'));
    if(typeof sk !== 'string' || !sk.startsWith('z')) {
      _fail(`${o['key-file']}: no base58btc "secretKeyMultibase"`);
    }
    const raw = base58.decode(sk.slice(1));
    if(raw.length !== 34 || raw[0] !== 0x80 || raw[1] !== 0x26) {
      _fail(`${o['key-file']}: not an Ed25519 secret key (multicodec 0x1300, 32 bytes)`);
    }
    return raw.slice(2);
  }
  return new Uint8Array(crypto.randomBytes(32));
}

function _template() {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    '@context': [
      'https://www.w3.org/ns/credentials/v2',
      'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'
    ],
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    issuer: {id: 'urn:replaced', type: ['Profile'], name: 'Interop Test Issuer'},
    validFrom: o.now ?? now,
    name: 'Interop Test Badge',
    credentialSubject: {
      type: ['AchievementSubject'],
      identifier: [{
        type: 'IdentityObject', identityHash: 'Interop Tester',
        identityType: 'name', hashed: false
      }],
      achievement: {
        id: 'https://example.org/badges/interop-test/',
        type: ['Achievement'],
        achievementType: 'Badge',
        name: 'Interop Test Badge',
        description: 'Signed by the Digital Bazaar stack for the badgepress interop tests.',
        criteria: {narrative: 'Be signed by sign.mjs.'}
      }
    }
  };
}

function _fail(message) {
  console.error(message);
  process.exit(2);
}
