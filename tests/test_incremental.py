"""Incremental rebuilds: only what a change affects is rendered and written, and the output
is always identical to a clean build."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from badgepress.build.incremental import IncrementalBuilder
from badgepress.build.pipeline import build
from badgepress.commands.issue import IssueRequest, issue_credentials
from badgepress.commands.lifecycle import revoke
from conftest import NOW, REPO

sys.path.insert(0, str(REPO / "bench"))
from synthetic import make_site  # noqa: E402


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_same_as_clean_build(site: Path, out: Path, tmp: Path) -> None:
    clean = tmp / "clean"
    shutil.rmtree(clean, ignore_errors=True)
    build(site, clean, now=NOW)
    assert tree(out) == tree(clean)


def edit(path: Path, old: str, new: str) -> Path:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))
    return path


def test_series_of_edits_matches_clean_builds(tmp_path: Path) -> None:
    site = tmp_path / "site"
    key = make_site(site, badges=30, credentials=90)
    shutil.copytree(REPO / "theme", site / "theme")
    out = tmp_path / "out"
    builder = IncrementalBuilder(site, out)
    first = builder.build(now=NOW)
    assert first.rendered == len(first.files)
    assert builder.build(now=NOW).written == []

    # criteria of one badge: its page, its JSON, its credential pages; nothing else
    b7 = edit(site / "badges/badge-0007.md", "- Do task 7", "- Do task seven")
    result = builder.build(now=NOW, changed={b7})
    creds = sorted(a.url + "index.html" for a in result.awards if a.badge_slug == "badge-0007")
    assert result.written == sorted(["badges/badge-0007/index.html",
                                     "badges/badge-0007/achievement.json", *creds])
    assert_same_as_clean_build(site, out, tmp_path)

    # its name: shown on the catalog, skills, neighbours (prerequisite lists) too
    edit(b7, "name: Badge 0007", "name: Badge Seven")
    result = builder.build(now=NOW, changed={b7})
    assert {"index.html", "skills/index.html", "badges/badge-0006/index.html",
            "badges/badge-0008/index.html"} <= set(result.written)
    assert_same_as_clean_build(site, out, tmp_path)

    # a template used by badge pages only
    tmpl = edit(site / "theme/templates/badge.html", "About this badge", "About the badge")
    result = builder.build(now=NOW, changed={tmpl})
    assert {p for p in result.written if not p.startswith("badges/")} == set()
    assert len([p for p in result.written if p.endswith("index.html")]) == 30
    assert_same_as_clean_build(site, out, tmp_path)

    # a stylesheet: hashed assets move, every page follows
    css = site / "theme/assets/style.css"
    css.write_text(css.read_text() + "\n.x { color: red; }\n")
    result = builder.build(now=NOW, changed={css})
    assert result.removed and all(p.startswith("assets/") for p in result.removed)
    assert_same_as_clean_build(site, out, tmp_path)

    # a new badge, a new page, a new credential, a revocation
    (site / "badges/brand-new.md").write_text(
        "---\nname: Brand New\nskills: [Skill AA]\n---\n## What it takes to earn this badge\n"
        "\n- Be new\n")
    (site / "site_src/pages").mkdir(exist_ok=True)
    (site / "site_src/pages/about.md").write_text("---\ntitle: About\n---\nHello.\n")
    builder.build(now=NOW)
    assert_same_as_clean_build(site, out, tmp_path)
    [new] = issue_credentials(site, [(None, IssueRequest("brand-new", "n@example.org", "Nu"))],
                              key, now=NOW)
    result = builder.build(now=NOW, changed={new.path})
    assert f"credentials/{new.path.stem}/index.html" in result.written
    assert_same_as_clean_build(site, out, tmp_path)
    revoke(site, new.path.stem, "test", key, public=True, now=NOW)
    builder.build(now=NOW, changed={site / "site_src/revocations.toml"})
    assert_same_as_clean_build(site, out, tmp_path)

    # a badge removed (it had no credentials), then a broken one: nothing is written
    (site / "badges/brand-new.md").unlink()
    with pytest.raises(Exception):  # noqa: B017 - its credential now names no badge
        builder.build(now=NOW)
    (site / "badges/brand-new.md").write_text("---\nname: Brand New\n---\n")
    before = tree(out)
    with pytest.raises(Exception):  # noqa: B017 - no criteria
        builder.build(now=NOW)
    assert tree(out) == before


def test_editing_one_badge_of_1000_with_10000_credentials(tmp_path: Path) -> None:
    site = tmp_path / "site"
    make_site(site, badges=1000, credentials=10000, seed_cache=True)
    out = tmp_path / "out"
    builder = IncrementalBuilder(site, out)
    builder.build(now=NOW)
    badge = edit(site / "badges/badge-0421.md", "- Do task 421", "- Do task 421, twice")
    result = builder.build(now=NOW, changed={badge})
    creds = sorted(a.url + "index.html" for a in result.awards if a.badge_slug == "badge-0421")
    assert len(creds) == 10
    assert result.written == sorted(["badges/badge-0421/index.html",
                                     "badges/badge-0421/achievement.json", *creds])
    assert result.removed == []


def test_rebuild_hashes_only_new_log_lines_and_still_catches_an_edited_old_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A dev server keeps log entry hashes by line text: after a revocation only the new
    entries are hashed; an old entry edited in place is new text, so it is hashed again
    and the broken chain fails the rebuild, naming the log and line."""
    from badgepress.build import log_stage
    from badgepress.core.errors import BuildError

    site = tmp_path / "site"
    key = make_site(site, badges=5, credentials=40)
    builder = IncrementalBuilder(site, tmp_path / "out")
    first = builder.build(now=NOW)
    revoke(site, first.awards[3].uuid, "test", key, public=True, now=NOW)  # verifies logs
    hashed: list[int] = []  # what the rebuild hashes, counted from here
    real = log_stage._hash_entries
    monkeypatch.setattr(log_stage, "_hash_entries",
                        lambda entries, s, e: hashed.append(e - s) or real(entries, s, e))
    result = builder.build(now=NOW, changed={site / "site_src/revocations.toml"})
    assert [a.state for a in result.awards if a.uuid == first.awards[3].uuid] == ["revoked"]
    assert 0 < sum(hashed) <= 2  # the revocation's entry (and a status list's), not 40+
    [log] = sorted((site / "site_src/log").glob("*.jsonl"))
    lines = log.read_text().split("\n")
    assert '"time": "' in lines[1]
    lines[1] = lines[1].replace('"time": "', '"time": "1', 1)
    log.write_text("\n".join(lines))
    with pytest.raises(BuildError) as err:
        builder.build(now=NOW, changed={log})
    assert any(p.line == 3 and "chain is broken" in p.message and
               str(p.path).endswith(log.name) for p in err.value.problems), err.value.problems


