"""The catalog's search and filters in a real browser (headless Debian chromium)."""

from __future__ import annotations

from pathlib import Path

from badgepress.build.pipeline import build
from conftest import DEMO_NOW, REPO


def visible_titles(page) -> list[str]:
    return page.eval_on_selector_all(
        "#badge-list .card:not([hidden]) .card-title", "els => els.map(e => e.textContent)")


def test_filter_by_skill_shows_exactly_the_badges_with_that_skill(browser, serve_dir,
                                                                   built_basic: Path) -> None:
    url = serve_dir(built_basic)
    page = browser.new_page()
    page.goto(url)
    assert page.is_visible("#filters")
    assert visible_titles(page) == ["Council Leader", "Council Member", "Data Analyst"]
    page.select_option("#f-skill", "Client Advocacy")
    assert visible_titles(page) == ["Council Leader", "Council Member"]
    assert page.text_content("#result-count") == "2 of 3 badges"
    assert "skill=Client+Advocacy" in page.url
    page.select_option("#f-level", "Foundation")
    assert visible_titles(page) == ["Council Member"]
    page.click("#f-clear")
    # (a string predicate would be eval'd, which the site's CSP forbids: poll a locator)
    from playwright.sync_api import expect

    expect(page.locator("#badge-list .card[hidden]")).to_have_count(0)
    page.fill("#q", "analys")
    assert visible_titles(page) == ["Data Analyst"]
    page.fill("#q", "nothing matches this")
    assert visible_titles(page) == []
    assert page.is_visible("#no-results")
    # a shared link restores the filter
    page.goto(url + "?type=Membership")
    assert visible_titles(page) == ["Council Member"]
    assert page.input_value("#f-type") == "Membership"
    page.close()


def test_demo_catalog_filter_matches_badge_files(browser, serve_dir, tmp_path: Path) -> None:
    """On the real demo content, every skill filter shows exactly the badges with that skill."""
    result = build(REPO, tmp_path / "demo", now=DEMO_NOW)
    url = serve_dir(tmp_path / "demo")
    page = browser.new_page()
    page.goto(url)
    for skill in result.catalog.skills:
        page.select_option("#f-skill", skill.name)
        expected = sorted(result.catalog.badge(s).name for s in skill.badges
                          if result.catalog.badge(s).active)
        assert sorted(visible_titles(page)) == expected, skill.name
    page.close()


def test_catalog_lists_everything_without_javascript(browser, serve_dir,
                                                     built_basic: Path) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(serve_dir(built_basic))
    assert not page.is_visible("#filters")
    assert len(visible_titles(page)) == 3
    context.close()
