"""Earner pages (opt-in), the local earner index, insights.json and the privacy rule: an
earner who did not opt in is named only in the files of their own credential."""

from __future__ import annotations

import json
import os
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from badgepress.build.pipeline import build
from badgepress.cli import main
from badgepress.commands.earner_commands import rebuild, set_page
from badgepress.commands.earner_index import EarnerIndex, index_path
from badgepress.commands.issue import IssueRequest, issue_credentials, requests_from_csv
from badgepress.commands.lifecycle import revoke, withdraw
from badgepress.content.people import load_earners, load_program_figures
from badgepress.core.errors import BuildError, Problems
from badgepress.trust.ledger import read_log
from click.testing import CliRunner
from conftest import NOW, soup

WORDS = ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel", "India",
         "Juliett", "Kilo", "Lima", "Mike", "November"]
OPTED = {0, 8}
EXTRA_BADGES = {
    "expert": "---\nname: Council Expert\nsummary: Expert.\nskills: [Strategy]\n"
              "requires: [leader, analyst]\n---\nExperts.\n\n"
              "## What it takes to earn this badge\n\nBe expert.\n",
    "mentor": "---\nname: Council Mentor\nsummary: Mentor.\nskills: [Mentoring]\n"
              "requires: [member]\n---\nMentors.\n\n"
              "## What it takes to earn this badge\n\nMentor.\n",
}
# (earner number, badge, date); e11 earned leader before member; e12's member has expired
PLAN = ([(i, "member", f"2026-01-0{1 + i % 9}") for i in range(8)]
        + [(i, "leader", f"2026-03-0{1 + i % 9}") for i in range(8)]
        + [(i, "expert", "2026-04-01") for i in range(6)]
        + [(0, "mentor", "2026-04-02"), (1, "mentor", "2026-04-02")]
        + [(i, b, d) for i in (8, 9, 10) for b, d in (("member", "2026-02-01"),
                                                      ("analyst", "2026-02-05"))]
        + [(11, "leader", "2026-01-01"), (11, "member", "2026-02-01"),
           (12, "analyst", "2026-01-01"), (12, "member", "2025-01-01"),
           (13, "analyst", "2026-01-01")])
REVOKED = [(7, "leader"), (0, "mentor")]


def email(i: int) -> str:
    return f"earner{i}@example.org"


def name(i: int) -> str:
    return f"{'Opted' if i in OPTED else 'Hidden'} {WORDS[i]}"


def add_badges(site: Path) -> None:
    for slug, text in EXTRA_BADGES.items():
        (site / "badges" / f"{slug}.md").write_text(text, encoding="utf-8")


