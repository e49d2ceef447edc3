"""Outputs that stay valid at scale (issue #12): the sitemap lists only the pages meant to be
found and splits under a sitemap index past its per-file limit; /log/ and badge pages are
bounded. The demo site is built with the limits lowered, so a small site shows the large
site's shape; pages and XML are parsed, never matched as text."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urljoin, urlsplit
from xml.etree import ElementTree

import badgepress.build.pipeline as pipeline
import badgepress.build.plan as plan
import badgepress.build.render as render
import pytest
from badgepress.build.links import check_links
from badgepress.build.pipeline import BuildResult, build
from bs4 import BeautifulSoup
from conftest import REPO

NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
BASE = "https://badgepress-demo.netlify.app/"
LOG_SIZE, SITEMAP_SIZE, EARNERS = 100, 10, 2


class Small(NamedTuple):
    result: BuildResult
    plan_args: tuple[tuple, dict[str, Any]]  # what the build passed to plan_site

    @property
    def files(self) -> dict[str, bytes]:
        return self.result.files


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Iterator[Small]:
    """The demo site (307 log entries, 127 credentials) built with small limits."""
    calls = []

    def recording(*args: Any, **kwargs: Any):
        calls.append((args, kwargs))
        return plan.plan_site(*args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(plan, "LOG_PAGE_SIZE", LOG_SIZE)
        mp.setattr(plan, "NAMED_EARNERS_SHOWN", EARNERS)
        mp.setattr(render, "SITEMAP_MAX_URLS", SITEMAP_SIZE)
        mp.setattr(pipeline, "plan_site", recording)
        out = tmp_path_factory.mktemp("bounded") / "site"
        # strict: every link between the pages, paginated ones included, must resolve
        result = build(REPO, out, strict=True)
    yield Small(result, calls[-1])  # the limits restored: other tests see the defaults
    shutil.rmtree(out, ignore_errors=True)


@pytest.fixture(scope="module")
def small(built: Small) -> dict[str, bytes]:
    return built.files


def html(files: dict[str, bytes], path: str) -> BeautifulSoup:
    return BeautifulSoup(files[path].decode("utf-8"), "html.parser")


def noindex(page: BeautifulSoup) -> bool:
    meta = page.find("meta", attrs={"name": "robots"})
    return meta is not None and "noindex" in meta["content"]


def page_of(url: str) -> str:
    """Output path of the page at an absolute URL of the site."""
    assert url.startswith(BASE), url
    return url.removeprefix(BASE) + "index.html"


def test_sitemap_splits_under_an_index_and_lists_exactly_the_indexable_pages(
        small: dict[str, bytes]) -> None:
    index = ElementTree.fromstring(small["sitemap.xml"])
    assert index.tag == NS + "sitemapindex"
    parts = [e.text or "" for e in index.iter(NS + "loc")]
    assert len(parts) > 1
    urls: list[str] = []
    for part in parts:
        name = part.removeprefix(BASE)
        assert "/" not in name  # at the root: a sitemap may only list URLs below its folder
        urlset = ElementTree.fromstring(small[name])
        assert urlset.tag == NS + "urlset"
        locs = [e.text or "" for e in urlset.iter(NS + "loc")]
        assert 0 < len(locs) <= SITEMAP_SIZE
        assert not list(urlset.iter(NS + "lastmod"))  # reproducible
        urls += locs
    assert urls == sorted(set(urls))
    assert not [u for u in urls if "/credentials/" in u]
    listed = {page_of(u) for u in urls}
    assert listed <= set(small)  # every URL is a page the site has
    pages = {p for p in small if p.endswith(".html") and p != "404.html"
             and not p.startswith("assets/")}
    indexable = {p for p in pages if not noindex(html(small, p))}
    assert listed == indexable
    assert {"index.html", "log/index.html", "verify/index.html", "skills/index.html",
            "about/index.html"} <= listed
    assert [p for p in pages - listed if p.startswith("credentials/")]  # they exist, unlisted
    robots = small["robots.txt"].decode()
    assert f"Sitemap: {BASE}sitemap.xml" in robots.splitlines()


def test_one_urlset_while_the_pages_fit_one_file(tmp_path: Path) -> None:
    out = build(REPO, tmp_path / "site").files
    root = ElementTree.fromstring(out["sitemap.xml"])
    assert root.tag == NS + "urlset"
    assert not [p for p in out if p.startswith("sitemap-")]
    locs = [e.text or "" for e in root.iter(NS + "loc")]
    assert locs == sorted(locs) and not [u for u in locs if "/credentials/" in u]


def test_sitemap_files_stay_under_the_byte_limit_too() -> None:
    locs = [f"https://example.org/{'x' * 40}{i:03d}/" for i in range(30)]
    one = len(render.sitemap_urlset(tuple(locs[:1])))
    chunks = render.sitemap_chunks(locs, max_urls=1000, max_bytes=one + 200)
    assert len(chunks) > 1 and [u for c in chunks for u in c] == sorted(locs)
    assert all(len(render.sitemap_urlset(c)) <= one + 200 for c in chunks)
    assert render.sitemap_chunks([]) == [()]


def log_rows(page: BeautifulSoup) -> list[tuple[str, str]]:
    """(time, seq) of each entry a log page shows, in page order."""
    return [(tr.find("time")["datetime"], tr.find("td").get_text())
            for tr in page.select("table.log tbody tr")]


def test_log_pages_newest_first_bounded_and_linked(small: dict[str, bytes]) -> None:
    (log,) = [p for p in small if p.startswith("log/") and p.endswith(".jsonl")]
    raw = [line for line in small[log].decode().splitlines() if line.strip()]
    assert len(raw) == 307  # the demo's one log: 107 on /log/, then 100 and 100
    paths = ["log/index.html", "log/page/2/index.html", "log/page/3/index.html"]
    assert sorted(p for p in small if p.startswith("log/") and p.endswith(".html")) == \
        sorted(paths)
    pages = [html(small, p) for p in paths]
    rows = [log_rows(p) for p in pages]
    assert [len(r) for r in rows] == [107, 100, 100]
    every = [r for page in rows for r in page]
    assert [int(seq) for _, seq in every] == list(range(307, 0, -1))  # newest first, no gap
    assert [t for t, _ in every] == sorted((t for t, _ in every), reverse=True)
    for number, (path, page) in enumerate(zip(paths, pages, strict=True), 1):
        assert page.select_one("main h1") and page.select_one("header.site-header nav")
        nav = page.select_one("nav.pagination")
        assert f"Page {number} of 3" in nav.select_one("[aria-current=page]").get_text()
        rel = {a["rel"][0]: a["href"] for a in nav.select("a[rel]")}
        here = BASE + path.removesuffix("index.html")
        if number > 1:
            assert page_of(urljoin(here, rel["prev"])) == paths[number - 2]
            assert noindex(page)  # records, not search results
        else:
            assert "prev" not in rel and not noindex(page)
        if number < 3:
            assert page_of(urljoin(here, rel["next"])) == paths[number]
        else:
            assert "next" not in rel
        raw_links = {urlsplit(urljoin(here, a["href"])).path for a in page.find_all("a")}
        assert "/log/index.json" in raw_links  # the signed raw logs, which have every entry
        for a in page.find_all("a", href=True):  # relative links, like other pages
            assert not a["href"].startswith("/")
    assert f"/{log}" in {urlsplit(urljoin(BASE + "log/", a["href"])).path
                                for a in pages[0].find_all("a")}
    assert "307" in pages[0].select_one(".result-count").get_text()
    assert check_links({p: small[p] for p in small}, {}) == []


def test_log_blocks_keep_older_pages_fixed_until_a_block_fills() -> None:
    """Fixed blocks from the oldest entry: one more entry changes /log/ only (so a dev
    server re-renders one page), except when it starts a new block."""
    assert plan.log_blocks(0, 10) == [(0, 0)]
    assert plan.log_blocks(19, 10) == [(0, 19)]
    assert plan.log_blocks(33, 10) == [(20, 33), (10, 20), (0, 10)]
    for count in range(20, 80):
        blocks = plan.log_blocks(count, 10)
        covered = sorted(i for start, stop in blocks for i in range(start, stop))
        assert covered == list(range(count))
        assert 10 <= blocks[0][1] - blocks[0][0] < 20
        assert all(stop - start == 10 for start, stop in blocks[1:])
        nxt = plan.log_blocks(count + 1, 10)
        if (count + 1) % 10:
            assert nxt[1:] == blocks[1:]


def test_page_jobs_inputs_follow_what_they_show(built: Small,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The dev server's cache reuses a job whose inputs did not change, so they must
    change exactly when its bytes do: a new log entry changes /log/ but not the older
    pages (until a block fills), and the sitemap only when the listed pages do."""
    monkeypatch.setattr(plan, "LOG_PAGE_SIZE", LOG_SIZE)
    monkeypatch.setattr(render, "SITEMAP_MAX_URLS", SITEMAP_SIZE)
    args, kwargs = built.plan_args
    entries = list(kwargs["log_entries"])

    def jobs(n: int, **extra: Any) -> dict[str, plan.Job]:
        return plan.plan_site(*args, **kwargs | {"log_entries": entries[:n], **extra})

    def fp(js: dict[str, plan.Job], path: str) -> int:
        return js[path].fingerprint()

    full, one_less, fewer = jobs(307), jobs(306), jobs(299)
    assert {full[p].make() == built.files[p] for p in full if "log/" in p} == {True}
    assert fp(full, "log/index.html") != fp(one_less, "log/index.html")
    for older in ("log/page/2/index.html", "log/page/3/index.html"):
        assert fp(full, older) == fp(one_less, older)
        assert full[older].make() == one_less[older].make()
    assert "log/page/3/index.html" not in fewer  # 299 entries: /log/ and one older page
    assert fp(full, "log/page/2/index.html") != fp(fewer, "log/page/2/index.html")
    sitemaps = [p for p in full if p.startswith("sitemap")]
    assert all(fp(full, p) == fp(one_less, p) for p in sitemaps)
    catalog = args[0]
    import dataclasses

    moved = dataclasses.replace(catalog, config=dataclasses.replace(
        catalog.config, base_url="https://elsewhere.example/"))
    other = plan.plan_site(moved, *args[1:], **kwargs)
    assert all(fp(full, p) != fp(other, p) for p in sitemaps)
    assert other["sitemap-1.xml"].make() != full["sitemap-1.xml"].make()


