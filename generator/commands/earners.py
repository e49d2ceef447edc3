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

import json
import os
import re
from datetime import datetime
from pathlib import Path

from ..content.model import Catalog
from ..core.dates import iso
from ..core.errors import BadgepressError
from ..core.files import read_regular
from ..core.paths import CREDENTIALS_DIR, EARNERS_DIR, INSIGHTS_PATH
from ..core.text import emails_in, hidden_characters, slugify, unique_slug
from ..trust.keys import SigningKey, load_key_history
from ..trust.ledger import Transaction, sha256_hex
from ..trust.logs import read_logs
from ..trust.status import read_revocations
from .earner_index import EarnerIndex, SiteFacts, figures, index_path

FLAG_WORDS = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False,
              "": False}
FLAG_HINT = "write yes or no (also true/false, 1/0; empty means no)"
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NAME_NEEDED = ("an earner page shows the earner's name: give one (--name, or the CSV's "
               "name column)")


class EarnerProblem(BadgepressError, ValueError):
    """An earner request that cannot be carried out; the message says why and what to do."""


MAX_NAME = 200  # a display name, on a credential (issue) or an earner page


def name_problems(name: str) -> list[str]:
    """What makes a display name unfit to publish, besides an email address in it (which
    each caller words for where the name goes): invisible characters that can disguise it,
    and its length. ``issue`` checks a credential's name with it, ``check_page_name`` an
    earner page's."""
    out = []
    hidden = hidden_characters(name)
    if hidden:
        out.append(f"the name contains the invisible character(s) {', '.join(hidden)}, "
                   "which can disguise it; retype it without them")
    if len(name) > MAX_NAME:
        out.append(f"the name has {len(name)} characters; at most {MAX_NAME}")
    return out


def check_page_name(name: str) -> None:
    """The checks ``issue`` makes of a credential's name, for the name an earner page
    publishes (page, badge pages, feed, git; its slug too), which may come from
    ``earner --name`` or from the maintainer's records (``earners rebuild``) instead."""
    if emails_in(name):
        raise EarnerProblem(f"the name contains the email address {sorted(emails_in(name))[0]}"
                            ", which the earner page would publish; leave the address out")
    problems = name_problems(name)
    if problems:
        raise EarnerProblem(problems[0])


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


def _slug_of_name(slug: str, name: str) -> bool:
    """Whether ``slug`` is one unique_slug could give ``name`` ('ada-lovelace', '…-2'): an
    earner who opts in again under another name does not get back an address that shows
    the old one."""
    base = slugify(name)
    return slug == base or (slug.startswith(base + "-") and
                            slug[len(base) + 1:].isdigit())


def site_uuids(root: Path) -> set[str]:
    """The uuids of the site's credential files (whichever are in git)."""
    folder = root / CREDENTIALS_DIR
    if not folder.is_dir():
        return set()
    with os.scandir(folder) as entries:
        return {e.name.removesuffix(".json") for e in entries if e.name.endswith(".json")}


