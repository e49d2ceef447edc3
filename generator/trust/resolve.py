"""Where verification gets the documents it trusts: issuer profiles, DID documents and
status lists. Only from the issuer's own identifier, never from the credential itself.

A site's own documents are served from its files (no network during a build or a local
`verify`); everything else comes over https, or not at all in tests (OfflineResolver).

What is fetched is chosen by whoever wrote the credential, so a fetch must never reach this
machine or its network (a cloud metadata service at 169.254.169.254, an admin page on
127.0.0.1, a printer on 192.168.1.9): only https on public addresses, every redirect checked
again, the host resolved once and connected to at the address that was checked (no second
DNS answer can differ), within a size and a time limit. Environment proxies are not used,
since a proxy would resolve the host itself. The browser verifier (core.js makeResolver)
refuses the same URLs as far as a page can tell from the URL alone.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import re
import socket
import time
import urllib.error
import urllib.request
from typing import Any, Protocol
from urllib.parse import unquote, urljoin, urlsplit

from ..core.errors import BadgepressError
from . import untrusted

MAX_BYTES = 2_000_000
MAX_REDIRECTS = 5
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
NOT_HTTPS = "only https addresses are fetched"
LOCALHOST = "it names this computer (localhost), which is never fetched"
NOT_A_URL = "it is not a valid URL"
PRIVATE = "it is a private, local or reserved network address, which is never fetched"

# Never fetched (IANA special-purpose registries); IPv4 inside IPv6 (mapped, NAT64, 6to4) is
# judged as the IPv4 address it carries. core.js keeps the same lists.
BLOCKED_V4 = tuple(ipaddress.IPv4Network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
    "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4"))
BLOCKED_V6 = tuple(ipaddress.IPv6Network(n) for n in (
    "::/8", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "fc00::/7",
    "fe80::/10", "fec0::/10", "ff00::/8"))
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class FetchError(BadgepressError):
    """A document could not be had; the message is shown to a person."""


class Resolver(Protocol):
    def fetch(self, url: str) -> Any: ...


class OfflineResolver:
    """Resolves nothing: used by tests, by `verify --offline` and by the build (which reads
    only the site's own documents); ``message`` says why to the person reading it."""

    def __init__(self, message: str = "network access is turned off"):
        self.message = message

    def fetch(self, url: str) -> Any:
        raise FetchError(self.message)


class HttpResolver:
    """Fetches JSON over https from public addresses, with a timeout and a size limit."""

    def __init__(self, timeout: float = 10.0):
        self.timeout = timeout

    def fetch(self, url: str) -> Any:
        data = fetch_bytes(url, self.timeout, accept="application/ld+json, "
                           "application/json;q=0.9", max_bytes=MAX_BYTES, local=False)
        try:
            return untrusted.loads(untrusted.decode_utf8(data), MAX_BYTES)
        except untrusted.JsonProblem as exc:
            raise FetchError(f"the response is not a JSON document this verifier reads "
                             f"({exc.code})") from exc
        except ValueError as exc:
            raise FetchError("the response is not UTF-8 JSON") from exc


def blocked_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether an address is one that is never fetched (see BLOCKED_V4, BLOCKED_V6)."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour or (
            ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in NAT64 else None)
        if inner is not None:
            return blocked_address(inner)
        return any(ip in net for net in BLOCKED_V6)
    return any(ip in net for net in BLOCKED_V4)


