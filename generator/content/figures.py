"""The program's figures that the published credentials themselves give: current
credentials per skill and level, credentials issued and revoked per month, earners per
badge, when each badge was first awarded. Computed in one pass over the loaded awards (a
100,000-credential build reads no file for them), with the small-count rule applied here,
before any template sees a number: a count below ``SMALL`` (0 included) is published as
None, shown as "fewer than 5", so no cell, bar or row can single anybody out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from .model import Award, Catalog

SMALL = 5  # counts below this are never published
SHADES = 5  # heat-map shades of the published counts, 1 (lightest) … SHADES


def public(n: int) -> int | None:
    """A count as it may be published: itself from ``SMALL`` up, else None."""
    return n if n >= SMALL else None


def total(parts: Iterable[int]) -> tuple[int | None, bool]:
    """The published sum of counts that are published one by one, and whether it is
    withheld: when the parts shown as "fewer than 5" hold 1 to 4 in all, the total minus
    the published parts would give that small count away (a month of 3 next to the
    total), so the total is not shown either."""
    parts = list(parts)
    hidden = sum(n for n in parts if public(n) is None)
    if 0 < hidden < SMALL and any(public(n) is not None for n in parts):
        return None, True
    return public(sum(parts)), False


def share(part: int | None, whole: int | None) -> int | None:
    """A whole percentage, or None when either count is suppressed (a share of a hidden
    count would reveal it) or there is nothing to divide by."""
    if part is None or whole is None or whole <= 0:
        return None
    return round(100 * part / whole)


@dataclass(frozen=True)
class Cell:
    """One skill × level cell of the heat map: ``badges`` that teach the skill at that
    level (0: none, a gap of the catalog), their current credentials (None: fewer than
    5) and its shade (0 for no badge or a suppressed count)."""

    badges: int
    count: int | None
    shade: int
    withheld: bool = False  # 5 or more, not shown: it would reveal a badge's small count


@dataclass(frozen=True)
class Month:
    """One calendar month (``YYYY-MM``): credentials issued (by validFrom) and revoked
    (by revocation date), each None when fewer than 5."""

    month: str
    issued: int | None
    revoked: int | None


@dataclass(frozen=True)
class BadgeFigures:
    """One badge: its earners (credentials not revoked and not replaced by a renewal, so
    one per earner) and its current credentials (valid now), each None when fewer than 5."""

    slug: str
    earners: int | None
    current: int | None


@dataclass(frozen=True)
class SiteFigures:
    """Every figure the build publishes from the credentials; equal figures, equal pages
    (the pages that show them take them as their inputs)."""

    levels: tuple[str, ...]  # heat-map columns: the site's levels in use ("" = no level)
    heat: tuple[tuple[str, str, tuple[Cell, ...]], ...]  # (skill, skill slug, cells)
    months: tuple[Month, ...]
    badges: tuple[BadgeFigures, ...]
    issued: int | None
    revoked: int | None
    first_awarded: tuple[tuple[str, str], ...]  # (badge slug, first validFrom), newest first
    withheld: tuple[str, ...] = ()  # totals ("issued", "revoked") withheld by ``total``


def compute_figures(catalog: Catalog, awards: Iterable[Award]) -> SiteFigures:
    """All figures from one pass over ``awards`` (then per badge and month, not per
    credential)."""
    issued: Counter[str] = Counter()
    revoked: Counter[str] = Counter()
    held: Counter[str] = Counter()
    current: Counter[str] = Counter()
    first: dict[str, str] = {}
    replaced: list[str] = []  # held credentials that name a successor
    renewals: dict[str, str] = {}  # held credentials that renew another: uuid -> badge
    for a in awards:
        issued[a.valid_from[:7]] += 1
        if a.state == "revoked":
            revoked[a.revoked_on[:7]] += 1
        else:
            held[a.badge_slug] += 1
            if a.renewed_by:
                replaced.append(a.renewed_by)
            if a.renews:
                renewals[a.uuid] = a.badge_slug
            if a.state == "valid":
                current[a.badge_slug] += 1
        if a.state != "not-yet-valid" and a.valid_from < first.get(a.badge_slug, "\uffff"):
            first[a.badge_slug] = a.valid_from
    for successor in replaced:  # the earner holds the successor: count them once
        if successor in renewals:
            held[renewals[successor]] -= 1
    return SiteFigures(
        *_heat(catalog, current),
        months=tuple(Month(m, public(issued[m]), public(revoked[m]))
                     for m in _month_range(set(issued) | set(revoked))),
        badges=tuple(BadgeFigures(b.slug, public(held[b.slug]), public(current[b.slug]))
                     for b in catalog.badges),
        issued=total(issued.values())[0], revoked=total(revoked.values())[0],
        withheld=tuple(k for k, c in (("issued", issued), ("revoked", revoked))
                       if total(c.values())[1]),
        first_awarded=tuple(sorted(first.items(), key=lambda kv: (kv[1], kv[0]),
                                   reverse=True)))


def _heat(catalog: Catalog, current: Counter[str]) -> tuple[tuple, tuple]:
    """Columns and rows of the skills × levels heat map."""
    levels = catalog.levels + (("",) if any(not b.level for b in catalog.badges) else ())
    rows = []
    for skill in catalog.skills:
        raw = []
        for level in levels:
            slugs = [s for s in skill.badges if catalog.badge(s).level == level]
            # each badge's current count is on /insights/: a cell is their total
            raw.append((len(slugs), *total(current[s] for s in slugs)))
        rows.append((skill.name, skill.slug, raw))
    top = max((n for _, _, raw in rows for _, n, _ in raw if n is not None), default=0)
    return levels, tuple(
        (name, slug, tuple(Cell(b, n, _shade(n, top), w) for b, n, w in raw))
        for name, slug, raw in rows)


def _shade(n: int | None, top: int) -> int:
    if n is None or top <= 0:
        return 0
    return max(1, -(-SHADES * n // top))  # ceil: the largest count gets the darkest shade


def _month_range(months: set[str]) -> list[str]:
    """Every month from the first to the last one given, gaps included (a month with no
    credential is a fact of the chart, not a missing bar)."""
    valid = sorted(m for m in months if len(m) == 7 and m[:4].isdigit() and m[5:].isdigit())
    if not valid:
        return []
    year, month = int(valid[0][:4]), int(valid[0][5:])
    out = []
    while True:
        label = f"{year:04d}-{month:02d}"
        out.append(label)
        if label >= valid[-1]:
            return out
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