def test_rebuild_scans_what_the_watcher_reports_and_rescans_after_a_refusal(
        tmp_path: Path) -> None:
    """A dev server scans for links and special files in full once, then only the paths
    its file watcher reports; a link among them fails the rebuild, naming it, and until a
    scan finds a folder clean again, that folder is scanned in full (a change elsewhere
    does not let the link through)."""
    from badgepress.core.errors import BuildError

    site = tmp_path / "site"
    make_site(site, badges=4, credentials=8)
    (site / "theme").mkdir()
    builder = IncrementalBuilder(site, tmp_path / "out")
    builder.build(now=NOW)
    secret = tmp_path / "secret.md"
    secret.write_text("---\nname: Secret\n---\n## What it takes\n\n- nothing\n")
    link = site / "badges/linked.txt"  # read by nothing: only the scan can refuse it
    link.symlink_to(secret)
    with pytest.raises(BuildError) as err:
        builder.build(now=NOW, changed={link})
    assert [(Path(p.path).name, "symbolic link" in p.message) for p in err.value.problems] == [
        ("linked.txt", True)]
    other = edit(site / "badges/badge-0001.md", "- Do task 1", "- Do task one")
    with pytest.raises(BuildError) as err:  # the report names another file only
        builder.build(now=NOW, changed={other})
    assert [Path(p.path).name for p in err.value.problems] == ["linked.txt"]
    link.unlink()
    builder.build(now=NOW, changed={link})
    # a folder created by a move, with a link inside it: the folder's path is reported
    moved = site / "site_src/pages"
    moved.mkdir()
    (moved / "about.txt").symlink_to(secret)
    with pytest.raises(BuildError) as err:
        builder.build(now=NOW, changed={moved})
    assert [Path(p.path).name for p in err.value.problems] == ["about.txt"]
    # a link to a folder is refused when reported, without following it
    (moved / "about.txt").unlink()
    (site / "theme/templates").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(BuildError) as err:
        builder.build(now=NOW, changed={site / "theme/templates"})
    assert [Path(p.path).name for p in err.value.problems] == ["templates"]


