// The two verifier stacks, each reduced to
//   {verified, checks: {proof, expiry, status, ...}, errors: [{name, message}]}
// Check values: "pass" | "fail" | "error" (could not be decided) | "none" (nothing to
// check, e.g. no credentialStatus) | "not-run" (an earlier step was fatal).
import fs from 'node:fs';
import path from 'node:path';
import {createRequire} from 'node:module';
import {fileURLToPath} from 'node:url';

import {verifyCredential as dccVerifyCredential} from
  '@digitalcredentials/verifier-core';

import * as vc from '@digitalbazaar/vc';
import jsigs from 'jsonld-signatures';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {checkStatus as dbCheckStatus} from
  '@digitalbazaar/vc-bitstring-status-list';

import {flattenErrors, uniqueErrors} from './errors.mjs';
import {dbDocumentLoader} from './dbLoader.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const NODE_MODULES = path.join(HERE, '..', 'node_modules');

// --- DCC: @digitalcredentials/verifier-core, called as the Learner Credential Wallet and
// VerifierPlus call it: verifyCredential({credential, knownDIDRegistries}). It builds its
// own document loader (securityLoader({fetchRemoteContexts: true})) and its own suites
// (Ed25519Signature2020 + DataIntegrityProof/eddsa-rdfc-2022); neither can be passed in, so
// the offline network (globalThis.fetch) is what it talks to.
// verifier-core reports a failed proof only as "invalid_signature"; to see the reason under
// it we record what jsonld-signatures' ProofSet.verify returned, in every copy of the DCC
// jsonld-signatures fork (one for credentials, one inside the status-list package).
const dccProofDiagnostics = [];
for(const file of _findFiles(path.join(NODE_MODULES, '@digitalcredentials'),
  /jsonld-signatures[\\/]lib[\\/]ProofSet\.js$/)) {
  const ProofSet = createRequire(file)(file);
  const original = ProofSet.prototype.verify;
  ProofSet.prototype.verify = async function(document, options) {
    const result = await original.call(this, document, options);
    if(!result.verified) {
      const errors = flattenErrors(result.error);
      for(const r of result.results ?? []) {
        flattenErrors(r.error, errors);
        flattenErrors(r.purposeResult?.error, errors);
      }
      dccProofDiagnostics.push({document: document?.id, errors: uniqueErrors(errors)});
    }
    return result;
  };
}

export async function verifyWithDcc(credential) {
  dccProofDiagnostics.length = 0;
  const out = {
    verified: false,
    checks: {proof: 'not-run', expiry: 'not-run', status: 'not-run',
      registry: 'not-run', schema: 'not-run'},
    errors: []
  };
  const consoleLines = [];
  const {log: clog, error: cerr, warn: cwarn} = console;
  console.log = console.error = console.warn = (...a) => consoleLines.push(
    a.map(x => x instanceof Error ? `${x.name}: ${x.message}` :
      typeof x === 'string' ? x : JSON.stringify(x)).join(' ').slice(0, 300));
  let result;
  try {
    result = await dccVerifyCredential({
      credential: structuredClone(credential), knownDIDRegistries: []
    });
  } finally {
    Object.assign(console, {log: clog, error: cerr, warn: cwarn});
  }
  if(result.errors) {
    // fatal: verifier-core returns no log at all
    const [first] = result.errors;
    out.checks.proof = first.name === 'invalid_signature' ? 'fail' : 'error';
    out.errors.push(...result.errors.map(e => ({name: e.name, message: e.message})));
  }
  const hasStatus = !!credential.credentialStatus;
  for(const entry of result.log ?? []) {
    const v = entry.error ? 'error' : entry.valid ? 'pass' : 'fail';
    if(entry.id === 'valid_signature') {
      out.checks.proof = v;
    } else if(entry.id === 'expiration') {
      out.checks.expiry = v;
    } else if(entry.id === 'revocation_status') {
      out.checks.status = v;
      if(entry.error) {
        out.errors.push({name: entry.error.name, message: entry.error.message});
      }
    } else if(entry.id === 'registered_issuer') {
      out.checks.registry = v;
    }
  }
  if(!result.errors && !hasStatus) {
    out.checks.status = 'none';
  }
  if(result.error) {
    out.errors.push(...flattenErrors(result.error));
  }
  const schema = (result.additionalInformation ?? [])
    .find(e => e.id === 'schema_check');
  if(schema) {
    if(Array.isArray(schema.results)) {
      const r = schema.results[0];
      out.checks.schema = r.result?.valid ? 'pass' : 'fail';
      out.schema = {url: r.schema, valid: r.result?.valid,
        errors: (r.result?.errors ?? []).slice(0, 5).map(
          e => `${e.instancePath || '/'} ${e.message}`)};
    } else {
      out.checks.schema = 'error';
      out.schema = {result: schema.results};
    }
  }
  out.verified = out.checks.proof === 'pass' && out.checks.expiry === 'pass' &&
    ['pass', 'none'].includes(out.checks.status);
  if(dccProofDiagnostics.length) {
    out.proofErrors = dccProofDiagnostics.splice(0);
  }
  if(consoleLines.length) {
    out.console = consoleLines.slice(0, 5);
  }
  out.errors = uniqueErrors(out.errors);
  return out;
}

