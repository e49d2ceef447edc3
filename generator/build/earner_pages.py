"""Jobs of the opted-in earners' outputs: one page per earner (``/earners/<slug>/``) and the
Atom feed of their newly issued credentials (``/feeds/credentials.atom``).

Only earners with a logged ``site_src/earners/<slug>.json`` get either: the cost is one
page per opted-in earner and one feed, whatever the number of credentials, and nothing
names or links an earner who did not opt in."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from ..content.model import Award, Catalog, Earner
from ..core.paths import EARNERS_DIR
from ..core.text import visible_text, xml_text

FEED_PATH = "feeds/credentials.atom"
FEED_ENTRIES = 50
ATOM = "http://www.w3.org/2005/Atom"
EPOCH = "1970-01-01T00:00:00Z"


def earner_skills(catalog: Catalog, items: list[Award]) -> list[tuple[str, tuple[str, ...]]]:
    """(skill, the badges giving it) over the earner's credentials that are not revoked,
    skills in the order they first appear."""
    skills: dict[str, list[str]] = {}
    for a in items:
        if a.state == "revoked":
            continue
        for s in catalog.badge(a.badge_slug).skills:
            slugs = skills.setdefault(s, [])
            if a.badge_slug not in slugs:
                slugs.append(a.badge_slug)
    return [(s, tuple(b)) for s, b in skills.items()]


def plan_earners(plan: Any, earners: tuple[Earner, ...],
                 awards: tuple[Award, ...] | list[Award]) -> None:
    """An earner page per opted-in earner, and the feed (one pass over the awards).
    ``plan``: the ``plan.Plan`` being made (not imported here: plan.py imports this)."""
    by_uuid = plan.by_uuid(awards)
    catalog = plan.catalog
    feed: list[tuple[Earner, Award]] = []
    for e in earners:
        items = [by_uuid[u] for u in e.credentials if u in by_uuid]
        items.sort(key=lambda a: (a.valid_from, a.uuid), reverse=True)
        feed += [(e, a) for a in items if a.state != "revoked"]
        rows = [(a, catalog.badge(a.badge_slug)) for a in items]
        plan.page(f"{e.url}index.html", "earner.html", (EARNERS_DIR / f"{e.slug}.json")
                  .as_posix(), (e, tuple(plan.award_fp(a) for a in items),
                                tuple(plan.card[a.badge_slug] for a in items)),
                  earner=e, rows=rows, skills=earner_skills(catalog, items))
    feed.sort(key=lambda p: (p[1].valid_from, p[1].uuid), reverse=True)
    feed = feed[:FEED_ENTRIES]
    token = tuple((e.name, e.slug, a.uuid, a.valid_from, plan.card[a.badge_slug])
                  for e, a in feed)
    plan.add(FEED_PATH, "feeds", (plan.cfg, token),
             lambda: credentials_feed(catalog, feed))


def credentials_feed(catalog: Catalog, feed: list[tuple[Earner, Award]]) -> bytes:
    """Atom 1.0 (RFC 4287): the newest credentials of opted-in earners."""
    cfg = catalog.config
    ET.register_namespace("", ATOM)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        node = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            node.text = xml_text(visible_text(text))
        return node

    root = ET.Element(f"{{{ATOM}}}feed")
    sub(root, "id", cfg.abs_url(FEED_PATH))
    sub(root, "title", f"{cfg.title}: new credentials")
    sub(root, "subtitle", "Credentials newly issued to earners who chose to share their "
                          "badges publicly")
    sub(root, "updated", feed[0][1].valid_from if feed else EPOCH)
    sub(root, "link", rel="self", href=cfg.abs_url(FEED_PATH), type="application/atom+xml")
    sub(root, "link", rel="alternate", href=cfg.abs_url(""), type="text/html")
    author = sub(root, "author")
    sub(author, "name", cfg.issuer.name)
    for e, a in feed:
        badge = catalog.badge(a.badge_slug)
        entry = sub(root, "entry")
        sub(entry, "id", a.id)
        sub(entry, "title", f"{e.name} earned {badge.name}")
        sub(entry, "updated", a.valid_from)
        sub(entry, "published", a.valid_from)
        sub(entry, "link", rel="alternate", href=cfg.abs_url(a.url), type="text/html")
        sub(entry, "link", rel="related", href=cfg.abs_url(e.url), type="text/html")
        sub(entry, "summary", f"{e.name} earned {badge.name}, issued by {cfg.issuer.name}."
                              + (f" {badge.summary}" if badge.summary else ""))
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