def write_csv(path: Path, rows: list[tuple[int, str, str]]) -> Path:
    lines = ["badge,email,name,date,earner_page"]
    lines += [f"{b},{email(i)},{name(i)},{d},{'yes' if i in OPTED else ''}" for i, b, d in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class Program:
    def __init__(self, site: Path, key, key_file: Path, csv: Path,
                 uuids: dict[tuple[int, str], str]):
        self.site, self.key, self.key_file, self.csv, self.uuids = site, key, key_file, csv, \
            uuids


@pytest.fixture
def program(keyed, tmp_path: Path) -> Program:
    site, key, key_file = keyed
    add_badges(site)
    csv = write_csv(tmp_path / "records.csv", PLAN)
    issued = issue_credentials(site, requests_from_csv(csv, site), key, now=NOW)
    uuids = {}
    for r in issued:
        i = int(r.request.email.removeprefix("earner").split("@")[0])
        uuids[(i, r.request.badge)] = r.path.stem
    for i, badge in REVOKED:
        revoke(site, uuids[(i, badge)], "test", key, now=NOW)
    return Program(site, key, key_file, csv, uuids)


def index_of(p: Program) -> EarnerIndex:
    return EarnerIndex.load(index_path(p.site, p.key))


def expected_figures() -> dict:
    """An independent count from the plan itself."""
    held: dict[int, dict[str, list[str]]] = {}
    for i, b, d in PLAN:
        if (i, b) not in REVOKED:
            held.setdefault(i, {}).setdefault(b, []).append(d)
    leads = {"member": ["leader", "mentor"], "leader": ["expert"], "analyst": ["expert"]}

    def s(n: int) -> int | None:
        return n if n >= 5 else None

    progression = {}
    for a, tos in sorted(leads.items()):
        holders = [i for i in held if a in held[i]]
        progression[a] = {"earners": s(len(holders)), "to": {
            b: s(len([i for i in holders if b in held[i]
                      and max(held[i][b]) >= min(held[i][a])])) for b in sorted(tos)}}
    return {"credentials": len(PLAN) - len(REVOKED), "earners": s(len(held)),
            "returning": s(len([i for i in held if len(held[i]) >= 2])),
            "progression": progression}


def test_insights_json_equals_an_independent_count_and_suppresses_small_counts(
        program: Program) -> None:
    doc = json.loads((program.site / "site_src/insights.json").read_text())
    want = expected_figures()
    assert want["progression"]["member"]["to"]["leader"] == 7  # e0-e6; e7's was revoked
    assert want["progression"]["member"]["to"]["mentor"] is None  # 1 (e1): suppressed
    assert want["progression"]["leader"]["to"]["expert"] == 6
    assert {k: doc[k] for k in want} == want
    assert doc["asOf"] == "2026-06-01T12:00:00Z" and doc["version"] == 1
    figures = load_program_figures(program.site)
    assert figures is not None
    assert (figures.credentials, figures.earners, figures.returning) == (
        want["credentials"], want["earners"], want["returning"])
    assert ("member", want["progression"]["member"]["earners"],
            (("leader", 7), ("mentor", None))) in figures.progression
    log = read_log(program.site, program.key.public_multibase)
    assert [e["action"] for e in log.entries].count("insights") >= 2  # issue, then revoke
    assert oct(os.stat(index_path(program.site, program.key)).st_mode & 0o777) == "0o600"


def test_privacy_over_the_whole_site(program: Program) -> None:
    build(program.site, now=NOW)
    out = program.site / "_site"
    files = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*")
             if p.is_file()}
    hidden = [i for i in range(len(WORDS)) if i not in OPTED]
    for i in hidden:
        own = {u for (j, _), u in program.uuids.items() if j == i}
        where = [path for path, data in files.items() if name(i).encode() in data]
        assert where, f"{name(i)} should be on their own credential pages"
        assert all(path.split("/")[0] == "credentials" and path.split("/")[1] in own
                   for path in where), (name(i), where)
        for path, data in files.items():  # no list, page or feed points at their credentials
            if path.startswith(("earners/", "feeds/", "badges/", "sitemap")) or \
                    path in ("index.html", "skills/index.html"):
                assert not any(u.encode() in data for u in own), (path, i)
    for i in OPTED:
        slug = name(i).lower().replace(" ", "-")
        assert f"earners/{slug}/index.html" in files
    assert {p.split("/")[1] for p in files if p.startswith("earners/")} == {
        "opted-alpha", "opted-india"}
    assert not any(b"earners/" in data for path, data in files.items()
                   if path.startswith("sitemap"))


def test_earner_page_lists_every_credential_with_its_state_and_skills(
        program: Program) -> None:
    build(program.site, now=NOW)
    out = program.site / "_site"
    page = soup(out / "earners/opted-alpha/index.html")
    rows = page.select("li.earner-credential")
    mine = {u: b for (i, b), u in program.uuids.items() if i == 0}
    assert {r["data-uuid"] for r in rows} == set(mine)
    states = {mine[r["data-uuid"]]: r["data-state"] for r in rows}
    assert states == {"member": "valid", "leader": "valid", "expert": "valid",
                      "mentor": "revoked"}
    revoked = next(r for r in rows if r["data-state"] == "revoked")
    assert "Revoked on" in revoked.get_text() and revoked["data-revoked-on"]
    skills = [li.a.get_text() for li in page.select("ul.earner-skills li")]
    assert "Mentoring" not in skills  # only from credentials that were not revoked
    assert {"Strategy", "Leadership"} <= set(skills)
    assert page.select_one('meta[name=robots]')["content"] == "noindex"
    # badge page: the opted-in earners, linking to their pages; counts suppressed below 5
    member = soup(out / "badges/member/index.html")
    links = {a.get_text(): a["href"] for a in member.select("#earners ul.earners a")}
    assert links == {"Opted Alpha": "../../earners/opted-alpha/",
                     "Opted India": "../../earners/opted-india/"}
    assert "Awarded 13 times" in member.select_one("#earners").get_text(" ", strip=True)
    mentor = soup(out / "badges/mentor/index.html")
    assert "Awarded fewer than 5 times" in mentor.select_one("#earners").get_text(" ", strip=True)


