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
import re
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import rfc8785
from pyld import jsonld
from pyld.canon import URDNA2015
from pyld.context_resolver import ContextResolver
from pyld.identifier_issuer import IdentifierIssuer

from ..core.errors import BadgepressError

_CONTEXT_DIR = resources.files("badgepress.trust") / "contexts"


class UnsafeDocument(BadgepressError, ValueError):
    """The document uses a context we do not pin, or content its contexts do not define."""


class BadIri(UnsafeDocument):
    """An id or type that is not an IRI both JSON-LD processors read the same way."""


class WorkLimit(UnsafeDocument):
    """Canonicalization would take more work than any honest document needs."""


# what no IRI contains unencoded: spaces (as JavaScript's \s counts them), controls, "<>\^`{|}
_NOT_IRI = re.compile("[\x00-\x20\x7f-\x9f\"<>\\\\^`{|}"
                      "\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]")
# an absolute IRI's scheme, as jsonld.js tells absolute from relative (its class admits ",")
_SCHEME = re.compile(r"(?:[A-Za-z][A-Za-z0-9+,.-]*|_):")


def iri_problem(value: str) -> str:
    """Why ``value`` cannot be an IRI that every verifier reads alike; '' when it can.
    (Whether it is absolute is the JSON-LD safe mode's question.)"""
    bad = _NOT_IRI.search(value)
    if bad is None:
        return ""
    return f"'{value}' contains {_char_name(bad.group())}, which an IRI cannot contain unencoded"


def check_iris(node: Any) -> None:
    """Every id with a scheme, and every type, as written in the document: the first one that
    is no IRI is named as the author wrote it (json.js walks the same way)."""
    if isinstance(node, list):
        for item in node:
            check_iris(item)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key in ("id", "@id") and isinstance(value, str) and _SCHEME.match(value) \
                and iri_problem(value):
            raise BadIri(f"id {iri_problem(value)}")
        if key in ("type", "@type"):
            for t in value if isinstance(value, list) else [value]:
                if isinstance(t, str) and iri_problem(t):
                    raise BadIri(f"type {iri_problem(t)}")
        if key != "@context":
            check_iris(value)


def _char_name(ch: str) -> str:
    names = {" ": "a space", '"': "a double quote", "\\": "a backslash", "`": "a backtick"}
    return names.get(ch, f"'{ch}'" if ch in "<>^{|}" else f"U+{ord(ch):04X}")


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


def check_contexts(doc: dict[str, Any], raw: bytes | None = None) -> None:
    """Every @context entry anywhere in the document must be a pinned URL (no inline ones:
    an inline context could redefine terms). Only objects and arrays are visited: a
    credential has ~65 values, most of them strings (100,000 credentials per build).

    ``raw``: the JSON text ``doc`` was parsed from. When it holds no '\\u' escape, each
    @context key of the document is spelled '"@context"' in it (a key is spelled in the text
    as it is, or with \\u escapes; the same string as a value is one occurrence more), so
    when the top level's and its proofs' @context keys (an eddsa-jcs-2022 proof carries
    one) are as many as the text's occurrences, they are all there are, and nothing else is
    visited: a fifth of loading a credential."""
    known = _index()
    if raw is not None and isinstance(doc, dict) and b"\\u" not in raw:
        found = [doc] if "@context" in doc else []
        proofs = doc.get("proof")
        for p in proofs if isinstance(proofs, list) else [proofs]:
            if isinstance(p, dict) and "@context" in p:
                found.append(p)
        if len(found) == raw.count(b'"@context"'):
            for node in found:
                _check_entries(node["@context"], known)
            return
    todo: list[Any] = [doc]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            if "@context" in node:
                _check_entries(node["@context"], known)
            children = [v for k, v in node.items()
                        if k != "@context" and isinstance(v, (dict, list))]
        else:  # a list
            children = [v for v in node if isinstance(v, (dict, list))]
        todo.extend(reversed(children))  # the first child next: the order a walk reports in


def _check_entries(ctx: Any, known: Any) -> None:
    for entry in ctx if isinstance(ctx, list) else [ctx]:
        if not isinstance(entry, str):
            raise UnsafeDocument("an embedded (inline) @context is not accepted; "
                                 "use only published context URLs")
        if entry not in known:
            raise UnsafeDocument(f"unknown JSON-LD context '{entry}'")


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
    if isinstance(node_id, str) and not _SCHEME.match(node_id):
        raise UnsafeDocument(f"id '{node_id}' is relative; ids must be absolute "
                             "(https:, urn:uuid:, did:)")
    if isinstance(node_id, str) and iri_problem(node_id):  # an IRI-valued property
        raise BadIri(f"id {iri_problem(node_id)}")
    for t in node.get("@type", []) if isinstance(node.get("@type"), list) else []:
        if not isinstance(t, str):  # '"type": null' expands to [None]
            raise UnsafeDocument(f"a type must be a string, not {json.dumps(t)}")
        if not _SCHEME.match(t):
            raise UnsafeDocument(f"type '{t}' is not defined by the document's contexts")
        if iri_problem(t):
            raise BadIri(f"type {iri_problem(t)}")
    for key, value in node.items():
        if key not in ("@id", "@type"):
            _check_expanded(value)


