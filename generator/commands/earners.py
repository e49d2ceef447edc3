"""Earner pages (opt-in) and the program figures, written in the transaction of the command
that changes them.

Every issue/revoke/renew/withdraw/earner command updates the local earner index
(``earner_index``), re-writes the ``site_src/earners/<slug>.json`` of each opted-in earner it
touched and ``site_src/insights.json``, and logs each file (actions "earner" and
"insights"), so the build can refuse any such file the logs do not vouch for. Only earners
who opted in are ever named in a published file; the figures are aggregates with every
count below 5 written as null.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..content.model import Catalog
from ..core.dates import iso, now_utc
from ..core.errors import BadgepressError
from ..core.files import read_regular
from ..core.paths import CREDENTIALS_DIR, EARNERS_DIR, INSIGHTS_PATH
from ..core.text import slugify
from ..trust.keys import SigningKey
from ..trust.ledger import Transaction, transaction
from ..trust.status import read_revocations
from ..trust.verify import email_hash
from .earner_index import EarnerIndex, figures, index_path

FLAG_WORDS = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False,
              "": False}
FLAG_HINT = "write yes or no (also true/false, 1/0; empty means no)"
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NAME_NEEDED = ("an earner page shows the earner's name: give one (--name, or the CSV's "
               "name column)")


class EarnerProblem(BadgepressError, ValueError):
    """An earner request that cannot be carried out; the message says why and what to do."""


def parse_flag(value: str) -> bool | None:
    """yes/no/true/false/1/0/empty (any case) as a bool; None for anything else."""
    return FLAG_WORDS.get(value.strip().lower())


def earner_file(slug: str) -> Path:
    return EARNERS_DIR / f"{slug}.json"


def earner_bytes(slug: str, name: str, uuids: list[str]) -> bytes:
    return (json.dumps({"slug": slug, "name": name, "credentials": uuids},
                       ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def existing_uuids(root: Path) -> set[str]:
    """Uuids of the credential files there are (one directory listing)."""
    folder = root / CREDENTIALS_DIR
    if not folder.is_dir():
        return set()
    with os.scandir(folder) as it:
        return {e.name[:-5] for e in it if e.name.endswith(".json")}


def published_slugs(root: Path) -> set[str]:
    folder = root / EARNERS_DIR
    return {p.stem for p in folder.glob("*.json")} if folder.is_dir() else set()


def new_slug(name: str, taken: set[str]) -> str:
    """``[a-z0-9-]+`` from the name, made unique with -2, -3…"""
    base = slugify(name)
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


class People:
    """One command's view of the earner index, and the files it re-writes from it."""

    def __init__(self, root: Path, key: SigningKey, catalog: Catalog):
        self.root, self.catalog = root, catalog
        self.index = EarnerIndex.load(index_path(root, key))
        self.touched: set[str] = set()  # earners whose page file may change

    def issued(self, uuid: str, email: str, name: str, badge: str, valid_from: str,
               earner_page: bool = False) -> None:
        eid = self.index.add_earner(email, name.strip())
        self.index.add_credential(uuid, eid, badge, valid_from)
        earner = self.index.earners[eid]
        if earner_page and not earner.get("slug"):
            self.open_page(eid)
        if earner.get("slug"):
            self.touched.add(eid)

    def renewed(self, old_uuid: str, uuid: str, badge: str, valid_from: str) -> None:
        eid = self.index.earner_of(old_uuid)
        if eid is not None:
            self.index.add_credential(uuid, eid, badge, valid_from)
            self.touched.add(eid)

    def withdrawn(self, uuid: str) -> None:
        eid = self.index.remove_credential(uuid)
        if eid is not None:
            self.touched.add(eid)

    def open_page(self, eid: str) -> str:
        earner = self.index.earners[eid]
        if not str(earner.get("name", "")).strip():
            raise EarnerProblem(NAME_NEEDED)
        earner["slug"] = new_slug(earner["name"], self.index.slugs()
                                  | published_slugs(self.root))
        self.touched.add(eid)
        return earner["slug"]

    def close_page(self, eid: str, tx: Transaction) -> str | None:
        earner = self.index.earners[eid]
        slug = earner.get("slug")
        earner["slug"] = None
        if slug and (self.root / earner_file(slug)).is_file():
            tx.remove(earner_file(slug))
            tx.record("earner", slug, {earner_file(slug): None})
        return slug

    def finish(self, tx: Transaction, now: datetime, *, force: bool = False) -> None:
        """Re-write the touched earners' page files and insights.json in ``tx`` (each only
        when its bytes change), then save the index."""
        existing = existing_uuids(self.root)
        held = self.index.credentials_of({e for e in self.touched
                                          if self.index.earners.get(e, {}).get("slug")})
        for eid in sorted(held):
            self._sync_page(tx, eid, [u for u in held[eid] if u in existing])
        self.write_insights(tx, now, existing, force=force)
        self.index.save()

    def _sync_page(self, tx: Transaction, eid: str, uuids: list[str]) -> None:
        earner = self.index.earners[eid]
        slug = str(earner["slug"])
        rel = earner_file(slug)
        if not uuids:  # nothing left to show: the page goes, the opt-in stays recorded
            if (self.root / rel).is_file():
                tx.remove(rel)
                tx.record("earner", slug, {rel: None})
            return
        data = earner_bytes(slug, str(earner["name"]), uuids)
        if (self.root / rel).is_file() and read_regular(self.root / rel) == data:
            return
        tx.write(rel, data)
        tx.record("earner", slug, {rel: data})

    def write_insights(self, tx: Transaction, now: datetime, existing: set[str] | None = None,
                       *, force: bool = False) -> bool:
        """insights.json from the index; unchanged figures are not re-written (nor
        logged) unless ``force``. Returns whether it was written."""
        existing = existing_uuids(self.root) if existing is None else existing
        revoked = {r.id.removeprefix("urn:uuid:") for r in read_revocations(self.root)}
        doc = figures(self.index, {b.slug: b.leads_to for b in self.catalog.badges},
                      existing, revoked)
        path = self.root / INSIGHTS_PATH
        if path.is_file() and not force:
            try:
                old = json.loads(read_regular(path))
                old.pop("asOf", None)
                if old == doc:
                    return False
            except (ValueError, AttributeError):
                pass
        out = {"version": doc.pop("version"), "asOf": iso(now), **doc}
        data = (json.dumps(out, indent=2, ensure_ascii=False) + "\n").encode()
        tx.write(INSIGHTS_PATH, data)
        tx.record("insights", "insights", {INSIGHTS_PATH: data})
        return True


