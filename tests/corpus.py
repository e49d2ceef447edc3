"""The shared verification corpus: one set of cases with expected outcomes, run through both
the Python verifier and the browser verifier (tests/test_corpus.py), so the two can never
disagree silently.

Everything is made fresh per test session (keys included: no private key is ever committed):
a small site with a published issuer key, status lists, a second issuer whose key names the
wrong controller, and the credentials of each case.
"""

from __future__ import annotations

import base64
import copy
import gzip
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import interop_harness
from badgepress.build.pipeline import build, load_site
from badgepress.commands.issue import IssueRequest, build_credential
from badgepress.core.dates import iso
from badgepress.trust import proof
from badgepress.trust.issuer import key_id
from badgepress.trust.keys import SigningKey, add_key
from badgepress.trust.ob import CID_V1, OB_CONTEXT
from badgepress.trust.status import (
    empty_list,
    encode_list,
    set_bit,
    status_entry,
    status_list_credential,
)
from conftest import VECTORS

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
BASE = "https://badges.test.example/"
REVOKED_INDEX, LIVE_INDEX = 4242, 4243


@dataclass
class Case:
    name: str
    text: str  # exactly what is verified (JSON text, possibly malformed)
    verdict: str
    expect: dict[str, str] = field(default_factory=dict)  # check -> status (those that matter)
    codes: dict[str, str] = field(default_factory=dict)  # check -> message code


@dataclass
class Corpus:
    out_dir: Path  # the built site, plus the extra documents, served as is
    documents: dict[str, Any]  # every JSON document of the world by its https URL
    cases: list[Case]


def _sign(doc: dict, key: SigningKey, vm: str, created: str = "2026-01-02T00:00:00Z") -> dict:
    unsigned = {k: v for k, v in doc.items() if k != "proof"}
    return proof.sign(unsigned, key, vm, created)


def _vector(path: str) -> str:
    return (VECTORS / path).read_text()


