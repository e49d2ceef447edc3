"""Verification of a credential, step by step, as DESIGN.md describes and the browser
verifier mirrors: format, issuer key, signature, dates, revocation, (recipient).

Every step runs and is reported even when another fails, and verification *returns* a
result instead of raising for "invalid" (digitalbazaar/vc). Messages come from
messages.json, shared word for word with the JavaScript verifier.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

from . import ld, proof, untrusted
from .keys import decode_multibase_key, verify_signature
from .resolve import FetchError, Resolver, controller_document_url, did_key_document

CHECKS = ("format", "issuer", "signature", "dates", "revocation", "recipient")
VC_V1 = "https://www.w3.org/2018/credentials/v1"
VC_V2 = "https://www.w3.org/ns/credentials/v2"
MAX_STATUS_LIST = 16_000_000  # decompressed bytes: 128 million entries


@cache
def messages() -> dict[str, str]:
    return json.loads((resources.files("badgepress") / "messages.json").read_text("utf-8"))


class Worded:
    """Something shown to a person as a sentence of messages.json: its ``code`` and the
    ``params`` filled in, the same words in the CLI and in the browser."""

    code: str
    params: dict[str, str]

    @property
    def message(self) -> str:
        return messages()[self.code].format_map(self.params)


@dataclass(frozen=True)
class Check(Worded):
    check: str
    status: str  # pass | fail | unknown
    code: str
    params: dict[str, str] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, str]:
        return {"check": self.check, "status": self.status, "code": self.code,
                "message": self.message}


@dataclass(frozen=True)
class Result:
    verdict: str  # valid | invalid | unknown
    checks: tuple[Check, ...]
    credential: dict[str, Any] | None = None

    def check(self, name: str) -> Check:
        return next(c for c in self.checks if c.check == name)

    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status == "fail"]

    def to_json(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "checks": [c.to_json() for c in self.checks]}


def verdict_of(checks: list[Check]) -> str:
    if any(c.status == "fail" for c in checks):
        return "invalid"
    if any(c.status == "unknown" for c in checks if c.check != "recipient"):
        return "unknown"
    return "valid"


def day(value: str | datetime) -> str:
    """The UTC calendar date shown in messages (the browser formats it the same way)."""
    dt = (parse_datetime(value) if isinstance(value, str) else value).astimezone(UTC)
    return f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}"


DATE_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?"
                       r"(Z|[+-]\d{2}:\d{2})?$")


def parse_datetime(value: str) -> datetime:
    """xsd:dateTime -> aware datetime (a missing zone is read as UTC). Exactly the form the
    browser verifier accepts (core.js parseDateTime): no other ISO 8601 spelling, a real
    calendar day and time, fractions of a second to the millisecond as a browser keeps
    them."""
    if not isinstance(value, str):  # named as the browser verifier names it
        raise ValueError(f"{_json_kind(value)} is not a date-time")
    m = DATE_TIME.match(value)
    if m is None or int(m[1]) < 1:
        raise ValueError(f"'{value}' is not a date-time")
    text = value[:19] + (m[7] or "")[:4] + (m[8] or "Z")
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))  # a day or hour out of range
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _json_kind(value: Any) -> str:
    """What a JSON value that is not text is, in words both verifiers use."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    return "a list" if isinstance(value, list) else "an object"


def issuer_id_of(doc: dict[str, Any]) -> str | None:
    issuer = doc.get("issuer")
    if isinstance(issuer, str):
        return issuer
    if isinstance(issuer, dict) and isinstance(issuer.get("id"), str):
        return issuer["id"]
    return None


# 1. format -------------------------------------------------------------------------------

