"""Planning: every output file of the site as a job that says how to make its bytes and
which inputs they depend on, keyed by its path below the output folder.

A plan is cheap to make (nothing is rendered); the pipeline renders the jobs, and a dev
server's cache skips those whose inputs did not change. Two sources writing one path is an
error naming both (Eleventy)."""

from __future__ import annotations

import hashlib
import json
import operator
import pickle
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

from markupsafe import Markup

from ..content.figures import Tally, compute_figures, tally, updated
from ..content.model import Award, Badge, Catalog, Earner, changed_positions
from ..content.people import load_program_figures
from ..core.errors import BuildError, Problem
from ..core.files import read_regular
from ..core.paths import INSIGHTS_PATH, KEYS_PATH, SRC_DIR
from ..trust import ob
from ..trust.keys import load_key_history
from . import cards, render
from .diagrams import bar_chart, pathway_graph
from .earner_pages import plan_earners
from .layers import Layered, SegmentIndex
from .render import (
    Lazy,
    Output,
    Renderer,
    baked_image,
    baked_name,
    json_bytes,
    linkedin_url,
    sitemap_chunks,
    sitemap_index,
    sitemap_urlset,
)
from .sharing import embed_snippet

# Pages that list credentials or log entries are bounded, so none grows with the program:
# a badge page names its most recent named earners, /log/ its newest entries.
NAMED_EARNERS_SHOWN = 50
LOG_PAGE_SIZE = 100
# Pages whose template says <meta name="robots" content="noindex">: a sitemap listing them
# would contradict them (search consoles flag it), so it leaves them out. Credential pages
# are for their earner to share, not for search engines; older log pages are records that
# /log/ and the signed raw logs already give.
NOINDEX_PREFIXES = ("credentials/", "log/page/", "earners/")
BADGE_FEED_ENTRIES = 50  # the newest badges in /feeds/badges.atom
SKILL_SECTIONS = "_skill_sections.html"  # a part of /skills/: see Plan.skill_sections
PROGRESSION = "_progression.html"  # a part of /insights/: see Plan.progression


def restated_values(values: dict[str, Any], before: Sequence[Award], after: Sequence[Award]
                    ) -> dict[str, Any]:
    """The values ``Plan.per_awards`` computed from ``before`` that ``after`` keeps or that
    can be patched: when ``after`` is ``before`` with a few credentials restated (a new
    object in the same place, with the same uuid, id and badge: a revocation or a renewal
    changed its state), the lookups and groupings get the new objects in place of the old
    and the counts of unrevoked credentials follow. Anything else is computed again."""
    changed = changed_positions(before, after)
    if changed is None or len(changed) > 1000 or any(
            (before[i].uuid, before[i].id, before[i].badge_slug)
            != (after[i].uuid, after[i].id, after[i].badge_slug) for i in changed):
        return {}
    out: dict[str, Any] = {}
    for name in ("by_uuid", "by_id"):
        old = values.get(name)
        if old is not None and len(old) == len(after):  # no key held by two credentials
            out[name] = {**old, **{getattr(after[i], name[3:]): after[i] for i in changed}}
    if "ids" in values:
        out["ids"] = values["ids"]
    if "groups" in values:
        instead = {id(before[i]): after[i] for i in changed}
        out["groups"] = dict(values["groups"])
        for slug in {after[i].badge_slug for i in changed}:
            out["groups"][slug] = [instead.get(id(a), a) for a in out["groups"][slug]]
    if "earned" in values:
        earned = out["earned"] = Counter(values["earned"])
        for i in changed:
            earned[after[i].badge_slug] += ((after[i].state != "revoked")
                                            - (before[i].state != "revoked"))
    return out


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


class Jobs(Layered[Job]):
    """Every job of a build by output path. In a dev server, the jobs of each badge's
    credentials and of the /log/ pages form ``segments`` that are kept whole between builds
    while their inputs stay the same, so that the page cache takes their last bytes in one
    step instead of comparing 300,000 jobs one by one (layers.py); ``loose`` holds all other
    jobs (every job, in a one-off build)."""

    __slots__ = ()