// --- Digital Bazaar: @digitalbazaar/vc verifyCredential with a DataIntegrityProof
// (eddsa-rdfc-2022) suite, @digitalbazaar/vc-bitstring-status-list checkStatus, and our
// offline document loader. vc.verifyCredential is the verdict; the checks are also run one
// by one so each is reported even when another fails. Note: @digitalbazaar/vc returns
// verified: true for a revoked credential (checkStatus only reports the bit as `status`),
// so "revoked" is read from statusResult.results[].status.
export async function verifyWithDb(credential, {now} = {}) {
  const refused = [];
  const contexts = [];
  const documentLoader = dbDocumentLoader({refused, contexts});
  const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
  const out = {
    verified: false,
    checks: {proof: 'not-run', expiry: 'not-run', status: 'not-run'},
    errors: []
  };
  const nowDate = now ? new Date(now) : new Date();

  // the verdict, as an application using @digitalbazaar/vc gets it
  const full = await vc.verifyCredential({
    credential: structuredClone(credential), suite, documentLoader,
    checkStatus: dbCheckStatus, now: nowDate
  });

  // 1. proof (what vc.verifyCredential runs: jsigs.verify + CredentialIssuancePurpose)
  try {
    const r = await jsigs.verify(structuredClone(credential), {
      suite, purpose: new vc.CredentialIssuancePurpose(), documentLoader
    });
    out.checks.proof = r.verified ? 'pass' : 'fail';
    if(!r.verified) {
      out.errors.push(...flattenErrors(r.error));
    }
  } catch(e) {
    out.checks.proof = 'error';
    out.errors.push(...flattenErrors(e));
  }
  // 2. dates and data-model checks
  try {
    vc._checkCredential({credential, now: nowDate});
    out.checks.expiry = 'pass';
  } catch(e) {
    out.checks.expiry = /validUntil|validFrom|expir|issuanceDate/.test(e.message) ?
      'fail' : 'error';
    out.errors.push(...flattenErrors(e));
  }
  // 3. status
  if(!credential.credentialStatus) {
    out.checks.status = 'none';
  } else {
    const s = await dbCheckStatus({
      credential, documentLoader, suite,
      verifyBitstringStatusListCredential: true, verifyMatchingIssuers: true
    });
    if(!s.verified) {
      out.checks.status = 'error';
      out.errors.push(...flattenErrors(s.error));
    } else {
      const revoked = s.results.some(r => r.status === true);
      out.checks.status = revoked ? 'fail' : 'pass';
      if(revoked) {
        out.errors.push({name: 'StatusError',
          message: 'bit set in ' + s.results.filter(r => r.status)
            .map(r => r.credentialStatus.statusListCredential + '#' +
              r.credentialStatus.statusListIndex).join(', ')});
      }
    }
  }
  const fullRevoked = full.statusResult?.results?.some(r => r.status === true);
  out.vcVerifyCredential = {verified: full.verified,
    ...(fullRevoked ? {statusBitSet: true} : {})};
  out.verified = full.verified && !fullRevoked;
  if(!full.verified && full.error) {
    out.errors.push(...flattenErrors(full.error));
  }
  out.contextsLoaded = contexts;
  if(refused.length) {
    out.loaderRefused = refused;
  }
  out.errors = uniqueErrors(out.errors);
  return out;
}

function _findFiles(dir, pattern, out = [], depth = 0) {
  if(depth > 8) {
    return out;
  }
  let entries;
  try {
    entries = fs.readdirSync(dir, {withFileTypes: true});
  } catch {
    return out;
  }
  for(const e of entries) {
    const p = path.join(dir, e.name);
    if(e.isDirectory()) {
      _findFiles(p, pattern, out, depth + 1);
    } else if(pattern.test(p)) {
      out.push(p);
    }
  }
  return out;
}