def test_whats_next_on_credential_and_badge_pages(program: Program) -> None:
    build(program.site, now=NOW)
    out = program.site / "_site"
    page = soup(out / f"credentials/{program.uuids[(0, 'member')]}/index.html")
    nxt = {li["data-badge"]: li.get("data-held") for li in page.select(".next-badges li")}
    assert nxt == {"leader": "yes", "mentor": None}  # mentor revoked: not held
    assert page.select_one(".earner-page-link")["href"] == "../../earners/opted-alpha/"
    hidden = soup(out / f"credentials/{program.uuids[(1, 'member')]}/index.html")
    assert {li["data-badge"]: li.get("data-held") for li in hidden.select(".next-badges li")} \
        == {"leader": None, "mentor": None}  # not opted in: nothing about what they hold
    assert hidden.select_one(".earner-page-link") is None
    badge = soup(out / "badges/member/index.html")
    assert [a.get_text(strip=True) for a in badge.select(".leads-to a > span")] == [
        "Council Leader", "Council Mentor"]


def test_credentials_feed_is_atom_of_opted_in_earners_only(program: Program) -> None:
    build(program.site, now=NOW)
    out = program.site / "_site"
    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed = ET.fromstring((out / "feeds/credentials.atom").read_bytes())
    assert feed.tag == "{http://www.w3.org/2005/Atom}feed"
    assert feed.find("a:id", ns).text and feed.find("a:updated", ns).text
    entries = feed.findall("a:entry", ns)
    opted = {u for (i, b), u in program.uuids.items() if i in OPTED and (i, b) not in REVOKED}
    assert {e.find("a:id", ns).text.removeprefix("urn:uuid:") for e in entries} == opted
    dates = [e.find("a:updated", ns).text for e in entries]
    assert dates == sorted(dates, reverse=True)
    for e in entries:
        assert e.find("a:title", ns).text.startswith("Opted ")
    home = soup(out / "index.html")
    feeds = [a["href"] for a in home.select('link[rel=alternate][type="application/atom+xml"]')]
    assert "feeds/credentials.atom" in feeds


def test_index_rebuild_from_the_records_reproduces_the_index(program: Program) -> None:
    before = index_of(program).comparable()
    (index_path(program.site, program.key)).unlink()
    done = rebuild(program.site, program.key, [program.csv])
    assert done.unmatched == 0 and done.pages == 2
    assert index_of(program).comparable() == before


