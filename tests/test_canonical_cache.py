"""RDFC canonicalization with the process-wide context cache and the single expansion gives
byte for byte what the straightforward pyld calls give (a fresh resolver for every call, the
context documents deep-copied, ``to_rdf`` expanding again), and refuses exactly the same
documents with the same message: on the W3C and 1EdTech vectors, on an issued credential, and
on hypothesis mutations of them (undefined terms, relative datatypes, languages, lists,
numbers, nested objects)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from badgepress.build.pipeline import load_site
from badgepress.commands.issue import IssueRequest, build_credential
from badgepress.trust import ld
from badgepress.trust.status import status_entry
from conftest import SITES, VECTORS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyld import jsonld


def reference(doc: dict[str, Any]) -> str:
    """The canonical N-Quads as computed before the cache: every call on its own (after the
    same sorted-keys JSON round trip as ``canonize_rdfc``)."""
    doc = json.loads(json.dumps(doc, sort_keys=True, ensure_ascii=False))
    ld.check_contexts(doc)
    ld.check_iris(doc)
    processor = jsonld.JsonLdProcessor(on_property_dropped=ld._raise_dropped)
    try:
        expanded = processor.expand(copy.deepcopy(doc), {"documentLoader": ld.document_loader,
                                                         "base": None})
    except jsonld.JsonLdError as exc:
        raise ld._unwrap(exc) from exc
    ld._check_expanded(expanded)
    try:
        dataset = jsonld.JsonLdProcessor().to_rdf(expanded, {
            "base": "", "documentLoader": ld.document_loader, "produceGeneralizedRdf": False})
        return ld._BoundedURDNA2015().main(dataset, {"format": "application/n-quads"})
    except jsonld.JsonLdError as exc:
        raise ld._unwrap(exc) from exc


def outcome(fn, doc: dict[str, Any]) -> tuple[str, str]:
    """The canonical form, or the error: any exception, so that a crash of the safe-mode
    checks (``"@type": null`` raises TypeError in ``_check_expanded``, with or without the
    cache) is compared like a refusal."""
    try:
        return "ok", fn(copy.deepcopy(doc))
    except Exception as exc:  # noqa: BLE001 - the comparison is the point
        return type(exc).__name__, str(exc)


def cached(doc: dict[str, Any]) -> str:
    ld._canonize_json.cache_clear()  # the function under test, not its last-results cache
    return ld.canonize_rdfc(doc)


def _credential() -> dict[str, Any]:
    catalog, _ = load_site(SITES / "basic")
    badge = catalog.badges[0]
    doc = build_credential(catalog.config, badge, IssueRequest(
        badge.slug, "ada@example.org", "Ada", "https://example.org/work", "Did *it*"),
        datetime(2026, 3, 1, tzinfo=UTC))
    doc["credentialStatus"] = status_entry("https://example.org/status/1.json", 7)
    return doc


def _vectors() -> list[dict[str, Any]]:
    out = []
    for path in sorted(VECTORS.rglob("*.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        if isinstance(doc, dict) and "@context" in doc and "contexts" not in path.parts:
            out.append(doc)
    return out


BASES = [_credential(), *_vectors()]


@pytest.mark.parametrize("doc", BASES, ids=lambda d: str(d.get("id", "doc"))[-24:])
def test_vectors_and_a_credential_canonicalize_as_before(doc: dict[str, Any]) -> None:
    assert outcome(cached, doc) == outcome(reference, doc)


def test_a_second_call_reuses_the_processed_contexts_and_agrees() -> None:
    doc = BASES[0]
    first = outcome(cached, doc)
    assert first[0] == "ok"
    assert outcome(cached, doc) == first == outcome(reference, doc)


def test_contexts_derived_for_one_document_serve_the_next(monkeypatch) -> None:
    """The scoped contexts of the Open Badges types are processed once per process, not once
    per document (pyld keys its own cache by a fresh uuid per clone, so it misses)."""
    calls = []
    real = jsonld.JsonLdProcessor._process_context

    def counting(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(jsonld.JsonLdProcessor, "_process_context", counting)
    other = copy.deepcopy(BASES[0])
    other["id"] = "urn:uuid:5b0f5f4e-0000-4000-8000-000000000001"
    expected = outcome(reference, other)
    cached(BASES[0])
    calls.clear()
    assert outcome(cached, other) == expected
    warm = len(calls)
    ld._Processor._kept.clear()
    calls.clear()
    cached(other)
    assert warm < len(calls) / 2, (warm, len(calls))


TERMS = ["name", "description", "narrative", "id", "type", "@type", "@id", "@language",
         "@list", "@value", "image", "evidence", "achievement", "criteria", "alignment",
         "resultDescription", "undefinedTerm", "ex:thing", "https://example.org/p", "tag"]
IRIS = st.sampled_from(["https://example.org/x", "urn:uuid:1234", "relative/path", "_:b0",
                        "did:example:1", "Achievement", "Evidence", "xsd:string",
                        "Profile", "AchievementSubject", "OpenBadgeCredential", "Result",
                        "http://www.w3.org/2001/XMLSchema#integer", "a:b", "#frag"])
LEAVES = st.one_of(st.text(max_size=8), IRIS, st.integers(-5, 5), st.booleans(), st.none(),
                   st.floats(allow_nan=False, allow_infinity=False, width=32))
VALUES = st.recursive(
    LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.fixed_dictionaries({"@value": LEAVES}, optional={"@type": IRIS,
                                                           "@language": st.just("en-GB")}),
        st.dictionaries(st.sampled_from(TERMS), inner, max_size=3)),
    max_leaves=6)


def _objects(node: Any, out: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        out.append(node)
        for key, value in node.items():
            if key != "@context":
                _objects(value, out)
    elif isinstance(node, list):
        for item in node:
            _objects(item, out)
    return out


@st.composite
def mutated(draw) -> dict[str, Any]:
    doc = copy.deepcopy(draw(st.sampled_from(BASES[:3])))
    for _ in range(draw(st.integers(1, 3))):
        target = draw(st.sampled_from(_objects(doc, [])))
        target[draw(st.sampled_from(TERMS))] = draw(VALUES)
    return doc


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_documents_canonicalize_or_fail_as_before(doc: dict[str, Any]) -> None:
    assert outcome(cached, doc) == outcome(reference, doc)


# check_contexts with the raw text: the walk for nested @context skipped only when the text
# shows the top level's and its proofs' are the only ones

_KNOWN_CTX = ["https://www.w3.org/ns/credentials/v2",
              "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
_ctx_values = st.one_of(st.sampled_from(_KNOWN_CTX), st.just("https://example.org/unknown"),
                        st.just({"@vocab": "https://example.org/"}),
                        st.lists(st.sampled_from(_KNOWN_CTX), min_size=1, max_size=2))
_keys = st.sampled_from(["name", "type", "@context", "achievement", "narrative", "id"])
_leaf = st.one_of(st.text(max_size=8), st.just("@context"), st.integers(0, 9))
_nodes = st.recursive(_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(_keys, st.one_of(inner, _ctx_values), max_size=4)), max_leaves=12)


def _outcome(doc, raw=None):
    try:
        ld.check_contexts(doc, raw)
    except ld.UnsafeDocument as exc:
        return str(exc)
    return "ok"


_proof = st.dictionaries(_keys, st.one_of(_nodes, _ctx_values), max_size=4)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(top=st.one_of(st.none(), _ctx_values), body=st.dictionaries(_keys, _nodes, max_size=4),
       proof=st.one_of(st.none(), _nodes, _proof, st.lists(_proof, max_size=3)),
       ascii_only=st.booleans())
def test_contexts_checked_with_the_text_as_by_the_walk(top, body, proof, ascii_only):
    doc = dict(body)
    if top is not None:
        doc["@context"] = top
    if proof is not None:  # an eddsa-jcs-2022 proof carries an @context of its own
        doc["proof"] = proof
    raw = json.dumps(doc, ensure_ascii=ascii_only).encode()
    assert _outcome(json.loads(raw), raw) == _outcome(json.loads(raw))


def test_a_nested_context_spelled_with_escapes_is_still_found():
    raw = (b'{"@context": ["https://www.w3.org/ns/credentials/v2"], "credentialSubject": '
           b'{"\\u0040context": {"@vocab": "https://example.org/"}}}')
    doc = json.loads(raw)
    assert "@context" in doc["credentialSubject"]
    with pytest.raises(ld.UnsafeDocument, match="inline"):
        ld.check_contexts(doc, raw)