def _signing(root: Path, key: SigningKey):
    from ..build.pipeline import load_site
    from .issue import current_key

    catalog = load_site(root)[0]
    return catalog, current_key(root, catalog.config, key)


def set_page(root: Path, email: str, on: bool, key: SigningKey, *, name: str = "",
             now: datetime | None = None) -> str | None:
    """Publish (``on``) or withdraw an earner's page; returns its slug."""
    from .issue import normalize_email

    now = now or now_utc()
    catalog, vm = _signing(root, key)
    with transaction(root, key, vm) as tx:
        people = People(root, key, catalog)
        eid = people.index.earner_of_email(normalize_email(email))
        if eid is None:
            raise EarnerProblem(f"no credential issued to {email} is in the earner index "
                                f"{people.index.path}; rebuild it with 'badgepress earners "
                                "rebuild --from FILE.csv' if it was lost")
        if name.strip():
            people.index.earners[eid]["name"] = name.strip()
        earner = people.index.earners[eid]
        if on:
            slug = earner.get("slug") or people.open_page(eid)
            people.touched.add(eid)
        else:
            slug = people.close_page(eid, tx)
        people.finish(tx, now)
    return slug


def write_insights(root: Path, key: SigningKey, *, now: datetime | None = None) -> bool:
    """``badgepress insights``: re-write site_src/insights.json from the index."""
    now = now or now_utc()
    catalog, vm = _signing(root, key)
    with transaction(root, key, vm) as tx:
        people = People(root, key, catalog)
        written = people.write_insights(tx, now, force=True)
        people.index.save()
    return written


@dataclass(frozen=True)
class Rebuilt:
    credentials: int  # credentials of the site matched to an email of the records
    unmatched: int
    earners: int
    pages: int


def rebuild(root: Path, key: SigningKey, sources: list[Path]) -> Rebuilt:
    """Make the earner index again from the maintainer's records (issue CSVs: badge, email,
    name, earner_page) by hashing each email with each credential's salt; the opted-in
    earners and their slugs come from the published earner files."""
    from ..build.pipeline import load_site
    from .issue import normalize_email
    from .issue_index import load_index

    catalog = load_site(root)[0]
    cfg = catalog.config
    rows = [row for src in sources for row in _record_rows(src)]
    by_badge: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for badge, email, name in rows:
        by_badge.setdefault(badge, []).append(email)
        if name:
            names[email] = name
    everyone = list(dict.fromkeys(e for _, e, _ in rows))
    slug_of = {cfg.abs_url(b.url): b.slug for b in catalog.badges}
    index = EarnerIndex(index_path(root, key))
    unmatched = 0
    for file, record in sorted(load_index(root).files.items()):
        badge = slug_of.get(record[3])
        found = None
        for email in (*by_badge.get(badge or "", []), *everyone):
            if any(isinstance(salt, str) and digest == email_hash(email, salt)
                   for salt, digest in record[4]):
                found = email
                break
        if found is None or badge is None:
            unmatched += 1
            continue
        try:
            valid_from = str(json.loads(read_regular(root / CREDENTIALS_DIR / file))
                             .get("validFrom", ""))
        except (ValueError, OSError):
            unmatched += 1
            continue
        eid = index.add_earner(normalize_email(found), names.get(found, ""))
        index.add_credential(file.removesuffix(".json"), eid, badge, valid_from)
    pages = 0
    for path in sorted((root / EARNERS_DIR).glob("*.json")) if (root / EARNERS_DIR).is_dir() \
            else []:
        try:
            doc = json.loads(read_regular(path))
        except ValueError:
            continue
        eid = next((index.earner_of(u) for u in doc.get("credentials", [])
                    if index.earner_of(u)), None)
        if eid is not None:
            index.earners[eid]["slug"] = path.stem
            index.earners[eid]["name"] = str(doc.get("name", "")) or \
                index.earners[eid]["name"]
            pages += 1
    index.save()
    return Rebuilt(len(index.credentials), unmatched, len(index.earners), pages)


def _record_rows(path: Path) -> list[tuple[str, str, str]]:
    """(badge, normalized email, name) of each row of a maintainer's CSV."""
    from .issue import csv_text, normalize_email

    reader = csv.DictReader(io.StringIO(csv_text(path), newline=""))
    out = []
    for row in reader:
        values = {str(k).strip(): (v or "").strip() for k, v in row.items()
                  if isinstance(v, str)}
        if values.get("email"):
            out.append((values.get("badge", ""), normalize_email(values["email"]),
                        values.get("name", "")))
    if not out:
        raise EarnerProblem(f"{path}: no rows with an email column")
    return out

