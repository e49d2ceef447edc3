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
