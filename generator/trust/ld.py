"""JSON-LD with pinned contexts only, and the canonical forms that proofs sign.

Why a module of its own: canonicalization is where a credential can lie. A property that its
contexts do not define is silently dropped by JSON-LD expansion, so it would be displayed but
not signed. We therefore expand in "safe mode" (every dropped property, relative IRI or
undefined type is an error, as jsonld.js ``safe: true`` does) and we never load a context from
the network: only the pinned copies shipped in ``contexts/``.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

import rfc8785
from pyld import jsonld

from ..core.errors import BadgepressError

_CONTEXT_DIR = resources.files("badgepress.trust") / "contexts"


class UnsafeDocument(BadgepressError, ValueError):
    """The document uses a context we do not pin, or content its contexts do not define."""


@cache
def _index() -> dict[str, str]:
    return json.loads((_CONTEXT_DIR / "index.json").read_text(encoding="utf-8"))


@cache
def context_document(url: str) -> dict[str, Any]:
    return json.loads((_CONTEXT_DIR / _index()[url]).read_text(encoding="utf-8"))


def known_contexts() -> tuple[str, ...]:
    return tuple(_index())


def document_loader(url: str, options: dict | None = None) -> dict[str, Any]:
    """pyld document loader that serves pinned contexts and refuses everything else."""
    if url not in _index():
        raise UnsafeDocument(f"unknown JSON-LD context '{url}': only pinned contexts are used, "
                             "none is fetched from the network")
    return {"contextUrl": None, "documentUrl": url,
            "document": copy.deepcopy(context_document(url))}


def check_contexts(doc: dict[str, Any]) -> None:
    """Every @context entry anywhere in the document must be a pinned URL (no inline ones:
    an inline context could redefine terms)."""
    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "@context" in node:
                ctx = node["@context"]
                for entry in ctx if isinstance(ctx, list) else [ctx]:
                    if not isinstance(entry, str):
                        raise UnsafeDocument("an embedded (inline) @context is not accepted; "
                                             "use only published context URLs")
                    if entry not in _index():
                        raise UnsafeDocument(f"unknown JSON-LD context '{entry}'")
            for k, v in node.items():
                if k != "@context":
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(doc)


def _raise_dropped(term: str | None) -> None:
    raise UnsafeDocument(f"property '{term}' is not defined by the document's contexts, so the "
                         "signature would not cover it")


def _check_expanded(node: Any) -> None:
    """Safe mode for what pyld's hook does not see: relative @id and undefined @type."""
    if isinstance(node, list):
        for item in node:
            _check_expanded(item)
        return
    if not isinstance(node, dict):
        return
    if "@value" in node:
        return
    node_id = node.get("@id")
    if isinstance(node_id, str) and not (node_id.startswith("_:") or ":" in node_id):
        raise UnsafeDocument(f"id '{node_id}' is relative; ids must be absolute "
                             "(https:, urn:uuid:, did:)")
    for t in node.get("@type", []) if isinstance(node.get("@type"), list) else []:
        if not (t.startswith("_:") or ":" in t):
            raise UnsafeDocument(f"type '{t}' is not defined by the document's contexts")
    for key, value in node.items():
        if key not in ("@id", "@type"):
            _check_expanded(value)


def expand_safe(doc: dict[str, Any]) -> list[Any]:
    """Expand with pinned contexts, refusing anything that would be dropped."""
    check_contexts(doc)
    processor = jsonld.JsonLdProcessor(on_property_dropped=_raise_dropped)
    try:
        expanded = processor.expand(copy.deepcopy(doc), {"documentLoader": document_loader,
                                                         "base": None})
    except jsonld.JsonLdError as exc:
        raise _unwrap(exc) from exc
    _check_expanded(expanded)
    return expanded


def _unwrap(exc: Exception) -> Exception:
    """pyld wraps loader and hook errors several levels deep; surface ours."""
    seen = exc
    while seen is not None:
        if isinstance(seen, UnsafeDocument):
            return seen
        seen = getattr(seen, "cause", None) or seen.__cause__ or (
            seen.details.get("cause") if isinstance(getattr(seen, "details", None), dict)
            else None)
    return UnsafeDocument(f"not valid JSON-LD: {exc}")


def canonize_rdfc(doc: dict[str, Any]) -> str:
    """RDFC-1.0 (URDNA2015) canonical N-Quads of a document, in safe mode."""
    expanded = expand_safe(doc)
    try:
        return jsonld.normalize(expanded, {"algorithm": "URDNA2015",
                                           "format": "application/n-quads",
                                           "documentLoader": document_loader})
    except jsonld.JsonLdError as exc:
        raise _unwrap(exc) from exc


def canonize_jcs(doc: Any) -> bytes:
    """RFC 8785 JSON Canonicalization Scheme bytes (eddsa-jcs-2022)."""
    return rfc8785.dumps(doc)
