"""Baked badge images: the signed credential carried inside the badge's PNG or SVG, as
Open Badges 3.0 §5.3 specifies, so the image itself can be verified.

PNG: exactly one iTXt chunk with keyword ``openbadgecredential`` before IEND (we write it
uncompressed, as the spec says; a compressed one is read, decompressed within a limit).
SVG: ``xmlns:openbadges`` on the root and ``<openbadges:credential><![CDATA[…]]>`` as its
first child. The spec says "there MUST be only one <openbadges:credential> tag in an SVG" and
to read "the first" one: we look at every depth and refuse a second one, or a second PNG
chunk, rather than pick one (a reader that picked another would show another credential).

Reading is the twin of theme/assets/verify/bake.js, with the same rules and messages: the
format is told by the file's first bytes (the PNG signature, else the first non-blank
character: ``<`` is SVG, anything else JSON), sizes are capped, and an SVG may have no DTD at
all (entities that expand without end are how XML parsers are frozen).
"""

from __future__ import annotations

import re
import struct
import zlib
from xml.parsers import expat

from ..core.errors import BadgepressError
from .untrusted import MAX_JSON_BYTES, decode_utf8, inflate, size_text

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KEYWORD = b"openbadgecredential"
OB_NS = "https://purl.imsglobal.org/ob/v3p0"
MAX_FILE_BYTES = 10_000_000  # the largest file (JSON, PNG or SVG) read as a credential
MAX_SVG_DEPTH = 256  # browsers give up at a depth of their own (Chromium: 5000)
XML_BLANK = " \t\r\n"


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


def extract_png(png: bytes) -> str:
    """The credential text of the one iTXt 'openbadgecredential' chunk."""
    found = [data for ctype, data, _ in _chunks(png) if _is_credential_chunk(ctype, data)]
    if not found:
        raise BakeError("this PNG carries no Open Badges credential (no iTXt "
                        "'openbadgecredential' chunk)")
    if len(found) > 1:
        raise BakeError("this PNG carries more than one Open Badges credential (iTXt "
                        "'openbadgecredential' chunks); Open Badges allows one")
    return _itxt_text(found[0])


def _itxt_text(data: bytes) -> str:
    """iTXt: keyword NUL, compression flag, method, language NUL, translated keyword NUL,
    text (PNG §11.3.4.5)."""
    rest = data[len(KEYWORD) + 1:]
    lang_end = rest.find(b"\0", 2) if len(rest) >= 2 else -1
    text_start = rest.find(b"\0", lang_end + 1) + 1 if lang_end >= 0 else 0
    if text_start == 0:
        raise BakeError("the iTXt 'openbadgecredential' chunk is truncated")
    text, compressed, method = rest[text_start:], rest[0], rest[1]
    try:
        if compressed == 1 and method == 0:
            text = inflate(text, MAX_JSON_BYTES)
        elif compressed != 0:
            raise BakeError("the iTXt 'openbadgecredential' chunk uses an unknown compression")
        return decode_utf8(text)
    except BakeError:
        raise
    except ValueError as exc:
        raise BakeError(str(exc)) from exc


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


def has_doctype(text: str) -> bool:
    """Whether the XML prolog (before the root element, the only place a DTD can be)
    declares a document type."""
    pos = 0
    while True:
        while pos < len(text) and text[pos] in XML_BLANK + "\ufeff":
            pos += 1
        for start, end in (("<?", "?>"), ("<!--", "-->")):
            if text.startswith(start, pos):
                close = text.find(end, pos + len(start))
                if close < 0:
                    return False
                pos = close + len(end)
                break
        else:
            return text[pos:pos + 9].upper() == "<!DOCTYPE"


_TAG_END = re.compile(r"""(?:[^>"']|"[^"]*"|'[^']*')*>""")
_SKIPPED = (("<!--", "-->"), ("<![CDATA[", "]]>"), ("<?", "?>"), ("<!", ">"))


def element_depth(text: str, limit: int = MAX_SVG_DEPTH) -> int:
    """How deep elements nest, counted on the text before parsing (comments, CDATA and
    processing instructions skipped); stops at ``limit`` + 1 or at anything unterminated,
    which the parser then refuses. bake.js counts the same way."""
    depth = deepest = 0
    pos = text.find("<")
    while pos >= 0:
        for opener, closer in _SKIPPED:
            if text.startswith(opener, pos):
                end = text.find(closer, pos + len(opener))
                if end < 0:
                    return deepest
                pos = end + len(closer)
                break
        else:
            tag = _TAG_END.match(text, pos + 1)
            if tag is None:
                return deepest
            if text.startswith("</", pos):
                depth -= 1
            elif text[tag.end() - 2] != "/":
                depth += 1
                if depth > deepest:
                    deepest = depth
                    if deepest > limit:
                        return deepest
            pos = tag.end()
        pos = text.find("<", pos)
    return deepest


class _Credentials:
    """Expat handlers: the text of every <openbadges:credential> element, at any depth."""

    def __init__(self) -> None:
        self.root: str | None = None
        self.texts: list[list[str]] = []
        self.inside = 0

    def start(self, name: str, _attrs: dict) -> None:
        if self.root is None:
            self.root = name.rsplit(" ", 1)[-1]
        if self.inside:
            self.inside += 1
        elif name == f"{OB_NS} credential":
            self.texts.append([])
            self.inside = 1

    def end(self, _name: str) -> None:
        if self.inside:
            self.inside -= 1

    def data(self, text: str) -> None:
        if self.inside:
            self.texts[-1].append(text)


def _no_dtd(*_args) -> None:
    raise BakeError("the SVG declares a DTD, which a baked badge never needs")


def extract_svg(text: str) -> str:
    """The credential text of the one <openbadges:credential> element."""
    if has_doctype(text):
        _no_dtd()
    if element_depth(text) > MAX_SVG_DEPTH:
        raise BakeError(f"the SVG nests elements more than {MAX_SVG_DEPTH} deep")
    found = _Credentials()
    parser = expat.ParserCreate("UTF-8", " ")
    parser.StartElementHandler = found.start
    parser.EndElementHandler = found.end
    parser.CharacterDataHandler = found.data
    parser.StartDoctypeDeclHandler = _no_dtd
    parser.EntityDeclHandler = _no_dtd
    try:
        parser.Parse(text.encode("utf-8"), True)
    except expat.ExpatError as exc:
        raise BakeError("not a well-formed SVG") from exc
    if found.root != "svg":
        raise BakeError("not an SVG file (no <svg> element)")
    if len(found.texts) > 1:
        raise BakeError("this SVG carries more than one Open Badges credential "
                        "(<openbadges:credential> elements); Open Badges allows one")
    credential = "".join(found.texts[0]).strip(XML_BLANK) if found.texts else ""
    if not credential:
        raise BakeError("this SVG carries no Open Badges credential (no "
                        "<openbadges:credential> element)")
    return credential


def credential_text(data: bytes) -> str:
    """The credential JSON text of a file: a baked PNG or SVG, or JSON itself, told apart by
    the first bytes (never by what the text contains further on)."""
    if len(data) > MAX_FILE_BYTES:
        raise BakeError(f"the file is larger than {size_text(MAX_FILE_BYTES)}")
    if data.startswith(PNG_SIGNATURE):
        return extract_png(data)
    try:
        text = decode_utf8(data)
    except ValueError as exc:
        raise BakeError(str(exc)) from exc
    if text.removeprefix("\ufeff").lstrip(XML_BLANK).startswith("<"):
        return extract_svg(text)
    return text