def make_corpus(site: Path, tmp: Path) -> Corpus:
    key = SigningKey.generate()
    add_key(site, key, now=datetime(2026, 1, 1, tzinfo=UTC))
    # a second key of the same issuer, which the Digital Bazaar stack signs with below
    db_key = SigningKey.generate()
    add_key(site, db_key, now=datetime(2026, 1, 1, tzinfo=UTC))
    catalog, _ = load_site(site)
    cfg = catalog.config
    vm = key_id(cfg, key.public_multibase)
    member, analyst = catalog.badge("member"), catalog.badge("analyst")

    def credential(badge=member, when=datetime(2026, 3, 1, tzinfo=UTC), name="Ada Lovelace",
                   **extra) -> dict:
        doc = build_credential(cfg, badge, IssueRequest(badge.slug, "ada@example.org", name,
                                                        "https://example.org/ada",
                                                        "Chaired *five* meetings", when), when)
        doc.update(extra)
        return doc

    # status lists: one with a revoked entry, signed by the issuer
    bits = empty_list()
    set_bit(bits, REVOKED_INDEX)
    list_url = BASE + "status/1.json"
    status_doc = _sign(status_list_credential(list_url, cfg.issuer_id, encode_list(bits),
                                              "2026-01-01T00:00:00Z"), key, vm)
    # a signed status list that is a decompression bomb: 20 KB that expand to 20 MB
    bomb_url = BASE + "status/bomb.json"
    bomb = "u" + base64.urlsafe_b64encode(gzip.compress(b"\0" * 20_000_000)).decode().rstrip("=")
    bomb_doc = _sign(status_list_credential(bomb_url, cfg.issuer_id, bomb,
                                            "2026-01-01T00:00:00Z"), key, vm)
    # a second issuer whose profile lists its key under someone else's control
    other_id = BASE + "other/issuer.json"
    other_key = SigningKey.generate()
    other_vm = f"{other_id}#{other_key.public_multibase}"
    other_profile = {"@context": [*OB_CONTEXT, CID_V1], "id": other_id, "type": ["Profile"],
                     "name": "Other Issuer",
                     "verificationMethod": [{"id": other_vm, "type": "Multikey",
                                             "controller": "https://evil.example/issuer.json",
                                             "publicKeyMultibase": other_key.public_multibase}],
                     "assertionMethod": [other_vm]}

    result = build(site, now=NOW)
    out = result.out_dir
    extra_docs = {"status/1.json": status_doc, "other/issuer.json": other_profile,
                  "status/bomb.json": bomb_doc}
    for rel, doc in extra_docs.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(json.dumps(doc, indent=2))
    documents = {BASE + p: json.loads(d) for p, d in result.files.items()
                 if p.endswith("issuer.json")}
    documents |= {BASE + rel: doc for rel, doc in extra_docs.items()}

    stranger = SigningKey.generate()
    valid = _sign(credential(), key, vm)
    all_pass = {c: "pass" for c in ("format", "issuer", "signature", "dates", "revocation")}
    cases = [Case("valid", json.dumps(valid), "valid", all_pass,
                  {"issuer": "issuer.ok", "signature": "signature.ok"})]

    def tamper(name: str, change) -> None:
        doc = copy.deepcopy(valid)
        change(doc)
        cases.append(Case(f"tampered-{name}", json.dumps(doc), "invalid",
                          {"format": "pass", "issuer": "pass", "signature": "fail"},
                          {"signature": "signature.bad"}))

    subject = "credentialSubject"
    tamper("earner-name", lambda d: d[subject]["identifier"][1].update(identityHash="Mallory"))
    tamper("email-hash", lambda d: d[subject]["identifier"][0].update(
        identityHash="sha256$" + "0" * 64))
    tamper("badge-name", lambda d: d[subject]["achievement"].update(name="Council Leader"))
    tamper("criteria", lambda d: d[subject]["achievement"]["criteria"].update(
        narrative="Nothing at all"))
    tamper("issuer-name", lambda d: d["issuer"].update(name="Someone Else"))
    tamper("valid-from", lambda d: d.update(validFrom="2026-02-01T00:00:00Z"))
    tamper("valid-until", lambda d: d.update(validUntil="2099-03-01T00:00:00Z"))
    tamper("evidence", lambda d: d["evidence"][0].update(narrative="Did everything"))
    tamper("credential-name", lambda d: d.update(name="Other"))
    tamper("proof-created", lambda d: d["proof"][0].update(created="2026-01-03T00:00:00Z"))

    cases += [
        Case("wrong-key", json.dumps(_sign(credential(), stranger, vm)), "invalid",
             {"issuer": "pass", "signature": "fail"}, {"signature": "signature.bad"}),
        Case("key-not-published-by-issuer",
             json.dumps(_sign(credential(), stranger, f"{cfg.issuer_id}#"
                              f"{stranger.public_multibase}")), "invalid",
             {"issuer": "fail", "signature": "pass"}, {"issuer": "issuer.not_listed"}),
        Case("controller-mismatch",
             json.dumps(_sign(credential(issuer={"id": other_id, "type": ["Profile"],
                                                 "name": "Other Issuer"}), other_key,
                              other_vm)), "invalid",
             {"issuer": "fail", "signature": "pass"}, {"issuer": "issuer.controller"}),
        Case("expired", json.dumps(_sign(credential(when=datetime(2024, 1, 1, tzinfo=UTC)),
                                         key, vm)), "invalid",
             {"signature": "pass", "dates": "fail"}, {"dates": "dates.expired"}),
        Case("not-yet-valid", json.dumps(_sign(credential(
            badge=analyst, when=datetime(2027, 1, 1, tzinfo=UTC)), key, vm)), "invalid",
            {"signature": "pass", "dates": "fail"}, {"dates": "dates.not_yet"}),
        Case("revoked", json.dumps(_sign(credential(
            credentialStatus=status_entry(list_url, REVOKED_INDEX)), key, vm)), "invalid",
            {"signature": "pass", "revocation": "fail"}, {"revocation": "revocation.revoked"}),
        Case("not-revoked", json.dumps(_sign(credential(
            credentialStatus=status_entry(list_url, LIVE_INDEX)), key, vm)), "valid",
            all_pass, {"revocation": "revocation.ok"}),
        Case("status-list-unreachable", json.dumps(_sign(credential(
            credentialStatus=status_entry(BASE + "status/404.json", 1)), key, vm)), "unknown",
            {"signature": "pass", "revocation": "unknown"}, {"revocation": "revocation.fetch"}),
        Case("status-list-forged", json.dumps(_sign(credential(
            credentialStatus=status_entry(BASE + "other/issuer.json", 1)), key, vm)),
            "unknown", {"revocation": "unknown"}, {"revocation": "revocation.list_invalid"}),
    ]

    unknown_ctx = credential()
    unknown_ctx["@context"] = [*unknown_ctx["@context"], "https://example.org/ctx.json"]
    undefined = credential()
    undefined[subject]["achievement"]["level"] = "Expert"
    relative = credential()
    relative["evidence"][0]["id"] = "evidence/ada"
    no_proof = credential()
    cases += [
        Case("unknown-context", json.dumps(_sign_unsafe(unknown_ctx, key, vm, valid)),
             "invalid", {"format": "fail"}, {"format": "format.context"}),
        Case("undefined-property", json.dumps(_sign_unsafe(undefined, key, vm, valid)),
             "invalid", {"format": "fail", "signature": "unknown"},
             {"format": "format.undefined", "signature": "signature.unsafe"}),
        Case("relative-id", json.dumps(_sign_unsafe(relative, key, vm, valid)), "invalid",
             {"format": "fail"}, {"format": "format.undefined"}),
        Case("unsigned", json.dumps(no_proof), "invalid", {"signature": "fail"},
             {"signature": "signature.proof"}),
        Case("malformed-json", '{"@context": ["https://www.w3.org/ns/credentials/v2", ', "invalid",
             {"format": "fail", "issuer": "unknown"}, {"format": "format.json"}),
        Case("not-a-credential", json.dumps({"hello": "world"}), "invalid",
             {"format": "fail"}, {"format": "format.shape"}),
    ]

    did_key = SigningKey.generate()
    did = f"did:key:{did_key.public_multibase}"
    did_doc = {"@context": ["https://www.w3.org/ns/credentials/v2"],
               "id": "urn:uuid:7f1e0c0e-8a43-4b6f-9a55-0d3b1c2e4f50",
               "type": ["VerifiableCredential"], "issuer": did,
               "validFrom": "2026-01-01T00:00:00Z",
               "credentialSubject": {"id": "did:example:someone"}}
    cases.append(Case("did-key-issuer", json.dumps(_sign(did_doc, did_key,
                                                         f"{did}#{did_key.public_multibase}")),
                      "valid", all_pass, {"issuer": "issuer.did_key"}))
    vector_expect = {"format": "pass", "issuer": "unknown", "signature": "pass",
                     "dates": "pass", "revocation": "pass"}
    cases += [
        Case("w3c-eddsa-rdfc-2022", _vector("vc-di-eddsa/eddsa-rdfc-2022/signedDataInt.json"),
             "unknown", vector_expect, {"issuer": "issuer.fetch"}),
        Case("w3c-eddsa-jcs-2022", _vector("vc-di-eddsa/eddsa-jcs-2022/signedJCS.json"),
             "unknown", vector_expect, {"issuer": "issuer.fetch"}),
        Case("w3c-eddsa-rdfc-2022-employ",
             _vector("vc-di-eddsa/eddsa-rdfc-2022/employ/signedDataInt.json"), "invalid",
             {"signature": "pass", "issuer": "fail"}, {"issuer": "issuer.not_listed"}),
        Case("1edtech-ob3", _vector("ob-v3p0-1edtech/signed.json"), "unknown", vector_expect,
             {"format": "format.ok"}),
    ]
    if interop_harness.missing() is None:
        cases += signed_elsewhere(credential(), cfg.issuer_id,
                                  key_id(cfg, db_key.public_multibase), db_key, did_doc)
    world = World(valid, credential, key, vm, db_key, key_id(cfg, db_key.public_multibase))
    cases += hardening_cases(world, list_url, bomb_url)
    return Corpus(out, documents, cases)


