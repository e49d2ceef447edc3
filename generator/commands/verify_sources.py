"""`badgepress verify`: credentials from files (JSON or baked images) or https URLs, checked
with the site's own issuer documents when run inside a site, over https otherwise; and the
one-line answer a person needs first (genuine or not, still valid or not), in the same words
as the credential pages (theme/assets/verify/standing.js is its twin).

Each source gets a result, whatever the others do. A source that cannot be read at all (a
missing file, a directory, a device such as /dev/zero, a file over the size limit, a URL
that cannot be fetched) is reported with an ``unknown`` format check and makes the command
exit 2 ("could not run"); a source that is read but is not a valid credential (not JSON, a
PNG without a credential, a forged signature) is a verdict, exit 1.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..build.credential_stage import site_resolver
from ..build.pipeline import load_site
from ..core.dates import now_utc
from ..core.errors import BuildError
from ..core.paths import CONFIG_PATH
from ..trust.bake import MAX_FILE_BYTES, BakeError, credential_text
from ..trust.resolve import FetchError, HttpResolver, OfflineResolver, Resolver, fetch_bytes
from ..trust.status import Revocation, read_revocations
from ..trust.untrusted import size_text
from ..trust.verify import (
    CHECKS,
    Check,
    Result,
    Worded,
    day,
    issuer_id_of,
    verify_credential,
)

# A failure of one of these means the credential is not what its issuer signed (forged,
# altered, or signed with a key that is not the issuer's). Any other failure (expired,
# revoked, another recipient) concerns a genuine credential, and its details stay legible.
AUTHENTICITY = ("format", "issuer", "signature")


@dataclass(frozen=True)
class Summary(Worded):
    """The answer in one sentence. ``standing``: valid | revoked | expired | not-yet-valid |
    not-valid | other-recipient | unchecked (genuine, a later check could not run) |
    unconfirmed (could not confirm it is genuine) | forged."""

    standing: str
    code: str
    params: dict[str, str] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, str]:
        return {"standing": self.standing, "code": self.code, "message": self.message}


def summarize(result: Result, revocation: Revocation | None = None) -> Summary:
    """What a verification means for a person. ``revocation``: the issuer's record of it
    (date, public reason), when known; the signed status list itself says only "revoked"."""
    checks = {c.check: c for c in result.checks}
    proof = [checks[name] for name in AUTHENTICITY if name in checks]
    for c in proof:
        if c.status == "fail":
            return Summary("forged", "summary.forged", {"reason": c.message})
    for c in proof:
        if c.status != "pass":
            return Summary("unconfirmed", "summary.unconfirmed", {"reason": c.message})
    issuer = {"issuer": _issuer_label(result.credential or {})}
    dates, status = checks.get("dates"), checks.get("revocation")
    if status is not None and status.code == "revocation.revoked":
        if revocation is None:
            return Summary("revoked", "summary.revoked_undated", issuer)
        when = issuer | {"date": day(revocation.date)}
        if revocation.public and revocation.reason:
            return Summary("revoked", "summary.revoked_reason",
                           when | {"reason": revocation.reason.strip().rstrip(".")})
        return Summary("revoked", "summary.revoked", when)
    if dates is not None and dates.code == "dates.expired":
        return Summary("expired", "summary.expired", {"date": dates.params["until"]})
    if dates is not None and dates.code == "dates.not_yet":
        return Summary("not-yet-valid", "summary.not_yet", {"date": dates.params["from"]})
    later = [c for c in (dates, status) if c is not None]
    for c in later:
        if c.status == "fail":
            return Summary("not-valid", "summary.not_valid", {"reason": c.message})
    if "recipient" in checks and checks["recipient"].status == "fail":
        return Summary("other-recipient", "summary.recipient")
    for c in later:
        if c.status != "pass":
            return Summary("unchecked", "summary.unchecked", {"reason": c.message})
    return Summary("valid", "summary.valid", issuer)


def _issuer_label(doc: dict[str, Any]) -> str:
    issuer = doc.get("issuer")
    if isinstance(issuer, dict) and isinstance(issuer.get("name"), str) and issuer["name"]:
        return issuer["name"]
    return issuer_id_of(doc) or "the issuer"


def _open_site(site: Path, fallback: Resolver) -> tuple[Resolver, dict[tuple, Revocation]]:
    """Inside a site: its own documents (read from its files, not the network) and its
    revocation records by (issuer id, credential id), for the summary's date and reason."""
    if not (site / CONFIG_PATH).is_file():
        return fallback, {}
    try:
        catalog, _ = load_site(site)
    except BuildError:
        return fallback, {}
    resolver = site_resolver(catalog)
    resolver.fallback = fallback
    try:
        records = read_revocations(site)
    except (OSError, ValueError):  # the build reports a broken revocations.toml
        records = []
    return resolver, {(catalog.config.issuer_id, r.id): r for r in records}


