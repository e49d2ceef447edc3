"""The demo site a newcomer sees on the first run."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import REPO, soup

from generator.build import build

SOURCE_BADGES = ("Client Support Council – Member", "Client Support Council – Leader",
                 "Experienced Product Services Professional")


def test_demo_catalog(tmp_path: Path) -> None:
    result = build(REPO, tmp_path / "out")
    assert result.warnings == ()
    out = tmp_path / "out"
    cards = soup(out / "index.html").select("#badge-list .card .card-title")
    names = [c.get_text() for c in cards]
    assert len(names) >= 15
    for name in SOURCE_BADGES:
        assert name in names
    leader = soup(out / "badges/client-support-council-leader/index.html")
    assert leader.select_one(".prerequisites a")["href"] == "../client-support-council-member/"
    items = leader.select("#criteria ol > li, #criteria ul > li")
    assert len(items) >= 8 and "3 of" in leader.select_one("#criteria").get_text()
    member = soup(out / "badges/client-support-council-member/index.html")
    assert "../client-support-council-leader/" in [a["href"] for a in
                                                    member.select(".leads-to a")]
    for badge in result.catalog.badges:
        doc = json.loads((out / f"badges/{badge.slug}/achievement.json").read_text())
        assert "Achievement" in doc["type"] and doc["id"].startswith("https://")
        assert doc["name"] and doc["description"] and doc["criteria"]["narrative"]
        page = soup(out / f"badges/{badge.slug}/index.html")
        assert page.select_one(".skills li") is not None
        assert page.select_one(".hero-img")["src"].endswith(".svg")
    assert len(result.catalog.skills) >= 10
