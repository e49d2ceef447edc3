"""Reading untrusted input within limits: everything verification parses (credentials,
baked images, issuer documents, status lists) comes from someone who may want to mislead a
verifier or exhaust it. The browser twin is theme/assets/verify/untrusted.js; both apply the
same rules in the same order, so the two verifiers reach the same verdict on hostile input.

JSON is read strictly:

1. at most ``MAX_JSON_BYTES`` of UTF-8 (a leading byte order mark is ignored, RFC 8259 §8.1);
2. nested at most ``MAX_DEPTH`` arrays/objects deep, counted on the text *before* parsing,
   so neither parser nor any later recursive walk (JSON-LD expansion) can run out of stack;
3. plain JSON (RFC 8259): no NaN/Infinity, which Python accepts and browsers refuse;
4. no key twice in one object: parsers keep the last one, people read the first, so a
   forged first ``issuer`` could be displayed while another one is checked.
"""

from __future__ import annotations

import json
import re
import zlib
from typing import Any

from ..core.errors import BadgepressError

MAX_JSON_BYTES = 1_000_000  # a credential is a few KB; the largest status list is < 100 KB
MAX_DEPTH = 32  # a credential nests about 6 deep; an embedded endorsement about 12


class JsonProblem(BadgepressError, ValueError):
    """Text that is not a JSON document the verifiers accept; ``code`` and ``params`` name
    the message of messages.json that says why."""

    def __init__(self, code: str, **params: str):
        self.code = code
        self.params = params
        super().__init__(f"{code}: {params}")


def size_text(limit: int) -> str:
    """1000000 -> '1 MB' (the browser writes it the same way)."""
    if limit >= 1_000_000:
        return f"{limit // 1_000_000} MB"
    return f"{limit // 1000} KB" if limit >= 1000 else f"{limit} bytes"


# a string, up to its closing quote or the end of the text (always matches, no backtracking)
_STRING = re.compile(r'"(?:[^"\\]|\\[\s\S])*"?')
_BRACKET = re.compile(r"[\[\]{}]")


def nesting_depth(text: str, limit: int = MAX_DEPTH) -> int:
    """How deep arrays and objects nest in ``text`` (brackets inside strings do not count);
    stops counting once ``limit`` is passed. Works on any text, valid JSON or not: a string
    runs to its closing quote or the end of the text (json.js counts the same way)."""
    depth = deepest = 0
    for m in _BRACKET.finditer(_STRING.sub("", text)):
        if m.group() in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        else:
            depth -= 1
    return deepest


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _number(digits: str) -> int | float:
    """Integers of any length, as JSON allows (Python refuses to convert more than 4300
    digits; a browser reads them as a float, and so do we)."""
    return int(digits) if len(digits) <= 4000 else float(digits)


def loads(text: str, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """Parse ``text`` by the rules above; JsonProblem says which one it breaks."""
    text = text.removeprefix("\ufeff")
    if len(text) > max_bytes or len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise JsonProblem("format.too_large", max=size_text(max_bytes))
    # nothing nests deeper than it has brackets: most documents skip the count
    if text.count("[") + text.count("{") > MAX_DEPTH and nesting_depth(text) > MAX_DEPTH:
        raise JsonProblem("format.too_deep", max=str(MAX_DEPTH))
    duplicates: set[str] = set()

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(items)
        if len(out) != len(items):
            seen: set[str] = set()
            duplicates.update(k for k, _ in items if k in seen or seen.add(k))
        return out

    try:
        doc = json.loads(text, object_pairs_hook=pairs, parse_constant=_no_constant,
                         parse_int=_number)
    except (ValueError, RecursionError) as exc:
        raise JsonProblem("format.json", detail=str(exc)) from exc
    if duplicates:
        raise JsonProblem("format.duplicate_key",
                          keys=", ".join(f"'{k}'" for k in sorted(duplicates)))
    return doc


def decode_utf8(data: bytes) -> str:
    """Bytes -> text: UTF-8 only (OB 3.0 §5: JSON exchanged between systems MUST be UTF-8).
    UTF-16 and UTF-32, which Python's json would guess, are refused by name."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(data) >= 2 and b"\0" in data[:4]):
        raise ValueError("the file is UTF-16 or UTF-32 text; a credential must be UTF-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"the file is not UTF-8 text (invalid byte at position "
                         f"{exc.start})") from exc


CORRUPT = "the compressed data is corrupt or truncated"


def inflate(data: bytes, max_out: int, *, gzip: bool = False) -> bytes:
    """zlib (or gzip) data, decompressed only up to ``max_out`` bytes: a decompression bomb
    (a few KB that expand to gigabytes) is refused after ``max_out`` bytes of work."""
    inflater = zlib.decompressobj(31 if gzip else 15)
    try:
        out = inflater.decompress(data, max_out + 1)
    except zlib.error as exc:
        raise ValueError(CORRUPT) from exc
    if len(out) > max_out:
        raise ValueError(f"the compressed data expands to more than {size_text(max_out)}")
    if not inflater.eof or inflater.unused_data:  # browsers refuse trailing bytes too
        raise ValueError(CORRUPT)
    return out
