"""`badgepress verify`: credentials from files (JSON or baked images) or https URLs, checked
with the site's own issuer documents when run inside a site, over https otherwise."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ..build.credential_stage import site_resolver
from ..build.pipeline import load_site
from ..core.dates import now_utc
from ..core.errors import BuildError
from ..core.paths import CONFIG_PATH
from ..trust.bake import BakeError, extract
from ..trust.resolve import (
    MAX_BYTES,
    FetchError,
    HttpResolver,
    OfflineResolver,
    Resolver,
    fetch_bytes,
)
from ..trust.verify import CHECKS, Check, Result, parse_datetime, verify_credential


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


def _read(source: str) -> bytes:
    if source.startswith("https://"):  # a credential page's URL means its credential.json
        url = source + "credential.json" if source.endswith("/") else source
        return fetch_bytes(url, max_bytes=MAX_BYTES, local=False)
    return Path(source).read_bytes()


def verify_sources(site: Path, sources: tuple[str, ...], *, email: str | None = None,
                   offline: bool = False, now: str | datetime | None = None,
                   resolver: Resolver | None = None) -> list[tuple[str, Result]]:
    when = parse_datetime(now) if isinstance(now, str) else (now or now_utc())
    network: Resolver = OfflineResolver() if offline else HttpResolver()
    resolver = resolver or _site_resolver(site, network)
    results = []
    for src in sources:
        try:
            data = extract(_read(src))
        except (OSError, BakeError, ValueError, FetchError) as exc:
            checks = (Check("format", "fail", "format.read", {"detail": str(exc)}),
                      *(Check(c, "unknown", "none.no_credential") for c in CHECKS[1:5]))
            results.append((src, Result("invalid", checks)))
            continue
        results.append((src, verify_credential(data, resolver, when, email=email)))
    return results
