"""Sharing a badge or a credential: the social card PNG and its Open Graph / Twitter tags,
the embed snippet, and the LinkedIn add-to-profile link, on sites built into tmp_path."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from badgepress.build import cards
from badgepress.build.pipeline import build
from badgepress.commands.issue import IssueRequest
from bs4 import BeautifulSoup
from conftest import NOW, issue, soup
from PIL import Image, ImageChops

BASE = "https://badges.test.example/"


def meta(page: BeautifulSoup, key: str) -> str | None:
    tag = page.find("meta", attrs={"property": key}) or page.find("meta", attrs={"name": key})
    return tag["content"] if tag else None


def card_tags(page: BeautifulSoup) -> dict[str, str | None]:
    keys = ("og:image", "og:image:type", "og:image:width", "og:image:height",
            "og:image:alt", "twitter:card", "twitter:image", "twitter:image:alt")
    return {k: meta(page, k) for k in keys}


@pytest.fixture
def shared(keyed):
    """The basic site with a named and an unnamed credential, built."""
    site, key, _ = keyed
    named, unnamed = issue(site, key,
                           IssueRequest("member", "ada@example.org", "Ada <Lovelace> & \"Co\""),
                           IssueRequest("leader", "bob@example.org"))
    out = build(site, now=NOW).out_dir
    return site, key, out, named.path.stem, unnamed.path.stem


def test_every_badge_has_a_1200x630_png_card(built_basic):
    slugs = [p.name for p in (built_basic / "badges").iterdir() if p.is_dir()]
    assert {"member", "leader", "analyst", "old-timer"} <= set(slugs)
    for slug in slugs:
        data = (built_basic / "badges" / slug / "card.png").read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        with Image.open(io.BytesIO(data)) as img:
            assert img.format == "PNG"
            assert img.size == (1200, 630)
            img.verify()


def test_card_shows_the_badge_image(built_basic):
    """member.svg is a blue disc: the card's left part holds it, the right part does not."""
    with Image.open(built_basic / "badges" / "member" / "card.png") as img:
        rgb = img.convert("RGB")
        assert rgb.getpixel((270, 315)) == (15, 95, 194)  # the disc's #0f5fc2, rasterized
        assert rgb.getpixel((1100, 100)) != (15, 95, 194)


def test_badge_page_declares_the_card(built_basic):
    page = soup(built_basic / "badges" / "member" / "index.html")
    assert card_tags(page) == {
        "og:image": BASE + "badges/member/card.png", "og:image:type": "image/png",
        "og:image:width": "1200", "og:image:height": "630",
        "og:image:alt": "Council Member badge, issued by Test Issuer",
        "twitter:card": "summary_large_image",
        "twitter:image": BASE + "badges/member/card.png",
        "twitter:image:alt": "Council Member badge, issued by Test Issuer"}
    assert meta(page, "og:title") == "Council Member"
    # one of each: no stale SVG og:image left beside the card
    assert len(page.find_all("meta", attrs={"property": "og:image"})) == 1
    assert len(page.find_all("meta", attrs={"name": "twitter:card"})) == 1


def test_credential_pages_declare_their_badge_card_and_name_the_earner(shared):
    _, _, out, named, unnamed = shared
    page = soup(out / "credentials" / named / "index.html")
    tags = card_tags(page)
    assert tags["og:image"] == tags["twitter:image"] == BASE + "badges/member/card.png"
    assert (tags["og:image:width"], tags["og:image:height"]) == ("1200", "630")
    assert tags["og:image:alt"] == "Council Member badge, issued by Test Issuer"
    assert tags["twitter:card"] == "summary_large_image"
    assert meta(page, "og:title") == 'Ada <Lovelace> & "Co" earned Council Member'
    other = soup(out / "credentials" / unnamed / "index.html")
    assert meta(other, "og:title") == "Council Leader"
    assert meta(other, "og:image") == BASE + "badges/leader/card.png"
    # the declared size is the PNG's size
    with Image.open(out / "badges" / "member" / "card.png") as img:
        assert img.size == (int(tags["og:image:width"]), int(tags["og:image:height"]))


