"""Credentials stage: load every signed credential of the site and verify it completely
(format, the site's own issuer key, signature) before anything is rendered.

A credential that does not verify fails the build, naming its file and the failed step: a
site must never publish a page for a credential it cannot stand behind. Expiry is a state,
not an error: an expired credential is published and says so.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from .credentials import CREDENTIALS_DIR
from .errors import Problems
from .issuer import issuer_documents_by_url
from .keys import load_key_history
from .model import Award, Catalog, Evidence
from .resolve import LocalResolver, Resolver
from .text import render_markdown
from .verify import Result, verify_credential

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def site_resolver(catalog: Catalog, extra: dict[str, Any] | None = None) -> LocalResolver:
    """The site's own issuer documents (and status lists) by URL: verification inside a site
    needs no network."""
    root = catalog.config.root
    docs = issuer_documents_by_url(catalog.config, load_key_history(root))
    return LocalResolver(docs | (extra or {}))


def subject_of(doc: dict[str, Any]) -> dict[str, Any]:
    subject = doc.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and subject else subject
    return subject if isinstance(subject, dict) else {}


def earner_name(doc: dict[str, Any]) -> str:
    for ident in subject_of(doc).get("identifier", []) or []:
        if isinstance(ident, dict) and ident.get("identityType") == "name" \
                and not ident.get("hashed"):
            return str(ident.get("identityHash", "")).strip()
    return ""


def _evidence(doc: dict[str, Any]) -> tuple[Evidence, ...]:
    items = doc.get("evidence") or []
    out = []
    for e in items if isinstance(items, list) else [items]:
        if isinstance(e, dict):
            out.append(Evidence(str(e.get("id", "")), str(e.get("name", "")),
                                render_markdown(str(e.get("narrative", "")))
                                if e.get("narrative") else ""))
    return tuple(out)


def _state(result: Result) -> str:
    dates = result.check("dates")
    if result.check("revocation").code == "revocation.revoked":
        return "revoked"
    return {"dates.expired": "expired", "dates.not_yet": "not-yet-valid"}.get(dates.code,
                                                                            "valid")


def load_awards(catalog: Catalog, problems: Problems, now: datetime,
                resolver: Resolver | None = None) -> list[Award]:
    """Every credential file, verified; problems name the file and the failed step."""
    cfg = catalog.config
    folder = cfg.root / CREDENTIALS_DIR
    resolver = resolver or site_resolver(catalog)
    by_achievement = {cfg.abs_url(b.url): b.slug for b in catalog.badges}
    awards = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        award = _load_one(path, cfg, by_achievement, problems, now, resolver)
        if award:
            awards.append(award)
    return awards


def _load_one(path: Path, cfg, by_achievement: dict[str, str], problems: Problems,
              now: datetime, resolver: Resolver) -> Award | None:
    raw = path.read_bytes()
    try:
        doc = json.loads(raw)
    except ValueError as exc:
        problems.error(path, f"not valid JSON: {exc}", hint="restore the file from git; a "
                       "signed credential must not be edited by hand")
        return None
    result = verify_credential(doc, resolver, now)
    bad = [c for c in result.checks
           if c.check in ("format", "issuer", "signature") and c.status != "pass"]
    for c in bad:
        problems.error(path, f"{c.check} check failed: {c.message}",
                       hint="a signed credential must not be edited; reissue it with "
                            "'badgepress issue'")
    if bad:
        return None
    uuid = str(doc.get("id", "")).removeprefix("urn:uuid:")
    if not UUID_RE.match(uuid) or path.stem != uuid:
        problems.error(path, f"the file name must be the credential's urn:uuid id ({uuid}.json)",
                       hint="rename the file")
        return None
    issuer = doc["issuer"]["id"] if isinstance(doc["issuer"], dict) else doc["issuer"]
    if issuer != cfg.issuer_id:
        problems.error(path, f"issued by {issuer}, not by this site's issuer {cfg.issuer_id}",
                       hint="only this site's own credentials can be published here")
        return None
    achievement_id = subject_of(doc).get("achievement", {}).get("id")
    slug = by_achievement.get(achievement_id)
    if slug is None:
        problems.error(path, f"its achievement {achievement_id} is no badge of this site",
                       hint="keep the badge file (mark it 'status: retired' instead of "
                            "deleting it)")
        return None
    return Award(uuid=uuid, source=problems.rel(path), raw=raw, doc=doc, badge_slug=slug,
                 earner_name=earner_name(doc), valid_from=str(doc.get("validFrom", "")),
                 valid_until=str(doc.get("validUntil", "")), evidence=_evidence(doc),
                 state=_state(result))
