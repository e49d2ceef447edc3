"""The local earner index: which credentials belong to the same earner, kept where the
private key lives and never published.

Why: each credential names its earner only by an email hash with its own salt, so nothing
published links two credentials of one person (DESIGN.md, threat model). The program's
figures (return rate, pathway progression) and an opted-in earner's page need that link.
The maintainer has it anyway (they typed the emails); this file keeps it beside the key,
mode 0600, refused inside the site folder like the key, and ``badgepress earners rebuild``
makes it again from the maintainer's own records (their issue CSVs) if it is lost.

Format: ``{"version": 1, "credentials": {uuid: {"earner": id, "badge": slug, "from":
validFrom}}, "earners": {id: {"email": normalized, "name": str, "slug": str | null}}}``;
an earner id is random, so the file says nothing by itself about who is who.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import BadgepressError
from ..core.files import atomic_write, read_regular
from ..trust.keys import SigningKey

# development builds of 0.2 kept one "earners.json" per key folder, which every site whose key
# lives in that folder shared (init puts them all in ~/.config/badgepress/)
LEGACY_NAME = "earners.json"
VERSION = 1


class IndexProblem(BadgepressError, ValueError):
    """The earner index cannot be used (inside the site, damaged); the message says why."""


def index_name(issuer_id: str) -> str:
    """The index file of the site whose issuer is ``issuer_id``: one per site, named after
    what stays the same across key rotations and clones, so that sites whose keys share a
    folder never share (or, with 'earners rebuild', overwrite) one index."""
    readable = re.sub(r"[^a-z0-9]+", "-", issuer_id.lower().removeprefix("https://"))
    digest = hashlib.sha256(issuer_id.encode("utf-8")).hexdigest()[:8]
    return f"earners-{readable.strip('-')[:60]}-{digest}.json"


def index_path(root: Path, key: SigningKey, issuer_id: str | None = None) -> Path | None:
    """This site's index in the key's folder (``issuer_id``: the site's, read from its
    site.toml when not given); None for a key not read from a file."""
    if key.path is None:
        return None
    if issuer_id is None:
        from ..build.pipeline import config_only

        issuer_id = config_only(root).issuer_id
    path = key.path.parent / index_name(issuer_id)
    site = root.resolve()
    if path.resolve() == site or site in path.resolve().parents:
        raise IndexProblem(f"{path}: the earner index links credentials to emails and must "
                           f"be kept outside the site folder {site}, like the private key; "
                           "keep the key in e.g. ~/.config/badgepress/")
    return path


@dataclass(frozen=True)
class SiteFacts:
    """What starting a site's index from other index files needs to know of the site."""

    uuids: Callable[[], set[str]]  # its credentials
    pages: Callable[[], set[str]]  # the slugs of the earner pages it publishes


