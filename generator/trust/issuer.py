"""The issuer's public identity documents: the OB 3.0 Profile at /issuer.json (https issuer
ids) or the DID document (did:web). They list every key ever used, so that old credentials
keep verifying after a rotation; revoked keys stay listed but lose ``assertionMethod``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ..content.config import SiteConfig
from .keys import PublishedKey
from .ob import CID_V1, OB_CONTEXT, issuer_summary

DID_V1 = "https://www.w3.org/ns/did/v1"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"


def key_id(config: SiteConfig, key: PublishedKey | str) -> str:
    mb = key if isinstance(key, str) else key.public_key_multibase
    return f"{config.issuer_id}#{mb}"


def _methods(config: SiteConfig, keys: list[PublishedKey]) -> dict[str, Any]:
    methods = []
    for k in keys:
        m: dict[str, Any] = {"id": key_id(config, k), "type": "Multikey",
                             "controller": config.issuer_id,
                             "publicKeyMultibase": k.public_key_multibase}
        if k.expires:
            m["expires"] = k.expires
        if k.revoked:
            m["revoked"] = k.revoked
        methods.append(m)
    return {"verificationMethod": methods,
            "assertionMethod": [key_id(config, k) for k in keys if not k.revoked]}


def issuer_profile(config: SiteConfig, keys: list[PublishedKey]) -> dict[str, Any]:
    """The OB 3.0 issuer Profile; its id is the URL it is published at."""
    doc: dict[str, Any] = {"@context": [*OB_CONTEXT, CID_V1], "id": config.issuer_id,
                           "type": ["Profile"], "name": config.issuer.name,
                           "url": config.issuer.url}
    if config.issuer.email:
        doc["email"] = config.issuer.email
    if config.issuer.description:
        doc["description"] = config.issuer.description
    return doc | _methods(config, keys)


def did_document(config: SiteConfig, keys: list[PublishedKey]) -> dict[str, Any]:
    """The did:web DID document of the issuer."""
    return {"@context": [DID_V1, MULTIKEY_V1], "id": config.issuer_id} | _methods(config, keys)


def identity_documents(config: SiteConfig, keys: list[PublishedKey]) -> dict[str, Any]:
    """{site path: document} of what the site publishes about its issuer."""
    if config.issuer.id_method == "did:web":
        segments = [s for s in urlsplit(config.base_url).path.split("/") if s]
        path = "did.json" if segments else ".well-known/did.json"
        return {path: did_document(config, keys)}
    return {"issuer.json": issuer_profile(config, keys)}


def issuer_documents_by_url(config: SiteConfig, keys: list[PublishedKey]) -> dict[str, Any]:
    """The same documents keyed by the URL a verifier would fetch them from."""
    return {config.abs_url(path): doc
            for path, doc in identity_documents(config, keys).items()}


def issuer_object(config: SiteConfig) -> dict[str, Any]:
    """The issuer as embedded in every credential: the same OB 3.0 Profile summary that
    Achievements carry as their ``creator``."""
    return issuer_summary(config)