def test_earner_command_on_off_is_logged_and_the_build_checks_the_file(
        program: Program) -> None:
    site = program.site
    slug = set_page(site, email(1), True, program.key, now=NOW)
    assert slug == "hidden-bravo"
    rel = "site_src/earners/hidden-bravo.json"
    doc = json.loads((site / rel).read_text())
    assert doc["name"] == "Hidden Bravo" and set(doc["credentials"]) == {
        u for (i, _), u in program.uuids.items() if i == 1}
    entries = read_log(site, program.key.public_multibase).entries
    assert any(e["action"] == "earner" and e["subject"] == slug and rel in e["files"]
               for e in entries)
    build(site, now=NOW)
    assert (site / "_site/earners/hidden-bravo/index.html").is_file()
    good = (site / rel).read_bytes()
    (site / rel).write_bytes(good.replace(b"Hidden Bravo", b"Someone Else"))
    with pytest.raises(BuildError) as err:
        build(site, now=NOW)
    assert any(p.path == rel and "changed since it was logged" in p.message
               for p in err.value.problems)
    (site / rel).write_bytes(good)
    assert set_page(site, email(1), False, program.key, now=NOW) == slug
    assert not (site / rel).exists()
    last = read_log(site, program.key.public_multibase).entries
    assert any(e["action"] == "earner" and e["files"].get(rel) == "" for e in last)
    build(site, now=NOW)
    assert not (site / "_site/earners/hidden-bravo").exists()
    (site / rel).write_bytes(good)  # a withdrawn page put back by hand
    with pytest.raises(BuildError) as err:
        build(site, now=NOW)
    assert any(p.path == rel for p in err.value.problems)
    (site / rel).unlink()
    # opting in again under the same name: the page is back at the address it had (links
    # to it work again); under another name, a new address that does not show the old one
    assert set_page(site, email(1), True, program.key, now=NOW) == slug
    build(site, now=NOW)
    assert (site / "_site/earners/hidden-bravo/index.html").is_file()
    set_page(site, email(1), False, program.key, now=NOW)
    assert set_page(site, email(1), True, program.key, now=NOW,
                    name="Bravo Renamed") == "bravo-renamed"


def test_unlogged_earner_file_fails_the_build(program: Program) -> None:
    rel = "site_src/earners/someone.json"
    (program.site / rel).write_text(json.dumps({"slug": "someone", "name": "Someone",
                                                "credentials": [program.uuids[(1, "member")]]}))
    with pytest.raises(BuildError) as err:
        build(program.site, now=NOW)
    assert any(p.path == rel and "not in any issuance log" in p.message
               for p in err.value.problems)


def test_withdraw_updates_the_earner_file_and_earner_files_name_published_credentials(
        program: Program) -> None:
    site = program.site
    gone = program.uuids[(0, "expert")]
    withdraw(site, gone, "test withdrawal", program.key, now=NOW)
    doc = json.loads((site / "site_src/earners/opted-alpha.json").read_text())
    assert gone not in doc["credentials"] and len(doc["credentials"]) == 3
    build(site, now=NOW)
    problems = Problems(site)
    published = set(program.uuids.values()) - {gone, doc["credentials"][0]}
    load_earners(site, published, problems)
    assert [p.field for p in problems.errors] == ["credentials"]
    assert "does not publish" in problems.errors[0].message


def test_opt_in_by_flag_needs_a_name_and_csv_values_are_checked(keyed, tmp_path: Path
                                                                ) -> None:
    site, key, key_file = keyed
    runner = CliRunner()
    res = runner.invoke(main, ["-C", str(site), "issue", "--badge", "member", "--email",
                               "ada@example.org", "--earner-page", "--key", str(key_file)])
    assert res.exit_code == 1 and "an earner page shows the earner's name" in res.output
    assert not (site / "site_src/earners").exists()
    res = runner.invoke(main, ["-C", str(site), "issue", "--badge", "member", "--email",
                               "ada@example.org", "--name", "Ada Lovelace", "--earner-page",
                               "--key", str(key_file)])
    assert res.exit_code == 0, res.output
    assert json.loads((site / "site_src/earners/ada-lovelace.json").read_text())["name"] \
        == "Ada Lovelace"
    bad = tmp_path / "bad.csv"
    bad.write_text("badge,email,name,earner_page\nmember,b@example.org,B,yes\n"
                   "member,c@example.org,C,maybe\n", encoding="utf-8")
    res = runner.invoke(main, ["-C", str(site), "issue", "--csv", str(bad), "--key",
                               str(key_file)])
    assert res.exit_code == 1
    assert "bad.csv:3" in res.output and "earner_page" in res.output and "maybe" in res.output
    assert "yes or no" in res.output
    good = tmp_path / "good.csv"
    good.write_text("badge,email,name,earner_page\nmember,b@example.org,Bea Same,yes\n"
                    "member,c@example.org,Bea Same,TRUE\nmember,d@example.org,Dee,\n",
                    encoding="utf-8")
    res = runner.invoke(main, ["-C", str(site), "issue", "--csv", str(good), "--key",
                               str(key_file)])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (site / "site_src/earners").iterdir()) == [
        "ada-lovelace.json", "bea-same-2.json", "bea-same.json"]
    res = runner.invoke(main, ["-C", str(site), "earner", "d@example.org", "--page", "on",
                               "--key", str(key_file)])
    assert res.exit_code == 0 and (site / "site_src/earners/dee.json").is_file()


