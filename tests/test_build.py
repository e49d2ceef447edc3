"""The built site, parsed: catalog, badge pages, skills, pages, JSON-LD, sitemap, links."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from badgepress.build.pipeline import build
from conftest import soup


def test_catalog_lists_active_badges_with_card_details(built_basic: Path) -> None:
    page = soup(built_basic / "index.html")
    cards = page.select("#badge-list .card")
    names = [c.select_one(".card-title").get_text(strip=True) for c in cards]
    assert names == ["Council Leader", "Council Member", "Data Analyst"]
    member = cards[1]
    assert member["data-level"] == "Foundation"
    assert member["data-type"] == "Membership"
    assert member["data-skills"].split("|") == ["Client Advocacy", "Collaboration"]
    assert member.select_one("img")["alt"] == ""  # decorative: the name is right next to it
    assert [li.get_text() for li in member.select(".skills li")] == ["Client Advocacy",
                                                                      "Collaboration"]
    # the retired badge is listed apart, not as a card
    retired = page.select(".retired-list a")
    assert [a.get_text() for a in retired] == ["Old Timer"]
    # filter options come from the content
    assert [o["value"] for o in page.select("#f-skill option")][1:] == [
        "Client Advocacy", "Collaboration", "Data Analysis", "Leadership"]
    assert [o["value"] for o in page.select("#f-level option")][1:] == [
        "Foundation", "Intermediate", "Advanced"]


def test_badge_page_shows_criteria_skills_prerequisites_and_leads_to(built_basic: Path) -> None:
    leader = soup(built_basic / "badges/leader/index.html")
    assert leader.h1.get_text() == "Council Leader"
    criteria = leader.select_one("#criteria")
    assert [li.get_text() for li in criteria.select("li")] == [
        "Chair a meeting", "Mentor a member", "Publish a report", "Run a workshop"]
    assert "Perform 3 of the following" in criteria.get_text()
    prereq = leader.select_one(".prerequisites a")
    assert prereq["href"] == "../member/" and "Council Member" in prereq.get_text()
    assert [a["href"] for a in leader.select("aside .skills a")] == [
        "../../skills/#client-advocacy", "../../skills/#leadership"]

    member = soup(built_basic / "badges/member/index.html")
    leads = member.select(".leads-to a")
    assert [a["href"] for a in leads] == ["../leader/"]
    assert "None: you can start here." in member.select_one(".prerequisites").get_text()
    facts = {d.dt.get_text(): d.dd.get_text(strip=True) for d in member.select(".facts > div")}
    assert facts["Valid for"] == "1 year"
    assert facts["Issued within"] == "72 hours"
    assert facts["Type"] == "Membership"
    claim = member.select_one("#claim a")
    assert claim["href"] == "https://forms.test.example/apply"
    assert member.select_one(".alignments a")["href"].startswith("https://sfia-online.org/")


def test_achievement_json_and_embedded_jsonld_agree(built_basic: Path) -> None:
    for slug in ("member", "leader", "analyst", "old-timer"):
        file_doc = json.loads((built_basic / f"badges/{slug}/achievement.json").read_text())
        page = soup(built_basic / f"badges/{slug}/index.html")
        embedded = json.loads(page.select_one('script[type="application/ld+json"]').string)
        assert embedded == file_doc
        assert "Achievement" in file_doc["type"]
        assert file_doc["id"] == f"https://badges.test.example/badges/{slug}/"
        assert file_doc["name"] and file_doc["description"]
        assert file_doc["criteria"]["narrative"].strip()
    member = json.loads((built_basic / "badges/member/achievement.json").read_text())
    assert member["achievementType"] == "Membership"
    assert member["tag"] == ["Client Advocacy", "Collaboration"]
    assert member["alignment"][0]["targetCode"] == "CSMG"
    assert member["image"]["id"] == "https://badges.test.example/badges/member/member.svg"
    old = json.loads((built_basic / "badges/old-timer/achievement.json").read_text())
    assert old["criteria"]["narrative"] == "Be around in 2019."


def test_skills_page_lists_badges_per_skill_in_level_order(built_basic: Path) -> None:
    page = soup(built_basic / "skills/index.html")
    advocacy = page.select_one("#client-advocacy")
    assert [a.get_text(strip=True) for a in advocacy.select("a")] == [
        "Council Member", "Council Leader"]
    assert page.select_one("#data-analysis a")["href"] == "../badges/analyst/"


def test_extra_pages_sitemap_robots_and_404(built_basic: Path) -> None:
    about = soup(built_basic / "about/index.html")
    assert about.h1.get_text() == "About"
    assert about.select_one("article strong").get_text() == "the"
    from xml.etree import ElementTree

    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = [e.text for e in ElementTree.parse(built_basic / "sitemap.xml").findall(".//s:loc",
                                                                                   ns)]
    assert "https://badges.test.example/" in locs
    assert "https://badges.test.example/badges/leader/" in locs
    assert "https://badges.test.example/about/" in locs
    assert not any("404" in u for u in locs)
    assert "Sitemap: https://badges.test.example/sitemap.xml" in (
        built_basic / "robots.txt").read_text()
    nf = soup(built_basic / "404.html")
    assert nf.h1.get_text() == "Page not found"
    assert nf.select_one(".site-header .brand")["href"] == "/"


def test_assets_have_content_hashed_names(basic_site: Path) -> None:
    first = build(basic_site).files
    css = [p for p in first if p.endswith("style.css")]
    assert len(css) == 1 and css[0].startswith("assets/")
    theme_css = Path(__file__).resolve().parent.parent / "theme/assets/style.css"
    assert first[css[0]] == theme_css.read_bytes()
    # a changed asset gets a new name; an unchanged build keeps it
    (basic_site / "theme").mkdir()
    import shutil

    shutil.copytree(theme_css.parent.parent, basic_site / "theme", dirs_exist_ok=True)
    assert [p for p in build(basic_site).files if p.endswith("style.css")] == css
    with open(basic_site / "theme/assets/style.css", "a") as fh:
        fh.write("\n/* changed */\n")
    assert [p for p in build(basic_site).files if p.endswith("style.css")] != css


def test_every_internal_link_and_image_resolves(built_basic: Path) -> None:
    """Walk every page: each relative href/src must name a file of the built site."""
    missing = []
    for html in built_basic.rglob("*.html"):
        if html.name == "404.html":
            continue
        rel = html.relative_to(built_basic).as_posix()
        for tag in soup(html).select("[href], [src]"):
            link = tag.get("href") or tag.get("src")
            parts = urlsplit(link)
            if parts.scheme or link.startswith(("#", "mailto:")):
                continue
            target = urlsplit(urljoin("http://x/" + rel, link)).path.lstrip("/")
            path = built_basic / target
            if target.endswith("/") or target == "":
                path = path / "index.html"
            if not path.is_file():
                missing.append(f"{rel}: {link}")
            if parts.fragment and path.suffix == ".html":
                ids = {t.get("id") for t in soup(path).select("[id]")}
                if parts.fragment not in ids:
                    missing.append(f"{rel}: {link} (no such anchor)")
    assert missing == []


def test_user_text_is_escaped(basic_site: Path) -> None:
    badge = basic_site / "badges/analyst.md"
    text = badge.read_text().replace("name: Data Analyst",
                                     "name: \"<script>alert(1)</script> & Co\"")
    text = text.replace("Analysts analyse.", "Analysts <img src=x onerror=alert(1)> analyse.")
    badge.write_text(text)
    out = build(basic_site).out_dir
    html = (out / "badges/analyst/index.html").read_text()
    assert "<script>alert(1)</script>" not in html
    page = soup(out / "badges/analyst/index.html")
    assert page.select("[onerror]") == []
    assert [i["src"] for i in page.select(".prose img")] == ["x"]  # kept, but inert
    assert page.h1.get_text() == "<script>alert(1)</script> & Co"
    ld = page.select_one('script[type="application/ld+json"]').string
    assert "<" not in ld and "&" not in ld
    assert json.loads(ld)["name"] == "<script>alert(1)</script> & Co"


def test_links_made_once_per_depth_equal_links_made_per_page(basic_site: Path) -> None:
    """Renderer.page keeps links out of a page's top folder by (top folder, depth): in any
    order of pages, each link equals relative_url's own answer for that page, including
    links inside the same top folder, which the memo must not share."""
    import random

    from badgepress.build.pipeline import load_site
    from badgepress.build.render import Renderer, relative_url

    catalog, _ = load_site(basic_site)
    renderer = Renderer(catalog)
    renderer._templates["links.html"] = renderer.env.from_string(
        "{% for t in targets %}{{ url(t) }}\n{% endfor %}")
    pages = ["index.html", "verify/index.html", "badges/a/index.html", "badges/b/index.html",
             "credentials/u1/index.html", "credentials/u2/index.html",
             "credentials/u2/x/index.html", "log/2/index.html", "404.html"]
    targets = ["", "badges/", "badges/a/", "badges/b/card.png", "credentials/u1/",
               "credentials/u2/credential.json", "skills/#x-y", "verify/#how", "log/",
               "assets/abc/style.css", "feeds/badges.atom", "badges", "badges//a/",
               "credentials/./u1/", "feeds/badges.atom?x=1", "../outside", "log/page/2/"]
    rng = random.Random(7)
    for _ in range(3):
        for path in rng.sample(pages, len(pages)):
            order = rng.sample(targets, len(targets))
            got = renderer.page("links.html", path, targets=order).decode().split("\n")[:-1]
            want = [renderer.site_path + t if path == "404.html" else relative_url(path, t)
                    for t in order]
            assert got == want, path


def test_parts_made_once_equal_parts_made_on_every_page(tmp_path: Path, monkeypatch) -> None:
    """Header, footer and a badge's parts of credential pages are made once per build
    (``once`` in the templates); the demo (renewals, revocations, opted-in earners, extra
    pages) builds to the same bytes when every part is made on every page instead."""
    from badgepress.build.render import Renderer
    from conftest import DEMO_NOW, REPO

    def tree(folder: Path) -> dict[str, bytes]:
        return {p.relative_to(folder).as_posix(): p.read_bytes()
                for p in sorted(folder.rglob("*")) if p.is_file()}

    made: list[str] = []
    real_page = Renderer.page

    def counting(self, template, path, **context):
        made.append(path)
        return real_page(self, template, path, **context)

    monkeypatch.setattr(Renderer, "page", counting)
    build(REPO, tmp_path / "shared", now=DEMO_NOW)
    monkeypatch.setattr(Renderer, "share_parts", False)
    build(REPO, tmp_path / "each", now=DEMO_NOW)
    assert sum(p.startswith("credentials/") for p in made) > 200  # both builds, 127 each
    shared, each = tree(tmp_path / "shared"), tree(tmp_path / "each")
    assert shared.keys() == each.keys()
    assert [p for p in shared if shared[p] != each[p]] == []


def test_a_site_macros_override_turns_part_sharing_off(tmp_path: Path) -> None:
    """A site's own _macros.html may read the page inside a macro that a shared part calls
    (here the card's alt text names the earner): parts are then made on every page, so no
    page shows another earner's name."""
    import shutil

    from badgepress.build.theme import DEFAULT_THEME
    from conftest import DEMO_NOW, REPO

    site = tmp_path / "site"
    for part in ("badges", "site_src"):
        shutil.copytree(REPO / part, site / part)
    macros = (DEFAULT_THEME / "templates/_macros.html").read_text()
    marker = "{% set card_alt = badge.name ~ ' badge, issued by ' ~ site.issuer.name %}"
    assert marker in macros
    (site / "theme/templates").mkdir(parents=True)
    (site / "theme/templates/_macros.html").write_text(macros.replace(
        marker, "{% set card_alt = badge.name ~ ' earned by ' ~ (award.earner_name if award "
                "is defined else '') %}"))
    build(site, tmp_path / "out", now=DEMO_NOW)
    pages = sorted((tmp_path / "out/credentials").glob("*/index.html"))
    assert len(pages) > 100
    for page in pages:
        html = soup(page)
        earner = html.select_one("h1 .earner").get_text()
        alt = html.select_one('meta[property="og:image:alt"]')["content"]
        named = alt.rsplit(" earned by ", 1)[1]
        assert named == ("" if earner == "Name withheld" else earner), page


def test_a_once_key_that_cannot_be_kept_is_a_template_error(basic_site: Path) -> None:
    import pytest
    from badgepress.build.pipeline import load_site
    from badgepress.build.render import Renderer
    from badgepress.core.errors import BuildError

    catalog, _ = load_site(basic_site)
    renderer = Renderer(catalog)
    renderer._templates["bad.html"] = renderer.env.from_string(
        "{% call once('x', [1]) %}part{% endcall %}")
    with pytest.raises(BuildError) as err:
        renderer.page("bad.html", "index.html")
    assert "once(): a key is made of strings" in str(err.value.problems[0].message)


def test_a_staged_file_is_written_whole_when_the_system_takes_it_in_parts(tmp_path, monkeypatch):
    """The build writes its files with os.write, which may take fewer bytes than given:
    what is left is written until the file holds every byte."""
    import os

    from badgepress.build import stream

    real_write = os.write
    calls = []

    def short_write(fd, data):
        calls.append(len(data))
        return real_write(fd, bytes(data[:1000]))

    monkeypatch.setattr(stream.os, "write", short_write)
    data = os.urandom(50_000)
    target = tmp_path / "a" / "index.html"
    stream._make_folder(str(tmp_path / "a"))
    stream._make_folder(str(tmp_path / "a"))  # made already (by another worker): fine
    stream._write_new(str(target), data)
    assert target.read_bytes() == data and len(calls) == 50
    assert stream._holds(str(target), data)  # what the next build compares, byte for byte
    assert not stream._holds(str(target), data[:-1] + bytes([data[-1] ^ 1]))
    assert not stream._holds(str(target), data + b"x") and not stream._holds(str(target), b"")
    stream._make_folder(str(tmp_path / "b" / "c" / "d"))  # parents made as needed
    assert (tmp_path / "b" / "c" / "d").is_dir()


def test_dates_remembered_by_their_day_read_as_each_timestamp_reads() -> None:
    """The date filter remembers a timestamp shown as a date by its day: for any text, the
    same words as parsing that very timestamp (offsets, fractions, early years, days that
    do not exist, texts that are no date)."""
    import random

    from badgepress.build.render import DATE_FORMAT, _format_date, _formatted_date

    rnd = random.Random(3)
    values = ["2026-06-01T00:00:00Z", "2026-06-30T23:30:00-05:00", "2026-12-31T23:59:59+14:00",
              "0999-01-01T00:00:00Z", "1000-01-01T00:00:00Z", "2024-02-30T10:00:00Z",
              "2024-02-29T10:00:00.123456Z", "2024-13-01T00:00:00Z", "2024-06-01", "",
              "2024-06-01T10:00:00", "not a date", "9999-12-31T23:59:59Z"]
    for _ in range(2000):
        values.append(f"{rnd.randint(1, 9999):04d}-{rnd.randint(0, 13):02d}-"
                      f"{rnd.randint(0, 32):02d}T{rnd.randint(0, 24):02d}:{rnd.randint(0, 60):02d}:"
                      f"{rnd.randint(0, 60):02d}"
                      + rnd.choice(["Z", "+02:00", "-11:30", ".5Z", ".1234567Z", "+24:00", ""]))
    for value in values:
        assert _format_date(value) == _formatted_date.__wrapped__(value, DATE_FORMAT), value


def test_template_calls_and_globals_behave_as_in_stock_jinja() -> None:
    """The render environment calls plain functions and methods itself and keeps template
    globals in a plain dict: every kind of callable a template may call (context, eval
    context and environment taking ones, callable objects, macros, a StopIteration) gives
    what stock Jinja gives, loop and block variables included."""
    import jinja2
    from badgepress.build import render

    class Greeter:
        def __call__(self, who: str) -> str:
            return f"hi {who}"

    class ContextObject:
        @jinja2.pass_context
        def __call__(self, ctx, key: str) -> str:
            return f"obj:{ctx.get(key)}"

    def stop() -> str:
        raise StopIteration

    names = {
        "plain": lambda x, y=0: f"plain:{x}:{y}",
        "ctx": jinja2.pass_context(lambda c, key: f"ctx:{c.get(key)}"),
        "env": jinja2.pass_environment(lambda e: f"env:{e.autoescape}"),
        "evalctx": jinja2.pass_eval_context(lambda e: f"eval:{e.autoescape}"),
        "greeter": Greeter(), "ctxobj": ContextObject(), "stop": stop,
        "d": {"a": "<b>"}, "words": "x,y",
    }
    source = (
        "{{ plain(1) }}|{{ plain(1, y=2) }}|{{ ctx('name') }}|{{ env() }}|{{ evalctx() }}|"
        "{{ greeter('ann') }}|{{ ctxobj('name') }}|{{ d.get('a') }}|{{ words.split(',') }}|"
        "[{{ stop() }}]|{% for item in [7] %}{{ ctx('item') }}{{ ctxobj('item') }}{% endfor %}|"
        "{% macro m(x) %}<{{ x }}>{{ caller() if caller }}{% endmacro %}{{ m(2) }}|"
        "{% call m(3) %}{{ ctx('name') }}{% endcall %}|{% set v = 5 %}{{ ctx('v') }}|"
        "{% block b %}{% set w = 6 %}{{ ctx('w') }}{{ range(3)|list }}{% endblock %}")
    outputs = []
    for env_class in (jinja2.Environment, render._Environment):
        env = env_class(autoescape=True, loader=jinja2.DictLoader({"t.html": source}))
        env.globals["site_wide"] = "g"
        outputs.append(env.get_template("t.html").render(name="Ann", **names))
    assert outputs[0] == outputs[1]
    assert outputs[1].startswith("plain:1:0|plain:1:2|ctx:Ann|env:True|eval:True|hi ann|obj:Ann|")
    assert "|[]|" in outputs[1] and "ctx:5" in outputs[1] and "ctx:6[0, 1, 2]" in outputs[1]
