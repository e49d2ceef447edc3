"""Regressions of the issue-13 security and privacy audit: each test is an attack that
worked before its fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from badgepress.commands.earner_index import EarnerIndex, figures
from badgepress.content.people import load_program_figures
from badgepress.core.errors import BuildError
from badgepress.core.paths import INSIGHTS_PATH


def _index(n: int) -> EarnerIndex:
    index = EarnerIndex(None)
    for i in range(n):
        eid = index.add_earner(f"e{i}@example.org", f"E {i}")
        index.add_credential(f"u{i}", eid, "member", "2026-01-01T00:00:00Z")
    return index


def _write_insights(root: Path, credentials) -> None:
    path = root / INSIGHTS_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 1, "asOf": "2026-06-01T12:00:00Z",
                                "credentials": credentials, "earners": None,
                                "returning": None, "progression": {}}))


def test_insights_json_never_holds_a_small_credentials_count(tmp_path: Path) -> None:
    """3 linked credentials were written (and published, in git and on /insights/) as 3."""
    doc = figures(_index(3), {"member": ()}, {"u0", "u1", "u2"}, set())
    assert doc["credentials"] is None
    assert figures(_index(5), {}, {f"u{i}" for i in range(5)}, set())["credentials"] == 5
    _write_insights(tmp_path, 3)
    with pytest.raises(BuildError) as err:
        load_program_figures(tmp_path)
    assert [p.field for p in err.value.problems] == ["credentials"]
    _write_insights(tmp_path, None)
    loaded = load_program_figures(tmp_path)
    assert loaded is not None and loaded.credentials is None


def _award(i: int, badge: str, month: str, state: str = "valid"):
    from types import SimpleNamespace
    return SimpleNamespace(uuid=f"u{badge}{i}", badge_slug=badge, state=state,
                           valid_from=f"2026-{month}-01T00:00:00Z", revoked_on="",
                           renewed_by=None, renews=None)


def test_totals_and_heat_cells_do_not_give_away_a_small_count(tmp_path: Path) -> None:
    """Jan 7 + Feb 2 credentials: the total 9 minus the published 7 gave the 2 of February;
    the Collaboration × Foundation cell (member 7 + old-timer 2) minus member's published 7
    gave old-timer's 2."""
    from badgepress.build.pipeline import load_site
    from badgepress.content.figures import compute_figures
    from conftest import copy_site
    site = copy_site("basic", tmp_path / "site")
    catalog = load_site(site)[0]
    awards = ([_award(i, "member", "01") for i in range(7)]
              + [_award(i, "old-timer", "02") for i in range(2)])
    f = compute_figures(catalog, awards)
    assert [m.issued for m in f.months] == [7, None]
    assert f.issued is None and f.withheld == ("issued",)
    cells = {name: dict(zip(f.levels, cells, strict=True)) for name, _, cells in f.heat}
    collab = cells["Collaboration"]["Foundation"]
    assert collab.count is None and collab.withheld and collab.shade == 0
    assert cells["Client Advocacy"]["Foundation"].count == 7  # member alone: published
    # a hidden remainder of 5 or more, or none at all, gives nothing away
    more = awards + [_award(i, "old-timer", "03") for i in range(10, 13)]
    g = compute_figures(catalog, more)
    assert g.issued == 12 and g.withheld == ()
    assert {n: c for n, _, c in g.heat}["Collaboration"][0].count == 12


def test_earner_page_rows_show_the_signed_name_not_only_the_earner_file_name(
        browser, serve_dir, keyed) -> None:
    """The heading name comes from the earner file (no credential signature covers it): a
    credential with no name, or another name, was listed under it as simply "genuine"."""
    from badgepress.build.pipeline import build
    from badgepress.commands.issue import IssueRequest
    from conftest import NOW, issue
    from test_earners_browser import rows
    from test_verifier_browser import open_page
    site, key, _ = keyed
    first, unnamed, renamed = issue(
        site, key, IssueRequest("member", "ada@example.org", "Ada Lovelace", earner_page=True),
        IssueRequest("leader", "ada@example.org", ""),
        IssueRequest("analyst", "ada@example.org", "Ada King"))
    out = build(site, now=NOW).out_dir
    slug = json.loads(next((site / "site_src/earners").glob("*.json")).read_text())["slug"]
    context, page, _, errors = open_page(browser, serve_dir(out) + f"earners/{slug}/", NOW)
    rows(page)
    assert page.text_content("h1").strip() == "Ada King"
    got = {li.get_attribute("data-uuid"): (li.get_attribute("data-signed-name"),
                                           li.get_attribute("data-name-matches"),
                                           li.query_selector("[data-role=signed-name]")
                                           .text_content())
           for li in page.query_selector_all("li.earner-credential")}
    assert got[renamed.path.stem][:2] == ("Ada King", "true")
    assert got[first.path.stem][:2] == ("Ada Lovelace", "false")
    assert "not the name at the top" in got[first.path.stem][2]
    assert got[unnamed.path.stem][0] == "" and "carries no name" in got[unnamed.path.stem][2]
    assert "not from a credential's signature" in page.text_content("article.earner-page")
    assert errors == []
    context.close()