def test_pages_of_a_failed_rebuild_are_written_by_the_next_good_one(tmp_path: Path) -> None:
    """A rebuild that fails (here: a page would publish a private key) writes nothing; the
    pages it rendered are not taken as written, so the next good build writes them."""
    from badgepress.core.errors import BuildError

    site = tmp_path / "site"
    make_site(site, badges=4, credentials=8)
    out = tmp_path / "out"
    builder = IncrementalBuilder(site, out)
    builder.build(now=NOW)
    b1 = edit(site / "badges/badge-0001.md", "- Do task 1", "- Do task one")
    pem = "- Do task -----BEGIN PRIVATE KEY-----"
    b2 = edit(site / "badges/badge-0002.md", "- Do task 2", pem)
    with pytest.raises(BuildError):
        builder.build(now=NOW, changed={b1, b2})
    assert "Do task one" not in (out / "badges/badge-0001/index.html").read_text()
    edit(b2, pem, "- Do task two")
    result = builder.build(now=NOW, changed={b2})
    assert "badges/badge-0001/index.html" in result.written
    assert "Do task one" in (out / "badges/badge-0001/index.html").read_text()
    assert_same_as_clean_build(site, out, tmp_path)


def test_rebuilds_after_records_change_state_credentials_as_a_clean_build(
        tmp_path: Path) -> None:
    """After a revocation, a renewal or time passing an expiry, a dev server restates only
    the credentials whose records changed, unless a validFrom or validUntil was crossed:
    each rebuild's states and pages equal a clean build's at the same moment."""
    from datetime import timedelta

    from badgepress.commands.lifecycle import renew

    site = tmp_path / "site"
    key = make_site(site, badges=3, credentials=6)
    edit(site / "badges/badge-0001.md", "name: Badge 0001", "name: Badge 0001\nvalid_for: P30D")
    out = tmp_path / "out"
    builder = IncrementalBuilder(site, out)
    builder.build(now=NOW)
    lasting = issue_credentials(site, [(None, IssueRequest("badge-0001", "a@example.org",
                                                           "Ann"))], key, now=NOW)[0]
    plain = issue_credentials(site, [(None, IssueRequest("badge-0002", "b@example.org",
                                                         "Bo"))], key, now=NOW)[0]
    first = builder.build(now=NOW, changed={lasting.path, plain.path})
    states = {a.uuid: a.state for a in first.awards}
    assert states[lasting.path.stem] == "valid"

    def rebuild(when, *changed: Path):
        result = builder.build(now=when, changed=set(changed))
        clean = tmp_path / "clean"
        shutil.rmtree(clean, ignore_errors=True)
        build(site, clean, now=when)
        assert tree(out) == tree(clean)
        return {a.uuid: a.state for a in result.awards}

    revocations = site / "site_src/revocations.toml"
    later = NOW + timedelta(days=2)
    revoke(site, plain.path.stem, "test", key, public=True, now=later)
    assert rebuild(later, revocations)[plain.path.stem] == "revoked"
    # 31 days on: the 30-day credential expired, with only a revocation reported
    old = [a.uuid for a in first.awards if states[a.uuid] == "valid"
           and a.uuid not in (plain.path.stem, lasting.path.stem)][0]
    expired_at = NOW + timedelta(days=31)
    revoke(site, old, "test", key, public=True, now=expired_at)
    after = rebuild(expired_at, revocations)
    assert after[lasting.path.stem] == "expired" and after[old] == "revoked"
    # a renewal: the old credential points to its successor, the new one is new
    renewed = renew(site, lasting.path.stem, key, now=expired_at)
    after = rebuild(expired_at, renewed, *(site / "site_src/log").iterdir())
    assert renewed.stem in after


