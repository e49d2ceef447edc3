"""The dev server's layered jobs and files (build/layers.py), the restated credentials'
positions (content/model.Restated) and the incremental writer's append to a grown file:
each shortcut must give exactly what the long way gives."""

from __future__ import annotations

import random
from pathlib import Path

from badgepress.build import incremental
from badgepress.build.incremental import IncrementalBuilder
from badgepress.build.layers import Layered, SegmentIndex
from badgepress.commands.lifecycle import revoke
from conftest import NOW
from test_incremental import assert_same_as_clean_build, make_site


def _flat(view: Layered) -> dict:
    out = dict(view.loose)
    for segment in view.segments.values():
        out.update(segment)
    return out


def test_layered_views_read_like_the_merged_dict_across_300_rebuilds() -> None:
    """Random builds replace, add and drop segments, move paths between them and add
    loose paths; the index is updated in place from build to build. Every build's view
    equals the merged dict (lookups of present and absent paths, iteration, items,
    length), and every earlier view still reads its own files after later updates."""
    rng = random.Random(7)
    index = SegmentIndex()
    segments: dict[str, dict[str, str]] = {}
    kept: list[tuple[Layered, dict]] = []
    for step in range(300):
        segments = dict(segments)
        for _ in range(rng.randint(0, 3)):
            name = f"s{rng.randrange(12)}"
            if rng.random() < 0.2:
                segments.pop(name, None)
                continue
            taken = {p for n, seg in segments.items() if n != name for p in seg}
            paths = [p for p in (f"p{rng.randrange(80)}" for _ in range(rng.randint(0, 8)))
                     if p not in taken]
            segments[name] = {p: f"{name}@{step}" for p in paths}
        used = {p for seg in segments.values() for p in seg}
        loose = {p: f"loose@{step}" for p in (f"q{rng.randrange(5)}", "p-loose")}
        assert index.update(segments, loose) is None
        view: Layered = Layered(index.owner)
        view.loose, view.segments = loose, dict(segments)
        flat = _flat(view)
        assert dict(view.items()) == flat and len(view) == len(flat)
        assert list(view) == list(flat)
        for p in [*flat, "absent", *(f"p{i}" for i in range(80))]:
            assert (p in view) == (p in flat)
            assert view.get(p) == flat.get(p)
        assert set(index.owner) == used
        kept.append((view, flat))
        for old, old_flat in rng.sample(kept, min(5, len(kept))):
            assert dict(old.items()) == old_flat
            assert all(old[p] == v for p, v in old_flat.items())


def test_a_path_in_two_segments_or_a_segment_and_loose_is_a_clash() -> None:
    index = SegmentIndex()
    assert index.update({"a": {"x": 1}}, {}) is None
    assert SegmentIndex().update({"a": {"x": 1}, "b": {"y": 2, "x": 3}}, {}) == ("x", 1, 3)
    assert SegmentIndex().update({"a": {"x": 1}}, {"x": 9}) == ("x", 1, 9)
    # a segment replaced by one without the path frees it for another
    assert index.update({"a": {"z": 1}, "b": {"x": 2}}, {}) is None
    assert index.owner == {"z": "a", "x": "b"}


def test_restated_positions_patch_values_as_a_full_comparison_does() -> None:
    """model.Restated carries where a restatement changed the list: figures and lookups
    patched from it equal those patched from a comparison of every pair."""
    from dataclasses import replace

    from badgepress.build.plan import restated_values
    from badgepress.content.figures import tally, updated
    from badgepress.content.model import Award, Restated, changed_positions

    rng = random.Random(5)
    awards = [Award(uuid=f"u{i}", id=f"urn:uuid:u{i}", source="", file="", digest="",
                    badge_slug=f"b{rng.randrange(4)}", state="valid",
                    valid_from=f"2026-0{1 + i % 9}-01T00:00:00Z") for i in range(200)]
    counts = tally(awards)
    values = {"by_uuid": {a.uuid: a for a in awards}, "earned": tally(awards).held}
    for _ in range(50):
        positions = sorted(rng.sample(range(len(awards)), rng.randint(1, 4)))
        after = Restated(awards, awards, positions)
        for i in positions:
            after[i] = replace(awards[i], state=rng.choice(["revoked", "expired", "valid"]))
        plain = list(after)
        assert changed_positions(awards, after) == positions
        assert changed_positions(awards, plain) == positions
        assert updated(counts, awards, after) == updated(counts, awards, plain) == \
            tally(plain)
        patched = restated_values(values, awards, after)
        assert patched == restated_values(values, awards, plain)
        assert patched["by_uuid"] == {a.uuid: a for a in plain}
        counts, awards, values = tally(plain), after, patched


def test_a_grown_log_is_appended_to_in_place_and_rewritten_when_changed_on_disk(
        tmp_path: Path, monkeypatch) -> None:
    """After a revocation the signed log only grew: the dev server appends its new end
    to the file it wrote (same inode) and the output equals a clean build's. When the
    file on disk is no longer the one it wrote (another size), it is written whole."""
    monkeypatch.setattr(incremental, "APPEND_MIN", 0)
    site = tmp_path / "site"
    key = make_site(site, badges=2, credentials=8)
    out = tmp_path / "out"
    builder = IncrementalBuilder(site, out)
    first = builder.build(now=NOW)
    [log] = [p for p in first.files if p.startswith("log/") and p.endswith(".jsonl")]
    inode = (out / log).stat().st_ino
    logs = site / "site_src/log"
    revoke(site, first.awards[0].uuid, "test", key, public=True, now=NOW)
    result = builder.build(now=NOW, changed={site / "site_src/revocations.toml",
                                             *logs.iterdir()})
    assert log in result.written
    assert (out / log).stat().st_ino == inode
    assert (out / log).read_bytes() == result.files[log]
    assert_same_as_clean_build(site, out, tmp_path)
    with open(out / log, "ab") as fh:  # someone else wrote to the published copy
        fh.write(b"tampered\n")
    revoke(site, first.awards[1].uuid, "test", key, public=True, now=NOW)
    result = builder.build(now=NOW, changed={site / "site_src/revocations.toml",
                                             *logs.iterdir()})
    assert (out / log).read_bytes() == result.files[log]
    assert (out / log).stat().st_ino != inode
    assert_same_as_clean_build(site, out, tmp_path)
