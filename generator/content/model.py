"""The frozen site model that the render stage reads; templates get these, never raw dicts."""

from __future__ import annotations

import hashlib
import json
import operator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..core.errors import BuildError, Problem
from ..core.files import read_regular
from ..core.text import slugify
from .config import SiteConfig


@dataclass(frozen=True)
class Alignment:
    """A link from a badge to a skill or competency in an external framework (OB Alignment)."""

    name: str
    url: str
    framework: str = ""
    code: str = ""


@dataclass(frozen=True)
class Badge:
    """One badge of the catalog, read from ``badges/<slug>.md``."""

    slug: str
    source: str  # path relative to the site root, for messages
    name: str
    summary: str
    type: str
    level: str
    skills: tuple[str, ...]
    requires: tuple[str, ...]
    valid_for: str | None
    status: str
    issued_within: str
    description_md: str
    criteria_md: str
    claim_md: str
    description_html: str
    criteria_html: str
    claim_html: str
    alignments: tuple[Alignment, ...] = ()
    image: str | None = None  # file name inside badges/
    image_path: Path | None = None
    leads_to: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return f"badges/{self.slug}/"

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def image_url(self) -> str | None:
        return f"badges/{self.slug}/{self.image}" if self.image else None


@dataclass(frozen=True)
class Skill:
    """A skill and the badges that teach it (the base of the skills map)."""

    name: str
    slug: str
    badges: tuple[str, ...]


@dataclass(frozen=True)
class Page:
    """An extra page from ``site_src/pages/<slug>.md``."""

    slug: str
    source: str
    title: str
    summary: str
    body_html: str

    @property
    def url(self) -> str:
        return f"{self.slug}/"


@dataclass(frozen=True)
class Catalog:
    """Everything the site shows, validated and cross-linked."""

    config: SiteConfig
    badges: tuple[Badge, ...]
    skills: tuple[Skill, ...]
    pages: tuple[Page, ...]
    by_slug: dict[str, Badge] = field(default_factory=dict, compare=False)
    # skill name -> its anchor on /skills/ (unique: 'C#' and 'C++' both slug to 'c')
    skill_slugs: dict[str, str] = field(default_factory=dict, compare=False)

    def badge(self, slug: str) -> Badge:
        return self.by_slug[slug]

    def skill_slug(self, name: str) -> str:
        return self.skill_slugs.get(name) or slugify(name)

    @property
    def active_badges(self) -> tuple[Badge, ...]:
        return tuple(b for b in self.badges if b.active)

    @property
    def levels(self) -> tuple[str, ...]:
        used = {b.level for b in self.badges if b.level}
        return tuple(x for x in self.config.levels if x in used)

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(sorted({b.type for b in self.badges}))


@dataclass(frozen=True)
class Evidence:
    url: str
    name: str
    narrative_html: str


@lru_cache(maxsize=8)  # a credential's page, JSON and baked image are made in a row
def signed_bytes(path: str, digest: str) -> bytes:
    data = read_regular(path)
    if hashlib.sha256(data).hexdigest() != digest:
        raise BuildError([Problem(path, "changed while the site was being built",
                                  hint="build again")])
    return data


@dataclass(frozen=True)
class Award:
    """One signed credential of the site, loaded and verified at build time."""

    uuid: str
    source: str  # site_src/credentials/<uuid>.json
    # that file's absolute path, as text: a Path costs 25 µs to unpickle, and the
    # credentials stage's workers send the parent 100,000 awards (3.5 s of a cold build)
    file: str
    digest: str  # SHA-256 (hex) of the bytes the credentials stage checked
    id: str = ""  # the credential's id, urn:uuid:<uuid>
    badge_slug: str = ""
    earner_name: str = ""  # empty: the earner did not agree to be named
    valid_from: str = ""
    valid_until: str = ""
    evidence: tuple[Evidence, ...] = ()
    state: str = "valid"  # valid | expired | not-yet-valid | revoked (at build time)
    revoked_on: str = ""
    revoked_reason: str = ""  # only when the maintainer marked the reason public
    renews: str = ""  # uuid of the credential this one renewed (from the issuance log)
    renewed_by: str = ""  # uuid of its successor

    @property
    def raw(self) -> bytes:
        """The exact signed bytes, published as credential.json: read again when a page
        needs them rather than held for 100,000 credentials at once, and refused if they
        are not the bytes the credentials stage checked."""
        return signed_bytes(self.file, self.digest)

    @property
    def doc(self) -> dict:
        """The signed document, parsed again on each use: 100,000 parsed documents would
        take more memory than everything else a build holds (the credentials stage has
        read these bytes by the strict rules already)."""
        return json.loads(self.raw)

    @property
    def url(self) -> str:
        return f"credentials/{self.uuid}/"


class Restated(list):
    """The awards of a run that restated a few of an earlier run's (a revocation or a
    renewal in a dev server): ``before`` is that run's list, ``positions`` where this one
    holds another object. Readers that patch what they computed from ``before`` take the
    positions from here instead of comparing 100,000 pairs (``changed_positions``)."""

    __slots__ = ("before", "positions")

    def __init__(self, awards: list[Award], before: list[Award], positions: list[int]):
        super().__init__(awards)
        self.before = before
        self.positions = positions


def changed_positions(before: list[Award] | tuple[Award, ...],
                      after: list[Award] | tuple[Award, ...]) -> list[int] | None:
    """Positions where ``after`` holds another object than ``before``; None when their
    lengths differ."""
    if isinstance(after, Restated) and after.before is before:
        return after.positions
    if len(before) != len(after):
        return None
    return [i for i, same in enumerate(map(operator.is_, before, after)) if not same]


@dataclass(frozen=True)
class Earner:
    """An earner who opted in to a public page (``site_src/earners/<slug>.json``): only
    these are ever named outside their own credential pages."""

    slug: str
    name: str
    credentials: tuple[str, ...]  # uuids, oldest first

    @property
    def url(self) -> str:
        return f"earners/{self.slug}/"


@dataclass(frozen=True)
class ProgramFigures:
    """``site_src/insights.json``: earner-linked aggregates written from the maintainer's
    local earner index; every count below 5 is None (published as "fewer than 5")."""

    as_of: str
    credentials: int | None  # a count below 5 is never published, this one included
    earners: int | None
    returning: int | None
    # (from badge slug, its earners, ((to badge slug, earners who went on), ...)), ...
    progression: tuple[tuple[str, int | None, tuple[tuple[str, int | None], ...]], ...]