class Plan:
    """The jobs of one build. Big inputs get cheap stand-ins, computed once per build
    (10,000 credential pages share them); ``memo`` keeps per-credential ones across builds
    of a dev server."""

    def __init__(self, catalog: Catalog, renderer: Renderer, has_log: bool,
                 memo: dict | None = None):
        self.catalog, self.r, self.has_log = catalog, renderer, has_log
        self.cfg = catalog.config
        self.jobs = Jobs()
        self.into: dict[str, Job] | None = None  # the segment being planned (``segment``)
        self.listed: list[str] = []  # the pages the sitemap lists, in the order planned
        # only a dev server's page cache compares job inputs: a one-off build (no memo)
        # gives credential files none (three jobs per credential, 100,000 credentials)
        self.fingerprints = memo is not None
        self.memo = {} if memo is None else memo
        self.fps: dict[str, tuple[Award, tuple]] = self.memo.setdefault("award_fp", {})
        nav = tuple((p.slug, p.title) for p in catalog.pages)
        self.common = (self.cfg, renderer.assets.prefix, nav, has_log)
        self.badge_fp = self._badge_fps(catalog.badges)
        # what cards and mini-lists show of a badge: other pages depend on just that
        self.card = {b.slug: (b.slug, b.name, b.summary, b.level, b.type, b.skills,
                              b.image_url, b.status) for b in catalog.badges}
        self.cards_fp = hash(tuple(self.card.values()))
        # the cards of the badges each one leads to ("What's next"), once per badge
        self.leads = {b.slug: tuple(self.card[s] for s in b.leads_to) for b in catalog.badges}
        # each badge image read once: 100,000 baked copies are made from these bytes
        self.images, self.image_fp = self._images(catalog.badges)
        self.earner_of: dict[str, Earner] = {}  # uuid -> the opted-in earner holding it
        self.held: dict[str, tuple[str, ...]] = {}  # earner slug -> badges held (unrevoked)

    def _badge_fps(self, badges: tuple[Badge, ...]) -> dict[str, bytes]:
        """A digest of everything each badge says; a dev server keeps each while the
        source cache gives the very same Badge (an unchanged file)."""
        last = self.memo.get("badge-fps", {})
        kept = {}
        for b in badges:
            hit = last.get(b.slug)
            if hit is None or hit[0] is not b:
                hit = (b, hashlib.sha256(pickle.dumps(b, protocol=5)).digest())
            kept[b.slug] = hit
        if self.fingerprints:
            self.memo["badge-fps"] = kept
        return {slug: hit[1] for slug, hit in kept.items()}

    def _images(self, badges: tuple[Badge, ...]) -> tuple[dict[str, bytes], dict[str, bytes]]:
        """({slug: image bytes}, {slug: their SHA-256}). A dev server reads an image again
        only for a Badge object it has not seen: its source cache makes a new one whenever
        the badge file, the config or one of its image files changed."""
        last = self.memo.get("images", {})
        kept = {}
        for b in badges:
            if b.image_path:
                hit = last.get(b.slug)
                if hit is None or hit[0] is not b:
                    data = read_regular(b.image_path)
                    hit = (b, data, hashlib.sha256(data).digest())
                kept[b.slug] = hit
        if self.fingerprints:
            self.memo["images"] = kept
        return ({slug: hit[1] for slug, hit in kept.items()},
                {slug: hit[2] for slug, hit in kept.items()})

    def _badge_parts(self, badge: Badge) -> tuple[dict, tuple, Callable[[], bytes]]:
        """(its Achievement, the inputs and make of its social card); a dev server keeps
        them for the same Badge object, config and image."""
        parts = self.memo.setdefault("badge-parts", {}) if self.fingerprints else {}
        key = (self.cfg, self.image_fp.get(badge.slug))
        hit = parts.get(badge.slug)
        if hit is None or hit[0] is not badge or hit[1] != key:
            hit = parts[badge.slug] = (badge, key, ob.achievement(badge, self.cfg), *cards.card_job(
                badge, self.images.get(badge.slug), self.cfg.issuer.name, self.cfg.root))
        return hit[2], hit[3], hit[4]

    def people(self, earners: tuple[Earner, ...], awards: tuple[Award, ...] | list[Award]
               ) -> None:
        """Who opted in, and which badges each holds: the only earner links pages show."""
        state = self.by_uuid(awards)
        for e in earners:
            held = set()
            for uuid in e.credentials:
                if uuid in state:
                    self.earner_of[uuid] = e
                    if state[uuid].state != "revoked":
                        held.add(state[uuid].badge_slug)
            self.held[e.slug] = tuple(sorted(held))

    def award_fp(self, a: Award) -> tuple:
        """What pages show of a credential's record. Kept by uuid with the very award it
        was taken from (held, so that its id is never another's), across the dev server's
        builds: after a revocation, only the restated credential's is taken again."""
        kept = self.fps.get(a.uuid)
        if kept is None or kept[0] is not a:
            kept = self.fps[a.uuid] = (a, (a.uuid, bytes.fromhex(a.digest), a.state,
                                           a.revoked_on, a.revoked_reason, a.renews,
                                           a.renewed_by, a.badge_slug))
        return kept[1]

    def per_awards(self, awards: tuple[Award, ...] | list[Award], name: str,
                   make: Callable[[], Any]) -> Any:
        """A value computed from the credentials alone. A dev server keeps it while they
        are the very same list (the credentials stage's result is reused until a record
        changes), so a badge edit does not walk 100,000 credentials again."""
        kept = self.memo.get("awards")
        if kept is None or kept[0] is not awards:
            derived = {} if kept is None else restated_values(kept[1], kept[0], awards)
            kept = self.memo["awards"] = (awards, derived)
        if name not in kept[1]:
            kept[1][name] = make()
        return kept[1][name]

    def skill_sections(self) -> Markup:
        """``{{ skill_sections() }}`` in skills.html: the badges of each skill as /skills/
        shows them (``_skill_sections.html``), kept by a dev server while the catalog's
        skills and cards are the same."""
        key = (self.r.template_digest(SKILL_SECTIONS), self.common, self.catalog.skills,
               self.cards_fp)
        kept = self.memo.get("skill-sections")
        if kept is None or kept[0] != key:
            html = self.r.page(SKILL_SECTIONS, "skills/index.html").decode("utf-8")
            kept = self.memo["skill-sections"] = (key, Markup(html))
        return kept[1]

    def progression(self, program: Any) -> Markup:
        """``{{ progression(program) }}`` in insights.html: the pathway progression table
        (``_progression.html``, up to one row per prerequisite), kept by a dev server
        while the signed program figures and the catalog's cards are the same: a
        revocation changes the counts around it, not it."""
        key = (self.r.template_digest(PROGRESSION), self.common, program, self.cards_fp)
        kept = self.memo.get("progression")
        if kept is None or kept[0] != key:
            html = self.r.page(PROGRESSION, "insights/index.html",
                               program=program).decode("utf-8")
            kept = self.memo["progression"] = (key, Markup(html))
        return kept[1]

    def tally(self, awards: tuple[Award, ...] | list[Award]) -> Tally:
        """The counts of the credentials; a dev server updates the last build's for the
        few a revocation or renewal restated (figures.updated)."""
        last = self.memo.get("tally")
        counts = None
        if last is not None:
            counts = last[1] if last[0] is awards else updated(last[1], last[0], awards)
        if counts is None:
            counts = tally(awards)
        self.memo["tally"] = (awards, counts)
        return counts

    def by_uuid(self, awards: tuple[Award, ...] | list[Award]) -> dict[str, Award]:
        return self.per_awards(awards, "by_uuid", lambda: {a.uuid: a for a in awards})

    def groups(self, awards: tuple[Award, ...] | list[Award]) -> dict[str, list[Award]]:
        """Each badge's credentials, in the order of ``awards``."""
        def group() -> dict[str, list[Award]]:
            out: dict[str, list[Award]] = {}
            for a in awards:
                out.setdefault(a.badge_slug, []).append(a)
            return out
        return self.per_awards(awards, "groups", group)

    def opted(self, awards: tuple[Award, ...] | list[Award]) -> dict[str, list[Award]]:
        """Each badge's unrevoked credentials held by opted-in earners (from ``people``):
        a walk over the opted-in earners' credentials, not over all of them."""
        by_uuid = self.by_uuid(awards)
        out: dict[str, list[Award]] = {}
        for uuid in self.earner_of:
            a = by_uuid[uuid]
            if a.state != "revoked":
                out.setdefault(a.badge_slug, []).append(a)
        return out

    def add(self, path: str, source: str, inputs: tuple, make: Callable[[], bytes]) -> None:
        self.put(path, Job(source, inputs, make))

    def _last_job(self, path: str) -> Job:
        return (self.jobs.loose if self.into is None else self.into)[path]

    def put(self, path: str, job: Job) -> None:
        """Add a job (a new one, or one kept from the last build with equal inputs)."""
        into = self.jobs.loose if self.into is None else self.into
        if path in into:
            raise BuildError([Problem(job.source, f"two sources write '{path}'",
                                      hint="rename one of them")])
        into[path] = job
        if self.into is None and listed_in_sitemap(path):
            self.listed.append(path)

    def segment(self, store: dict, name: Any, key: tuple, plan: Callable[[], None]) -> None:
        """The jobs ``plan`` adds, planned again only when ``key`` changed since the last
        build (``store`` is a dev server's memo); the same dict of jobs otherwise."""
        hit = store.get(name)
        if hit is None or hit[0] != key:
            self.into = {}
            try:
                plan()
                jobs = self.into
            finally:
                self.into = None
            hit = store[name] = (key, jobs, [p for p in jobs if listed_in_sitemap(p)])
        self.jobs.segments[name] = hit[1]
        self.listed += hit[2]

    def index_segments(self) -> None:
        """Say which segment holds each path (``Jobs.owner``), from the last build's index
        and the segments that changed; two sources writing one path is an error here."""
        if not self.jobs.segments:
            return
        index = self.memo.pop("segments", None) or SegmentIndex()
        clash = index.update(self.jobs.segments, self.jobs.loose)
        if clash is not None:
            path, _, job = clash
            raise BuildError([Problem(job.source, f"two sources write '{path}'",
                                      hint="rename one of them")])
        self.memo["segments"] = index
        self.jobs.owner = index.owner

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
        """The catalog, a page + achievement.json + image + social card per badge, skills,
        verify.

        A badge page names the ``NAMED_EARNERS_SHOWN`` most recent earners who opted in to
        an earner page (linking to it) and counts the credentials (below 5: "fewer than
        5"): an earner who did not opt in is named only on their own credential page. Its
        inputs are just what it shows, so a new credential of another badge, or an old one
        beyond the list, does not re-render it."""
        earned_counts = self.per_awards(awards, "earned", lambda: Counter(
            a.badge_slug for a in awards if a.state != "revoked"))
        opted_awards = self.opted(awards)
        self.page("index.html", "catalog.html", "catalog", (self.cards_fp,))
        for badge in self.catalog.badges:
            base = f"badges/{badge.slug}/"
            achievement, card_inputs, card_make = self._badge_parts(badge)
            earned = earned_counts[badge.slug]
            opted: dict[str, tuple[Earner, Award]] = {}  # one line per earner, newest
            for a in sorted(opted_awards.get(badge.slug, ()),
                            key=lambda a: (a.valid_from, a.uuid)):
                opted[self.earner_of[a.uuid].slug] = (self.earner_of[a.uuid], a)
            shown = sorted(opted.values(), key=lambda p: (p[1].valid_from, p[0].slug),
                           reverse=True)[:NAMED_EARNERS_SHOWN]
            neighbours = tuple(self.card[s] for s in (*badge.requires, *badge.leads_to))
            self.page(base + "index.html", "badge.html", badge.source,
                      (self.badge_fp[badge.slug], neighbours,
                       tuple((e.slug, e.name, a.valid_from) for e, a in shown),
                       len(opted), earned if earned >= 5 else min(earned, 1)),
                      badge=badge, achievement=achievement, opted_earners=shown,
                      opted_count=len(opted), earner_count=earned)
            self.add(base + "achievement.json", badge.source,
                     (self.badge_fp[badge.slug], self.cfg), lambda a=achievement: json_bytes(a))
            if badge.image_path:
                self.add(base + badge.image, badge.source, (self.image_fp[badge.slug],),
                         lambda b=badge: read_regular(b.image_path))
            self.add(base + cards.CARD_NAME, badge.source, card_inputs, card_make)
        self.page("verify/index.html", "verify.html", "verify", ())
        for p in self.catalog.pages:
            self.page(p.url + "index.html", "page.html", p.source, (p,), page=p)

    def program(self, awards: tuple[Award, ...] | list[Award]) -> None:
        """/skills/ with its heat map, /insights/, /pathways/ and the feed of new badges,
        from one pass over the awards (content/figures.py). Each page's inputs are the
        figures it shows: a new credential re-renders /skills/ only when a published cell
        changes, and /pathways/ only when a badge's name, level or prerequisites do.

        A badge's date in the feed is when it was first awarded (the earliest validFrom of
        its credentials): badge files carry no date, and the file's time in git or on disk
        is not part of what the build reads. A badge enters the feed with its first
        credential."""
        catalog = self.catalog
        shape = (catalog.levels, catalog.skills,
                 tuple((b.slug, b.level) for b in catalog.badges))
        kept = self.per_awards(awards, "figures", dict)  # what they were computed for
        if kept.get("shape") != shape:
            kept.update(shape=shape, figures=compute_figures(catalog, awards,
                                                             self.tally(awards)))
        figures = kept["figures"]
        self.page("skills/index.html", "skills.html", "skills",
                  (self.catalog.skills, self.cards_fp, figures.levels, figures.heat,
                   self.r.template_digest(SKILL_SECTIONS)),
                  figures=figures, skill_sections=self.skill_sections)
        program = load_program_figures(self.cfg.root)
        self.page("insights/index.html", "insights.html", "insights",
                  (self.cards_fp, figures.months, figures.badges, figures.issued,
                   figures.revoked, program, self.r.template_digest(PROGRESSION)),
                  figures=figures, chart=bar_chart(figures.months), program=program,
                  program_source=INSIGHTS_PATH.as_posix(), progression=self.progression)
        r, has_log = self.r, self.has_log
        shape = tuple((b.slug, b.name, b.level, b.requires) for b in catalog.badges)
        self.add("pathways/index.html", "pathways",
                 (r.template_digest("pathways.html"), self.common, shape, self.cards_fp),
                 lambda: r.page("pathways.html", "pathways/index.html", has_log=has_log,
                                graph=pathway_graph(catalog)))
        newest = figures.first_awarded[:BADGE_FEED_ENTRIES]
        self.page("feeds/badges.atom", "badges.atom", "feeds",
                  (newest, tuple(self.card[s] for s, _ in newest)), entries=newest)

    def credentials(self, awards: tuple[Award, ...] | list[Award]) -> None:
        """A page, the signed JSON and the baked image per credential. In a dev server the
        jobs of each badge's credentials are kept (``memo``) and made again only when that
        badge, one of its credentials (or one they link to) or what every page shares
        changed: an edit of one badge or a revocation does not re-plan 100,000 pages."""
        by_uuid = self.by_uuid(awards)
        groups = self.groups(awards)
        if not self.fingerprints:
            for group in groups.values():
                self._credential_jobs(group, by_uuid)
            return
        kept: dict[str, tuple] = self.memo.setdefault("credentials", {})
        shared = (self.common, self.r.template_digest("credential.html"))

        last_fps: dict[str, tuple] = self.memo.setdefault("group_fps", {})

        def fps() -> dict[str, tuple]:
            """What each group's pages show of its credentials, and the uuids they link
            to; a group of the very same awards as in the last build keeps its own."""
            out = {}
            for slug, group in groups.items():
                kept = last_fps.get(slug)
                if kept is not None and kept[3] is group:  # the very list: never changed
                    out[slug] = kept
                    continue
                if kept is None or len(kept[0]) != len(group) or not all(
                        map(operator.is_, kept[0], group)):
                    kept = (list(group), tuple(self.award_fp(a) for a in group),
                            tuple(u for a in group for u in (a.renews, a.renewed_by) if u))
                out[slug] = (*kept[:3], group)
            last_fps.clear()
            last_fps.update(out)
            return out
        parts = {slug: (own, tuple(self.award_fp(by_uuid[u]) for u in linked
                                   if u in by_uuid))
                 for slug, (_, own, linked, _) in self.per_awards(awards, "group_fps",
                                                                 fps).items()}
        opted = self.opted_tokens(by_uuid)
        for slug, group in groups.items():
            key = (self.badge_fp[slug], self.image_fp.get(slug), shared, *parts[slug],
                   self.leads[slug], opted.get(slug, ()))
            self.segment(kept, ("credentials", slug), key,
                         lambda group=group: self._credential_jobs(group, by_uuid))

    def _credential_jobs(self, awards: list[Award], by_uuid: dict[str, Award]) -> None:
        page_template = (self.r.template_digest("credential.html"), self.common)
        for award in awards:
            badge = self.catalog.badge(award.badge_slug)
            base = award.url
            baked = baked_name(badge)
            earner = self.earner_of.get(award.uuid)
            held = self.held.get(earner.slug, ()) if earner else ()
            files = CredentialFiles(self, award, badge, baked, earner, held, by_uuid)
            page = json_in = baked_in = ()
            if self.fingerprints:
                fp = self.award_fp(award)
                linked = tuple(self.award_fp(by_uuid[u]) for u in (award.renews,
                               award.renewed_by) if u in by_uuid)
                page = (*page_template, fp, self.badge_fp[badge.slug], linked, baked,
                        self.leads[badge.slug],
                        (earner.slug, earner.name, held) if earner else None)
                json_in, baked_in = (fp[1],), (fp, self.image_fp.get(badge.slug))
            self.add(base + "index.html", award.source, page, files.page)
            self.add(base + "credential.json", award.source, json_in, files.signed)
            if baked:
                self.add(base + baked, award.source, baked_in, files.baked)

    def opted_tokens(self, by_uuid: dict[str, Award]) -> dict[str, tuple]:
        """What a badge's credential pages show of opted-in earners ("What's next" says
        which of the badges it leads to they hold), by badge."""
        out: dict[str, list] = {}
        for uuid, e in self.earner_of.items():
            out.setdefault(by_uuid[uuid].badge_slug, []).append(
                (uuid, e.slug, e.name, self.held.get(e.slug, ())))
        return {slug: tuple(sorted(v)) for slug, v in out.items()}

    def records(self, awards: tuple[Award, ...] | list[Award], identity: dict[str, Any],
                records: dict[str, bytes], log_entries: Sequence[LogLine]) -> None:
        """The issuer's documents, the signed status lists and log as signed, /log/."""
        for path, doc in identity.items():
            self.data(path, KEYS_PATH.as_posix(), json_bytes(doc))
        digests = getattr(records, "digests", {})  # pipeline.Records: hashed as it grew
        for path, value in records.items():
            self.data(path, (SRC_DIR / path).as_posix(), value, digests.get(path))
        if self.has_log:
            self.log_pages(awards, records, log_entries)

    def log_pages(self, awards: tuple[Award, ...] | list[Award], records: dict[str, bytes],
                  log_entries: Sequence[LogLine]) -> None:
        """/log/ and its older pages, newest entries first, each page bounded.

        Pages hold fixed blocks of ``LOG_PAGE_SIZE`` entries counted from the oldest entry;
        /log/ shows the newest block that is not full together with the last full one (so
        between ``LOG_PAGE_SIZE`` and twice that, once there are that many). An older page
        then changes only when a new block starts (its number and the page count move), not
        with every entry: a dev server re-renders /log/ alone for most new entries.
        The raw signed logs stay published as they are; every page links to them."""
        by_id = self.per_awards(awards, "by_id", lambda: {a.id: a for a in awards})
        keys = {k.public_key_multibase: k.label for k in load_key_history(self.cfg.root)}
        ids = self.per_awards(awards, "ids", lambda: frozenset(by_id))
        key = (self.r.template_digest("log.html"), self.common, records, log_entries,
               tuple(sorted(keys.items())), ids)
        if not self.fingerprints:
            self._log_pages(records, log_entries, by_id, keys)
            return
        # pages whose block, place and context are the last build's keep their job (after a
        # revocation, /log/ alone has a new entry), and the segment is the last one's
        # whole after a badge edit
        kept = self.memo.setdefault("log-pages", {})
        if kept.get("context") != (key[0], self.common, ids):
            kept.clear()
            kept["context"] = (key[0], self.common, ids)
        self.segment(self.memo.setdefault("log", {}), ("log",), key,
                     lambda: self._log_pages(records, log_entries, by_id, keys, kept))

    def _log_pages(self, records: dict[str, bytes], log_entries: Sequence[LogLine],
                   by_id: dict[str, Award], keys: dict[str, str], kept: dict | None = None
                   ) -> None:
        index = json.loads(records["log/index.json"])
        heads = {i["name"]: json.loads(records["log/" + i["head"]]) for i in index["logs"]}
        key_token = tuple(sorted(keys.items()))
        blocks = log_blocks(len(log_entries), LOG_PAGE_SIZE)
        total = len(log_entries)
        for number, (start, stop) in enumerate(blocks, 1):
            block = tuple(reversed(log_entries[start:stop]))  # its lines: the job's input
            path = "log/index.html" if number == 1 else f"log/page/{number}/index.html"
            page = LogPage(number, len(blocks), start + 1, stop, total if number == 1 else None)
            front = (tuple(records[f"log/{i['head']}"] for i in index["logs"]),
                     records["log/index.json"]) if number == 1 else ()
            last = kept.get(path) if kept is not None else None
            if last is not None and last[0] == (page, front, key_token) and last[1] == block:
                self.put(path, last[2])
                continue
            subjects = {line.subject for line in block}
            links = tuple(sorted((i, by_id[i].url) for i in subjects if i in by_id))
            self.page(path, "log.html", "log", (page, front, block, links, key_token),
                      entries=LogBlock(block), by_id=by_id, logs=index["logs"], heads=heads,
                      key_labels=keys, log_page=page)
            if kept is not None:
                kept[path] = ((page, front, key_token), block, self._last_job(path))

    def site_files(self) -> None:
        """404, robots.txt and the sitemap of the pages planned before it.

        The sitemap lists the pages meant to be found: catalog, badges, skills, content
        pages, verify, /log/; not the pages that say noindex (``NOINDEX_PREFIXES``). One
        ``sitemap.xml`` urlset while the pages fit one file (the usual case, and the simplest
        for any tool); beyond the protocol's limits, ``sitemap.xml`` becomes a sitemap index
        of ``sitemap-1.xml`` … at the site root (a sitemap may only list URLs at or below
        its own folder). robots.txt names ``sitemap.xml`` either way."""
        self.page("404.html", "404.html", "404", ())
        cfg = self.cfg
        robots = f"User-agent: *\nAllow: /\nSitemap: {cfg.abs_url('sitemap.xml')}\n".encode()
        self.data("robots.txt", "robots", robots)
        chunks = sitemap_chunks([cfg.abs_url(p.removesuffix("index.html"))
                                 for p in self.listed],
                                render.SITEMAP_MAX_URLS, render.SITEMAP_MAX_BYTES)
        if len(chunks) == 1:
            self.add("sitemap.xml", "sitemap", ("urlset", chunks[0]),
                     lambda c=chunks[0]: sitemap_urlset(c))
            return
        parts = tuple(cfg.abs_url(f"sitemap-{n}.xml") for n in range(1, len(chunks) + 1))
        self.add("sitemap.xml", "sitemap", ("index", parts), lambda: sitemap_index(parts))
        for n, chunk in enumerate(chunks, 1):
            self.add(f"sitemap-{n}.xml", "sitemap", ("urlset", chunk),
                     lambda c=chunk: sitemap_urlset(c))