def test_index_beside_a_key_inside_the_site_is_refused(keyed) -> None:
    from badgepress.commands.earner_index import IndexProblem, index_path
    from badgepress.trust.keys import SigningKey

    site, key, _ = keyed
    inside = SigningKey(key.seed, site / "keys" / "issuer.key")
    with pytest.raises(IndexProblem):
        index_path(site, inside)
    issue_credentials(site, [(None, IssueRequest("member", "x@example.org"))], key, now=NOW)


def test_renew_adds_the_successor_to_the_earner_page(program: Program) -> None:
    from badgepress.commands.lifecycle import renew

    new = renew(program.site, program.uuids[(8, "member")], program.key, now=NOW)
    doc = json.loads((program.site / "site_src/earners/opted-india.json").read_text())
    assert doc["credentials"][-1] == new.stem and len(doc["credentials"]) == 3
    assert index_of(program).earner_of(new.stem) == index_of(program).earner_of(
        program.uuids[(8, "member")])
    build(program.site, now=NOW)


def test_incremental_builds_notice_earner_files(program: Program, tmp_path: Path) -> None:
    from badgepress.build.incremental import IncrementalBuilder

    first = build(program.site, now=NOW, incremental=True)
    assert not first.unchanged
    assert build(program.site, now=NOW, incremental=True).unchanged
    builder = IncrementalBuilder(program.site, tmp_path / "dev")
    builder.build(now=NOW)
    set_page(program.site, email(2), True, program.key, now=NOW)
    rel = program.site / "site_src/earners/hidden-charlie.json"
    again = build(program.site, now=NOW, incremental=True)
    assert not again.unchanged and "earners/hidden-charlie/index.html" in again.files
    dev = builder.build(now=NOW, changed={rel})
    assert "earners/hidden-charlie/index.html" in dev.written
    rel.write_bytes(rel.read_bytes().replace(b"Hidden Charlie", b"Mallory"))
    with pytest.raises(BuildError):
        builder.build(now=NOW, changed={rel})


def test_a_withdrawn_page_slug_is_never_given_to_someone_else(program: Program) -> None:
    assert set_page(program.site, email(8), False, program.key, now=NOW) == "opted-india"
    issue_credentials(program.site, [(None, IssueRequest(
        "member", "other@example.org", "Opted India", earner_page=True))], program.key, now=NOW)
    assert (program.site / "site_src/earners/opted-india-2.json").is_file()
    assert not (program.site / "site_src/earners/opted-india.json").exists()


def test_rebuild_and_insights_commands(program: Program) -> None:
    runner = CliRunner()
    before = index_of(program).comparable()
    (index_path(program.site, program.key)).unlink()
    res = runner.invoke(main, ["-C", str(program.site), "earners", "rebuild", "--from",
                               str(program.csv), "--key", str(program.key_file)])
    assert res.exit_code == 0, res.output
    assert f"{len(PLAN)} credentials of 14 earners (2 with a page)" in res.output
    assert index_of(program).comparable() == before
    res = runner.invoke(main, ["-C", str(program.site), "insights", "--key",
                               str(program.key_file)])
    assert res.exit_code == 0, res.output
    entries = read_log(program.site, program.key.public_multibase).entries
    assert entries[-1]["action"] == "insights" and entries[-1]["subject"] == "insights"
    doc = json.loads((program.site / "site_src/insights.json").read_text())
    assert {k: doc[k] for k in expected_figures()} == expected_figures()
    build(program.site, now=NOW)


