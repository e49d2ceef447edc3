"""`badgepress verify`: credentials from files (JSON or baked images) or https URLs, checked
with the site's own issuer documents when run inside a site, over https otherwise.

Each source gets a result, whatever the others do. A source that cannot be read at all (a
missing file, a directory, a device such as /dev/zero, a file over the size limit, a URL
that cannot be fetched) is reported with an ``unknown`` format check and makes the command
exit 2 ("could not run"); a source that is read but is not a valid credential (not JSON, a
PNG without a credential, a forged signature) is a verdict, exit 1.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..build.credential_stage import site_resolver
from ..build.pipeline import load_site
from ..core.dates import now_utc
from ..core.errors import BuildError
from ..core.paths import CONFIG_PATH
from ..trust.bake import MAX_FILE_BYTES, BakeError, credential_text
from ..trust.resolve import FetchError, HttpResolver, OfflineResolver, Resolver, fetch_bytes
from ..trust.untrusted import size_text
from ..trust.verify import CHECKS, Check, Result, parse_datetime, verify_credential


@dataclass(frozen=True)
class Verified:
    source: str
    result: Result
    readable: bool = True  # False: the source could not be read, nothing was checked


class Unreadable(Exception):
    """The source cannot be read at all; the message says why, for a person."""


def _site_resolver(site: Path, fallback: Resolver) -> Resolver:
    if not (site / CONFIG_PATH).is_file():
        return fallback

    try:
        catalog, _ = load_site(site)
    except BuildError:
        return fallback
    resolver = site_resolver(catalog)
    resolver.fallback = fallback
    return resolver


def read_source(source: str) -> bytes:
    """The bytes of a file or https URL, at most MAX_FILE_BYTES of them. Only regular files
    are read: a device or a pipe could be read without end."""
    if "://" in source:
        if not source.startswith("https://"):
            raise Unreadable("only https URLs are fetched")
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


def verify_source(source: str, resolver: Resolver, when: datetime,
                  email: str | None) -> Verified:
    rest = tuple(Check(c, "unknown", "none.no_credential") for c in CHECKS[1:5])
    try:
        data = read_source(source)
    except Unreadable as exc:
        fmt = Check("format", "unknown", "format.read", {"detail": str(exc)})
        return Verified(source, Result("unknown", (fmt, *rest)), readable=False)
    try:
        text = credential_text(data)
    except BakeError as exc:
        fmt = Check("format", "fail", "format.read", {"detail": str(exc)})
        return Verified(source, Result("invalid", (fmt, *rest)))
    return Verified(source, verify_credential(text, resolver, when, email=email))


def verify_sources(site: Path, sources: tuple[str, ...], *, email: str | None = None,
                   offline: bool = False, now: str | datetime | None = None,
                   resolver: Resolver | None = None) -> list[Verified]:
    when = parse_datetime(now) if isinstance(now, str) else (now or now_utc())
    network: Resolver = OfflineResolver() if offline else HttpResolver()
    resolver = resolver or _site_resolver(site, network)
    return [verify_source(src, resolver, when, email) for src in sources]


def exit_code(results: list[Verified]) -> int:
    """2 when a source could not be read, else 1 when a credential is not valid, else 0."""
    if any(not r.readable for r in results):
        return 2
    return 0 if all(r.result.verdict == "valid" for r in results) else 1
