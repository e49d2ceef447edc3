"""The demo site a newcomer sees on the first run."""

from __future__ import annotations

import json
from pathlib import Path

from badgepress.build.pipeline import build
from conftest import DEMO_NOW, REPO, soup

SOURCE_BADGES = ("Client Support Council – Member", "Client Support Council – Leader",
                 "Experienced Product Services Professional")


def test_demo_catalog(tmp_path: Path) -> None:
    result = build(REPO, tmp_path / "out", now=DEMO_NOW)
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
        assert [li.get_text() for li in page.select("aside .skills li")] == list(badge.skills)
        assert page.select_one(".hero-img")["src"].endswith(".svg")
    assert len(result.catalog.skills) >= 10


def test_demo_credentials_verify_and_leak_no_email(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(REPO / "scripts"))
    from make_demo import EARNERS, REVOKED, demo_email

    result = build(REPO, tmp_path / "out", now=DEMO_NOW)
    assert len(result.awards) == len(EARNERS) >= 30
    states = {a.uuid: a.state for a in result.awards}
    revoked = [u for u, s in states.items() if s == "revoked"]
    assert len(revoked) == 1 and set(states.values()) == {"valid", "revoked"}
    [award] = [a for a in result.awards if a.uuid == revoked[0]]
    assert (award.badge_slug, award.valid_from[:10]) == REVOKED
    emails = [demo_email(i, e[1]) for i, e in enumerate(EARNERS)]
    for f in (tmp_path / "out").rglob("*"):
        if f.is_file():
            text = f.read_bytes().decode("utf-8", "replace").lower()
            leaked = [e for e in emails if e in text]
            assert leaked == [], f
    named = [a for a in result.awards if a.earner_name]
    assert 0 < len(named) < len(result.awards)  # some earners chose not to be named