class _PinnedContextResolver(ContextResolver):
    """pyld's context resolver, kept for the whole process instead of one call.

    Why: pyld caches a fetched context across calls only when the loader tags it, and keeps
    the processed form of a context (its term definitions) in the resolved context object; a
    new resolver per call therefore re-reads, deep-copies and re-processes every pinned
    context for every document, most of the cost of RDFC. Our contexts are pinned files that
    never change while the process runs, so one resolver serves them all. Inline contexts
    (the scoped contexts inside the pinned ones; documents may not carry inline contexts,
    ``check_contexts``) are memoised by identity: pyld would key them by their RFC 8785
    serialization, recomputed on every use. The objects are pyld's own, never mutated, and
    held here so that an id is never reused. Only the caching changes: the same loader
    (unknown URLs refused) and the same processing run, so outputs are identical."""

    MAX_INLINE = 4096  # far more than the pinned contexts hold; a bound all the same

    def __init__(self) -> None:
        super().__init__({}, document_loader)
        self._inline: dict[int, tuple[Any, Any]] = {}

    def resolve(self, active_ctx, context, base, cycles=None):  # type: ignore[no-untyped-def]
        if isinstance(context, str) or isinstance(context, list):
            return super().resolve(active_ctx, context, base, cycles)
        hit = self._inline.get(id(context))
        if hit is not None and hit[0] is context:
            return hit[1]
        resolved = super().resolve(active_ctx, context, base, cycles)
        if len(self._inline) >= self.MAX_INLINE:
            self._inline.clear()
        self._inline[id(context)] = (context, resolved)
        return resolved


class _Processor(jsonld.JsonLdProcessor):
    """pyld's processor, with the contexts it derives kept for the whole process.

    Why: expanding a node of a type whose pinned definition has a scoped context (every
    type of the Open Badges context does, and they do not propagate) makes pyld clone the
    active context, give the clone a fresh ``uuid1`` and process the scoped context again
    against it: its processed-context cache is keyed by that uuid, so it never hits from one
    document to the next. That was half the time of canonicalizing a credential. A derived
    context depends only on the (frozen, never mutated) active context, the local context,
    the flags and the base (the loader and resolver are always the pinned ones), so it is
    kept under those, the contexts by identity: the keys hold the objects,
    so an id is never reused. Mutable inputs (pyld's partly built contexts while it checks
    scoped contexts, or a fresh list of context URLs) are not kept; errors are not kept.
    The same processing runs the first time, so outputs are identical."""

    MAX_KEPT = 4096
    _kept: dict[tuple, tuple[Any, Any, Any]] = {}

    def _process_context(self, active_ctx, local_ctx, options,  # type: ignore[no-untyped-def]
                         *args, **kwargs):
        # pyld passes its flags (override_protected, propagate, validate_scoped) and
        # ``cycles`` by keyword; anything else is handed on untouched, never kept
        if (args or kwargs.get("cycles") or type(active_ctx) is dict
                or not isinstance(local_ctx, (str, dict))
                or not all(isinstance(v, (bool, str, type(None)))
                           for k, v in kwargs.items() if k != "cycles")):
            return super()._process_context(active_ctx, local_ctx, options, *args, **kwargs)
        flags = tuple(sorted((k, v) for k, v in kwargs.items() if k != "cycles"))
        key = (id(active_ctx), local_ctx if isinstance(local_ctx, str) else id(local_ctx),
               flags, options.get("base"), options.get("processingMode"))
        hit = self._kept.get(key)
        if hit is not None and hit[0] is active_ctx and hit[1] is local_ctx:
            return hit[2]
        derived = super()._process_context(active_ctx, local_ctx, options, **kwargs)
        if type(derived) is not dict:  # frozen; a bare clone stays the caller's to change
            if len(self._kept) >= self.MAX_KEPT:
                self._kept.clear()
            self._kept[key] = (active_ctx, local_ctx, derived)
        return derived


_RESOLVER: _PinnedContextResolver | None = None


def _resolver() -> _PinnedContextResolver:
    """The process's resolver (made on first use; a forked worker inherits it warm)."""
    global _RESOLVER
    if _RESOLVER is None:
        _RESOLVER = _PinnedContextResolver()
    return _RESOLVER