@dataclass
class World:
    """What the hardening cases are made from: a valid credential, a maker of unsigned
    ones, and two keys the issuer publishes."""

    valid: dict
    credential: Any
    key: SigningKey
    vm: str
    key2: SigningKey
    vm2: str


def _fail(name: str, doc_or_text: Any, check: str, code: str, **more: str) -> Case:
    """A case whose ``check`` fails with ``code`` (so the verdict is invalid)."""
    text = doc_or_text if isinstance(doc_or_text, str) else json.dumps(doc_or_text)
    statuses = {check: "fail"} | {c: "unknown" for c in more}
    return Case(name, text, "invalid", statuses, {check: code} | more)


def _clique(n: int) -> list[dict]:
    """n blank nodes that all name each other: alike to the first degree, so RDFC-1.0
    must try every order of them (exponential work)."""
    return [{"id": f"_:n{i}", "type": ["Profile"],
             "parentOrg": [{"id": f"_:n{j}"} for j in range(n) if j != i]} for i in range(n)]


def hardening_cases(w: World, list_url: str, bomb_url: str) -> list[Case]:
    """Hostile and ambiguous input: each must get the same clear verdict, quickly, from both
    verifiers (the hardening issue, items 2 and 5-8 and the crashes)."""
    cases = []
    unsigned = "revocation.unsigned"  # the signature failed: not authentic
    unconfirmed = "revocation.unconfirmed"  # the signature was not checked
    # 2. canonicalization work limit
    bomb = w.credential()
    bomb["issuer"] = {**bomb["issuer"], "parentOrg": _clique(8)}
    cases.append(_fail("canonicalization-bomb", _sign_unsafe(bomb, w.key, w.vm, w.valid),
                       "format", "format.too_complex", signature="signature.unsafe",
                       revocation=unconfirmed))
    cases.append(_fail("canonicalization-two-alike-cycle", _sign_unsafe(
        w.credential(issuer={**w.valid["issuer"], "parentOrg": _clique(3)}), w.key, w.vm,
        w.valid), "format", "format.too_complex"))
    twins = w.credential()
    twins["evidence"] = [{"type": ["Evidence"], "narrative": "same"}] * 2  # alike, no cycle
    cases.append(Case("blank-nodes-alike-but-cheap", json.dumps(_sign(twins, w.key, w.vm)),
                      "valid", {"format": "pass", "signature": "pass"}))
    # ids both JSON-LD processors read alike (RFC 3987: none of these characters)
    for name, bad in (("space", " "), ("quote", '"'), ("angle", "<>"), ("braces", "{}"),
                      ("pipe", "|"), ("caret", "^"), ("backslash", "\\"), ("backtick", "`")):
        doc = w.credential()
        doc["evidence"][0]["id"] = f"https://example.org/a{bad}b"
        cases.append(_fail(f"bad-id-{name}", _sign_unsafe(doc, w.key, w.vm, w.valid),
                           "format", "format.bad_id"))
    for name, bad in (("space", " "), ("pipe", "|")):  # an IRI-valued property, not an id
        doc = w.credential()
        doc["credentialSubject"]["achievement"]["image"] = f"https://example.org/a{bad}.png"
        cases.append(_fail(f"bad-iri-property-{name}", _sign_unsafe(doc, w.key, w.vm, w.valid),
                           "format", "format.bad_id"))
    relative = w.credential()
    relative["credentialSubject"]["achievement"]["image"] = "badge.png"  # typed @id
    cases.append(_fail("relative-iri-property", _sign_unsafe(relative, w.key, w.vm, w.valid),
                       "format", "format.undefined"))
    for name, value in (("number", 5), ("empty", {}), ("iri", "did:key:z6Mk")):
        cases.append(_fail(f"proof-{name}", w.valid | {"proof": value}, "format",
                           "format.shape"))
    # 5. proof purpose and proof sets
    made_for_login = proof.sign(_unsigned(w.valid), w.key, w.vm, "2026-01-02T00:00:00Z",
                                purpose="authentication")
    cases.append(Case("proof-purpose-authentication", json.dumps(made_for_login), "invalid",
                      {"issuer": "pass", "signature": "fail"},
                      {"signature": "signature.purpose"}))
    first = w.valid["proof"][0]
    second = _sign(w.valid, w.key2, w.vm2)["proof"][0]
    broken = second | {"created": "2026-01-03T00:00:00Z"}  # no longer what was signed
    for name, proofs, verdict, code in (
            ("proof-set-two-valid", [first, second], "valid", "signature.ok"),
            ("proof-set-valid-then-invalid", [first, broken], "invalid", "signature.bad"),
            ("proof-set-invalid-then-valid", [broken, first], "invalid", "signature.bad"),
            ("proof-set-empty", [], "invalid", "signature.proof"),
            ("proof-set-too-many", [first] * 5, "invalid", "signature.proof")):
        expect = {"signature": "pass" if verdict == "valid" else "fail"}
        cases.append(Case(name, json.dumps(w.valid | {"proof": proofs}), verdict, expect,
                          {"signature": code}))
    # a proof of a kind not checked here (DCC's wallet signs Ed25519Signature2020): "could not
    # check", never "not authentic", alone or beside a proof that verifies
    with_2020 = w.credential()
    with_2020["@context"] = [*with_2020["@context"],
                             "https://w3id.org/security/suites/ed25519-2020/v1"]
    signed_2020 = _sign(with_2020, w.key, w.vm)
    di = signed_2020["proof"][0]
    ed2020 = {k: v for k, v in di.items() if k != "cryptosuite"} | {
        "type": "Ed25519Signature2020"}
    for name, doc, proofs in (
            ("proof-type-unsupported", signed_2020, [ed2020]),
            ("proof-set-with-unsupported-type", signed_2020, [di, ed2020]),
            ("proof-cryptosuite-unsupported", w.valid,
             [first | {"cryptosuite": "ecdsa-rdfc-2019"}])):
        cases.append(Case(name, json.dumps(doc | {"proof": proofs}), "unknown",
                          {"format": "pass", "issuer": "unknown", "signature": "unknown",
                           "revocation": "unknown"},
                          {"issuer": "issuer.unchecked", "signature": "signature.unsupported",
                           "revocation": "revocation.unconfirmed"}))
    # a forger cannot turn "not authentic" into "could not check" with a made-up name
    forged = copy.deepcopy(w.valid)
    forged["name"] = "Forged"
    for name, change in (("proof-type-made-up", {"type": "TotallyValidProof2030"}),
                         ("proof-cryptosuite-made-up", {"cryptosuite": "trust-me-2030"})):
        cases.append(Case(name, json.dumps(forged | {"proof": [first | change]}), "invalid",
                          {"signature": "fail"}, {"signature": "signature.proof"}))
    # signed by the issuer's key, naming the issuer otherwise than its profile does: the
    # key check says who publishes the key by the profile's own name
    claimed = w.credential()
    claimed["issuer"] = {**claimed["issuer"], "name": "Claimed Name Ltd"}
    cases.append(Case("issuer-name-claimed", json.dumps(_sign(claimed, w.key, w.vm)), "valid",
                      {"issuer": "pass", "signature": "pass"}, {"issuer": "issuer.ok"}))
    no_start = _sign({k: v for k, v in w.credential().items() if k != "validFrom"}, w.key,
                     w.vm)
    cases.append(Case("valid-from-missing", json.dumps(no_start), "invalid",
                      {"format": "fail", "dates": "fail"},
                      {"format": "format.shape", "dates": "dates.missing"}))
    for kind, value in (("null", None), ("number", 2026), ("list", ["2026-03-01"])):
        cases.append(_fail(f"valid-from-{kind}", w.valid | {"validFrom": value}, "dates",
                           "dates.missing"))
    huge = first | {"proofValue": "z" + "2" * 400_000}  # base58 decoding is quadratic
    cases.append(_fail("proof-value-huge", w.valid | {"proof": [huge]}, "signature",
                       "signature.proof"))
    # 7. a forged credential's status list is never fetched
    revoked = _sign(w.credential(credentialStatus=status_entry(list_url, REVOKED_INDEX)),
                    w.key, w.vm)
    revoked["name"] = "Forged"
    cases.append(_fail("forged-status-not-fetched", revoked, "signature", "signature.bad",
                       revocation=unsigned))
    cases.append(Case("status-list-bomb", json.dumps(_sign(w.credential(
        credentialStatus=status_entry(bomb_url, 3)), w.key, w.vm)), "unknown",
        {"signature": "pass", "revocation": "unknown"},
        {"revocation": "revocation.list_invalid"}))
    # 8. strict JSON: duplicate keys, depth, size, plain JSON only
    text = json.dumps(w.valid)
    forged_first = '{"issuer": {"id": "https://evil.example/", "name": "Evil"}, ' + text[1:]
    cases.append(_fail("duplicate-key-issuer", forged_first, "format", "format.duplicate_key"))
    escaped = '{"\\u0069ssuer": "https://evil.example/", ' + text[1:]
    cases.append(_fail("duplicate-key-escaped", escaped, "format", "format.duplicate_key"))
    cases.append(_fail("duplicate-key-nested", text.replace(
        '"narrative": "Chaired', '"narrative": "Nothing", "narrative": "Chaired', 1),
        "format", "format.duplicate_key"))
    cases.append(_fail("nested-100k-deep", "[" * 100_000 + "]" * 100_000, "format",
                       "format.too_deep"))
    cases.append(_fail("nested-100k-deep-unterminated", "[" * 100_000, "format",
                       "format.too_deep"))
    cases.append(_fail("nested-33-deep", '{"a":' * 33 + "1" + "}" * 33, "format",
                       "format.too_deep"))
    cases.append(_fail("nested-32-deep", '{"a":' * 32 + "1" + "}" * 32, "format",
                       "format.shape"))
    cases.append(_fail("over-1-mb", w.valid | {"padding": "x" * 1_000_000}, "format",
                       "format.too_large"))
    cases.append(_fail("nan", '{"a": NaN}', "format", "format.json"))
    cases.append(Case("byte-order-mark", "\ufeff" + text, "valid", {"format": "pass"}))
    # crashes once: odd @context values
    for name, value in (("null", None), ("object", {}), ("empty-list", []), ("number", 5)):
        cases.append(_fail(f"context-{name}", w.valid | {"@context": value}, "format",
                           "format.shape", revocation=unconfirmed))
    did = "did:key:z" + "2" * 200_000  # base58 decoding is quadratic: refused by length
    cases.append(_fail("did-key-huge", w.valid | {"issuer": did, "proof": [
        first | {"verificationMethod": f"{did}#z{'2' * 200_000}"}]}, "issuer",
        "issuer.bad_document"))
    return cases


