"""Data Integrity proofs with the EdDSA cryptosuites (W3C vc-di-eddsa v1.0).

``eddsa-rdfc-2022`` (RDFC-1.0 canonical N-Quads) is what we sign with: it is what 1EdTech's
validator and other OB 3.0 verifiers accept. ``eddsa-jcs-2022`` (RFC 8785 JSON) is verified
too. Signed bytes = SHA-256(canonical proof configuration) ‖ SHA-256(canonical document).
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import base58

from ..core.errors import BadgepressError
from . import ld
from .keys import SigningKey

SUITES = ("eddsa-rdfc-2022", "eddsa-jcs-2022")


class ProofError(BadgepressError, ValueError):
    """The proof is malformed or cannot be processed (not the same as a bad signature)."""


def _canonical(doc: dict[str, Any], suite: str) -> bytes:
    if suite == "eddsa-rdfc-2022":
        return ld.canonize_rdfc(doc).encode("utf-8")
    if suite == "eddsa-jcs-2022":
        return ld.canonize_jcs(doc)
    raise ProofError(f"unsupported cryptosuite '{suite}' (supported: {', '.join(SUITES)})")


def hash_data(unsecured: dict[str, Any], proof_config: dict[str, Any], suite: str) -> bytes:
    """The 64 bytes an EdDSA proof signs: proof hash first, then document hash."""
    return (hashlib.sha256(_canonical(proof_config, suite)).digest()
            + hashlib.sha256(_canonical(unsecured, suite)).digest())


def sign(doc: dict[str, Any], key: SigningKey, verification_method: str, created: str,
         suite: str = "eddsa-rdfc-2022", purpose: str = "assertionMethod") -> dict[str, Any]:
    """A copy of ``doc`` with a DataIntegrityProof. Canonicalization is in safe mode, so a
    document with content its contexts do not define cannot be signed."""
    unsecured = {k: v for k, v in copy.deepcopy(doc).items() if k != "proof"}
    options = {"type": "DataIntegrityProof", "cryptosuite": suite, "created": created,
               "verificationMethod": verification_method, "proofPurpose": purpose}
    config = {"@context": unsecured["@context"], **options}
    if suite == "eddsa-jcs-2022":
        options = config  # the jcs suite keeps @context in the proof
    signature = key.sign(hash_data(unsecured, config, suite))
    # an array: 1EdTech's formal OB 3.0 schema requires one (a proof set of one proof)
    return {**unsecured, "proof": [{**options, "proofValue": "z" + base58.b58encode(
        signature).decode()}]}


def proofs_of(doc: dict[str, Any]) -> list[Any]:
    """The document's proofs, whether ``proof`` is one object or a set (an array)."""
    proof = doc.get("proof") if isinstance(doc, dict) else None
    return proof if isinstance(proof, list) else [] if proof is None else [proof]


MAX_PROOFS = 4  # each proof costs a canonicalization and a key lookup


def proof_set(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Every proof of the document, each of which must verify (a proof set, VC Data
    Integrity §2.1.1): a second, invalid proof is never ignored."""
    proofs = proofs_of(doc)
    if not proofs:
        raise ProofError("the credential has no proof: it is not signed")
    if len(proofs) > MAX_PROOFS:
        raise ProofError(f"the credential has {len(proofs)} proofs; at most {MAX_PROOFS} "
                         "are checked")
    for p in proofs:
        if not isinstance(p, dict) or not isinstance(p.get("type"), str):
            raise ProofError("the proof is not a DataIntegrityProof")
    return proofs


# Proofs other verifiers make that this one does not check: "could not check" (UNKNOWN), not
# "not authentic". Only these names: any other type or suite is no proof at all (a forger
# must not turn "not authentic" into "could not check" with a made-up name).
OTHER_TYPES = ("Ed25519Signature2020", "Ed25519Signature2018", "EcdsaSecp256k1Signature2019",
               "JsonWebSignature2020", "BbsBlsSignature2020")
OTHER_SUITES = ("ecdsa-rdfc-2019", "ecdsa-jcs-2019", "ecdsa-sd-2023", "bbs-2023",
                "eddsa-2022")


class Unsupported(ProofError):
    """A well-formed proof of a kind this verifier does not check (OTHER_TYPES,
    OTHER_SUITES): no evidence of tampering, so its checks are 'could not check', never
    'not authentic' (nor 'the key is the issuer's')."""


class WrongPurpose(ProofError):
    """A well-formed proof made for something else than issuing (e.g. authentication)."""

    def __init__(self, purpose: str):
        self.purpose = purpose
        super().__init__(f"the proof's purpose is '{purpose}', not 'assertionMethod'")


def prepare(doc: dict[str, Any], proof: dict[str, Any]
            ) -> tuple[dict[str, Any], dict[str, Any], bytes]:
    """Split a secured document into (unsecured document, proof config, signature bytes) for
    one of its proofs, checking the proof's shape on the way (vc-di-eddsa "verify proof",
    steps 1-4) and its purpose: only a proof made for issuing vouches for a credential."""
    kind = proof.get("type")
    if kind != "DataIntegrityProof":
        if kind in OTHER_TYPES:
            raise Unsupported(f"the proof's type is {kind}")
        raise ProofError("the proof is not a DataIntegrityProof")
    suite = proof.get("cryptosuite")
    if suite in OTHER_SUITES:
        raise Unsupported(f"the proof's cryptosuite is {suite}")
    if suite not in SUITES:
        raise ProofError(f"unsupported cryptosuite '{suite}' (supported: {', '.join(SUITES)})")
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z"):
        raise ProofError("proofValue must be a base58btc multibase string starting with 'z'")
    if len(value) > 100:  # 64 bytes are at most 88 characters; base58 decoding is quadratic
        raise ProofError("proofValue is too long to be an Ed25519 signature")
    try:
        signature = base58.b58decode(value[1:])
    except ValueError as exc:
        raise ProofError("proofValue is not valid base58btc") from exc
    if len(signature) != 64:
        raise ProofError(f"proofValue decodes to {len(signature)} bytes; an Ed25519 "
                         "signature has 64")
    for key in ("verificationMethod", "proofPurpose"):
        if not isinstance(proof.get(key), str):
            raise ProofError(f"the proof has no '{key}'")
    if proof["proofPurpose"] != "assertionMethod":
        raise WrongPurpose(proof["proofPurpose"])
    unsecured = unsecured_of(doc)
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in options:
        doc_ctx = unsecured.get("@context")
        doc_ctx = doc_ctx if isinstance(doc_ctx, list) else [doc_ctx]
        proof_ctx = options["@context"] if isinstance(options["@context"], list) else [
            options["@context"]]
        if doc_ctx[:len(proof_ctx)] != proof_ctx:
            raise ProofError("the proof's @context does not match the credential's")
        unsecured["@context"] = options["@context"]
    config = {**options, "@context": unsecured.get("@context")}
    return unsecured, config, signature


def unsecured_of(doc: dict[str, Any]) -> dict[str, Any]:
    """The document without its proofs: what every proof of a proof set signs."""
    return {k: v for k, v in doc.items() if k != "proof"}