def test_sites_whose_keys_share_a_folder_keep_separate_indexes(keyed, tmp_path: Path) -> None:
    """Two programs, each key in the same folder (as 'init' puts them): each has its own
    index, a rebuild of one leaves the other's alone, and the index shared by earlier
    versions gives each site only its own credentials."""
    from badgepress.commands.earner_index import LEGACY_NAME
    from badgepress.trust.keys import SigningKey, add_key, load_signing_key, save_new_key
    from conftest import copy_site, issue

    site_a, key_a, key_file = keyed
    site_b = copy_site("basic", tmp_path / "b")
    toml = site_b / "site_src/site.toml"
    toml.write_text(toml.read_text().replace("badges.test.example", "other.test.example"))
    key_file_b = key_file.parent / "other.key"
    save_new_key(SigningKey.generate(), key_file_b, site_b)
    key_b = load_signing_key(key_file_b, site_b)
    add_key(site_b, key_b, now=NOW)
    [a] = issue(site_a, key_a, IssueRequest("member", "ada@example.org", "Ada"))
    [b] = issue(site_b, key_b, IssueRequest("member", "bob@example.org", "Bob"))
    path_a, path_b = index_path(site_a, key_a), index_path(site_b, key_b)
    assert path_a.parent == path_b.parent and path_a != path_b
    assert set(EarnerIndex.load(path_a).credentials) == {a.path.stem}
    assert set(EarnerIndex.load(path_b).credentials) == {b.path.stem}
    records = tmp_path / "a.csv"
    records.write_text("badge,email,name\nmember,ada@example.org,Ada\n")
    rebuild(site_a, key_a, [records])
    assert set(EarnerIndex.load(path_b).credentials) == {b.path.stem}  # untouched
    # the one index of earlier versions, holding both sites' credentials; one earner record
    # per person, whose page (on site A) is no page of site B
    index_a, index_b = EarnerIndex.load(path_a), EarnerIndex.load(path_b)
    [ada] = index_a.earners
    index_a.earners[ada]["slug"] = "ada"
    legacy = {"version": 1, "credentials": {**index_a.credentials, **{
        u: {**c, "earner": ada} for u, c in index_b.credentials.items()}},
        "earners": index_a.earners}
    (key_file.parent / LEGACY_NAME).write_text(json.dumps(legacy))
    path_b.unlink()
    issue(site_b, key_b, IssueRequest("member", "cy@example.org", "Cy"))
    kept = EarnerIndex.load(path_b)
    assert b.path.stem in kept.credentials and a.path.stem not in kept.credentials
    assert kept.earners[ada]["slug"] is None  # site B publishes no page of that earner
    assert not (site_b / "site_src/earners").exists() or not any(
        (site_b / "site_src/earners").iterdir())
    # site B moves to another address: its index (named by the issuer id) follows
    before = set(kept.credentials)
    toml.write_text(toml.read_text().replace("other.test.example", "moved.test.example"))
    issue(site_b, key_b, IssueRequest("member", "dee@example.org", "Dee"))
    moved = EarnerIndex.load(index_path(site_b, key_b))
    assert index_path(site_b, key_b) != path_b and before < set(moved.credentials)


def test_names_and_skills_in_any_script_get_readable_distinct_slugs(keyed) -> None:
    """Dropping every letter outside ASCII made /earners/x/, x-2, x-3 … of Chinese, Korean
    and Russian names, and one anchor 'x' of every such skill."""
    site, key, _ = keyed
    names = ["李小龙", "王芳", "Ольга Петрова", "김민수"]
    issue_credentials(site, [(None, IssueRequest("member", f"e{i}@example.org", name,
                                                 earner_page=True))
                             for i, name in enumerate(names)], key, now=NOW)
    assert sorted(p.stem for p in (site / "site_src/earners").glob("*.json")) == [
        "gim-min-su", "li-xiao-long", "olga-petrova", "wang-fang"]
    badge = site / "badges/member.md"
    text = badge.read_text()
    assert "skills: [Client Advocacy, Collaboration]" in text
    badge.write_text(text.replace("skills: [Client Advocacy, Collaboration]",
                                  "skills: [数据分析, Анализ данных]"))
    out = build(site, now=NOW).out_dir
    ids = {e.get("id") for e in soup(out / "skills/index.html").select("[id]")}
    assert {"shu-ju-fen-xi", "analiz-dannykh"} <= ids, ids


