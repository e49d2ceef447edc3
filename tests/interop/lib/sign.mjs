// Issue (sign) a credential with the Digital Bazaar stack: @digitalbazaar/vc issue() with a
// DataIntegrityProof / eddsa-rdfc-2022 suite; only the pinned contexts are loaded.
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';

import {pinnedContext} from './contexts.mjs';

export async function publicKeyMultibase(seed) {
  return (await Ed25519Multikey.generate({seed})).publicKeyMultibase;
}

export async function signCredential({credential, seed, issuerId, verificationMethod,
  created, now}) {
  const keyPair = await Ed25519Multikey.generate({
    seed, id: verificationMethod, controller: issuerId
  });
  const suite = new DataIntegrityProof({
    signer: keyPair.signer(), cryptosuite: eddsaRdfc2022,
    date: created ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')
  });
  return vc.issue({
    credential: structuredClone(credential), suite, documentLoader: contextsOnly,
    ...(now ? {now: new Date(now)} : {})
  });
}

export async function contextsOnly(url) {
  const document = pinnedContext(url);
  if(document === undefined) {
    throw new Error(`signing loads only the pinned contexts; refused "${url}"`);
  }
  return {contextUrl: null, documentUrl: url, document};
}