def test_log_pages_after_revocations_and_withdrawal_match_a_clean_build(
        tmp_path: Path) -> None:
    """/log/ spans several pages: after a revocation (a new entry) a dev server keeps the
    older pages' jobs and re-plans /log/; after a withdrawal (a credential leaves, so
    links on an old page change) it plans them again. Each time: a clean build's bytes."""
    from badgepress.commands.lifecycle import withdraw

    site = tmp_path / "site"
    key = make_site(site, badges=3, credentials=230)
    out = tmp_path / "out"
    builder = IncrementalBuilder(site, out)
    first = builder.build(now=NOW)
    assert "log/page/2/index.html" in first.files
    logs = site / "site_src/log"
    revoke(site, first.awards[5].uuid, "test", key, public=True, now=NOW)
    result = builder.build(now=NOW, changed={site / "site_src/revocations.toml",
                                             *logs.iterdir()})
    assert "log/index.html" in result.written
    assert not any(p.startswith("log/page/") for p in result.written)
    assert_same_as_clean_build(site, out, tmp_path)
    [log] = sorted(logs.glob("*.jsonl"))
    by_id = {a.id: a for a in first.awards}
    oldest = next(by_id[s] for line in log.read_text().split("\n")  # on the oldest page
                  if (s := json.loads(line)["subject"]) in by_id)
    gone = site / oldest.source
    withdraw(site, oldest.uuid, "test", key, now=NOW)
    builder.build(now=NOW, changed={gone, *logs.iterdir()})
    assert_same_as_clean_build(site, out, tmp_path)


def test_rebuild_checks_appended_log_entries_as_a_clean_build_does(tmp_path: Path) -> None:
    """A dev server walks only the entries appended to a log since its last run and checks
    only the files whose bytes or logged hash changed. Appended entries signed by the key
    holder that break the chain, back-date, or give a credential other bytes, a tampered
    credential, an email address in a new entry (the published log is scanned from its
    new lines on), and a log cut back: each rebuild fails, or passes, with exactly the
    problems a clean build of the same files reports."""
    from badgepress.core.errors import BuildError
    from badgepress.trust.ledger import Log, entry_hash, read_log, sign_head

    site = tmp_path / "site"
    key = make_site(site, badges=4, credentials=30)
    builder = IncrementalBuilder(site, tmp_path / "out")
    first = builder.build(now=NOW)
    logs = site / "site_src/log"
    [log_path] = sorted(logs.glob("*.jsonl"))
    [head_path] = sorted(logs.glob("*.head.json"))

    def outcome(run) -> list[tuple[str, int | None, str]]:
        try:
            run()
        except BuildError as exc:
            return sorted((Path(p.path).name, p.line, p.message) for p in exc.problems)
        return []

    def same_as_clean(*changed: Path) -> list[tuple[str, int | None, str]]:
        clean = tmp_path / "clean"
        shutil.rmtree(clean, ignore_errors=True)
        mine = outcome(lambda: builder.build(now=NOW, changed=set(changed)))
        assert mine == outcome(lambda: build(site, clean, now=NOW))
        return mine

    def append(**fields) -> None:
        """An entry the key holder appends, head signed: chained right unless told."""
        log = read_log(site, log_path.stem)
        entry = {"seq": len(log.entries) + 1, "time": "2030-01-02T00:00:00Z",
                 "action": "reconcile", "subject": "urn:uuid:x", "files": {},
                 "prev": entry_hash(log.entries[-1]), **fields}
        with log_path.open("a") as f:
            f.write(json.dumps(entry, sort_keys=True) + "\n")
        grown = Log(log.entries + [entry], name=log.name)
        head = sign_head(grown, key, log.head["verificationMethod"], entry["time"])
        head_path.write_text(json.dumps(head, indent=2) + "\n")

    src = site / "site_src"

    def snapshot(name: str) -> Path:
        return Path(shutil.copytree(src, tmp_path / name))

    def restore(saved: Path) -> list[tuple[str, int | None, str]]:
        shutil.rmtree(src)
        shutil.copytree(saved, src)
        return same_as_clean(src)

    before = snapshot("before")
    revoke(site, first.awards[2].uuid, "test", key, public=True, now=NOW)
    assert same_as_clean(src / "revocations.toml", *logs.iterdir(),
                         *(src / "status").iterdir()) == []
    revoked = snapshot("revoked")
    n = len(read_log(site, log_path.stem).entries)

    append(prev="0" * 64)
    assert [(f, line, "chain is broken" in m) for f, line, m in
            same_as_clean(log_path, head_path)] == [(log_path.name, n + 1, True)]
    assert restore(revoked) == []
    append(time="2001-01-01T00:00:00Z")
    assert [(line, "back-dated" in m) for _, line, m in
            same_as_clean(log_path, head_path)] == [(n + 1, True)]
    assert restore(revoked) == []
    other = first.awards[7]
    append(files={other.source: "0" * 64})
    assert [(f, "changed since it was logged" in m) for f, _, m in
            same_as_clean(log_path, head_path)] == [(Path(other.source).name, True)]
    assert restore(revoked) == []
    append(files={(Path(other.source).parent / "gone.json").as_posix(): "0" * 64})
    assert [(f, "listed in the issuance log but missing" in m) for f, _, m in
            same_as_clean(log_path, head_path)] == [("gone.json", True)]
    assert restore(revoked) == []
    append(note="write to ada.lovelace@example.org")  # published as /log/<key>.jsonl
    assert [(f, "ada.lovelace@example.org" in m) for f, _, m in
            same_as_clean(log_path, head_path)] == [(log_path.name, True)]
    assert restore(revoked) == []
    tampered = site / first.awards[9].source
    tampered.write_bytes(tampered.read_bytes().replace(b'"name"', b'"name" ', 1))
    assert [(f, "changed since it was logged" in m) for f, _, m in
            same_as_clean(tampered)] == [(tampered.name, True)]
    assert restore(revoked) == []
    assert restore(before) == []  # an older, shorter log: walked whole, and good
    append()
    assert same_as_clean(log_path, head_path) == []


