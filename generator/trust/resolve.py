"""Where verification gets the documents it trusts: issuer profiles, DID documents and
status lists. Only from the issuer's own identifier, never from the credential itself.

A site's own documents are served from its files (no network during a build or a local
`verify`); everything else comes over https, or not at all in tests (OfflineResolver).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from ..core.errors import BadgepressError

MAX_BYTES = 2_000_000


class FetchError(BadgepressError):
    """A document could not be had; the message is shown to a person."""


class Resolver(Protocol):
    def fetch(self, url: str) -> Any: ...


class OfflineResolver:
    """Resolves nothing: used by tests and by `verify --offline`."""

    def fetch(self, url: str) -> Any:
        raise FetchError("network access is turned off")


class HttpResolver:
    """Fetches JSON over https, with a timeout and a size limit."""

    def __init__(self, timeout: float = 10.0):
        self.timeout = timeout

    def fetch(self, url: str) -> Any:
        data = fetch_bytes(url, self.timeout, accept="application/ld+json, "
                           "application/json;q=0.9", max_bytes=MAX_BYTES, local=False)
        try:
            return json.loads(data)
        except ValueError as exc:
            raise FetchError("the response is not JSON") from exc


def fetch_bytes(url: str, timeout: float = 15.0, *, accept: str = "*/*",
                max_bytes: int = 50_000_000, local: bool = True) -> bytes:
    """GET a URL: https, or (with ``local``) http on this machine only, such as a local
    preview or test server. Failures become FetchError with a sentence for a person."""
    parts = urlsplit(url)
    is_local = local and parts.scheme == "http" and parts.hostname in (
        "127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not is_local:
        raise FetchError("only https addresses are fetched")
    request = urllib.request.Request(url, headers={"Accept": accept,
                                                   "User-Agent": "badgepress"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = response.read(max_bytes + 1)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise FetchError(f"network error: {getattr(exc, 'reason', exc)}") from exc
    if len(data) > max_bytes:
        raise FetchError("the document is too large")
    return data


class LocalResolver:
    """A site's own documents by URL, then a fallback (offline unless given)."""

    def __init__(self, documents: dict[str, Any], fallback: Resolver | None = None):
        self.documents = documents
        self.fallback = fallback or OfflineResolver()

    def fetch(self, url: str) -> Any:
        if url in self.documents:
            return json.loads(json.dumps(self.documents[url]))  # callers get their own copy
        return self.fallback.fetch(url)


def did_web_url(did: str) -> str:
    """did:web:example.org:badges -> https://example.org/badges/did.json (did:web spec)."""
    parts = did.split(":")[2:]
    if not parts or not parts[0]:
        raise ValueError(f"not a did:web identifier: {did}")
    host = unquote(parts[0])
    path = "/".join(unquote(p) for p in parts[1:])
    return f"https://{host}/{path}/did.json" if path else f"https://{host}/.well-known/did.json"


def controller_document_url(issuer_id: str) -> str | None:
    """Where the issuer publishes its keys; None for did:key (derived, nothing to fetch)."""
    if issuer_id.startswith("did:web:"):
        return did_web_url(issuer_id)
    if issuer_id.startswith("did:key:"):
        return None
    return issuer_id.split("#", 1)[0]


def did_key_document(did: str) -> dict[str, Any]:
    """The DID document of a did:key, derived from the identifier itself. Only Ed25519 keys
    are usable for signatures; others are listed so that a mismatch can still be named."""
    multibase = did.split(":", 2)[2].split("#", 1)[0]
    if not multibase.startswith("z"):
        raise ValueError(f"not a did:key identifier: {did}")
    vm = f"{did}#{multibase}"
    return {"id": did, "verificationMethod": [{"id": vm, "type": "Multikey", "controller": did,
                                               "publicKeyMultibase": multibase}],
            "assertionMethod": [vm]}