def _count_draws(monkeypatch) -> list[str]:
    drawn: list[str] = []
    real = cards.draw_card

    def counting(name, *args):
        drawn.append(name)
        return real(name, *args)

    monkeypatch.setattr(cards, "draw_card", counting)
    return drawn


def test_unchanged_badges_are_not_redrawn(basic_site, monkeypatch):
    drawn = _count_draws(monkeypatch)
    out = build(basic_site).out_dir
    assert sorted(drawn) == ["Council Leader", "Council Member", "Data Analyst", "Old Timer"]
    first = (out / "badges" / "member" / "card.png").read_bytes()
    cached = sorted((basic_site / ".badgepress-cache" / "cards").glob("*.png"))
    assert len(cached) == len(drawn)
    drawn.clear()
    out = build(basic_site).out_dir
    assert drawn == []  # every card came from the cache
    assert (out / "badges" / "member" / "card.png").read_bytes() == first
    # a renamed badge is redrawn, and only that one
    md = basic_site / "badges" / "member.md"
    md.write_text(md.read_text("utf-8").replace("name: Council Member",
                                                "name: Council Chair"), "utf-8")
    out = build(basic_site).out_dir
    assert drawn == ["Council Chair"]
    assert (out / "badges" / "member" / "card.png").read_bytes() != first
    # so is one whose image changed
    drawn.clear()
    svg = basic_site / "badges" / "leader.svg"
    svg.write_text(svg.read_text("utf-8").replace("<circle", "<rect width='9' height='9'/><circle"),
                   "utf-8")
    build(basic_site)
    assert len(drawn) == 1


def test_card_key_covers_name_issuer_image_and_libraries(built_basic, basic_site):
    from badgepress.build.pipeline import load_site

    catalog, _ = load_site(basic_site)
    badge = catalog.badge("member")
    key = cards.card_key(badge, b"img", "Issuer")
    assert key == cards.card_key(badge, b"img", "Issuer")
    assert key != cards.card_key(badge, b"img2", "Issuer")
    assert key != cards.card_key(badge, b"img", "Other issuer")
    assert any(v.startswith("Pillow==") for v in cards.library_versions())
    assert any(v.startswith("pyvips-binary==") for v in cards.library_versions())


def test_long_names_fit_the_card():
    name = ("Distinguished Practitioner of Cross-Organisational Supercalifragilisticexpialidocious"
            " Stakeholder Engagement and Community Leadership in Practice") * 2
    data = cards.draw_card(name, "An Issuer With A Rather Long Name " * 4, None, None)
    with Image.open(io.BytesIO(data)) as img:
        assert img.size == (1200, 630)
    lines, font = cards.fit_text(name, 600, max_lines=4, sizes=(68, 44, 38))
    assert len(lines) == 4 and lines[-1].endswith("…")
    assert all(font.getlength(line) <= 600 for line in lines)
    short, big = cards.fit_text("Member", 600, max_lines=4, sizes=(68, 44))
    assert short == ["Member"] and big.size == 68


def test_an_svg_pointing_outside_itself_is_not_rasterized(tmp_path):
    secret = tmp_path / "private.png"
    Image.new("RGB", (10, 10), (255, 0, 0)).save(secret)
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
           f' width="100" height="100"><image xlink:href="{secret}" width="100" height="100"/>'
           f'</svg>').encode()
    with Image.open(io.BytesIO(cards.draw_card("X", "Y", svg, "svg"))) as img:
        assert (255, 0, 0) not in {c for _, c in img.convert("RGB").getcolors(1 << 20)}


def test_a_broken_image_still_gives_a_card():
    data = cards.draw_card("Name", "Issuer", b"<svg", "svg")
    with Image.open(io.BytesIO(data)) as img:
        assert img.size == (1200, 630)


