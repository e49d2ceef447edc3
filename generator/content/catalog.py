"""Catalog stage: checks across badges (prerequisites, cycles, duplicates) and the derived
links a visitor navigates by ("leads to", skills). The result is the frozen Catalog."""

from __future__ import annotations

import dataclasses

from ..core.errors import Problems
from ..core.text import suggest, unique_slug
from .config import SiteConfig
from .load import MARKDOWN_SUFFIXES, SourceFile
from .model import Badge, Catalog, Page, Skill
from .validate import validate_badge, validate_page

RESERVED_PAGE_SLUGS = {"badges", "skills", "credentials", "earners", "verify", "status", "log",
                       "assets", "issuer", "well-known", "404"}


def _find_cycles(graph: dict[str, tuple[str, ...]]) -> list[list[str]]:
    """Each prerequisite cycle once, as a path that starts and ends at its smallest slug."""
    cycles: list[list[str]] = []
    seen: set[tuple[str, ...]] = set()
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        path.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):]
                i = cycle.index(min(cycle))
                key = tuple(cycle[i:] + cycle[:i])
                if key not in seen:
                    seen.add(key)
                    cycles.append([*key, key[0]])
            elif state.get(nxt) is None:
                visit(nxt, path)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    return cycles


def _requires_of(src: SourceFile) -> tuple[str, ...]:
    """The slugs 'requires' names, read as validate reads it: one slug written alone
    ('requires: basics') is a list of one, not a list of letters. A value of another shape
    is validate's error, so nothing here."""
    value = src.meta.get("requires")
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return ()
    return tuple(dict.fromkeys(r.strip().lower() for r in value
                               if isinstance(r, str) and r.strip()))


def _unreadable(src: SourceFile, slug: str) -> bool:
    """Whether the badge file of ``slug`` is there but could not be read (a problem of its
    own, which need not be repeated in every badge that requires it)."""
    return any((src.path.parent / f"{slug}{suffix}").exists() for suffix in MARKDOWN_SUFFIXES)


def build_catalog(config: SiteConfig, badge_sources: list[SourceFile],
                  page_sources: list[SourceFile], problems: Problems,
                  validate=validate_badge) -> Catalog | None:
    """Validate every badge and page, then link them; None when anything is wrong.
    ``validate`` may be a caching validator (the dev server's incremental builds)."""
    badges: dict[str, Badge] = {}
    sources: dict[str, SourceFile] = {}
    for src in badge_sources:
        badge = validate(src, config, problems)
        slug = src.stem.lower()
        if slug in sources:
            problems.error(src.path, f"slug '{slug}' is already used by "
                           f"{problems.rel(sources[slug].path)}",
                           hint="rename one of the two files; the file name is the badge's URL")
            continue
        sources[slug] = src
        if badge:
            badges[slug] = badge

    for slug, src in sources.items():
        requires = _requires_of(src)
        line = src.key_lines.get("requires", 1)
        for req in requires:
            if req == slug:
                problems.error(src.path, f"'requires' names the badge itself ('{req}')",
                               line=line, field="requires", hint="remove it from 'requires'")
            elif req not in sources and not _unreadable(src, req):
                hint = suggest(req, list(sources)) or "requires lists badge file names " \
                    "without .md"
                problems.error(src.path, f"'requires' names '{req}', which is no badge",
                               line=line, field="requires", hint=hint)
            elif req in badges and not badges[req].active and slug in badges \
                    and badges[slug].active:
                problems.warn(src.path, f"'requires' names retired badge '{req}'", line=line,
                              field="requires", hint="point it at the badge that replaced it")
    graph = {slug: tuple(r for r in b.requires if r != slug) for slug, b in badges.items()}
    for cycle in _find_cycles(graph):
        first = sources[cycle[0]]
        problems.error(first.path, "prerequisite cycle: " + " → ".join(cycle),
                       line=first.key_lines.get("requires", 1), field="requires",
                       hint="a badge cannot require itself through others; remove one of "
                            "these 'requires' entries")

    pages: list[Page] = []
    for src in page_sources:
        page = validate_page(src, problems)
        if page and page.slug in RESERVED_PAGE_SLUGS:
            problems.error(src.path, f"page name '{page.slug}' is reserved for the site's own "
                           "pages", hint="rename the file")
        elif page:
            pages.append(page)

    if problems.errors:
        return None

    leads: dict[str, list[str]] = {s: [] for s in badges}
    for slug, badge in badges.items():
        for req in badge.requires:
            leads[req].append(slug)
    ordered = sorted(badges.values(), key=lambda b: (b.name.casefold(), b.slug))
    final = tuple(dataclasses.replace(
        b, leads_to=tuple(sorted(leads[b.slug], key=lambda s: badges[s].name.casefold())))
        for b in ordered)

    skill_map: dict[str, list[str]] = {}
    for b in final:
        for s in b.skills:
            skill_map.setdefault(s, []).append(b.slug)
    slugs_of: dict[str, str] = {}
    taken: set[str] = set()
    # 'C#' and 'C++', 'Straße' and 'Strasse': one anchor each, the same every build
    for name in sorted(skill_map, key=lambda n: (n.casefold(), n)):
        slugs_of[name] = unique_slug(name, taken)
        taken.add(slugs_of[name])
    skills = tuple(Skill(name, slugs_of[name], tuple(slugs))
                   for name, slugs in sorted(skill_map.items(), key=lambda kv: kv[0].casefold()))
    return Catalog(config=config, badges=final, skills=skills,
                   pages=tuple(sorted(pages, key=lambda p: p.title.casefold())),
                   by_slug={b.slug: b for b in final}, skill_slugs=slugs_of)
