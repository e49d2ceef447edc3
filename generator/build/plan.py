"""Planning: every output file of the site as a job that says how to make its bytes and
which inputs they depend on, keyed by its path below the output folder.

A plan is cheap to make (nothing is rendered); the pipeline renders the jobs, and a dev
server's cache skips those whose inputs did not change. Two sources writing one path is an
error naming both (Eleventy)."""

from __future__ import annotations

import hashlib
import json
import pickle
from collections.abc import Callable
from typing import Any, NamedTuple

from ..content.model import Award, Catalog
from ..core.errors import BuildError, Problem
from ..core.files import read_regular
from ..core.paths import KEYS_PATH, SRC_DIR
from ..trust import ob
from ..trust.keys import load_key_history
from .render import (
    Lazy,
    Output,
    Renderer,
    baked_image,
    baked_name,
    json_bytes,
    linkedin_url,
    sitemap,
)


class Job(NamedTuple):
    """One output file: how to make it, and every input its bytes depend on. Equal inputs
    give equal bytes, which is what lets an incremental build reuse the last result."""

    source: str
    inputs: tuple
    make: Callable[[], bytes]

    def fingerprint(self) -> int:
        """Equal for equal inputs within one process (a dev server's life), which is all
        incremental builds need; inputs are hashable values (frozen dataclasses, bytes)."""
        return hash(self.inputs)


class Plan:
    """The jobs of one build. Big inputs get cheap stand-ins, computed once per build
    (10,000 credential pages share them); ``memo`` keeps per-credential ones across builds
    of a dev server."""

    def __init__(self, catalog: Catalog, renderer: Renderer, has_log: bool,
                 memo: dict | None = None):
        self.catalog, self.r, self.has_log = catalog, renderer, has_log
        self.cfg = catalog.config
        self.jobs: dict[str, Job] = {}
        self.memo = {} if memo is None else memo
        nav = tuple((p.slug, p.title) for p in catalog.pages)
        self.common = (self.cfg, renderer.assets.prefix, nav, has_log)
        self.badge_fp = {b.slug: hashlib.sha256(pickle.dumps(b, protocol=5)).digest()
                         for b in catalog.badges}
        # what cards and mini-lists show of a badge: other pages depend on just that
        self.card = {b.slug: (b.slug, b.name, b.summary, b.level, b.type, b.skills,
                              b.image_url, b.status) for b in catalog.badges}
        self.cards_fp = hash(tuple(self.card.values()))
        # each badge image read once: 100,000 baked copies are made from these bytes
        self.images = {b.slug: read_regular(b.image_path)
                       for b in catalog.badges if b.image_path}
        self.image_fp = {slug: hashlib.sha256(data).digest()
                         for slug, data in self.images.items()}

    def award_fp(self, a: Award) -> tuple:
        key = (a.uuid, id(a))
        if key not in self.memo:
            self.memo[key] = (a.uuid, hashlib.sha256(a.raw).digest(), a.state, a.revoked_on,
                              a.revoked_reason, a.renews, a.renewed_by, a.badge_slug)
        return self.memo[key]

    def add(self, path: str, source: str, inputs: tuple, make: Callable[[], bytes]) -> None:
        if path in self.jobs:
            raise BuildError([Problem(source, f"two sources write '{path}'",
                                      hint="rename one of them")])
        self.jobs[path] = Job(source, inputs, make)

    def page(self, path: str, template: str, source: str, inputs: tuple,
             **context: Any) -> None:
        r, has_log = self.r, self.has_log
        self.add(path, source, (r.template_digest(template), self.common, *inputs),
                 lambda: r.page(template, path, has_log=has_log, **context))

    def data(self, path: str, source: str, value: bytes, token: Any = None) -> None:
        self.add(path, source,
                 (token if token is not None else hashlib.sha256(value).digest(),),
                 lambda: value)

    def badges(self, awards: tuple[Award, ...] | list[Award]) -> None:
        """The catalog, a page + achievement.json + image per badge, skills, verify."""
        by_badge: dict[str, list[Award]] = {}
        for a in awards:
            by_badge.setdefault(a.badge_slug, []).append(a)
        self.page("index.html", "catalog.html", "catalog", (self.cards_fp,))
        for badge in self.catalog.badges:
            base = f"badges/{badge.slug}/"
            achievement = ob.achievement(badge, self.cfg)
            earned = [a for a in by_badge.get(badge.slug, []) if a.state != "revoked"]
            named = sorted((a for a in earned if a.earner_name),
                           key=lambda a: (a.valid_from, a.earner_name.casefold()))
            neighbours = tuple(self.card[s] for s in (*badge.requires, *badge.leads_to))
            self.page(base + "index.html", "badge.html", badge.source,
                      (self.badge_fp[badge.slug], neighbours,
                       tuple((a.uuid, a.earner_name, a.valid_from) for a in named),
                       len(earned)),
                      badge=badge, achievement=achievement, named_earners=named,
                      earner_count=len(earned))
            self.add(base + "achievement.json", badge.source,
                     (self.badge_fp[badge.slug], self.cfg), lambda a=achievement: json_bytes(a))
            if badge.image_path:
                self.add(base + badge.image, badge.source, (self.image_fp[badge.slug],),
                         lambda b=badge: read_regular(b.image_path))
        self.page("skills/index.html", "skills.html", "skills",
                  (self.catalog.skills, self.cards_fp))
        self.page("verify/index.html", "verify.html", "verify", ())
        for p in self.catalog.pages:
            self.page(p.url + "index.html", "page.html", p.source, (p,), page=p)

    def credentials(self, awards: tuple[Award, ...] | list[Award]) -> None:
        """A page, the signed JSON and the baked image per credential."""
        by_uuid = {a.uuid: a for a in awards}
        for award in awards:
            badge = self.catalog.badge(award.badge_slug)
            base = award.url
            baked = baked_name(badge)
            linked = tuple(self.award_fp(by_uuid[u]) for u in (award.renews, award.renewed_by)
                           if u in by_uuid)
            self.page(base + "index.html", "credential.html", award.source,
                      (self.award_fp(award), self.badge_fp[badge.slug], linked, baked),
                      award=award, badge=badge, baked=baked, by_uuid=by_uuid,
                      linkedin_url=Lazy(linkedin_url, award, badge.name, self.cfg))
            self.data(base + "credential.json", award.source, award.raw,
                      self.award_fp(award)[1])
            if baked:
                self.add(base + baked, award.source,
                         (self.award_fp(award), self.image_fp[badge.slug]),
                         lambda b=badge, a=award: baked_image(b, a, self.images[b.slug])[1])

    def records(self, awards: tuple[Award, ...] | list[Award], identity: dict[str, Any],
                records: dict[str, bytes], log_entries: list[dict]) -> None:
        """The issuer's documents, the signed status lists and log as signed, /log/."""
        for path, doc in identity.items():
            self.data(path, KEYS_PATH.as_posix(), json_bytes(doc))
        for path, value in records.items():
            self.data(path, (SRC_DIR / path).as_posix(), value)
        if self.has_log:
            by_id = {a.doc["id"]: a for a in awards}
            index = json.loads(records["log/index.json"])
            heads = {i["name"]: json.loads(records["log/" + i["head"]]) for i in index["logs"]}
            keys = {k.public_key_multibase: k.label for k in load_key_history(self.cfg.root)}
            self.page("log/index.html", "log.html", "log",
                      (tuple(records[f"log/{i['head']}"] for i in index["logs"]),
                       tuple(sorted(by_id)), tuple(sorted(keys.items()))),
                      entries=list(reversed(log_entries)), by_id=by_id, logs=index["logs"],
                      heads=heads, key_labels=keys)

    def site_files(self) -> None:
        """404, robots.txt and the sitemap of everything planned before it."""
        self.page("404.html", "404.html", "404", ())
        cfg = self.cfg
        robots = f"User-agent: *\nAllow: /\nSitemap: {cfg.abs_url('sitemap.xml')}\n".encode()
        self.data("robots.txt", "robots", robots)
        listed = tuple(sorted(self.jobs))
        self.add("sitemap.xml", "sitemap", (cfg.base_url, hash(listed)),
                 lambda: sitemap(cfg.abs_url, listed))