def test_insights_from_an_index_that_knows_part_of_the_site_is_refused(keyed,
                                                                         tmp_path: Path) -> None:
    """On a team each maintainer's index holds what they issued: `insights` by one of them
    replaced the program's figures with a fraction, without a word."""
    site, key, _ = keyed
    issue_credentials(site, [(None, IssueRequest("member", f"m{i}@example.org"))
                             for i in range(3)], key, now=NOW)
    bo = tmp_path / "bo" / "bo.key"
    runner = CliRunner()
    assert runner.invoke(main, ["-C", str(site), "keygen", "--key", str(bo), "--name",
                                "Bo"]).exit_code == 0
    res = runner.invoke(main, ["-C", str(site), "insights", "--key", str(bo)])
    assert res.exit_code == 1 and "your earner index knows 0 of the site's 3 credentials" \
        in res.output and "--partial" in res.output, res.output
    res = runner.invoke(main, ["-C", str(site), "insights", "--key", str(bo), "--partial"])
    assert res.exit_code == 0, res.output


def test_rebuild_from_some_records_keeps_what_the_index_knew_unless_replace(
        keyed, tmp_path: Path) -> None:
    """Records of one earner (say another maintainer's, to manage their page) used to
    replace the whole index, dropping every other earner without a word."""
    site, key, key_file = keyed
    issue_credentials(site, [(None, IssueRequest("member", f"m{i}@example.org", f"M {i}"))
                             for i in range(3)], key, now=NOW)
    one = tmp_path / "one.csv"
    one.write_text("badge,email,name\nmember,m0@example.org,M 0\n")
    runner = CliRunner()
    args = ["-C", str(site), "earners", "rebuild", "--from", str(one), "--key",
            str(key_file)]
    res = runner.invoke(main, args)
    assert res.exit_code == 0 and "3 credentials of 3 earners" in res.output \
        and "2 of them kept from your index" in res.output, res.output
    res = runner.invoke(main, [*args, "--replace"])
    assert res.exit_code == 0 and "1 credentials of 1 earners" in res.output, res.output


def test_withdrawing_an_earners_only_credential_takes_their_page_down(keyed) -> None:
    site, key, _ = keyed
    [a] = issue_credentials(site, [(None, IssueRequest("member", "kim@example.org", "Kim Lee",
                                                       earner_page=True))], key, now=NOW)
    assert (site / "site_src/earners/kim-lee.json").is_file()
    withdraw(site, a.path.stem, "Personal data in the evidence", key, now=NOW)
    assert not list((site / "site_src/earners").glob("*.json"))
    build(site, now=NOW)


def test_a_very_long_name_in_any_script_makes_a_slug_a_file_can_have(keyed) -> None:
    site, key, _ = keyed
    issue_credentials(site, [(None, IssueRequest("member", "long@example.org", "龍" * 60,
                                                 earner_page=True))], key, now=NOW)
    [page] = (site / "site_src/earners").glob("*.json")
    assert page.stem.startswith("long-long") and len(page.stem) <= 80
    build(site, now=NOW)


def test_skills_whose_names_slug_alike_get_one_anchor_each(basic_site: Path) -> None:
    """'C#' and 'C++' both slug to 'c': one anchor for two skills, and every link to
    either went to the first."""
    badge = basic_site / "badges/member.md"
    text = badge.read_text()
    assert "skills: [Client Advocacy, Collaboration]" in text
    badge.write_text(text.replace("skills: [Client Advocacy, Collaboration]",
                                  "skills: [C#, C++, Straße, Strasse]"))
    out = build(basic_site, now=NOW, strict=True).out_dir  # strict: links checked too
    ids = [e.get("id") for e in soup(out / "skills/index.html").select("section.skill")]
    assert {"c", "c-2", "strasse", "strasse-2"} <= set(ids) and len(ids) == len(set(ids))
    links = [a["href"] for a in soup(out / "badges/member/index.html").select(".skills a")]
    assert sorted(h.rsplit("#", 1)[1] for h in links) == ["c", "c-2", "strasse", "strasse-2"]