def expand_safe(doc: dict[str, Any]) -> list[Any]:
    """Expand with pinned contexts, refusing anything that would be dropped."""
    check_contexts(doc)
    check_iris(doc)
    processor = _Processor(on_property_dropped=_raise_dropped)
    try:
        expanded = processor.expand(copy.deepcopy(doc), {"documentLoader": document_loader,
                                                         "contextResolver": _resolver(),
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


class _BoundedURDNA2015(URDNA2015):
    """pyld's URDNA2015 with rdf-canonize's deep-iteration limit (see the module docstring).

    pyld calls Hash N-Degree Quads only in its step 6, when ``hash_to_blank_nodes`` holds
    exactly the groups of blank nodes that share a first-degree hash: the budget is their
    count, as in rdf-canonize 5 with ``maxWorkFactor`` 1, and every call, recursive ones
    included, spends one."""

    def __init__(self) -> None:
        super().__init__()
        self.remaining: int | None = None

    def hash_n_degree_quads(self, id_, issuer):
        if self.remaining is None:
            self.remaining = sum(len(ids) for ids in self.hash_to_blank_nodes.values())
        if self.remaining == 0:
            budget = sum(len(ids) for ids in self.hash_to_blank_nodes.values())
            raise WorkLimit(f"more than {budget} deep iterations over its blank nodes")
        self.remaining -= 1
        return super().hash_n_degree_quads(id_, issuer)


def canonize_rdfc(doc: dict[str, Any]) -> str:
    """RDFC-1.0 (URDNA2015) canonical N-Quads of a document, in safe mode, with the work
    limit. The last few results are kept: the format check canonicalizes the credential
    (to enforce the limit) and the signature check then reuses that work."""
    return _canonize_json(json.dumps(doc, sort_keys=True, ensure_ascii=False))


@lru_cache(maxsize=32)
def _canonize_json(text: str) -> str:
    expanded = expand_safe(json.loads(text))
    try:
        return _BoundedURDNA2015().main(_dataset(expanded), {"format": "application/n-quads"})
    except jsonld.JsonLdError as exc:
        raise _unwrap(exc) from exc


_RDF_OPTIONS = {"base": "", "produceGeneralizedRdf": False, "extractAllScripts": True,
                "processingMode": "json-ld-1.1"}


def _dataset(expanded: list[Any]) -> dict[str, Any]:
    """The RDF dataset of an expanded document, as pyld's ``to_rdf`` makes it.

    ``to_rdf`` expands its input again (a third of the cost of a credential). For a document
    of the plain shape every credential has (``_plain``), that second expansion returns its
    input unchanged, so the dataset is built from the first expansion directly, with the
    same steps ``to_rdf`` runs after expanding. Anything else (lists, graphs, languages,
    relative datatypes, ...) goes through ``to_rdf`` as before: byte for byte the same."""
    processor = _Processor()
    options = {**_RDF_OPTIONS, "documentLoader": document_loader,
               "contextResolver": _resolver()}
    if not (isinstance(expanded, list) and all(_plain(node) for node in expanded)):
        return processor.to_rdf(expanded, options)
    issuer = IdentifierIssuer("_:b")
    node_map: dict[str, Any] = {"@default": {}}
    processor._create_node_map(expanded, node_map, "@default", issuer)
    return {"@default": processor._graph_to_rdf(node_map["@default"], issuer, options)}


def _absolute(iri: Any) -> bool:
    return isinstance(iri, str) and bool(_SCHEME.match(iri)) and not iri.startswith("_:")


def _plain(node: Any) -> bool:
    """A node object in expanded form that expansion maps to itself: an absolute or blank
    @id, absolute @types, absolute property IRIs whose values are non-empty lists of plain
    node objects or of plain value objects (a string, number or boolean, optionally with an
    absolute datatype). Deliberately narrow: whatever is not listed here takes pyld's path."""
    if not isinstance(node, dict) or not node:
        return False
    for key, value in node.items():
        if key == "@id":
            if not isinstance(value, str) or not (_absolute(value) or value.startswith("_:")):
                return False
        elif key == "@type":
            if not isinstance(value, list) or not all(_absolute(t) for t in value):
                return False
        elif not _absolute(key) or not isinstance(value, list) or not value:
            return False
        elif not all(_plain_value(v) or _plain(v) for v in value):
            return False
    return True


def _plain_value(value: Any) -> bool:
    if not isinstance(value, dict) or "@value" not in value:
        return False
    if not set(value) <= {"@value", "@type"}:
        return False
    if "@type" in value and not _absolute(value["@type"]):
        return False
    v = value["@value"]
    return isinstance(v, (str, bool, int)) or (isinstance(v, float) and v == v
                                                 and v not in (float("inf"), float("-inf")))


def canonize_jcs(doc: Any) -> bytes:
    """RFC 8785 JSON Canonicalization Scheme bytes (eddsa-jcs-2022)."""
    return rfc8785.dumps(doc)