def test_values_patched_for_restated_credentials_equal_fresh_ones() -> None:
    """After a revocation, a dev server patches its lookups, groupings and counts of the
    credentials (plan.restated_values) instead of walking 100,000 again: they equal the
    values computed afresh; a list that is not a restatement of the last one (another
    length, another credential in a place) keeps nothing."""
    import random
    from collections import Counter
    from dataclasses import replace

    from badgepress.build.plan import restated_values
    from badgepress.content.model import Award

    def fresh(awards):
        groups: dict[str, list] = {}
        for a in awards:
            groups.setdefault(a.badge_slug, []).append(a)
        return {"by_uuid": {a.uuid: a for a in awards}, "by_id": {a.id: a for a in awards},
                "ids": frozenset(a.id for a in awards), "groups": groups,
                "earned": Counter(a.badge_slug for a in awards if a.state != "revoked")}

    def same(got, want) -> bool:  # identity of the award objects, counts by value
        return (got["ids"] == want["ids"] and got["earned"] == want["earned"]
                and all(got[n].keys() == want[n].keys() and all(
                    got[n][k] is want[n][k] for k in want[n]) for n in ("by_uuid", "by_id"))
                and got["groups"].keys() == want["groups"].keys()
                and all(list(map(id, got["groups"][k])) == list(map(id, want["groups"][k]))
                        for k in want["groups"]))

    rng = random.Random(3)
    awards = [Award(uuid=f"u{i}", id=f"urn:uuid:u{i}", source="", file="", digest="",
                    badge_slug=f"b{rng.randrange(5)}", state=rng.choice(["valid", "revoked"]))
              for i in range(300)]
    values = fresh(awards)
    for _ in range(200):
        after = list(awards)
        for i in rng.sample(range(len(after)), rng.randint(1, 5)):
            after[i] = replace(after[i], state=rng.choice(["valid", "revoked", "expired"]))
        values = restated_values(values, awards, after)
        assert same(values, fresh(after))
        awards = after
    moved = [replace(awards[1], badge_slug="b9"), *awards[1:]]
    assert restated_values(values, awards, moved) == {}
    assert restated_values(values, awards, awards[:-1]) == {}
