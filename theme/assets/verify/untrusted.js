// Reading untrusted input within limits: the browser twin of generator/trust/untrusted.py,
// same rules in the same order. JSON: size, nesting depth counted on the text before
// parsing, plain JSON, no key twice in one object (JSON.parse cannot see duplicate keys, so a
// small scan of the text, already known to be valid JSON, finds them). Text: UTF-8 only.
// Compressed data: decompressed only up to a limit.
export const MAX_JSON_BYTES = 1000000;
export const MAX_DEPTH = 32;

export class JsonProblem extends Error {
  constructor(code, params = {}) {
    super(`${code}: ${JSON.stringify(params)}`);
    this.code = code;
    this.params = params;
  }
}

export function sizeText(limit) {
  if (limit >= 1000000) return `${Math.floor(limit / 1000000)} MB`;
  return limit >= 1000 ? `${Math.floor(limit / 1000)} KB` : `${limit} bytes`;
}

// How deep arrays and objects nest (brackets inside strings do not count); stops counting
// once `limit` is passed. A string runs to its closing quote or the end of the text.
export function nestingDepth(text, limit = MAX_DEPTH) {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return deepest;
}

// The keys found more than once in one object, in text that JSON.parse accepted.
export function duplicateKeys(text) {
  const found = new Set();
  const stack = []; // per open container: a Set of keys (object) or null (array)
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      let j = i + 1;
      let escaped = false;
      while (text.charCodeAt(j) !== 0x22) {
        if (text.charCodeAt(j) === 0x5c) { escaped = true; j += 2; } else j++;
      }
      const keys = stack[stack.length - 1];
      if (expectKey && keys) {
        const key = escaped ? JSON.parse(text.slice(i, j + 1)) : text.slice(i + 1, j);
        if (keys.has(key)) found.add(key); else keys.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === 0x7b) {
      stack.push(new Set());
      expectKey = true;
    } else if (c === 0x5b) {
      stack.push(null);
    } else if (c === 0x7d || c === 0x5d) {
      stack.pop();
    } else if (c === 0x2c) {
      expectKey = Boolean(stack[stack.length - 1]);
    }
  }
  return [...found].sort();
}

const utf8Length = (text) => new TextEncoder().encode(text).length;

// Parse by the rules above; a JsonProblem names the messages.json code that says why.
export function parseStrict(text, maxBytes = MAX_JSON_BYTES) {
  const body = text.startsWith("\ufeff") ? text.slice(1) : text;
  if (body.length > maxBytes || utf8Length(body) > maxBytes) throw new JsonProblem("format.too_large", { max: sizeText(maxBytes) });
  if (nestingDepth(body) > MAX_DEPTH) throw new JsonProblem("format.too_deep", { max: String(MAX_DEPTH) });
  let doc;
  try { doc = JSON.parse(body); } catch (e) { throw new JsonProblem("format.json", { detail: e.message }); }
  const duplicates = duplicateKeys(body);
  if (duplicates.length) throw new JsonProblem("format.duplicate_key", { keys: duplicates.map((k) => `'${k}'`).join(", ") });
  return doc;
}

// The position of the first byte that is not well-formed UTF-8 (Unicode Table 3-7), or -1;
// the same position Python's decoder names.
export function firstInvalidUtf8(bytes) {
  let i = 0;
  while (i < bytes.length) {
    const c = bytes[i];
    if (c < 0x80) { i++; continue; }
    let n;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) { n = 2; if (c === 0xe0) lo = 0xa0; if (c === 0xed) hi = 0x9f; }
    else if (c >= 0xf0 && c <= 0xf4) { n = 3; if (c === 0xf0) lo = 0x90; if (c === 0xf4) hi = 0x8f; }
    else return i;
    for (let k = 1; k <= n; k++) {
      const d = bytes[i + k];
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return -1;
}

// Bytes -> text: UTF-8 only (OB 3.0 §5: JSON exchanged between systems MUST be UTF-8);
// UTF-16 and UTF-32, which a decoder might guess, are refused by name.
export function decodeUtf8(bytes) {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)
      || (bytes.length >= 2 && bytes.subarray(0, 4).includes(0))) {
    throw new Error("the file is UTF-16 or UTF-32 text; a credential must be UTF-8");
  }
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) throw new Error(`the file is not UTF-8 text (invalid byte at position ${bad})`);
  return new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
}

const CORRUPT = "the compressed data is corrupt or truncated";

// zlib (or gzip) data, decompressed only up to `maxOut` bytes. The input goes in 1 KB at a
// time, each slice only once the output so far has been read, so no more than about 1 MB
// (deflate's largest ratio is 1032:1) is ever produced beyond the limit: a bomb of 1 GB
// stops after a few milliseconds and a few megabytes.
const SLICE = 1024;

export async function inflate(bytes, maxOut, { gzip = false } = {}) {
  const stream = new DecompressionStream(gzip ? "gzip" : "deflate");
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  const parts = [];
  let total = 0;
  const reading = (async () => {
    for (;;) {
      let step;
      try { step = await reader.read(); } catch { throw new Error(CORRUPT); }
      if (step.done) return;
      total += step.value.length;
      if (total > maxOut) throw new Error(`the compressed data expands to more than ${sizeText(maxOut)}`);
      parts.push(step.value);
    }
  })();
  const writing = (async () => {
    for (let at = 0; at < bytes.length; at += SLICE) await writer.write(bytes.subarray(at, at + SLICE));
    await writer.close();
  })();
  writing.catch(() => {}); // its failure is the reader's to report
  try {
    await reading;
  } catch (e) {
    reader.cancel().catch(() => {});
    throw e;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) { out.set(part, at); at += part.length; }
  return out;
}