def _unsigned(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k != "proof"}


OTHER_STACK_CASES = ("digital-bazaar-own-issuer", "digital-bazaar-did-key",
                     "tampered-digital-bazaar-own-issuer", "tampered-digital-bazaar-did-key")


def signed_elsewhere(ours: dict, issuer_id: str, vm: str, key: SigningKey,
                     did_doc: dict) -> list[Case]:
    """Credentials the Digital Bazaar stack signs: with a key this issuer publishes, and
    with a did:key; each valid here, and invalid once one signed field changes."""
    own = interop_harness.digital_bazaar_sign(ours, key.seed, "2026-01-02T00:00:00Z",
                                              issuer_id=issuer_id, vm=vm)
    did_key = SigningKey.generate()
    other = interop_harness.digital_bazaar_sign(
        {k: v for k, v in did_doc.items() if k != "proof"}, did_key.seed,
        "2026-01-02T00:00:00Z")
    all_pass = {c: "pass" for c in ("format", "issuer", "signature", "dates", "revocation")}
    cases = [Case("digital-bazaar-own-issuer", json.dumps(own), "valid", all_pass,
                  {"issuer": "issuer.ok", "signature": "signature.ok"}),
             Case("digital-bazaar-did-key", json.dumps(other), "valid", all_pass,
                  {"issuer": "issuer.did_key", "signature": "signature.ok"})]
    for name, doc in (("own-issuer", own), ("did-key", other)):
        changed = copy.deepcopy(doc)
        changed["validFrom"] = "2026-01-01T00:00:01Z"
        cases.append(Case(f"tampered-digital-bazaar-{name}", json.dumps(changed), "invalid",
                          {"issuer": "pass", "signature": "fail"},
                          {"signature": "signature.bad"}))
    return cases


