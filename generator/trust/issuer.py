"""The issuer's public identity documents: the OB 3.0 Profile at /issuer.json (https issuer
ids) or the DID document (did:web). They list every key ever used, so that old credentials
keep verifying after a rotation; revoked keys stay listed but lose ``assertionMethod``.

With an https issuer id every key is also its own document at a fragment-free URL,
``/issuer/keys/<multibase>.json`` (a Multikey whose controller is the issuer id), and that URL
is the key's id. Why: verifiers that load keys with a plain HTTP document loader (the DCC
stack behind VerifierPlus and the Learner Credential Wallet, the Digital Bazaar stack) drop
the fragment of ``…/issuer.json#z6Mk…`` and get the whole Profile back instead of a key. A
did:web key (``did:web:<host>#z6Mk…``) is resolved through its DID document and needs none.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ..content.config import SiteConfig
from .keys import PublishedKey
from .ob import OB_CONTEXT, issuer_summary
from .proof import proofs_of

DID_V1 = "https://www.w3.org/ns/did/v1"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
KEY_DOCS = "issuer/keys"  # site folder of the per-key documents (https issuer ids)


def key_id(config: SiteConfig, key: PublishedKey | str) -> str:
    """The id proofs name for this key (what new signatures use)."""
    mb = key if isinstance(key, str) else key.public_key_multibase
    if config.issuer.id_method == "did:web":
        return f"{config.issuer_id}#{mb}"
    return config.abs_url(f"{KEY_DOCS}/{mb}.json")


def fragment_id(config: SiteConfig, key: PublishedKey | str) -> str:
    """The ``<issuer id>#<multibase>`` form badgepress 0.1 signed with (https issuer ids)."""
    mb = key if isinstance(key, str) else key.public_key_multibase
    return f"{config.issuer_id}#{mb}"


def key_ids(config: SiteConfig, key: PublishedKey) -> list[str]:
    """Every id the key is published under: its own, and the 0.1 fragment form for a key
    that signed credentials before the migration (copies held by earners keep verifying)."""
    ids = [key_id(config, key)]
    if key.fragment_id and config.issuer.id_method != "did:web":
        ids.append(fragment_id(config, key))
    return ids


def key_for_method(config: SiteConfig, keys: list[PublishedKey], vm: Any
                   ) -> PublishedKey | None:
    """The published key a proof's verificationMethod names, by any id it is published
    under; None for a key this site does not publish."""
    return next((k for k in keys if vm in key_ids(config, k)), None)


def outdated_form(config: SiteConfig, keys: list[PublishedKey], doc: dict[str, Any]
                  ) -> set[str]:
    """Keys (multibase) whose 0.1 fragment id a proof of ``doc`` names; a proof written as a
    single object instead of an array counts as outdated too (as the set {''})."""
    methods = [p.get("verificationMethod") for p in proofs_of(doc) if isinstance(p, dict)]
    found = {k.public_key_multibase for k in keys for vm in methods
             if vm == fragment_id(config, k) and vm != key_id(config, k)}
    if not isinstance(doc.get("proof"), list):
        found.add("")
    return found


def _method(config: SiteConfig, key: PublishedKey, vid: str) -> dict[str, Any]:
    method: dict[str, Any] = {"id": vid, "type": "Multikey", "controller": config.issuer_id,
                              "publicKeyMultibase": key.public_key_multibase}
    if key.revoked:
        method["revoked"] = key.revoked
    return method


def _methods(config: SiteConfig, keys: list[PublishedKey]) -> dict[str, Any]:
    return {"verificationMethod": [_method(config, k, vid) for k in keys
                                   for vid in key_ids(config, k)],
            "assertionMethod": [vid for k in keys if not k.revoked
                                for vid in key_ids(config, k)]}


def issuer_profile(config: SiteConfig, keys: list[PublishedKey]) -> dict[str, Any]:
    """The OB 3.0 issuer Profile; its id is the URL it is published at."""
    # did/v1 first: jsonld-signatures' ControllerProofPurpose then uses the document as it is
    # instead of framing it (which needs https://w3id.org/security/v2); every context here is
    # bundled by the npm context packages verifiers ship, so nothing is fetched from w3.org.
    doc: dict[str, Any] = {"@context": [DID_V1, *OB_CONTEXT, MULTIKEY_V1],
                           "id": config.issuer_id,
                           "type": ["Profile"], "name": config.issuer.name,
                           "url": config.issuer.url}
    if config.issuer.email:
        doc["email"] = config.issuer.email
    if config.issuer.description:
        doc["description"] = config.issuer.description
    return doc | _methods(config, keys)


def key_document(config: SiteConfig, key: PublishedKey) -> dict[str, Any]:
    """One key as its own document, what an HTTP document loader gets for its id."""
    return {"@context": [MULTIKEY_V1], **_method(config, key, key_id(config, key))}


def did_document(config: SiteConfig, keys: list[PublishedKey]) -> dict[str, Any]:
    """The did:web DID document of the issuer."""
    return {"@context": [DID_V1, MULTIKEY_V1], "id": config.issuer_id} | _methods(config, keys)


def identity_documents(config: SiteConfig, keys: list[PublishedKey]) -> dict[str, Any]:
    """{site path: document} of what the site publishes about its issuer."""
    if config.issuer.id_method == "did:web":
        segments = [s for s in urlsplit(config.base_url).path.split("/") if s]
        path = "did.json" if segments else ".well-known/did.json"
        return {path: did_document(config, keys)}
    docs: dict[str, Any] = {"issuer.json": issuer_profile(config, keys)}
    for k in keys:
        docs[f"{KEY_DOCS}/{k.public_key_multibase}.json"] = key_document(config, k)
    return docs


def issuer_documents_by_url(config: SiteConfig, keys: list[PublishedKey]) -> dict[str, Any]:
    """The same documents keyed by the URL a verifier would fetch them from."""
    return {config.abs_url(path): doc
            for path, doc in identity_documents(config, keys).items()}


def issuer_object(config: SiteConfig) -> dict[str, Any]:
    """The issuer as embedded in every credential: the same OB 3.0 Profile summary that
    Achievements carry as their ``creator``."""
    return issuer_summary(config)
