"""An earner page in a real browser: every listed credential is fetched and verified on the
page, each with its own verdict; a revoked one says so, a swapped file is caught."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from badgepress.build.pipeline import build
from badgepress.commands.issue import IssueRequest
from badgepress.commands.lifecycle import revoke
from conftest import NOW, issue
from test_accessibility import AXE, page_problems
from test_verifier_browser import open_page


def rows(page) -> dict[str, tuple[str, str, str]]:
    page.wait_for_selector("article.earner-page[data-verified=done]", timeout=30000)
    return {li.get_attribute("data-uuid"): (li.get_attribute("data-verdict"),
                                            li.get_attribute("data-standing"),
                                            li.query_selector("[data-role=verdict]")
                                            .text_content())
            for li in page.query_selector_all("li.earner-credential")}


def test_earner_page_verifies_each_credential(browser, serve_dir, keyed) -> None:
    site, key, _ = keyed
    expired, current, revoked, other = issue(
        site, key, IssueRequest("member", "ada@example.org", "Ada Lovelace", earner_page=True,
                                date=datetime(2025, 1, 10, tzinfo=UTC)),
        IssueRequest("leader", "ada@example.org", "Ada Lovelace"),
        IssueRequest("analyst", "ada@example.org", "Ada Lovelace"),
        IssueRequest("member", "bob@example.org", "Bob"))
    revoke(site, revoked.path.stem, "Issued in error", key, public=True, now=NOW)
    out = build(site, now=NOW).out_dir
    assert len(json.loads((site / "site_src/earners/ada-lovelace.json").read_text())[
        "credentials"]) == 3
    url = serve_dir(out)
    context, page, _, errors = open_page(browser, url + "earners/ada-lovelace/", NOW)
    seen = rows(page)
    assert set(seen) == {current.path.stem, expired.path.stem, revoked.path.stem}
    assert seen[current.path.stem][:2] == ("valid", "valid")
    assert seen[expired.path.stem][:2] == ("invalid", "expired")
    assert seen[revoked.path.stem][:2] == ("invalid", "revoked")
    assert "revoked" in seen[revoked.path.stem][2] and "Issued in error" in \
        seen[revoked.path.stem][2]
    assert errors == []
    context.close()
    # a credential file swapped for another one of the same issuer is not shown as valid
    target = out / f"credentials/{current.path.stem}/credential.json"
    target.write_bytes((out / f"credentials/{other.path.stem}/credential.json").read_bytes())
    context, page, _, _ = open_page(browser, url + "earners/ada-lovelace/", NOW)
    assert rows(page)[current.path.stem][:2] == ("invalid", "forged")
    context.close()


@pytest.mark.parametrize("width", (1280, 320))
def test_earner_credential_and_badge_pages_have_no_axe_violation(browser, serve_dir, keyed,
                                                                  width: int) -> None:
    site, key, _ = keyed
    first, _second = issue(
        site, key, IssueRequest("member", "ada@example.org", "Ada Lovelace", earner_page=True),
        IssueRequest("leader", "ada@example.org", "Ada Lovelace"))
    out = build(site, now=NOW).out_dir
    url = serve_dir(out)
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    page.clock.set_fixed_time(NOW)
    problems = {}
    for path in ("earners/ada-lovelace/", f"credentials/{first.path.stem}/", "badges/member/"):
        page.goto(url + path)
        if path.startswith("earners/"):
            rows(page)
        problems |= page_problems(page, path)
    context.close()
    assert problems == {}
