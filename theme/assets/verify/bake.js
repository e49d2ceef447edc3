// Reads the credential carried inside a baked badge image (Open Badges 3.0 §5.3):
// PNG iTXt chunk 'openbadgecredential', or SVG <openbadges:credential>. Twin of generator/bake.py.
const OB_NS = "https://purl.imsglobal.org/ob/v3p0";
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

async function inflate(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export function isPng(bytes) {
  return PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

export async function extractPng(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ascii = (a, b) => String.fromCharCode(...bytes.subarray(a, b));
  let pos = 8;
  while (pos + 12 <= bytes.length) {
    const length = view.getUint32(pos);
    const type = ascii(pos + 4, pos + 8);
    const data = bytes.subarray(pos + 8, pos + 8 + length);
    if (type === "iTXt") {
      const nul = data.indexOf(0);
      if (new TextDecoder().decode(data.subarray(0, nul)) === "openbadgecredential") {
        const compressed = data[nul + 1];
        const langEnd = data.indexOf(0, nul + 3);
        const textStart = data.indexOf(0, langEnd + 1) + 1;
        const text = data.subarray(textStart);
        return new TextDecoder().decode(compressed ? await inflate(text) : text);
      }
    }
    if (type === "IEND") break;
    pos += 12 + length;
  }
  throw new Error("this PNG carries no Open Badges credential (no iTXt 'openbadgecredential' chunk)");
}

export function extractSvg(text) {
  const doc = new DOMParser().parseFromString(text, "image/svg+xml");
  if (doc.getElementsByTagName("parsererror").length) throw new Error("not a well-formed SVG");
  const node = doc.getElementsByTagNameNS(OB_NS, "credential")[0];
  if (!node || !node.textContent.trim()) {
    throw new Error("this SVG carries no Open Badges credential (no <openbadges:credential> element)");
  }
  return node.textContent.trim();
}

// The credential text from a file the visitor dropped: JSON, a baked PNG or a baked SVG.
export async function credentialText(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (isPng(bytes)) return extractPng(bytes);
  const text = new TextDecoder().decode(bytes);
  if (/^\s*(<\?xml|<svg|<!--)/.test(text)) return extractSvg(text);
  return text;
}