def check_format(doc: Any) -> tuple[Check, bool]:
    """Shape of a VC / OB 3.0 credential, known contexts, nothing undefined.
    Returns the check and whether the JSON-LD content is safe to canonicalize."""
    shape = check_shape(doc)
    if shape is not None:
        return shape, False
    try:
        ld.expand_safe(doc)
    except ld.BadIri as exc:
        return Check("format", "fail", "format.bad_id", {"detail": str(exc)}), False
    except ld.UnsafeDocument as exc:
        return Check("format", "fail", "format.undefined", {"detail": str(exc)}), False
    try:  # the work limit; the signature check then reuses this canonical form
        ld.canonize_rdfc(proof.unsecured_of(doc))
    except ld.WorkLimit as exc:
        return Check("format", "fail", "format.too_complex", {"detail": str(exc)}), False
    except ld.UnsafeDocument:
        pass  # what keeps it from being canonicalized is the signature check's to report
    types = _as_list(doc.get("type"))
    is_ob = "OpenBadgeCredential" in types or "AchievementCredential" in types
    return Check("format", "pass", "format.ok" if is_ob else "format.ok_vc"), True


def check_shape(doc: Any, raw: bytes | None = None) -> Check | None:
    """The cheap part of the format check (no JSON-LD processing): the failing Check, or
    None when the document has the shape of a VC / OB 3.0 credential with known contexts.
    The build runs just this for files its signed log vouches for (``raw``: the bytes it
    was parsed from, which spare the walk for nested contexts when they show none)."""
    if not isinstance(doc, dict):
        return Check("format", "fail", "format.shape", {"detail": "it is not a JSON object"})
    ctx = doc.get("@context")
    ctx_list = ctx if isinstance(ctx, list) else [ctx]
    if not ctx_list or ctx_list[0] not in (VC_V2, VC_V1):
        return Check("format", "fail", "format.shape", {
            "detail": f"its first @context must be {VC_V2}"})
    try:
        ld.check_contexts(doc, raw)
    except ld.UnsafeDocument as exc:
        return Check("format", "fail", "format.context", {"detail": _unknown_ctx(exc)})
    types = doc.get("type") if isinstance(doc.get("type"), list) else [doc.get("type")]
    problems = []
    if "VerifiableCredential" not in types:
        problems.append("'type' must include VerifiableCredential")
    if issuer_id_of(doc) is None:
        problems.append("'issuer' must be an id or an object with an id")
    subject = doc.get("credentialSubject")
    if not isinstance(subject, (dict, list)):
        problems.append("'credentialSubject' property is required")
    if not all(isinstance(p, dict) and p for p in _as_list(doc.get("proof"))):
        # JSON-LD would drop anything else from the proof graph, one processor silently
        problems.append("'proof' must be an object or a list of objects")
    is_ob = "OpenBadgeCredential" in types or "AchievementCredential" in types
    if is_ob:
        subj = subject[0] if isinstance(subject, list) and subject else subject
        ach = subj.get("achievement") if isinstance(subj, dict) else None
        if not isinstance(ach, dict):
            problems.append("an Open Badge needs 'credentialSubject.achievement'")
        else:
            for key in ("id", "name", "criteria"):
                if key not in ach:
                    problems.append(f"'achievement.{key}' property is required")
        if ctx_list[0] == VC_V2 and "validFrom" not in doc:
            problems.append("'validFrom' property is required")
    if problems:
        return Check("format", "fail", "format.shape", {"detail": "; ".join(problems)})
    return None


def _unknown_ctx(exc: Exception) -> str:
    text = str(exc)
    return text.split("'")[1] if text.count("'") >= 2 else text


# 2. issuer key ---------------------------------------------------------------------------

@dataclass
class KeyInfo:
    """The outcome of resolving the proof's key: a check, and key bytes for the signature."""

    check: Check
    public_key: bytes | None = None
    key_error: str = ""


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _fallback_key(vm: str) -> tuple[bytes | None, str]:
    """The key named by the proof itself (did:key, or a multibase fragment): used only to
    check the signature, never to decide that the key is the issuer's."""
    candidate = vm.split("#", 1)[1] if "#" in vm else vm.removeprefix("did:key:")
    if vm.startswith("did:key:"):
        candidate = vm.split("#", 1)[0].removeprefix("did:key:")
    try:
        return decode_multibase_key(candidate), ""
    except ValueError:
        return None, f"{vm} is not a key the issuer's documents publish"