def test_bulk_csv_neutralizes_formulas_behind_blanks_and_full_width_signs(
        browser, serve_dir, built_basic: Path) -> None:
    """An earner name is written by whoever signed the credential (any issuer): ' =cmd',
    a no-break space or zero-width space before '=', a full-width '＝' or a leading line
    break went into the CSV export as is."""
    from test_verifier_browser import open_page
    context, page, _, errors = open_page(browser, serve_dir(built_basic) + "verify/")
    src = page.get_attribute("script[src*='bulk']", "src")
    out = page.evaluate("""async ([src, values]) => {
        const m = await import(new URL(src, location.href).href);
        return values.map((v) => m.csvField(v));
    }""", [src, [" =1+2", "\u00a0=HYPERLINK(\"x\")", "\u200b@SUM(1)", "\uff1d1+1",
                 "\n=1", "=1", "Ada Lovelace", "a=b", " Ada"]])
    assert out == ["' =1+2", "\"'\u00a0=HYPERLINK(\"\"x\"\")\"", "'\u200b@SUM(1)",
                   "'\uff1d1+1", "\"'\n=1\"", "'=1", "Ada Lovelace", "a=b", " Ada"]
    assert errors == []
    context.close()


def test_bulk_fetch_plan_gives_no_opaque_origin_address_the_own_route(
        browser, serve_dir, built_basic: Path) -> None:
    """Where the page's origin is opaque ("null": a file:// copy, a sandboxed frame), a
    data:, javascript: or file: address had the same origin and was fetched unchecked."""
    from test_verifier_browser import open_page
    context, page, _, _ = open_page(browser, serve_dir(built_basic) + "verify/")
    src = page.get_attribute("script[src*='bulk']", "src")
    plans = page.evaluate("""async ([src, addresses]) => {
        const m = await import(new URL("sources.js", new URL(src, location.href)).href);
        const ctx = { siteBase: "https://badges.test.example/", siteRoot: location.origin + "/",
                      origin: "null" };
        return addresses.map((a) => m.fetchPlan(a, ctx));
    }""", [src, ["data:text/html,<p>x", "javascript:alert(1)", "file:///etc/passwd",
                 "http://192.168.1.1/", "https://127.0.0.1/"]])
    assert all(p.get("problem") and not p.get("own") for p in plans), plans
    context.close()


@pytest.mark.parametrize("bad", ["Ada ada@example.org", "Ada\u202eecalevol", "A" * 201])
def test_earner_page_name_gets_the_checks_a_credential_name_gets(keyed, bad: str) -> None:
    """'earner EMAIL --page on --name …' (or a name from the records of 'earners rebuild')
    published an email address, a bidi-disguised or an over-long name, in git and on the
    site, although 'issue' refuses each of them in a credential's name."""
    from badgepress.commands.earner_commands import set_page
    from badgepress.commands.earner_index import EarnerIndex, index_path
    from badgepress.commands.earners import EarnerProblem
    from badgepress.commands.issue import IssueRequest
    from conftest import NOW, issue
    site, key, key_file = keyed
    issue(site, key, IssueRequest("member", "ada@example.org", "Ada Lovelace"))
    with pytest.raises(EarnerProblem):
        set_page(site, "ada@example.org", True, key, name=bad, now=NOW)
    assert not (site / "site_src/earners").exists() or not any(
        (site / "site_src/earners").iterdir())
    index = EarnerIndex.load(index_path(site, key))  # a name from the records
    eid = index.earner_of_email("ada@example.org")
    index.earners[eid]["name"] = bad
    index.save()
    with pytest.raises(EarnerProblem):
        set_page(site, "ada@example.org", True, key, now=NOW)
    assert set_page(site, "ada@example.org", True, key, name="Ada Lovelace", now=NOW) == \
        "ada-lovelace"


def test_feeds_stay_well_formed_xml_with_control_characters_in_names(keyed) -> None:
    """A vertical tab in an opted-in earner's name, or \\x01 in a badge's summary, made
    /feeds/credentials.atom or /feeds/badges.atom unreadable to every feed reader."""
    from xml.etree import ElementTree as ET

    from badgepress.build.pipeline import build
    from badgepress.commands.issue import IssueRequest
    from conftest import NOW, issue
    site, key, _ = keyed
    badge = site / "badges/member.md"
    badge.write_text(badge.read_text(encoding="utf-8").replace(
        "summary: Member of the council.", 'summary: "Ctl\\x01 \\x1b"'), encoding="utf-8")
    issue(site, key, IssueRequest("member", "ada@example.org", "Ada\x0bLovelace",
                                  earner_page=True))
    out = build(site, now=NOW).out_dir
    for feed in ("feeds/credentials.atom", "feeds/badges.atom"):
        ET.fromstring((out / feed).read_bytes())  # raises on a forbidden character
    assert b"AdaLovelace" in (out / "feeds/credentials.atom").read_bytes()
    assert b"Ctl" in (out / "feeds/badges.atom").read_bytes()


def test_bulk_rows_name_the_host_that_vouches_for_the_issuer(
        browser, serve_dir, built_basic: Path) -> None:
    """A credential signed at evil.example with the issuer name "Test Issuer" showed in
    the Issuer column exactly like this site's own credentials ("Genuine and current"):
    the column now adds the host of the issuer's identifier, where its keys are."""
    from test_verifier_browser import open_page
    context, page, _, _ = open_page(browser, serve_dir(built_basic) + "verify/")
    src = page.get_attribute("script[src*='bulk']", "src")
    hosts = page.evaluate("""async ([src, docs]) => {
        const m = await import(new URL(src, location.href).href);
        return docs.map((d) => m.issuerHost(d));
    }""", [src, [{"issuer": {"id": "did:web:evil.example", "name": "Test Issuer"}},
                 {"issuer": "did:web:Evil.Example%3A8443:u:x"},
                 {"issuer": {"id": "https://evil.example/issuer.json"}},
                 {"issuer": {"name": "no id"}}, {}]])
    assert hosts == ["evil.example", "evil.example:8443", "evil.example", "", ""]
    context.close()