def test_badge_page_names_the_most_recent_opted_in_earners_and_counts_the_rest(
        built: Small, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only earners with an earner page are named (linking to it), at most
    NAMED_EARNERS_SHOWN of them; the count of credentials is shown (5 here)."""
    from badgepress.content.model import Earner

    slug = "client-support-council-member"
    page = html(built.files, f"badges/{slug}/index.html")
    earners = page.select_one("#earners")
    mine = [a for a in built.result.awards if a.badge_slug == slug and a.state != "revoked"]
    opted_in = {u: e for e in built.plan_args[1]["earners"] for u in e.credentials}
    # the demo: of this badge's earners two opted in, and only they are named, newest first
    assert [a.get_text(strip=True) for a in earners.select("ul.earners li a")] == [
        "Sofía Herrera", "Mei Lin Tan"]
    assert {a.earner_name for a in mine if a.uuid in opted_in} == {"Sofía Herrera",
                                                                   "Mei Lin Tan"}
    assert not any(a.earner_name in page.get_text() for a in mine
                   if a.earner_name and a.uuid not in opted_in)
    assert "Awarded 5 times" in earners.get_text(" ", strip=True)
    monkeypatch.setattr(plan, "NAMED_EARNERS_SHOWN", EARNERS)
    people = tuple(Earner(f"earner-{n}", f"Earner {n}", (a.uuid,))
                   for n, a in enumerate(mine[:4]))
    args, kwargs = built.plan_args
    jobs = plan.plan_site(*args, **kwargs | {"earners": people})
    opted = BeautifulSoup(jobs[f"badges/{slug}/index.html"].make(), "html.parser")
    named = opted.select("#earners ul.earners li a")
    assert len(named) == EARNERS
    newest = sorted(zip(people, mine[:4], strict=True),
                    key=lambda p: (p[1].valid_from, p[0].slug), reverse=True)[:EARNERS]
    assert [a["href"] for a in named] == [f"../../{e.url}" for e, _ in newest]
    assert f"The {EARNERS} most recent of the earners" in opted.get_text(" ", strip=True)
    assert all(f"earners/{e.slug}/index.html" in jobs for e in people)