class People:
    """One command's view of the earner index, and the files it re-writes from it."""

    def __init__(self, root: Path, key: SigningKey, catalog: Catalog):
        self.root, self.catalog = root, catalog
        self.index = EarnerIndex.load(index_path(root, key, catalog.config.issuer_id),
                                      SiteFacts(lambda: site_uuids(root),
                                                lambda: published_slugs(root)))
        self.touched: set[str] = set()  # earners whose page file may change
        self.removed: dict[str, set[str]] = {}  # credentials this command withdrew, by earner
        self._logged: set[str] | None = None

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
            self.removed.setdefault(eid, set()).add(uuid)  # still theirs on their page

    def open_page(self, eid: str) -> str:
        earner = self.index.earners[eid]
        if not str(earner.get("name", "")).strip():
            raise EarnerProblem(NAME_NEEDED)
        check_page_name(str(earner["name"]))
        taken = self.index.slugs() | published_slugs(self.root)
        former = earner.get("former_slug")
        if isinstance(former, str) and former not in taken and _slug_of_name(
                former, str(earner["name"])):
            earner["slug"] = former  # their page comes back at the address it had
        else:
            earner["slug"] = unique_slug(earner["name"], taken | self.logged_slugs())
        earner.pop("former_slug", None)
        self.touched.add(eid)
        return earner["slug"]

    def logged_slugs(self) -> set[str]:
        """Slugs any log ever wrote a page for: a withdrawn page's slug stays in the public
        log, so it is never given to someone else."""
        if self._logged is None:
            prefix = EARNERS_DIR.as_posix() + "/"
            self._logged = {Path(rel).stem for log in read_logs(self.root)
                            for e in log.entries for rel in e.get("files", {})
                            if rel.startswith(prefix)}
        return self._logged

    def someone_elses(self, eid: str, slug: str) -> bool:
        """Whether site_src/earners/<slug>.json lists credentials, none of which this
        index gives this earner: another maintainer's earner took the address on a
        parallel branch (both drew the same free slug), and git kept that page. Theirs
        stays; this earner moves to a free address (a broken file is reported by the build
        and written again as before; a page that still lists a credential of theirs being
        withdrawn is theirs)."""
        try:
            listed = json.loads(read_regular(self.root / earner_file(slug)))["credentials"]
            mine = set(self.index.credentials_of({eid})[eid]) | self.removed.get(eid, set())
            return bool(listed) and not {str(u) for u in listed} & mine
        except (OSError, ValueError, KeyError, TypeError):
            return False

    def close_page(self, eid: str, tx: Transaction) -> str | None:
        earner = self.index.earners[eid]
        slug = earner.get("slug")
        earner["slug"] = None
        if slug and self.someone_elses(eid, slug):
            return None  # not this earner's page (any more): nothing of theirs to take down
        if slug:  # theirs again if they opt in again under the same name (open_page)
            earner["former_slug"] = slug
        if slug and (self.root / earner_file(slug)).is_file():
            tx.remove(earner_file(slug))
            tx.record("earner", slug, {earner_file(slug): None})
        return slug

    def finish(self, tx: Transaction, now: datetime, *, force: bool = False) -> None:
        """Re-write the touched earners' page files and insights.json in ``tx`` (each only
        when its bytes change), then save the index."""
        existing = existing_uuids(self.root)
        for eid in sorted(self.touched):
            slug = self.index.earners.get(eid, {}).get("slug")
            if slug and self.someone_elses(eid, slug):
                self.index.earners[eid]["slug"] = None
                self.open_page(eid)  # a free address: the page there is another earner's
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

    def known(self, existing: set[str]) -> int:
        """How many of the site's credentials (``existing`` uuids) this index links to an
        earner: on a team, only those its maintainer issued."""
        return sum(1 for u in self.index.credentials if u in existing)

    def owns_insights(self, tx: Transaction, existing: set[str] | None = None) -> bool:
        """Whether this key keeps insights.json up to date with every command: it wrote the
        file's current bytes, or it is the site's only usable key (a rotation retired the
        key that wrote them: the figures stay the same maintainer's, kept up to date).
        Each maintainer's index knows only their own earners, and two branches re-writing
        one file would conflict at every merge: on a team, the maintainer who ran
        ``badgepress insights`` last keeps it (README: What is published and what is not)."""
        path = self.root / INSIGHTS_PATH
        if [k.public_key_multibase for k in load_key_history(self.root) if k.usable] == [
                tx.key.public_multibase]:  # the only key in use: also after a rotation,
            if not path.is_file():    # when this index knows every credential (another
                return True           # maintainer's retired key leaves a partial one)
            existing = existing_uuids(self.root) if existing is None else existing
            if self.known(existing) >= len(existing):
                return True
        if not path.is_file():
            return False
        want = tx.log.expected_files().get(INSIGHTS_PATH.as_posix())
        return want is not None and want == sha256_hex(read_regular(path))

    def write_insights(self, tx: Transaction, now: datetime, existing: set[str] | None = None,
                       *, force: bool = False) -> bool:
        """insights.json from the index; unchanged figures are not re-written (nor
        logged) unless ``force``. Returns whether it was written."""
        if not force and not self.owns_insights(tx, existing):
            return False
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
