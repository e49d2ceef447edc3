// Reads the credential carried inside a baked badge image (Open Badges 3.0 §5.3):
// PNG iTXt chunk 'openbadgecredential', or SVG <openbadges:credential>. Twin of
// generator/trust/bake.py: same rules, same messages. The format is told by the first bytes
// (PNG signature, else the first non-blank character: "<" is SVG, anything else JSON); sizes
// are capped; a second credential chunk or element is refused, never one picked; an SVG may
// have no DTD (entity expansion freezes XML parsers).
import { decodeUtf8, inflate, MAX_JSON_BYTES, sizeText } from "./untrusted.js";

const OB_NS = "https://purl.imsglobal.org/ob/v3p0";
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const KEYWORD = "openbadgecredential";
export const MAX_FILE_BYTES = 10000000;
const MAX_SVG_DEPTH = 256; // browsers give up at a depth of their own (Chromium: 5000)
const XML_BLANK = " \t\r\n";
const stripBlank = (s) => s.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");

export function isPng(bytes) {
  return PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

function* chunks(bytes) {
  if (!isPng(bytes)) throw new Error("not a PNG file");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8;
  while (pos + 12 <= bytes.length) {
    const length = view.getUint32(pos);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    const end = pos + 12 + length;
    if (end > bytes.length) throw new Error("truncated PNG chunk");
    yield [type, bytes.subarray(pos + 8, pos + 8 + length)];
    pos = end;
    if (type === "IEND") return;
  }
  throw new Error("PNG has no IEND chunk");
}

function isCredentialChunk(type, data) {
  if (type !== "iTXt") return false;
  const nul = data.indexOf(0);
  const keyword = nul < 0 ? data : data.subarray(0, nul);
  return keyword.length === KEYWORD.length && String.fromCharCode(...keyword) === KEYWORD;
}

// iTXt: keyword NUL, compression flag, method, language NUL, translated keyword NUL, text.
async function itxtText(data) {
  const rest = data.subarray(KEYWORD.length + 1);
  const langEnd = rest.length >= 2 ? rest.indexOf(0, 2) : -1;
  const textStart = langEnd >= 0 ? rest.indexOf(0, langEnd + 1) + 1 : 0;
  if (textStart === 0) throw new Error("the iTXt 'openbadgecredential' chunk is truncated");
  let text = rest.subarray(textStart);
  const [compressed, method] = [rest[0], rest[1]];
  if (compressed === 1 && method === 0) text = await inflate(text, MAX_JSON_BYTES);
  else if (compressed !== 0) throw new Error("the iTXt 'openbadgecredential' chunk uses an unknown compression");
  return decodeUtf8(text);
}

export async function extractPng(bytes) {
  const found = [];
  for (const [type, data] of chunks(bytes)) if (isCredentialChunk(type, data)) found.push(data);
  if (!found.length) throw new Error("this PNG carries no Open Badges credential (no iTXt 'openbadgecredential' chunk)");
  if (found.length > 1) {
    throw new Error("this PNG carries more than one Open Badges credential (iTXt 'openbadgecredential' chunks); Open Badges allows one");
  }
  return itxtText(found[0]);
}

// Whether the XML prolog (before the root element, the only place a DTD can be) declares
// a document type.
export function hasDoctype(text) {
  let pos = 0;
  for (;;) {
    while (pos < text.length && (XML_BLANK + "\ufeff").includes(text[pos])) pos++;
    const pair = [["<?", "?>"], ["<!--", "-->"]].find(([start]) => text.startsWith(start, pos));
    if (!pair) return text.slice(pos, pos + 9).toUpperCase() === "<!DOCTYPE";
    const close = text.indexOf(pair[1], pos + pair[0].length);
    if (close < 0) return false;
    pos = close + pair[1].length;
  }
}

const TAG_END = /(?:[^>"']|"[^"]*"|'[^']*')*>/y;
const SKIPPED = [["<!--", "-->"], ["<![CDATA[", "]]>"], ["<?", "?>"], ["<!", ">"]];

// How deep elements nest, counted on the text before parsing (bake.py element_depth).
export function elementDepth(text, limit = MAX_SVG_DEPTH) {
  let depth = 0;
  let deepest = 0;
  let pos = text.indexOf("<");
  while (pos >= 0) {
    const skipped = SKIPPED.find(([opener]) => text.startsWith(opener, pos));
    if (skipped) {
      const end = text.indexOf(skipped[1], pos + skipped[0].length);
      if (end < 0) return deepest;
      pos = end + skipped[1].length;
    } else {
      TAG_END.lastIndex = pos + 1;
      const tag = TAG_END.exec(text);
      if (!tag) return deepest;
      const end = pos + 1 + tag[0].length;
      if (text.startsWith("</", pos)) {
        depth--;
      } else if (text[end - 2] !== "/") {
        depth++;
        if (depth > deepest) {
          deepest = depth;
          if (deepest > limit) return deepest;
        }
      }
      pos = end;
    }
    pos = text.indexOf("<", pos);
  }
  return deepest;
}

export function extractSvg(text) {
  if (hasDoctype(text)) throw new Error("the SVG declares a DTD, which a baked badge never needs");
  if (elementDepth(text) > MAX_SVG_DEPTH) throw new Error(`the SVG nests elements more than ${MAX_SVG_DEPTH} deep`);
  const doc = new DOMParser().parseFromString(text, "image/svg+xml");
  if (doc.getElementsByTagName("parsererror").length) throw new Error("not a well-formed SVG");
  if (doc.documentElement.localName !== "svg") throw new Error("not an SVG file (no <svg> element)");
  const nodes = doc.getElementsByTagNameNS(OB_NS, "credential");
  if (nodes.length > 1) {
    throw new Error("this SVG carries more than one Open Badges credential (<openbadges:credential> elements); Open Badges allows one");
  }
  const credential = nodes.length ? stripBlank(nodes[0].textContent) : "";
  if (!credential) throw new Error("this SVG carries no Open Badges credential (no <openbadges:credential> element)");
  return credential;
}

// The credential JSON text of a file's bytes: a baked PNG or SVG, or JSON itself, told
// apart by the first bytes (never by what the text contains further on).
export async function credentialTextOf(bytes) {
  if (bytes.length > MAX_FILE_BYTES) throw new Error(`the file is larger than ${sizeText(MAX_FILE_BYTES)}`);
  if (isPng(bytes)) return extractPng(bytes);
  const text = decodeUtf8(bytes);
  if (/^\ufeff?[ \t\r\n]*</.test(text)) return extractSvg(text);
  return text;
}

// The credential text from a file the visitor dropped: JSON, a baked PNG or a baked SVG.
// The size is checked before the file is read.
export async function credentialText(file) {
  if (file.size > MAX_FILE_BYTES) throw new Error(`the file is larger than ${sizeText(MAX_FILE_BYTES)}`);
  return credentialTextOf(new Uint8Array(await file.arrayBuffer()));
}