def check_issuer(doc: dict[str, Any], resolver: Resolver, local_note: dict | None,
                 pr: dict[str, Any]) -> KeyInfo:
    """Is the key of the proof ``pr`` one that the issuer publishes under its own
    identifier?"""
    issuer = issuer_id_of(doc) or "?"
    label = doc["issuer"].get("name") if isinstance(doc.get("issuer"), dict) else None
    vm = pr.get("verificationMethod")
    if not isinstance(vm, str):
        return KeyInfo(Check("issuer", "fail", "signature.proof",
                             {"detail": "the proof has no 'verificationMethod'"}))
    fallback, fallback_error = _fallback_key(vm)
    params = {"issuer": label if isinstance(label, str) and label else issuer,
              "issuer_id": issuer, "key": vm}
    url = None
    try:
        if issuer.startswith("did:key:"):
            controller_doc = did_key_document(issuer)
            source = "identifier"
        else:
            url = controller_document_url(issuer)
            controller_doc = resolver.fetch(url)
            source = "DID document" if issuer.startswith("did:") else "issuer profile"
    except FetchError as exc:
        return KeyInfo(Check("issuer", "unknown", "issuer.fetch",
                             {**params, "url": url or issuer, "detail": str(exc)}),
                       fallback, fallback_error and f"the issuer's documents, which publish "
                       f"{vm}, could not be loaded")
    except ValueError as exc:
        return KeyInfo(Check("issuer", "fail", "issuer.bad_document",
                             {**params, "url": issuer, "detail": str(exc)}),
                       fallback, fallback_error)
    if not isinstance(controller_doc, dict):
        return KeyInfo(Check("issuer", "fail", "issuer.bad_document", {
            **params, "url": url or issuer, "detail": "it is not a JSON object"}),
            fallback, fallback_error)
    if controller_doc.get("id") != issuer:
        return KeyInfo(Check("issuer", "fail", "issuer.id_mismatch", {
            **params, "url": url or issuer, "found": str(controller_doc.get("id"))}),
            fallback, fallback_error)
    own_name = controller_doc.get("name")
    if isinstance(own_name, str) and own_name:  # who publishes the key, in its own words
        params["issuer"] = own_name  # (the credential's issuer.name is only its claim)
    methods = [m for m in _as_list(controller_doc.get("verificationMethod"))
               + _as_list(controller_doc.get("assertionMethod")) if isinstance(m, dict)]
    method = next((m for m in methods if m.get("id") == vm), None)
    if method is None:
        return KeyInfo(Check("issuer", "fail", "issuer.not_listed", params),
                       fallback, fallback_error)
    try:
        public_key = decode_multibase_key(method.get("publicKeyMultibase", ""))
    except ValueError as exc:
        return KeyInfo(Check("issuer", "fail", "issuer.bad_document", {
            **params, "url": url or issuer, "detail": f"key {vm}: {exc}"}),
            fallback, fallback_error)
    if method.get("revoked"):
        return KeyInfo(Check("issuer", "fail", "issuer.revoked", {
            **params, "date": _day_or_raw(method["revoked"])}), public_key)
    assertion = [m if isinstance(m, str) else m.get("id") for m in
                 _as_list(controller_doc.get("assertionMethod")) if isinstance(m, (str, dict))]
    if vm not in assertion:
        return KeyInfo(Check("issuer", "fail", "issuer.not_assertion", params), public_key)
    if method.get("controller") != issuer:
        return KeyInfo(Check("issuer", "fail", "issuer.controller", {
            **params, "controller": str(method.get("controller"))}), public_key)
    if method.get("expires"):
        try:
            expired = parse_datetime(pr.get("created", "")) >= parse_datetime(method["expires"])
        except ValueError:
            expired = True
        if expired:
            return KeyInfo(Check("issuer", "fail", "issuer.expired", {
                **params, "created": _day_or_raw(pr.get("created", "?")),
                "date": _day_or_raw(method["expires"])}), public_key)
    if issuer.startswith("did:key:"):
        return KeyInfo(Check("issuer", "pass", "issuer.did_key", params), public_key)
    if local_note and url in local_note:
        return KeyInfo(Check("issuer", "pass", "issuer.local", {
            **params, "url": local_note[url], "origin": url}), public_key)
    return KeyInfo(Check("issuer", "pass", "issuer.ok", {**params, "source": source}),
                   public_key)