def ipv4_number(host: str) -> ipaddress.IPv4Address | None:
    """A host written as an IPv4 number in any form a URL parser accepts (WHATWG URL:
    2130706433, 0x7f.1, 0177.0.0.1, 127.1), else None; such hosts are never looked up."""
    if ":" in host:  # IPv6
        return None
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    numbers = []
    for part in parts:
        try:
            if part.lower().startswith("0x"):
                numbers.append(int(part[2:] or "0", 16))
            elif len(part) > 1 and part.startswith("0"):
                numbers.append(int(part, 8))
            else:
                numbers.append(int(part, 10) if part.isdigit() else -1)
        except ValueError:
            numbers.append(-1)
    if not numbers or len(numbers) > 4 or numbers[-1] < 0:
        return None
    if any(n < 0 or n > 255 for n in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        raise FetchError(NOT_A_URL)  # what no URL parser accepts as an address
    value = numbers[-1]
    for i, n in enumerate(numbers[:-1]):
        value += n << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


def _is_localhost(host: str) -> bool:
    name = host.rstrip(".").lower()
    return name == "localhost" or name.endswith(".localhost")


def public_address(host: str, port: int) -> str:
    """The address to connect to for ``host``: resolved once, and refused when any of its
    addresses is not public (a name that also resolves to 127.0.0.1 is refused whole)."""
    if _is_localhost(host):
        raise FetchError(LOCALHOST)
    literal = ipv4_number(host)
    if literal is None:
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
    if literal is not None:
        if blocked_address(literal):
            raise FetchError(PRIVATE)
        return str(literal)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise FetchError(f"network error: {exc}") from exc
    addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
    if not addresses or any(blocked_address(a) for a in addresses):
        raise FetchError(PRIVATE)
    return str(addresses[0])


class _Policy:
    """What one fetch may reach: public https only, or, for a fetch that starts at a
    loopback address (``local``: the audit or preview of a site on this machine), that same
    machine too."""

    def __init__(self, url: str, local: bool):
        try:
            parts = urlsplit(url)
        except ValueError:
            parts = urlsplit("")
        self.loopback = local and parts.scheme in ("http", "https") and \
            parts.hostname in LOOPBACK_NAMES

    def check_url(self, url: str) -> None:
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError when out of range
        except ValueError as exc:
            raise FetchError(NOT_A_URL) from exc
        if self.loopback and parts.hostname in LOOPBACK_NAMES:
            return
        if parts.scheme != "https" or not parts.hostname:
            raise FetchError(NOT_HTTPS)
        if _is_localhost(parts.hostname):
            raise FetchError(LOCALHOST)
        ipv4_number(parts.hostname)  # refuses malformed numeric hosts at once

    def address(self, host: str, port: int) -> str:
        if self.loopback and host in LOOPBACK_NAMES:
            return "::1" if host == "::1" else "127.0.0.1"
        return public_address(host, port)


def _connections(policy: _Policy) -> tuple[type, type]:
    """HTTP(S) connection classes that connect only to the address the policy allows."""

    class Http(http.client.HTTPConnection):
        def connect(self) -> None:
            self.sock = socket.create_connection((policy.address(self.host, self.port),
                                                  self.port), self.timeout)

    class Https(http.client.HTTPSConnection):
        def connect(self) -> None:
            sock = socket.create_connection((policy.address(self.host, self.port),
                                             self.port), self.timeout)
            self.sock = self._context.wrap_socket(sock, server_hostname=self.host)

    return Http, Https


def _opener(policy: _Policy) -> urllib.request.OpenerDirector:
    http_conn, https_conn = _connections(policy)

    class HttpHandler(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(http_conn, req)

    class HttpsHandler(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(https_conn, req)

    class Redirects(urllib.request.HTTPRedirectHandler):
        max_redirections = MAX_REDIRECTS

        def http_error_302(self, req, fp, code, msg, headers):
            location = headers.get("location") or headers.get("uri")
            if location:  # every hop, before it is followed (or refused for its scheme)
                policy.check_url(urljoin(req.full_url, location))
            return super().http_error_302(req, fp, code, msg, headers)

        http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302

    return urllib.request.build_opener(urllib.request.ProxyHandler({}), HttpHandler,
                                       HttpsHandler, Redirects)


def fetch_bytes(url: str, timeout: float = 15.0, *, accept: str = "*/*",
                max_bytes: int = 50_000_000, local: bool = True) -> bytes:
    """GET a URL: https on a public address, or (with ``local``) a URL on this machine that
    the user gave, such as a local preview or test server. ``timeout`` bounds each network
    wait and three times it the whole fetch. Failures become FetchError with a sentence for a
    person."""
    policy = _Policy(url, local)
    policy.check_url(url)
    request = urllib.request.Request(url, headers={"Accept": accept,
                                                   "User-Agent": "badgepress"})
    deadline = time.monotonic() + 3 * timeout
    chunks: list[bytes] = []
    size = 0
    try:
        with _opener(policy).open(request, timeout=timeout) as response:
            while chunk := response.read1(65536):  # whatever has arrived, no waiting for more
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError("the document is too large")
                if time.monotonic() > deadline:
                    raise FetchError("the server took too long to send the document")
                chunks.append(chunk)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError, http.client.HTTPException,
            ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, FetchError):
            raise reason from exc
        raise FetchError(f"network error: {reason}") from exc
    return b"".join(chunks)


class LocalResolver:
    """A site's own documents by URL, then a fallback (offline unless given). ``shared``:
    callers promise not to change what they get, and get the same object each time (the
    build's key check of 100,000 credentials), instead of their own copy."""

    def __init__(self, documents: dict[str, Any], fallback: Resolver | None = None, *,
                 shared: bool = False):
        self.documents = documents
        self.fallback = fallback or OfflineResolver()
        self.shared = shared

    def fetch(self, url: str) -> Any:
        if url in self.documents:
            if self.shared:
                return self.documents[url]
            return json.loads(json.dumps(self.documents[url]))  # callers get their own copy
        return self.fallback.fetch(url)


# did:web: a domain name and an optional port (%3A), then path segments (did:web spec 3.2)
_DID_WEB_HOST = re.compile(r"[A-Za-z0-9.-]+(?::[0-9]{1,5})?")
_DID_WEB_SEGMENT = re.compile(r"[^/?#\\%@\x00-\x20\x7f]+")


def did_web_url(did: str) -> str:
    """did:web:example.org:badges -> https://example.org/badges/did.json (did:web spec).
    A host or segment that would change the URL's shape once decoded (a slash, "@", "..")
    is refused, as core.js refuses it."""
    parts = did.split(":")[2:]
    host = unquote(parts[0]) if parts else ""
    path = [unquote(p) for p in parts[1:]]
    if not _DID_WEB_HOST.fullmatch(host) or any(
            not _DID_WEB_SEGMENT.fullmatch(p) or p in (".", "..") for p in path):
        raise ValueError(f"not a did:web identifier: {did}")
    return f"https://{host}/{'/'.join(path)}/did.json" if path else \
        f"https://{host}/.well-known/did.json"


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
