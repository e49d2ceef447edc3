"""Program figures (issue #13): the skills heat map, /insights/, /pathways/ and the feed of
new badges, on a site whose credentials are issued, revoked and renewed through the real
commands. Every figure is compared with a count the test makes itself from what it
issued; counts below 5 must read "fewer than 5"."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree

import pytest
from badgepress.build.pipeline import Pipeline, render
from badgepress.build.plan import plan_site
from badgepress.commands.issue import IssueRequest
from badgepress.commands.lifecycle import renew, revoke
from badgepress.content.people import load_program_figures
from badgepress.core.errors import BuildError
from bs4 import BeautifulSoup
from conftest import NOW, copy_site, issue

ATOM = "{http://www.w3.org/2005/Atom}"
SVG = "{http://www.w3.org/2000/svg}"
FEW = "fewer than 5"
VALID_FOR = {"member": 365}  # days, from the badge files of tests/sites/basic
# (badge, month, day, how many): what the test issues
BATCHES = [("member", "2025-02", 10, 6), ("member", "2026-01", 15, 7),
           ("member", "2026-03", 3, 2), ("leader", "2026-04", 20, 6),
           ("analyst", "2026-05", 5, 3)]
REVOKED = [("member", "2026-01", 3), ("member", "2025-02", 2)]  # (badge, month, how many)
PROGRAM = {"version": 1, "asOf": "2026-05-31T00:00:00Z", "credentials": 40, "earners": 20,
           "returning": 9, "progression": {"member": {"earners": 12, "to": {"leader": 6}}}}


class Record:
    """What the test knows of one credential it made, to count figures independently."""

    def __init__(self, badge: str, email: str, valid_from: datetime):
        self.badge, self.email, self.valid_from = badge, email, valid_from
        self.revoked: str | None = None
        self.uuid = ""

    def current(self, now: datetime) -> bool:
        days = VALID_FOR.get(self.badge)
        unexpired = days is None or (now - self.valid_from).days < days
        return self.revoked is None and self.valid_from <= now and unexpired


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> tuple[Path, list[Record]]:
    from badgepress.trust.keys import SigningKey, add_key, load_signing_key, save_new_key

    tmp = tmp_path_factory.mktemp("insights")
    root = copy_site("basic", tmp / "site")
    key_file = tmp / "secret" / "issuer.key"
    save_new_key(SigningKey.generate(), key_file, root)
    key = load_signing_key(key_file, root)
    add_key(root, key, now=datetime(2025, 1, 1, tzinfo=UTC))
    records: list[Record] = []
    for badge, month, day, n in BATCHES:
        for i in range(n):
            when = datetime.fromisoformat(f"{month}-{day:02d}T09:00:00+00:00")
            records.append(Record(badge, f"{badge}-{month}-{i}@example.org", when))
    issued = issue(root, key, *(IssueRequest(r.badge, r.email, date=r.valid_from)
                                for r in records))
    for r, done in zip(records, issued, strict=True):
        r.uuid = done.path.stem
    for badge, month, n in REVOKED:
        for r in [r for r in records if r.badge == badge
                  and r.valid_from.strftime("%Y-%m") == month][:n]:
            revoke(root, r.uuid, "test", key, now=NOW)
            r.revoked = NOW.strftime("%Y-%m")
    old = next(r for r in records if r.badge == "member" and r.revoked is None
               and not r.current(NOW))  # an expired one, renewed: the same earner again
    path = renew(root, old.uuid, key, now=NOW)
    records.append(Record("member", old.email, NOW))
    records[-1].uuid = path.stem
    return root, records


def publish(root: Path, content: str) -> None:
    """Write site_src/insights.json as a maintainer's command does: recorded in the signed
    log, or the build refuses it (what a page shows of it is what this test is about)."""
    from badgepress.build.pipeline import load_site
    from badgepress.commands.issue import current_key
    from badgepress.trust.keys import load_signing_key
    from badgepress.trust.ledger import transaction

    key = load_signing_key(root.parent / "secret" / "issuer.key", root)
    vm = current_key(root, load_site(root)[0].config, key)
    with transaction(root, key, vm) as tx:  # logged now: after every entry before it
        tx.write("site_src/insights.json", content.encode())
        tx.record("insights", "insights", {"site_src/insights.json": content.encode()})


@pytest.fixture(scope="module")
def files(site) -> dict[str, bytes]:
    root, _ = site
    publish(root, json.dumps(PROGRAM))
    _, out, _, _ = render(root, now=NOW, links=True)
    return out


def page(files: dict[str, bytes], path: str) -> BeautifulSoup:
    return BeautifulSoup(files[path].decode("utf-8"), "html.parser")


def shown(n: int) -> str:
    return str(n) if n >= 5 else FEW


def test_heat_map_cells_count_current_credentials_per_skill_and_level(files, site) -> None:
    _, records = site
    skills = {"member": ("Client Advocacy", "Collaboration"), "leader": (
        "Client Advocacy", "Leadership"), "analyst": ("Data Analysis",),
        "old-timer": ("Collaboration",)}
    levels = {"member": "Foundation", "leader": "Advanced", "analyst": "Intermediate",
              "old-timer": "Foundation"}
    expected: Counter[tuple[str, str]] = Counter()
    taught = {(s, levels[b]) for b, ss in skills.items() for s in ss}
    for r in records:
        if r.current(NOW):
            for s in skills[r.badge]:
                expected[s, levels[r.badge]] += 1
    table = page(files, "skills/index.html").select_one("table.heat-map")
    assert table.caption.get_text(strip=True)
    columns = [th.get_text(strip=True) for th in table.thead.find_all("th")][1:]
    assert columns == ["Foundation", "Intermediate", "Advanced"]
    assert all(th["scope"] == "col" for th in table.thead.find_all("th"))
    rows = table.tbody.find_all("tr")
    assert len(rows) == len({s for ss in skills.values() for s in ss})
    checked = 0
    for row in rows:
        assert row.th["scope"] == "row"
        skill = row.th.get_text(strip=True)
        for level, td in zip(columns, row.find_all("td"), strict=True):
            want = shown(expected[skill, level]) if (skill, level) in taught else "no badge"
            text = td.select_one(".visually-hidden")
            assert (text or td).get_text(strip=True) == want, (skill, level)
            checked += 1
    assert checked == 12
    assert expected["Client Advocacy", "Foundation"] >= 5  # both forms are exercised
    assert expected["Data Analysis", "Intermediate"] < 5
    # the skills list stays below the map
    assert page(files, "skills/index.html").select("section.skill")


def test_monthly_counts_revocations_and_earners_equal_independent_counts(
        files, site) -> None:
    _, records = site
    issued = Counter(r.valid_from.strftime("%Y-%m") for r in records)
    revoked = Counter(r.revoked for r in records if r.revoked)
    doc = page(files, "insights/index.html")
    rows = {tr["data-month"]: [td.get_text(strip=True) for td in tr.find_all("td")]
            for tr in doc.select("#monthly tbody tr")}
    assert min(rows) == "2025-02" and max(rows) == "2026-06" and len(rows) == 17
    for month, (got_issued, got_revoked) in rows.items():
        assert got_issued == shown(issued[month]), month
        assert got_revoked == shown(revoked[month]), month
    bars = {g["data-month"]: g["data-count"] for g in doc.select("svg.bar-chart g.bar")}
    assert bars == {m: shown(issued[m]) for m in rows}
    assert doc.select_one("#revoked-total strong").get_text(strip=True) == \
        shown(sum(revoked.values()))
    earners = {tr["data-badge"]: [td.get_text(strip=True) for td in tr.find_all("td")]
               for tr in doc.select("#earners tbody tr")}
    for badge in ("member", "leader", "analyst", "old-timer"):
        people = {r.email for r in records if r.badge == badge and r.revoked is None}
        current = sum(r.current(NOW) for r in records if r.badge == badge)
        assert earners[badge][1:] == [shown(len(people)), shown(current)], badge
    assert len({r.email for r in records if r.badge == "member" and not r.revoked}) >= 5


def test_small_counts_never_appear_as_numbers(files) -> None:
    doc = page(files, "insights/index.html")
    for td in doc.select("table.figures td"):
        text = td.get_text(strip=True).replace(",", "")
        assert not (text.isdigit() and int(text) < 5), td


def test_return_rate_and_progression_come_from_insights_json(files) -> None:
    doc = page(files, "insights/index.html")
    section = doc.select_one("#program")
    assert "31 May 2026" in section.get_text() and "40" in section.get_text()
    assert section.select_one("time")["datetime"] == PROGRAM["asOf"]
    assert section.select_one("#return-rate strong").get_text(strip=True) == "45%"
    [row] = section.select("#progression tbody tr")
    assert (row["data-from"], row["data-to"]) == ("member", "leader")
    assert [td.get_text(strip=True) for td in row.find_all("td")] == [
        "12", "Council Leader", "6", "50%"]


def test_suppressed_program_counts_show_no_share(site) -> None:
    root, _ = site
    path = root / "site_src/insights.json"
    before = path.read_bytes()
    try:
        publish(root, json.dumps({**PROGRAM, "returning": None, "progression": {
            "member": {"earners": 12, "to": {"leader": None}}}}))
        _, out, _, _ = render(root, now=NOW)
        section = page(out, "insights/index.html").select_one("#program")
        assert "not shown" in section.select_one("#return-rate").get_text()
        assert [td.get_text(strip=True) for td in section.select("#progression td")] == [
            "12", "Council Leader", FEW, "not shown"]
        publish(root, json.dumps({**PROGRAM, "earners": 3}))
        with pytest.raises(BuildError) as err:
            render(root, now=NOW)
        assert str(err.value).startswith("site_src/insights.json: 'earners' must be")
        path.unlink()
        _, out, _, _ = render(root, now=NOW)
        text = page(out, "insights/index.html").select_one("#not-published").get_text()
        assert "not published" in text and "same earner" in text
    finally:
        publish(root, before.decode())


def svg_of(files: dict[str, bytes], path: str = "pathways/index.html") -> ElementTree.Element:
    svg = page(files, path).select_one("svg.pathways")
    return ElementTree.fromstring(str(svg).replace("<svg ", f'<svg xmlns="{SVG[1:-1]}" ', 1))


def test_pathways_svg_has_a_node_per_badge_and_an_edge_per_prerequisite(files) -> None:
    svg = svg_of(files)
    nodes = svg.findall(f".//{SVG}a")
    assert sorted(a.get("data-slug") for a in nodes) == [
        "analyst", "leader", "member", "old-timer"]
    assert {a.get("data-slug"): a.get("href") for a in nodes}["leader"] == \
        "../badges/leader/"
    edges = svg.findall(f".//{SVG}path[@class='pw-edge']")
    assert [(e.get("data-from"), e.get("data-to")) for e in edges] == [("member", "leader")]
    listing = page(files, "pathways/index.html").select_one("#pw-leader")
    assert "Requires" in listing.get_text() and "Council Member" in listing.get_text()


def test_badges_feed_is_atom_newest_first(files, site) -> None:
    _, records = site
    feed = ElementTree.fromstring(files["feeds/badges.atom"])
    assert feed.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{name}") is not None
    entries = feed.findall(f"{ATOM}entry")
    first = {}
    for r in records:
        first[r.badge] = min(first.get(r.badge, r.valid_from), r.valid_from)
    expected = sorted(first, key=lambda b: first[b], reverse=True)
    assert [e.find(f"{ATOM}id").text.rsplit("/", 2)[-2] for e in entries] == expected
    for e in entries:
        assert e.find(f"{ATOM}title").text and e.find(f"{ATOM}updated").text
        assert e.find(f"{ATOM}link").get("href").startswith("https://badges.test.example/")
    assert feed.find(f"{ATOM}updated").text == entries[0].find(f"{ATOM}updated").text
    head = page(files, "index.html").find("link", rel="alternate",
                                          type="application/atom+xml")
    assert head["href"].endswith("feeds/badges.atom")
    nav = [a.get_text(strip=True) for a in page(files, "index.html").select("nav li a")]
    assert nav[:5] == ["Badges", "Skills", "Pathways", "Insights", "Verify"]


def big_catalog(root: Path, count: int, seed: int = 13) -> None:
    """``count`` badges over the four default levels, each (past the first level)
    requiring up to three badges of lower levels."""
    rng = random.Random(seed)
    levels = ["Foundation", "Intermediate", "Advanced", "Expert"]
    for p in (root / "badges").iterdir():
        p.unlink()
    made: dict[str, list[str]] = {lvl: [] for lvl in levels}
    for i in range(count):
        level = levels[min(3, i * 4 // count)]
        lower = [s for lvl in levels[:levels.index(level)] for s in made[lvl]]
        requires = rng.sample(lower, min(len(lower), rng.randint(0, 3)))
        slug = f"b{i:04d}"
        made[level].append(slug)
        (root / "badges" / f"{slug}.md").write_text(
            f"---\nname: Badge number {i} with a rather long name\nlevel: {level}\n"
            f"skills: [Skill {i % 40}]\ncriteria: Do it.\n"
            f"requires: [{', '.join(requires)}]\n---\nText.\n")


def test_a_thousand_badge_pathway_has_no_overlapping_boxes(tmp_path: Path) -> None:
    root = copy_site("basic", tmp_path / "site")
    big_catalog(root, 1000)
    planned = Pipeline(root).plan(NOW)  # only this page is rendered
    catalog = planned.catalog
    svg = svg_of({"pathways/index.html": planned.jobs["pathways/index.html"].make()})
    boxes = []
    for a in svg.findall(f".//{SVG}a"):
        rect = a.find(f"{SVG}rect")
        boxes.append(tuple(float(rect.get(k)) for k in ("x", "y", "width", "height")))
        assert a.find(f"{SVG}title").text.startswith("Badge number")
    assert len(boxes) == 1000
    width = float(svg.get("width"))
    assert width <= 1300  # wrapped into rows: it grows down, not sideways
    boxes.sort(key=lambda b: (b[1], b[0]))
    for i, (x, y, w, h) in enumerate(boxes):
        assert 0 <= x and x + w <= width and y + h <= float(svg.get("height"))
        for x2, y2, w2, _ in boxes[i + 1:]:
            if y2 >= y + h:
                break  # sorted by top: every later box starts below this one
            assert x + w <= x2 or x2 + w2 <= x, ((x, y), (x2, y2))
    edges = svg.findall(f".//{SVG}path[@class='pw-edge']")
    assert len(edges) == sum(len(b.requires) for b in catalog.badges)
    assert {(e.get("data-from"), e.get("data-to")) for e in edges} == {
        (r, b.slug) for b in catalog.badges for r in b.requires}


def test_figure_pages_depend_on_the_figures_they_show_not_on_every_credential(site) -> None:
    """A build's page cache re-renders a page when its job's inputs change: dropping one
    credential whose cell, month and badge counts stay "fewer than 5" (analyst: 3 -> 2)
    leaves /skills/ and /pathways/ as they were; the total it changes re-renders
    /insights/."""
    root, _ = site
    planned = Pipeline(root).plan(NOW)
    fewer = [a for a in planned.awards if a.badge_slug != "analyst"]
    fewer += [a for a in planned.awards if a.badge_slug == "analyst"][1:]
    again = plan_site(planned.catalog, fewer)
    before = plan_site(planned.catalog, planned.awards)
    for path in ("skills/index.html", "pathways/index.html", "feeds/badges.atom"):
        assert again[path].inputs == before[path].inputs, path
    assert again["insights/index.html"].inputs != before["insights/index.html"].inputs


@pytest.mark.parametrize(("content", "message"), [
    ("{", "site_src/insights.json: not valid JSON"),
    ("[]", "site_src/insights.json: must be a JSON object"),
    (json.dumps({**PROGRAM, "asOf": "June"}), "site_src/insights.json: 'asOf' must be a "
     "date-time"),
    (json.dumps({**PROGRAM, "version": 2}), "site_src/insights.json: 'version' must be 1"),
    (json.dumps({**PROGRAM, "progression": {"member": {"earners": 12, "to": {"leader": 2}}}}),
     "site_src/insights.json: 'progression.member.to.leader' must be a count of 5 or more"),
])
def test_a_wrong_insights_file_fails_naming_file_and_field(tmp_path: Path, content: str,
                                                           message: str) -> None:
    (tmp_path / "site_src").mkdir()
    assert load_program_figures(tmp_path) is None  # no file: nothing published
    (tmp_path / "site_src/insights.json").write_text(content)
    with pytest.raises(BuildError) as err:
        load_program_figures(tmp_path)
    assert str(err.value).startswith(message)


def test_counts_updated_for_restated_credentials_equal_a_fresh_count() -> None:
    """A dev server takes a restated credential's old counts out and its new ones in
    (figures.updated) instead of counting every credential again: after any series of
    revocations, renewals, expiries and un-revocations, the counts and every published
    figure equal a fresh count, or updated() declines (a first award date moved)."""
    from dataclasses import replace

    from badgepress.content.figures import tally, updated
    from badgepress.content.model import Award

    def plain(t) -> dict:  # Counter(a=0) == Counter(): compare the keys too
        return {name: dict(value) for name, value in vars(t).items()}

    rng = random.Random(5)
    months = [f"2025-{m:02d}" for m in range(1, 13)]
    slugs = [f"b{i}" for i in range(6)]
    awards = [Award(uuid=f"u{i}", source="", file="", digest="", badge_slug=rng.choice(
        slugs), valid_from=rng.choice(months) + "-01T00:00:00Z",
        state=rng.choice(["valid", "valid", "expired", "not-yet-valid"]))
        for i in range(400)]
    counts = tally(awards)
    declined = 0
    for _ in range(300):
        after = list(awards)
        for i in rng.sample(range(len(after)), rng.randint(1, 4)):
            a = after[i]
            state = rng.choice(["valid", "revoked", "expired", "not-yet-valid"])
            after[i] = replace(a, state=state,
                               revoked_on=rng.choice(months) + "-02" if state == "revoked"
                               else "",
                               renewed_by=rng.choice(["", f"u{rng.randrange(400)}"]),
                               renews=rng.choice(["", "", f"u{rng.randrange(400)}"]))
        if rng.random() < 0.2:  # the same credentials in another order
            after.reverse()
        got = updated(counts, awards, after)
        fresh = tally(after)
        if got is None:
            declined += 1
            got = fresh
        assert plain(got) == plain(fresh)
        awards, counts = after, got
    assert 0 < declined < 300
    # two credentials of one badge and date trade places (a first award date cannot
    # move): updated() counts them in place, and the renewal one still counts as such
    twins = [Award(uuid=u, source="", file="", digest="", badge_slug="b0",
                   valid_from="2025-01-01T00:00:00Z", renews=r)
             for u, r in (("y", ""), ("x", "old"))]
    got = updated(tally(twins), twins, twins[::-1])
    assert got is not None and plain(got) == plain(tally(twins[::-1]))