@dataclass
class EarnerIndex:
    """The index in memory; ``save`` writes it (atomically, mode 0600)."""

    path: Path | None
    credentials: dict[str, dict[str, Any]] = field(default_factory=dict)
    earners: dict[str, dict[str, Any]] = field(default_factory=dict)
    _by_email: dict[str, str] | None = None

    @classmethod
    def load(cls, path: Path | None, site: SiteFacts | None = None) -> EarnerIndex:
        """The index at ``path``. When there is none yet, what the other index files beside
        it hold of this ``site`` is what its index starts from: the one shared file of
        earlier builds, or this site's own under its old name (its base_url changed)."""
        if path is None:
            return cls(path)
        if path.is_file() or site is None:
            return cls._read(path) if path.is_file() else cls(path)
        others = [p for p in (path.parent / LEGACY_NAME,
                              *sorted(path.parent.glob("earners-*.json")))
                  if p != path and p.is_file()]
        if not others:
            return cls(path)
        mine, pages = site.uuids(), site.pages()
        index = cls(path)
        for other in others:
            try:
                found = cls._read(other)
            except IndexProblem:
                continue  # another site's damaged file is that site's to rebuild
            for uuid, entry in found.credentials.items():
                if uuid in mine and uuid not in index.credentials:
                    index.credentials[uuid] = entry
                    eid = entry.get("earner")
                    if eid in found.earners and eid not in index.earners:
                        earner = dict(found.earners[eid])
                        if earner.get("slug") and earner["slug"] not in pages:
                            earner["slug"] = None  # a page of another site, not this one's
                        index.earners[eid] = earner
        return index

    @classmethod
    def _read(cls, path: Path) -> EarnerIndex:
        try:
            data = json.loads(read_regular(path))
            if data.get("version") != VERSION:
                raise ValueError(f"version {data.get('version')}, not {VERSION}")
            creds, people = data["credentials"], data["earners"]
            if not isinstance(creds, dict) or not isinstance(people, dict):
                raise ValueError("not an earner index")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise IndexProblem(f"{path}: the earner index cannot be read ({exc}); rebuild "
                               "it with 'badgepress earners rebuild --from FILE.csv'") from exc
        return cls(path, creds, people)

    def save(self) -> None:
        if self.path is None:
            return
        data = {"version": VERSION, "credentials": self.credentials, "earners": self.earners}
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        atomic_write(self.path, (json.dumps(data, ensure_ascii=False, sort_keys=True,
                                            separators=(",", ":")) + "\n").encode(),
                     mode=0o600)

    def earner_of_email(self, email: str) -> str | None:
        if self._by_email is None:
            self._by_email = {str(e.get("email")): eid for eid, e in self.earners.items()}
        return self._by_email.get(email)

    def earner_of(self, uuid: str) -> str | None:
        entry = self.credentials.get(uuid)
        return entry.get("earner") if entry else None

    def add_earner(self, email: str, name: str = "") -> str:
        eid = self.earner_of_email(email)
        if eid is None:
            eid = secrets.token_hex(8)
            self.earners[eid] = {"email": email, "name": name, "slug": None}
            if self._by_email is not None:
                self._by_email[email] = eid
        elif name:
            self.earners[eid]["name"] = name
        return eid

    def add_credential(self, uuid: str, eid: str, badge: str, valid_from: str) -> None:
        self.credentials[uuid] = {"earner": eid, "badge": badge, "from": valid_from}

    def remove_credential(self, uuid: str) -> str | None:
        entry = self.credentials.pop(uuid, None)
        return entry.get("earner") if entry else None

    def credentials_of(self, eids: set[str]) -> dict[str, list[str]]:
        """{earner: their credentials, oldest first} for the earners asked, in one pass
        (a bulk issue touches many earners of a 100,000-credential index)."""
        out: dict[str, list[tuple[str, str]]] = {eid: [] for eid in eids}
        for uuid, c in self.credentials.items():
            if c.get("earner") in out:
                out[c["earner"]].append((str(c.get("from")), uuid))
        return {eid: [u for _, u in sorted(items)] for eid, items in out.items()}

    def slugs(self) -> set[str]:
        return {str(e["slug"]) for e in self.earners.values() if e.get("slug")}

    def comparable(self) -> tuple:
        """The index without its random earner ids (what a rebuild must reproduce)."""
        email = {eid: e.get("email") for eid, e in self.earners.items()}
        return (sorted((u, email.get(c.get("earner")), c.get("badge"), c.get("from"))
                       for u, c in self.credentials.items()),
                sorted((e.get("email"), e.get("name"), e.get("slug"))
                       for e in self.earners.values()))


def suppressed(n: int) -> int | None:
    """A count as published: below 5 (0 included) it could single someone out."""
    return n if n >= 5 else None


def figures(index: EarnerIndex, leads_to: dict[str, tuple[str, ...]], existing: set[str],
            revoked: set[str]) -> dict[str, Any]:
    """The earner-linked aggregates of ``site_src/insights.json`` (without ``asOf``), in
    one pass over the index. ``existing``: uuids whose files are in the site (a withdrawn
    or rolled-back credential is not counted); ``revoked``: uuids revoked. Holding a badge
    means a credential of it that is not revoked (an expired one was still earned)."""
    first: dict[str, dict[str, str]] = {}  # earner -> badge -> earliest validFrom
    last: dict[str, dict[str, str]] = {}  # earner -> badge -> latest validFrom
    credentials = 0
    for uuid, c in index.credentials.items():
        if uuid not in existing or uuid in revoked:
            continue
        credentials += 1
        eid, badge, when = str(c.get("earner")), str(c.get("badge")), str(c.get("from"))
        held = first.setdefault(eid, {})
        held[badge] = min(held.get(badge, when), when)
        latest = last.setdefault(eid, {})
        latest[badge] = max(latest.get(badge, when), when)
    progression: dict[str, Any] = {}
    for a in sorted(leads_to):
        if not leads_to[a]:
            continue
        holders = [e for e, held in first.items() if a in held]
        progression[a] = {"earners": suppressed(len(holders)), "to": {
            b: suppressed(sum(1 for e in holders if b in last[e] and last[e][b] >= first[e][a]))
            for b in leads_to[a]}}
    return {"version": 1, "credentials": suppressed(credentials),
            "earners": suppressed(len(first)),
            "returning": suppressed(sum(1 for held in first.values() if len(held) >= 2)),
            "progression": progression}