@dataclass(frozen=True)
class Verified:
    source: str
    result: Result
    summary: Summary
    readable: bool = True  # False: the source could not be read, nothing was checked


class Unreadable(Exception):
    """The source cannot be read at all; the message says why, for a person."""


ONLY_HTTPS = "only https URLs are fetched"


def only_https(url: str) -> str | None:
    """Why a URL a person gave is not fetched, or None for an https one: whatever answers
    a plain http request could be anyone on the way. verify and audit share the rule."""
    return None if url.startswith("https://") else ONLY_HTTPS


def read_source(source: str) -> bytes:
    """The bytes of a file or https URL, at most MAX_FILE_BYTES of them. Only regular files
    are read: a device or a pipe could be read without end."""
    if "://" in source:
        if why := only_https(source):
            raise Unreadable(why)
        url = source + "credential.json" if source.endswith("/") else source
        try:  # a credential page's URL means its credential.json
            return fetch_bytes(url, max_bytes=MAX_FILE_BYTES, local=False)
        except FetchError as exc:
            raise Unreadable(str(exc)) from exc
    too_large = f"the file is larger than {size_text(MAX_FILE_BYTES)}"
    try:
        fd = os.open(source, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise Unreadable(exc.strerror or str(exc)) from exc
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise Unreadable("it is a directory")
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable("it is not a regular file (a device, a pipe or a socket)")
        if info.st_size > MAX_FILE_BYTES:
            raise Unreadable(too_large)
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise Unreadable(exc.strerror or str(exc)) from exc
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:  # it grew while being read
        raise Unreadable(too_large)
    return data


def verify_source(source: str, resolver: Resolver, when: datetime, email: str | None,
                  records: dict[tuple, Revocation] | None = None) -> Verified:
    rest = tuple(Check(c, "unknown", "none.no_credential") for c in CHECKS[1:5])
    try:
        data = read_source(source)
    except Unreadable as exc:
        fmt = Check("format", "unknown", "format.read", {"detail": str(exc)})
        result = Result("unknown", (fmt, *rest))
        return Verified(source, result, summarize(result), readable=False)
    try:
        text = credential_text(data)
    except BakeError as exc:
        fmt = Check("format", "fail", "format.read", {"detail": str(exc)})
        result = Result("invalid", (fmt, *rest))
        return Verified(source, result, summarize(result))
    result = verify_credential(text, resolver, when, email=email)
    doc = result.credential or {}
    record = (records or {}).get((issuer_id_of(doc), str(doc.get("id"))))
    return Verified(source, result, summarize(result, record))


def verify_sources(site: Path, sources: tuple[str, ...], *, email: str | None = None,
                   offline: bool = False, now: datetime | None = None,
                   resolver: Resolver | None = None) -> list[Verified]:
    when = now or now_utc()
    network: Resolver = OfflineResolver() if offline else HttpResolver()
    site_docs, records = _open_site(site, network)
    resolver = resolver or site_docs
    return [verify_source(src, resolver, when, email, records) for src in sources]


def exit_code(results: list[Verified]) -> int:
    """2 when a source could not be read, else 1 when a credential is not valid, else 0."""
    if any(not r.readable for r in results):
        return 2
    return 0 if all(r.result.verdict == "valid" for r in results) else 1