def _sign_unsafe(doc: dict, key: SigningKey, vm: str, template: dict) -> dict:
    """What a careless issuer would publish: the content changed after a valid proof was
    made (our signer refuses such content, so borrow the proof of a valid credential)."""
    del key, vm
    return doc | {"proof": copy.deepcopy(template["proof"])}


def expected_ok(case: Case, result: dict) -> list[str]:
    """Differences between a result ({verdict, checks}) and what the case expects."""
    errors = []
    if result["verdict"] != case.verdict:
        errors.append(f"verdict {result['verdict']} != {case.verdict}")
    by_check = {c["check"]: c for c in result["checks"]}
    for check, status in case.expect.items():
        if by_check.get(check, {}).get("status") != status:
            errors.append(f"{check} {by_check.get(check, {}).get('status')} != {status}")
    for check, code in case.codes.items():
        if by_check.get(check, {}).get("code") != code:
            errors.append(f"{check} code {by_check.get(check, {}).get('code')} != {code}")
    return errors


def local_as_published(result: dict) -> dict:
    """The browser on a local preview reads the site's own keys from the preview server and
    says so (issuer.local); that is the same finding as issuer.ok on the published site."""
    checks = [c | {"code": "issuer.ok", "local": True} if c["code"] == "issuer.local" else c
              for c in result["checks"]]
    return result | {"checks": checks}


def summary(result: dict) -> list[tuple[str, str, str]]:
    return [(c["check"], c["status"], c["code"]) for c in result["checks"]]


__all__ = ["Case", "Corpus", "NOW", "expected_ok", "iso", "local_as_published", "make_corpus",
           "summary"]