def plan_site(catalog: Catalog, awards: list[Award] | tuple[Award, ...] = (),
              identity: dict[str, Any] | None = None, *,
              records: dict[str, bytes] | None = None, log_entries: list[dict] = (),
              renderer: Renderer | None = None, memo: dict | None = None) -> dict[str, Job]:
    """Every output file of the site as a job, keyed by its path below the output folder.

    ``identity`` holds the issuer documents ({site path: JSON}); ``awards`` the verified
    credentials; ``records`` the signed status lists and log, published as they are."""
    r = renderer or Renderer(catalog)
    plan = Plan(catalog, r, bool(records and "log/index.json" in records), memo)
    for path, value in r.assets.output().items():
        plan.data(path, "theme/assets", value)
    plan.badges(awards)
    plan.credentials(awards)
    plan.records(awards, identity or {}, records or {}, list(log_entries))
    plan.site_files()
    return plan.jobs


def render_site(catalog: Catalog, awards: list[Award] | tuple[Award, ...] = (),
                identity: dict[str, Any] | None = None, *,
                records: dict[str, bytes] | None = None,
                log_entries: list[dict] = ()) -> Output:
    """Every output file of the site, rendered: {path below the output folder: bytes}."""
    jobs = plan_site(catalog, awards, identity, records=records, log_entries=log_entries)
    return {path: job.make() for path, job in jobs.items()}