@pytest.mark.parametrize("width, height, drawn", [
    (40, 40, (380, 380)), (10, 40, (95, 380)), (40, 10, (380, 95)), (1, 1000, (1, 380))])
def test_an_svg_badge_fills_the_image_box_at_its_own_proportions(width, height, drawn):
    """A vector image is drawn at the size that fits the 380-pixel box, centred in it,
    whatever its own size (a thin line included); a wide image is not cut."""
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}"><rect width="{width}" height="{height}" '
           f'fill="#ff0000"/></svg>').encode()
    with Image.open(io.BytesIO(cards.draw_card("X", "Y", svg, "svg"))) as img:
        r, g, _ = img.convert("RGB").split()
        # where red outweighs green: the badge's rectangle, not the texts nor the background
        box = ImageChops.subtract(r, g).point(lambda v: 255 if v > 128 else 0).getbbox()
    left, top = 80 + (380 - drawn[0]) // 2, (630 - drawn[1]) // 2
    assert box == (left, top, left + drawn[0], top + drawn[1])


def test_embed_snippet_links_the_badge_image_to_the_credential_page(shared):
    _, _, out, named, _ = shared
    page = soup(out / "credentials" / named / "index.html")
    area = page.select_one("textarea[data-role=embed-code]")
    assert area is not None and area.has_attr("readonly")
    label = page.find("label", attrs={"for": area["id"]})
    assert label is not None
    snippet = BeautifulSoup(area.string, "html.parser")
    link = snippet.find("a")
    assert link["href"] == f"{BASE}credentials/{named}/"
    img = link.find("img")
    assert img["src"] == BASE + "badges/member/card.png"
    assert (img["width"], img["height"]) == ("300", "157")
    assert img["alt"] == 'Council Member badge earned by Ada <Lovelace> & "Co", issued by ' \
                         "Test Issuer"
    assert snippet.get_text(" ", strip=True).startswith("Council Member")
    # nothing in the snippet is markup that the earner's name brought in
    assert [t.name for t in snippet.find_all(True)] == ["a", "img", "br", "span"]


def test_linkedin_url_decodes_to_the_credentials_fields(shared):
    _, _, out, named, _ = shared
    page = soup(out / "credentials" / named / "index.html")
    link = page.find("a", string=re.compile("Add to LinkedIn profile"))["href"]
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "www.linkedin.com",
                                                        "/profile/add")
    q = {k: v[0] for k, v in parse_qs(parts.query, strict_parsing=True).items()}
    assert all(len(v) == 1 for v in parse_qs(parts.query).values())
    assert q == {"startTask": "CERTIFICATION_NAME", "name": "Council Member",
                 "organizationName": "Test Issuer", "issueYear": "2026", "issueMonth": "6",
                 "expirationYear": "2027", "expirationMonth": "6",
                 "certUrl": f"{BASE}credentials/{named}/", "certId": named}


def test_linkedin_url_without_expiry_has_no_expiration(keyed):
    site, key, _ = keyed
    [r] = issue(site, key, IssueRequest("leader", "c@example.org", "Cy",
                                        date=datetime(2025, 12, 31, 23, tzinfo=UTC)))
    out = build(site, now=NOW).out_dir
    page = soup(out / "credentials" / r.path.stem / "index.html")
    link = page.find("a", string=re.compile("Add to LinkedIn profile"))["href"]
    q = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
    assert (q["issueYear"], q["issueMonth"]) == ("2025", "12")
    assert "expirationYear" not in q and "expirationMonth" not in q
    assert q["name"] == "Council Leader" and q["certId"] == r.path.stem