class LogPage(NamedTuple):
    """Where a log page sits: its number, the page count, and which entries it shows
    (1-based positions in time order). ``total`` only on /log/: on older pages it would
    change their bytes with every new entry."""

    number: int
    count: int
    first: int
    last: int
    total: int | None

    def url(self, number: int) -> str:
        """Site path of page ``number`` (1 is /log/)."""
        return "log/" if number == 1 else f"log/page/{number}/"


def log_blocks(count: int, size: int = LOG_PAGE_SIZE) -> list[tuple[int, int]]:
    """(start, stop) of the time-ordered entries each log page shows, /log/ first: fixed
    blocks of ``size`` from the oldest, the newest full block merged into /log/ with the
    entries after it. ``[(0, count)]`` while there are fewer than twice ``size``."""
    full = count // size
    if full < 2:
        return [(0, count)]
    return [((full - 1) * size, count)] + [(j * size, (j + 1) * size)
                                          for j in range(full - 2, -1, -1)]


class CredentialFiles:
    """How to make the three files of one credential (page, signed JSON, baked image): one
    small object instead of a closure and a dict of page context per file, which for
    100,000 credentials took 200 MB that every worker process then copied in part."""

    __slots__ = ("r", "has_log", "cfg", "images", "award", "badge", "image_name", "earner",
                 "held", "by_uuid")

    def __init__(self, plan: Plan, award: Award, badge: Badge, baked: str | None,
                 earner: Earner | None, held: tuple[str, ...], by_uuid: dict[str, Award]):
        # not the Plan itself: a dev server keeps these jobs across builds, and a Plan
        # holds every job of its build (each build's would then keep the one before)
        self.r, self.has_log, self.cfg, self.images = plan.r, plan.has_log, plan.cfg, \
            plan.images
        self.award, self.badge, self.image_name = award, badge, baked
        self.earner, self.held, self.by_uuid = earner, held, by_uuid

    def page(self) -> bytes:
        award, badge = self.award, self.badge
        return self.r.page(
            "credential.html", award.url + "index.html", has_log=self.has_log, award=award,
            badge=badge, baked=self.image_name, by_uuid=self.by_uuid,
            linkedin_url=Lazy(linkedin_url, award, badge.name, self.cfg),
            opted_earner=self.earner, held=self.held,
            embed_code=Lazy(embed_snippet, award, badge, self.cfg))

    def signed(self) -> bytes:
        return self.award.raw

    def baked(self) -> bytes:
        made = baked_image(self.badge, self.award, self.images[self.badge.slug])
        assert made is not None  # planned only for a badge with an image
        return made[1]


