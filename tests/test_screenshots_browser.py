"""Screenshots of the demo site's main page types at 1280 and 390 px, each checked for the two
ways a page looks unfinished that a machine can see: sideways scrolling (something wider than
the screen) and overlapping text (two runs of text drawn over each other).

The screenshots go to a folder: a temporary one, or the one ``BADGEPRESS_SCREENSHOTS`` names
(the README links the set in docs/screenshots/, made with
``BADGEPRESS_SCREENSHOTS=docs/screenshots scripts/test tests/test_screenshots_browser.py``)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from badgepress.build.pipeline import build
from conftest import DEMO_NOW, REPO
from test_accessibility import sideways

WIDTHS = (1280, 390)

# Every run of text on the page as rectangles (one per line box), with the element it sits
# in; pairs of rectangles from different runs that intersect by more than a sliver are
# reported. Text clipped away (visually hidden, inside a closed <details>, scrolled out of
# its own container) has no rectangle that a reader sees, so it is left out.
OVERLAPS = """() => {
  const runs = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const visible = (el) => {
    for (let e = el; e && e !== document.body; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.display === "none" || s.visibility === "hidden" || s.opacity === "0") return false;
      if (s.clip && s.clip !== "auto" || s.clipPath && s.clipPath !== "none") return false;
    }
    return true;
  };
  const clipped = (el, r) => {
    for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (/(auto|scroll|hidden|clip)/.test(s.overflowX + s.overflowY)) {
        const c = e.getBoundingClientRect();
        if (r.right <= c.left || r.left >= c.right || r.bottom <= c.top || r.top >= c.bottom)
          return true;
      }
    }
    return false;
  };
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.textContent.trim()) continue;
    const el = n.parentElement;
    if (!visible(el)) continue;
    const range = document.createRange();
    range.selectNodeContents(n);
    for (const r of range.getClientRects()) {
      if (r.width < 2 || r.height < 2 || clipped(el, r)) continue;
      runs.push({ text: n.textContent.trim().slice(0, 40), r,
                  where: el.tagName.toLowerCase() + (el.className ? "." + el.className : "") });
    }
  }
  const out = [];
  for (let i = 0; i < runs.length; i++) {
    for (let j = i + 1; j < runs.length; j++) {
      const a = runs[i].r, b = runs[j].r;
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 2 && h > 0.3 * Math.min(a.height, b.height))
        out.push(`${runs[i].where} "${runs[i].text}" / ${runs[j].where} "${runs[j].text}"`);
    }
  }
  return out.slice(0, 20);
}"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    return build(REPO, tmp_path_factory.mktemp("shots") / "site", now=DEMO_NOW).out_dir


def pages(out: Path) -> list[tuple[str, str]]:
    """(name, path) of the page types the issue names: catalog, badge, credential, earner,
    skills, insights, pathways. The credential is one with evidence, from an earner with a
    page, so the screenshot shows what a shared credential looks like at its fullest."""
    for page in sorted((out / "earners").glob("*/index.html")):
        html = page.read_text(encoding="utf-8")
        linked = sorted(set(re.findall(r'credentials/([0-9a-f-]{36})/', html)))
        full = [u for u in linked if "Evidence" in
                (out / "credentials" / u / "index.html").read_text(encoding="utf-8")]
        if full:
            earner, credential = page.parent.name, full[0]
            break
    else:
        raise AssertionError("the demo has no earner page with a credential with evidence")
    return [("catalog", ""), ("badge", "badges/client-support-council-leader/"),
            ("credential", f"credentials/{credential}/"), ("earner", f"earners/{earner}/"),
            ("skills", "skills/"), ("insights", "insights/"), ("pathways", "pathways/")]


@pytest.mark.parametrize("width", WIDTHS)
def test_main_pages_have_no_sideways_scroll_nor_overlapping_text(browser, serve_dir, demo,
                                                                 width: int) -> None:
    folder = Path(os.environ.get("BADGEPRESS_SCREENSHOTS") or demo.parent / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    url = serve_dir(demo)
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.clock.set_fixed_time(DEMO_NOW)
    problems: dict[str, object] = {}
    for name, path in pages(demo):
        response = page.goto(url + path)
        assert response is not None and response.ok, path
        page.wait_for_load_state("networkidle")
        if page.query_selector("#verification"):
            page.wait_for_selector("#verification:not([data-verdict=pending])", timeout=15000)
        page.evaluate("document.fonts.ready")
        scroll = sideways(page)
        if scroll:
            problems[f"{name}: scrolls sideways"] = scroll
        overlaps = page.evaluate(OVERLAPS)
        if overlaps:
            problems[f"{name}: overlapping text"] = overlaps
        shot = folder / f"{name}-{width}.jpg"  # JPEG: a tenth of a PNG's size in git
        page.screenshot(path=str(shot), full_page=True, type="jpeg", quality=70)
        assert shot.stat().st_size > 10_000  # a page, not a blank
    context.close()
    if problems:
        print(json.dumps(problems, indent=2))
    assert problems == {}
