// Hashing and Ed25519 through WebCrypto, with @noble/ed25519 when the browser's WebCrypto
// lacks Ed25519. Base58 and base64url come from @scure/base: nothing is hand-rolled.
import * as ed from "../vendor/noble-ed25519.js";
import { base58, base64urlnopad } from "../vendor/scure-base.js";
import canonicalize from "../vendor/canonicalize.js";

const ED25519_PUB = [0xed, 0x01];

export const utf8 = (s) => new TextEncoder().encode(s);

export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

export const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

export function decodeMultibaseKey(value) {
  if (typeof value !== "string" || !value.startsWith("z")) {
    throw new Error("not a base58btc multibase value (must start with 'z')");
  }
  // 34 bytes are at most 47 characters; base58 decoding is quadratic in the length
  if (value.length > 60) throw new Error("not an Ed25519 Multikey");
  let data;
  try { data = base58.decode(value.slice(1)); } catch { throw new Error("not valid base58btc"); }
  if (data.length !== 34 || data[0] !== ED25519_PUB[0] || data[1] !== ED25519_PUB[1]) {
    throw new Error("not an Ed25519 Multikey");
  }
  return data.slice(2);
}

export function decodeBase58(value) { return base58.decode(value); }

export function decodeBase64url(value) { return base64urlnopad.decode(value.replace(/=+$/, "")); }

export function jcs(doc) { return utf8(canonicalize(doc)); }

// The Ed25519 base point: a valid public key, used once to ask whether WebCrypto has Ed25519.
const PROBE_KEY = new Uint8Array([0x58, ...new Array(31).fill(0x66)]);
let webCryptoEd25519 = null;

export async function hasWebCryptoEd25519() {
  if (webCryptoEd25519 === null) {
    try {
      await crypto.subtle.importKey("raw", PROBE_KEY, { name: "Ed25519" }, false, ["verify"]);
      webCryptoEd25519 = true;
    } catch {
      webCryptoEd25519 = false;
    }
  }
  return webCryptoEd25519;
}

export async function verifyEd25519(publicKey, signature, message, { forceFallback = false } = {}) {
  if (!forceFallback && await hasWebCryptoEd25519()) {
    try {
      const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
      return await crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
    } catch {
      return false; // an unusable key or signature
    }
  }
  try { return await ed.verifyAsync(signature, message, publicKey, { zip215: false }); } catch { return false; }
}