def _day_or_raw(value: str) -> str:
    try:
        return day(value)
    except (ValueError, TypeError):
        return str(value)


# 3. signature ----------------------------------------------------------------------------

def check_signature(doc: dict[str, Any], key: KeyInfo, safe: bool,
                    pr: dict[str, Any]) -> Check:
    """Does the proof ``pr`` verify with the key found for it?"""
    try:
        unsecured, config, signature = proof.prepare(doc, pr)
    except proof.WrongPurpose as exc:
        return Check("signature", "fail", "signature.purpose", {"purpose": exc.purpose})
    except proof.Unsupported as exc:
        return Check("signature", "unknown", "signature.unsupported", {"detail": str(exc)})
    except proof.ProofError as exc:
        return Check("signature", "fail", "signature.proof", {"detail": str(exc)})
    if not safe:
        return Check("signature", "unknown", "signature.unsafe")
    if key.public_key is None:
        return Check("signature", "unknown", "signature.no_key",
                     {"detail": key.key_error or "no key"})
    suite = config["cryptosuite"]
    try:
        data = proof.hash_data(unsecured, config, suite)
    except (ld.UnsafeDocument, proof.ProofError) as exc:
        return Check("signature", "fail", "signature.proof", {"detail": str(exc)})
    if not verify_signature(key.public_key, signature, data):
        return Check("signature", "fail", "signature.bad")
    return Check("signature", "pass", "signature.ok", {
        "created": _day_or_raw(str(config.get("created", "?"))), "suite": suite})


def check_proof(doc: dict[str, Any], resolver: Resolver, local_note: dict | None = None
                ) -> tuple[Check, KeyInfo, Check]:
    """Steps 1-3 (format, issuer key, signature): what proves who signed what. Every proof
    of a proof set is checked and must pass; each step reports its first failing proof
    (else its first unknown one, else the first proof)."""
    fmt, safe = check_format(doc)
    return (fmt, *check_proof_set(doc, resolver, local_note, safe))


def check_proof_set(doc: dict[str, Any], resolver: Resolver, local_note: dict | None,
                    safe: bool) -> tuple[KeyInfo, Check]:
    """Steps 2-3 for every proof of the document."""
    try:
        proofs = proof.proof_set(doc)
    except proof.ProofError as exc:
        params = {"detail": str(exc)}
        return (KeyInfo(Check("issuer", "fail", "signature.proof", params)),
                Check("signature", "fail", "signature.proof", params))
    keys = [check_issuer(doc, resolver, local_note, pr) for pr in proofs]
    sigs = [check_signature(doc, key, safe, pr) for key, pr in zip(keys, proofs, strict=True)]
    # an unchecked proof confirms no key either, whatever its verificationMethod names
    keys = [KeyInfo(Check("issuer", "unknown", "issuer.unchecked"))
            if sig.code == "signature.unsupported" else key
            for key, sig in zip(keys, sigs, strict=True)]
    return _first_worst(keys, lambda k: k.check), _first_worst(sigs, lambda c: c)


def check_keys(doc: dict[str, Any], resolver: Resolver) -> KeyInfo:
    """Step 2 alone for every proof (whose key, published by the issuer, not revoked):
    what the build still checks for a file its signed log vouches for, as a key revoked
    after the file was logged must stop it."""
    try:
        proofs = proof.proof_set(doc)
    except proof.ProofError as exc:
        return KeyInfo(Check("issuer", "fail", "signature.proof", {"detail": str(exc)}))
    return _first_worst([check_issuer(doc, resolver, None, pr) for pr in proofs],
                        lambda k: k.check)


