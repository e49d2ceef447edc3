"""Baked badge images: the signed credential carried inside the badge's PNG or SVG, as
Open Badges 3.0 §5.3 specifies, so the image itself can be verified.

PNG: exactly one uncompressed iTXt chunk with keyword ``openbadgecredential`` before IEND.
SVG: ``xmlns:openbadges`` on the root and ``<openbadges:credential><![CDATA[…]]>`` as its
first child.
"""

from __future__ import annotations

import re
import struct
import zlib
from xml.etree import ElementTree

from ..core.errors import BadgepressError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KEYWORD = b"openbadgecredential"
OB_NS = "https://purl.imsglobal.org/ob/v3p0"


class BakeError(BadgepressError, ValueError):
    """The file is no PNG/SVG, or carries no Open Badges credential."""


def _chunks(png: bytes):
    if not png.startswith(PNG_SIGNATURE):
        raise BakeError("not a PNG file")
    pos = len(PNG_SIGNATURE)
    while pos + 12 <= len(png):
        (length,) = struct.unpack(">I", png[pos:pos + 4])
        ctype = png[pos + 4:pos + 8]
        end = pos + 12 + length
        if end > len(png):
            raise BakeError("truncated PNG chunk")
        yield ctype, png[pos + 8:pos + 8 + length], png[pos:end]
        pos = end
        if ctype == b"IEND":
            return
    raise BakeError("PNG has no IEND chunk")


def _chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(
        ">I", zlib.crc32(ctype + data) & 0xFFFFFFFF)


def _is_credential_chunk(ctype: bytes, data: bytes) -> bool:
    return ctype == b"iTXt" and data.split(b"\0", 1)[0] == KEYWORD


def bake_png(png: bytes, credential: bytes) -> bytes:
    """The PNG with the credential in one uncompressed iTXt chunk (any old one replaced)."""
    itxt = _chunk(b"iTXt", KEYWORD + b"\0\0\0\0\0" + credential)
    out = [PNG_SIGNATURE]
    for ctype, data, raw in _chunks(png):
        if _is_credential_chunk(ctype, data):
            continue
        if ctype == b"IEND":
            out.append(itxt)
        out.append(raw)
    return b"".join(out)


def extract_png(png: bytes) -> bytes:
    found = []
    for ctype, data, _ in _chunks(png):
        if _is_credential_chunk(ctype, data):
            rest = data[len(KEYWORD) + 1:]
            compressed, _method = rest[0], rest[1]
            lang_end = rest.index(b"\0", 2)
            text = rest[rest.index(b"\0", lang_end + 1) + 1:]
            found.append(zlib.decompress(text) if compressed else text)
    if not found:
        raise BakeError("this PNG carries no Open Badges credential (no iTXt "
                        "'openbadgecredential' chunk)")
    return found[0]


_ROOT = re.compile(rb"<svg\b[^>]*>", re.S)


def bake_svg(svg: bytes, credential: bytes) -> bytes:
    """The SVG with the credential as the root's first child, in CDATA."""
    m = _ROOT.search(svg)
    if not m:
        raise BakeError("not an SVG file (no <svg> element)")
    tag = m.group(0)
    if b"xmlns:openbadges" not in tag:
        closing = 2 if tag.endswith(b"/>") else 1
        tag = tag[:-closing] + b' xmlns:openbadges="' + OB_NS.encode() + b'"' + tag[-closing:]
    safe = credential.replace(b"]]>", b"]]]]><![CDATA[>")
    element = b"<openbadges:credential><![CDATA[" + safe + b"]]></openbadges:credential>"
    return svg[:m.start()] + tag + element + svg[m.end():]


def extract_svg(svg: bytes) -> bytes:
    try:
        root = ElementTree.fromstring(svg)
    except ElementTree.ParseError as exc:
        raise BakeError(f"not a well-formed SVG: {exc}") from exc
    node = root.find(f"{{{OB_NS}}}credential")
    if node is None or not (node.text or "").strip():
        raise BakeError("this SVG carries no Open Badges credential (no "
                        "<openbadges:credential> element)")
    return node.text.strip().encode("utf-8")


def extract(data: bytes) -> bytes:
    """The credential JSON bytes from a baked PNG or SVG, or the bytes themselves."""
    if data.startswith(PNG_SIGNATURE):
        return extract_png(data)
    head = data[:2048].lstrip()
    if head.startswith((b"<?xml", b"<svg", b"<!--")) or b"<svg" in head:
        return extract_svg(data)
    return data