class LogLine(NamedTuple):
    """One committed log entry as its signed line, with the log it is from and its subject:
    what /log/ pages need of it. The lines of 100,000 entries take a third of the memory
    of the parsed entries, which every worker process would otherwise copy in part."""

    log: str
    subject: str
    text: str


class LogBlock:
    """The entries of one /log/ page, parsed from their lines when the page is made."""

    def __init__(self, lines: tuple[LogLine, ...]):
        self.lines = lines

    def __len__(self) -> int:
        return len(self.lines)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        # each line is one JSON value (the log was read line by line): one parse for all
        entries = json.loads(f"[{','.join(line.text for line in self.lines)}]")
        for line, entry in zip(self.lines, entries, strict=True):
            entry["log"] = line.log
            yield entry


def listed_in_sitemap(path: str) -> bool:
    """Whether the output file at ``path`` is a page the sitemap lists."""
    return (path.endswith("index.html") and not path.startswith("assets/")
            and not path.startswith(NOINDEX_PREFIXES))


def plan_site(catalog: Catalog, awards: list[Award] | tuple[Award, ...] = (),
              identity: dict[str, Any] | None = None, *,
              records: dict[str, bytes] | None = None, log_entries: Sequence[LogLine] = (),
              renderer: Renderer | None = None, memo: dict | None = None,
              earners: tuple[Earner, ...] = ()) -> Jobs:
    """Every output file of the site as a job, keyed by its path below the output folder.

    ``identity`` holds the issuer documents ({site path: JSON}); ``awards`` the verified
    credentials; ``records`` the signed status lists and log, published as they are."""
    r = renderer or Renderer(catalog)
    plan = Plan(catalog, r, bool(records and "log/index.json" in records), memo)
    for path, value in r.assets.output().items():
        plan.data(path, "theme/assets", value)
    plan.people(earners, awards)
    plan.badges(awards)
    plan.program(awards)
    plan.credentials(awards)
    plan_earners(plan, earners, awards)
    plan.records(awards, identity or {}, records or {}, log_entries)
    plan.site_files()
    plan.index_segments()
    return plan.jobs


def render_site(catalog: Catalog, awards: list[Award] | tuple[Award, ...] = (),
                identity: dict[str, Any] | None = None, *,
                records: dict[str, bytes] | None = None,
                log_entries: Sequence[LogLine] = ()) -> Output:
    """Every output file of the site, rendered: {path below the output folder: bytes}."""
    jobs = plan_site(catalog, awards, identity, records=records, log_entries=log_entries)
    return {path: job.make() for path, job in jobs.items()}