def _first_worst(items: list, check_of) -> Any:
    for status in ("fail", "unknown"):
        found = next((i for i in items if check_of(i).status == status), None)
        if found is not None:
            return found
    return items[0]


# 4. dates --------------------------------------------------------------------------------

def check_dates(doc: dict[str, Any], now: datetime) -> Check:
    start_key, end_key = ("validFrom", "validUntil")
    if _as_list(doc.get("@context"))[:1] == [VC_V1]:
        start_key, end_key = ("issuanceDate", "expirationDate")
    if start_key not in doc:
        return Check("dates", "fail", "dates.missing", {"detail": f"it has no {start_key}"})
    key = start_key
    try:
        start = parse_datetime(doc[start_key])
        key = end_key
        end = parse_datetime(doc[end_key]) if end_key in doc else None
    except ValueError as exc:
        return Check("dates", "fail", "dates.missing", {"detail": f"{key}: {exc}"})
    params = {"from": day(start), "until": day(end) if end else ""}
    if now < start:
        return Check("dates", "fail", "dates.not_yet", params)
    if end is not None and now >= end:
        return Check("dates", "fail", "dates.expired", params)
    return Check("dates", "pass", "dates.ok_until" if end else "dates.ok", params)


# 5. revocation ---------------------------------------------------------------------------

