"""The benchmark's helpers make what they claim (bench/run.py times them; tests never do):
a cached synthetic site that builds, with its key beside it, and a Hugo site of N pages."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from badgepress.build.pipeline import build
from badgepress.trust.keys import load_key_history, load_signing_key
from conftest import NOW, REPO

sys.path.insert(0, str(REPO / "bench"))
import synthetic  # noqa: E402


def test_cached_site_is_made_once_per_content_and_builds(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # small chunks over two forked workers: the parallel path, with a site this small
    monkeypatch.setattr(synthetic, "PARALLEL_FROM", 1)
    monkeypatch.setattr(synthetic, "CHUNK", 4)
    cache = tmp_path / "cache"
    made = synthetic.cached_site(6, 15, cache=cache)
    assert made.made_s > 0
    assert made.key_file.parent == made.folder and made.site.parent == made.folder
    key = load_signing_key(made.key_file, made.site)  # outside the site, mode 0600
    assert [k.public_key_multibase for k in load_key_history(made.site)] == \
        [key.public_multibase]
    again = synthetic.cached_site(6, 15, cache=cache)
    assert again.folder == made.folder and again.made_s == 0.0
    assert synthetic.cached_site(6, 16, cache=cache).folder != made.folder
    assert sorted(p.name for p in cache.iterdir()) == sorted(
        [made.folder.name, synthetic.digest(6, 16, 7)])

    (made.site / ".badgepress-cache").mkdir()  # a copy never takes a build cache along
    site = synthetic.copy_site(made.site, tmp_path / "site")
    assert not (site / ".badgepress-cache").exists()
    result = build(site, tmp_path / "out", now=NOW)
    assert len(result.awards) == 15
    assert sorted(a.badge_slug for a in result.awards)[:3] == ["badge-0000"] * 3


def test_hugo_site_builds_to_exactly_n_pages(tmp_path: Path) -> None:
    import hugo_site

    assert hugo_site.write_site(tmp_path / "src", pages=7, words=120) == 5
    assert len(list((tmp_path / "src/content/credentials").glob("c-*.md"))) == 5
    binary = hugo_site.hugo_binary()
    if binary is None:
        pytest.skip(hugo_site.INSTALL_HINT)
    run = hugo_site.build(tmp_path / "src", tmp_path, binary)
    assert run.html_pages == 7
    assert 0 < run.user_s + run.sys_s < 60  # Hugo's own CPU time, not the test run's
    assert 90 <= run.page_words <= 150  # about the words asked for, template included
    assert not (tmp_path / "src/public").exists()  # the cached source is never built in
