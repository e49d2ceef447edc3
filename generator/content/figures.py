"""The program's figures that the published credentials themselves give: current
credentials per skill and level, credentials issued and revoked per month, earners per
badge, when each badge was first awarded. Computed in one pass over the loaded awards (a
100,000-credential build reads no file for them), with the small-count rule applied here,
before any template sees a number: a count below ``SMALL`` (0 included) is published as
None, shown as "fewer than 5", so no cell, bar or row can single anybody out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from .model import Award, Catalog, changed_positions

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


@dataclass
class Tally:
    """The counts ``compute_figures`` publishes from, before the small-count rule: per
    month issued and revoked, per badge held and current credentials and first award, and
    the renewals that make one earner hold two credentials of a badge. Counts are sums
    over credentials, so a dev server takes a revoked credential's old count out and puts
    its new one in (``updated``) instead of counting 100,000 again."""

    issued: Counter[str] = field(default_factory=Counter)
    revoked: Counter[str] = field(default_factory=Counter)
    held: Counter[str] = field(default_factory=Counter)
    current: Counter[str] = field(default_factory=Counter)
    first: dict[str, str] = field(default_factory=dict)
    replaced: Counter[str] = field(default_factory=Counter)  # successors named by held ones
    renewals: dict[str, str] = field(default_factory=dict)  # held renewals: uuid -> badge

    def count(self, a: Award, n: int = 1) -> None:
        """Add one credential (``n`` = 1) or take it out (-1); a count that reaches 0 is
        dropped, as a month no credential has is no month of the chart."""
        _bump(self.issued, a.valid_from[:7], n)
        if a.state == "revoked":
            _bump(self.revoked, a.revoked_on[:7], n)
        else:
            _bump(self.held, a.badge_slug, n)
            if a.renewed_by:
                _bump(self.replaced, a.renewed_by, n)
            if a.renews:
                if n > 0:
                    self.renewals[a.uuid] = a.badge_slug
                else:
                    self.renewals.pop(a.uuid, None)
            if a.state == "valid":
                _bump(self.current, a.badge_slug, n)

    def copy(self) -> Tally:
        return Tally(Counter(self.issued), Counter(self.revoked), Counter(self.held),
                     Counter(self.current), dict(self.first), Counter(self.replaced),
                     dict(self.renewals))


def _bump(counter: Counter[str], key: str, n: int) -> None:
    left = counter[key] + n
    if left:
        counter[key] = left
    else:
        del counter[key]


def _first_of(a: Award) -> tuple[str, str] | None:
    """What a credential gives the badge's first award date: its validFrom, unless it is
    not valid yet."""
    return None if a.state == "not-yet-valid" else (a.badge_slug, a.valid_from)


def tally(awards: Iterable[Award]) -> Tally:
    """The counts of ``awards``, in one pass."""
    out = Tally()
    first = out.first
    for a in awards:
        out.count(a)
        if a.state != "not-yet-valid" and a.valid_from < first.get(a.badge_slug, "\uffff"):
            first[a.badge_slug] = a.valid_from
    return out


def updated(last: Tally, before: list[Award] | tuple[Award, ...],
            after: list[Award] | tuple[Award, ...]) -> Tally | None:
    """The tally of ``after`` from ``last``, the tally of ``before``, when the two lists
    differ only in a few positions (the credentials a revocation or renewal restated,
    new objects in the same places) and none of those changes a first award date; None
    otherwise (count again)."""
    changed = changed_positions(before, after)
    if changed is None or len(changed) > 1000 or any(_first_of(before[i]) != _first_of(after[i])
                                  for i in changed):
        return None
    out = last.copy()
    for i in changed:  # all out first: a credential moved to another place comes back in
        out.count(before[i], -1)
    for i in changed:
        out.count(after[i])
    return out


def compute_figures(catalog: Catalog, awards: Iterable[Award],
                    counts: Tally | None = None) -> SiteFigures:
    """All figures from one pass over ``awards`` (then per badge and month, not per
    credential); ``counts``: their tally, when the caller has it."""
    t = counts if counts is not None else tally(awards)
    held = Counter(t.held)
    for successor, n in t.replaced.items():  # the earner holds the successor: count once
        if successor in t.renewals:
            held[t.renewals[successor]] -= n
    issued, revoked, current = t.issued, t.revoked, t.current
    return SiteFigures(
        *_heat(catalog, current),
        months=tuple(Month(m, public(issued[m]), public(revoked[m]))
                     for m in _month_range(set(issued) | set(revoked))),
        badges=tuple(BadgeFigures(b.slug, public(held[b.slug]), public(current[b.slug]))
                     for b in catalog.badges),
        issued=total(issued.values())[0], revoked=total(revoked.values())[0],
        withheld=tuple(k for k, c in (("issued", issued), ("revoked", revoked))
                       if total(c.values())[1]),
        first_awarded=tuple(sorted(t.first.items(), key=lambda kv: (kv[1], kv[0]),
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