def decode_status_list(encoded: str) -> bytes:
    """Multibase base64url ('u…') GZIP bitstring (W3C Bitstring Status List)."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise ValueError("encodedList must be multibase base64url (starting with 'u')")
    raw = encoded[1:]
    try:
        packed = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except ValueError as exc:
        raise ValueError("encodedList is not valid base64url") from exc
    return untrusted.inflate(packed, MAX_STATUS_LIST, gzip=True)


def bit_at(bits: bytes, index: int) -> bool:
    """Index 0 is the left-most bit of the first byte."""
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def check_revocation(doc: dict[str, Any], resolver: Resolver, now: datetime,
                     local_note: dict | None = None) -> Check:
    entries = [e for e in _as_list(doc.get("credentialStatus")) if isinstance(e, dict)]
    if not doc.get("credentialStatus"):
        return Check("revocation", "pass", "revocation.none")
    entry = next((e for e in entries if e.get("type") == "BitstringStatusListEntry"), None)
    if entry is None:
        return Check("revocation", "unknown", "revocation.bad_entry",
                     {"detail": "only BitstringStatusListEntry is supported"})
    url = entry.get("statusListCredential")
    purpose = entry.get("statusPurpose")
    raw_index = entry.get("statusListIndex")
    digits = not isinstance(raw_index, bool) and re.fullmatch(r"\s*\d+\s*", str(raw_index))
    index = int(str(raw_index)) if digits else -1
    if not isinstance(url, str) or purpose not in ("revocation", "suspension") or index < 0:
        return Check("revocation", "fail", "revocation.bad_entry", {
            "detail": "it needs statusListCredential, statusPurpose and a statusListIndex"})
    params = {"url": url, "index": str(index)}
    try:
        status_doc = resolver.fetch(url)
    except FetchError as exc:
        return Check("revocation", "unknown", "revocation.fetch", {**params,
                                                                   "detail": str(exc)})
    problem = _status_list_problem(status_doc, doc, url, purpose, resolver, now, local_note)
    if problem:
        return Check("revocation", "unknown", "revocation.list_invalid",
                     {**params, "detail": problem})
    try:
        bits = decode_status_list(status_doc["credentialSubject"]["encodedList"])
        if index >= len(bits) * 8:
            raise ValueError(f"index {index} is beyond the list's {len(bits) * 8} entries")
    except (ValueError, KeyError, TypeError, OSError) as exc:
        return Check("revocation", "unknown", "revocation.list_invalid",
                     {**params, "detail": str(exc)})
    if bit_at(bits, index):
        return Check("revocation", "fail", "revocation.revoked", params)
    return Check("revocation", "pass", "revocation.ok", params)


def _status_list_problem(status_doc: Any, doc: dict, url: str, purpose: str,
                         resolver: Resolver, now: datetime, local_note: dict | None) -> str:
    """Why a status list cannot be trusted, or '' when it can (its own full verification)."""
    fmt, safe = check_format(status_doc)
    if fmt.status != "pass":
        return fmt.message
    types = _as_list(status_doc.get("type"))
    subject = status_doc.get("credentialSubject")
    if "BitstringStatusListCredential" not in types or not isinstance(subject, dict):
        return "it is not a BitstringStatusListCredential"
    if status_doc.get("id") != url:
        return f"its id is {status_doc.get('id')}, not the address it came from"
    if issuer_id_of(status_doc) != issuer_id_of(doc):
        return "it was issued by someone other than the credential's issuer"
    if subject.get("statusPurpose") != purpose:
        return f"its purpose is {subject.get('statusPurpose')}, not {purpose}"
    key, sig = check_proof_set(status_doc, resolver, local_note, safe)
    if key.check.status != "pass":
        return key.check.message
    if sig.status != "pass":
        return sig.message
    dates = check_dates(status_doc, now) if "validFrom" in status_doc else None
    if dates is not None and dates.status != "pass":
        return dates.message
    return ""


# 6. recipient ----------------------------------------------------------------------------

def email_hash(email: str, salt: str) -> str:
    return "sha256$" + hashlib.sha256((email + salt).encode("utf-8")).hexdigest()


def check_recipient(doc: dict[str, Any], email: str) -> Check:
    subject = doc.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and subject else subject
    ids = _as_list(subject.get("identifier")) if isinstance(subject, dict) else []
    candidates = {email.strip(), email.strip().lower()}
    compared = False
    for ident in ids:
        if not isinstance(ident, dict) or ident.get("identityType") != "emailAddress":
            continue
        value = str(ident.get("identityHash", ""))
        compared = True
        if ident.get("hashed"):
            salt = str(ident.get("salt", ""))
            if any(email_hash(c, salt) == value for c in candidates):
                return Check("recipient", "pass", "recipient.match")
        elif value.lower() == email.strip().lower():
            return Check("recipient", "pass", "recipient.match")
    if not compared:
        return Check("recipient", "unknown", "recipient.none")
    return Check("recipient", "fail", "recipient.mismatch")


# the whole algorithm ---------------------------------------------------------------------

def verify_credential(data: bytes | str | dict[str, Any], resolver: Resolver, now: datetime,
                      email: str | None = None, local_note: dict | None = None) -> Result:
    """Run every step and return the result; never raises for an invalid credential.
    Text is read strictly (untrusted.loads); bytes must be UTF-8."""
    doc: Any = data
    try:
        if isinstance(data, bytes):
            data = untrusted.decode_utf8(data)
    except ValueError as exc:
        return _no_credential(Check("format", "fail", "format.read", {"detail": str(exc)}))
    if isinstance(data, str):
        try:
            doc = untrusted.loads(data)
        except untrusted.JsonProblem as exc:
            return _no_credential(Check("format", "fail", exc.code, exc.params))
    if not isinstance(doc, dict):
        return _no_credential(check_format(doc)[0])
    fmt, key, sig = check_proof(doc, resolver, local_note)
    if sig.status == "pass":
        revocation = check_revocation(doc, resolver, now, local_note)
    else:  # never fetch what an unauthentic (or unconfirmed) document points at
        revocation = Check("revocation", "unknown", "revocation.unsigned"
                           if sig.status == "fail" else "revocation.unconfirmed")
    checks = [fmt, key.check, sig, check_dates(doc, now), revocation]
    if email:
        checks.append(check_recipient(doc, email))
    return Result(verdict_of(checks), tuple(checks), doc)


def _no_credential(fmt: Check) -> Result:
    checks = [fmt] + [Check(c, "unknown", "none.no_credential") for c in CHECKS[1:5]]
    return Result("invalid", tuple(checks))