def test_a_png_badge_image_is_drawn_as_it_is():
    buf = io.BytesIO()
    Image.new("RGBA", (64, 64), (200, 30, 60, 255)).save(buf, "PNG")
    with Image.open(io.BytesIO(cards.draw_card("Name", "Issuer", buf.getvalue(), "png"))) as img:
        rgb = img.convert("RGB")
        assert rgb.getpixel((270, 315)) == (200, 30, 60)  # scaled up into the image box
        assert rgb.getpixel((60, 315)) != (200, 30, 60)


def test_cards_drawn_ahead_are_the_cards_the_build_publishes(basic_site, monkeypatch):
    """A one-off build draws the cards it has not drawn before in a background process
    while it checks its credentials; the pages stage then publishes those very bytes (a
    card drawn again here is identical) and draws none itself."""
    monkeypatch.setattr(cards.DrawnAhead, "MIN_CARDS", 1)
    real_start = cards.DrawnAhead.start
    processes = []

    def start_and_wait(self, catalog):
        real_start(self, catalog)
        processes.append(self._process)
        if self._process is not None:  # every card drawn before the credentials stage goes on
            self._process.join(120)

    monkeypatch.setattr(cards.DrawnAhead, "start", start_and_wait)
    cached = basic_site / ".badgepress-cache" / "cards"
    shutil.rmtree(cached, ignore_errors=True)
    drawn = _count_draws(monkeypatch)  # draws in this process (the build's, not the child's)
    out = build(basic_site, now=NOW).out_dir
    assert len(processes) == 1 and processes[0].exitcode == 0
    assert drawn == []
    assert len(list(cached.glob("*.png"))) == 4 and not list(cached.glob(".*"))
    svg = (basic_site / "badges" / "member.svg").read_bytes()
    assert (out / "badges" / "member" / "card.png").read_bytes() == cards.draw_card(
        "Council Member", "Test Issuer", svg, "svg")
    processes.clear()
    build(basic_site, now=NOW)
    assert processes == [None]  # every card in the cache: no process


def test_drawing_ahead_stops_between_two_cards(basic_site, monkeypatch):
    """Stopping the background process (the pages stage starts) lets the card being drawn
    be finished and written whole, then ends it: no half-written file in the cache."""
    from badgepress.build.pipeline import load_site

    monkeypatch.setattr(cards.DrawnAhead, "MIN_CARDS", 1)
    slow = cards.draw_card

    def slow_draw(*args):
        time.sleep(0.4)
        return slow(*args)

    monkeypatch.setattr(cards, "draw_card", slow_draw)  # the forked child draws with it
    shutil.rmtree(basic_site / ".badgepress-cache" / "cards", ignore_errors=True)
    catalog, _ = load_site(basic_site)
    ahead = cards.DrawnAhead()
    ahead.start(catalog)
    process = ahead._process
    time.sleep(0.6)
    began = time.monotonic()
    ahead.stop()
    assert time.monotonic() - began < 2 and process.exitcode == 0
    cached = basic_site / ".badgepress-cache" / "cards"
    made = list(cached.glob("*.png"))
    assert 1 <= len(made) < 4 and not list(cached.glob(".*"))
    for path in made:
        with Image.open(path) as img:
            img.verify()


def test_linkedin_url_is_what_urlencode_writes():
    """The link is built by hand for speed (only two values can need quoting): it must be
    byte for byte what urlencode writes of LinkedIn's documented parameters, in order."""
    import random
    import string
    from types import SimpleNamespace
    from urllib.parse import urlencode

    from badgepress.build.render import linkedin_url

    def reference(award, badge_name, cfg):
        def year_month(prefix, value):
            try:
                when = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return {}
            return {f"{prefix}Year": when.year, f"{prefix}Month": when.month}

        params = {"startTask": "CERTIFICATION_NAME", "name": badge_name,
                  "organizationName": cfg.issuer.name, **year_month("issue", award.valid_from),
                  "certUrl": cfg.abs_url(award.url), "certId": award.uuid}
        if award.valid_until:
            params |= year_month("expiration", award.valid_until)
        return "https://www.linkedin.com/profile/add?" + urlencode(params)

    rnd = random.Random(5)
    alphabet = string.printable + "éü–✓ &=?#%+/\u2028"

    def text():
        return "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 16)))

    for _ in range(3000):
        award = SimpleNamespace(
            valid_from=rnd.choice(["2024-01-05T10:00:00Z", "2025-12-31T23:59:59+02:00", "",
                                   "not a date", text()]),
            valid_until=rnd.choice([None, "", "2027-01-05T10:00:00Z", "never", text()]),
            url=text(), uuid=text())
        cfg = SimpleNamespace(issuer=SimpleNamespace(name=text()),
                              abs_url=lambda u: "https://badges.test.example/" + u)
        name = text()
        assert linkedin_url(award, name, cfg) == reference(award, name, cfg)


