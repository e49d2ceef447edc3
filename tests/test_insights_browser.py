"""The program-figure pages in Chromium: axe-core finds nothing at 1280 and 390 px (and in
the dark scheme: the heat map has its own colours there), the page
never scrolls sideways (the heat map, chart and pathway drawing scroll inside their own
boxes), and the strict Content-Security-Policy refuses nothing (no inline style anywhere).
Screenshots of these pages are taken by tests/test_screenshots_browser.py."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from badgepress.build.pipeline import build
from conftest import DEMO_NOW, REPO
from test_accessibility import AXE, page_problems

PAGES = ("skills/", "insights/", "pathways/")
@pytest.fixture(scope="module")
def demo_site(tmp_path_factory) -> Path:
    """The demo site, which publishes a site_src/insights.json."""
    root = tmp_path_factory.mktemp("insights-browser") / "site"
    for folder in ("badges", "site_src"):
        shutil.copytree(REPO / folder, root / folder)
    assert (root / "site_src/insights.json").is_file()
    return build(root, now=DEMO_NOW).out_dir


@pytest.mark.parametrize(("width", "scheme"), [(1280, "light"), (390, "light"),
                                               (1280, "dark")])
def test_figure_pages_pass_axe_and_never_scroll_sideways(browser, serve_dir, demo_site,
                                                         width: int, scheme: str) -> None:
    url = serve_dir(demo_site)
    context = browser.new_context(viewport={"width": width, "height": 900},
                                  color_scheme=scheme)
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    problems: dict[str, object] = {}
    for path in PAGES:
        page.goto(url + path)
        page.wait_for_selector("h1")
        problems |= page_problems(page, path)
    context.close()
    if problems:
        print(json.dumps(problems, indent=2))
    assert problems == {}
    assert [m for m in console if "Content Security Policy" in m] == []