def test_a_process_that_asked_for_cards_can_still_fork_one_that_draws(tmp_path):
    """libvips' threads do not survive a fork: a process that drew a card with it and then
    forked a child drawing one would hang. Cards are drawn in a drawing child, so this
    process never runs libvips, and a process forked from it draws as well."""
    import multiprocessing

    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">' \
          b'<circle cx="32" cy="32" r="30" fill="#0f5fc2"/></svg>'
    first = cards.draw_card("Here", "Issuer", svg, "svg")
    assert not _vips_threads()

    def child(path):
        Path(path).write_bytes(cards.draw_card("Here", "Issuer", svg, "svg"))

    process = multiprocessing.get_context("fork").Process(target=child,
                                                          args=(tmp_path / "c.png",))
    process.start()
    process.join(60)
    if process.is_alive():
        process.kill()
        raise AssertionError("the forked process hung drawing a card")
    assert process.exitcode == 0
    assert (tmp_path / "c.png").read_bytes() == first


def _vips_threads() -> bool:
    """Whether this process runs threads that libvips started ('libvips worker')."""
    names = []
    for task in Path("/proc/self/task").iterdir():
        with contextlib.suppress(OSError):
            names.append((task / "comm").read_text().strip())
    return any("vips" in n for n in names)


def test_the_drawing_child_holds_none_of_its_parents_files(tmp_path):
    """The drawing child lives as long as the process that asked for a card: a pipe or
    socket of that process it kept open would keep the other end waiting (a browser
    driver that waits for its input to close, at the end of a test session)."""
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>'
    with open(tmp_path / "held.txt", "w") as held:
        cards._forget_drawer()
        cards.draw_card("Here", "Issuer", svg, "svg")
        pid = cards._DRAWER[2]
        assert held.fileno() > 2
        fds = {int(fd) for fd in os.listdir(f"/proc/{pid}/fd")} - {0, 1, 2}
        targets = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in fds}
        assert str(tmp_path / "held.txt") not in targets
        assert len(fds) == 1  # its end of the connection, nothing else



_SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
        b'<circle cx="32" cy="32" r="30" fill="#0f5fc2"/></svg>')


def _draw_in_worker(context, start, end):
    data = cards.draw_card("In a worker", "Issuer", _SVG, "svg")
    own_drawer = cards._DRAWER is not None and cards._DRAWER[0] == os.getpid()
    return data, own_drawer, os.getpid()


def test_build_workers_draw_cards_themselves(monkeypatch):
    """A build worker forks nothing, so it draws with libvips itself (no drawing child, whose
    fork would double its share of memory): the same bytes as a drawing child's."""
    from badgepress.build import fanout

    monkeypatch.setenv(fanout.WORKERS_ENV, "2")
    results = [r for _, r in fanout.fan_out(_draw_in_worker, None, fanout.SMALL * 2,
                                            chunk=fanout.SMALL)]
    want = cards.draw_card("In a worker", "Issuer", _SVG, "svg")
    assert [data == want for data, _, _ in results] == [True, True]
    assert not any(own for _, own, _ in results)
    assert os.getpid() not in {pid for _, _, pid in results}
