"""Bulk issue at scale: the credential index gives exactly what the full scan of every file
gave (duplicates, taken status indexes), also when it is stale, damaged or missing; the
parallel signing path issues, logs and resumes like the single-process one, and a SIGKILL
in the middle of it leaves a consistent site that the next run completes."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from badgepress.build.pipeline import build, load_site
from badgepress.cli import main
from badgepress.commands import issue as issuing
from badgepress.commands.issue import (
    IssueRequest,
    already_issued,
    existing_for,
    issue_credentials,
    normalize_email,
    used_indexes,
)
from badgepress.commands.issue_index import INDEX_PATH, load_index
from badgepress.commands.issue_workers import PARALLEL_MIN
from badgepress.trust import proof
from badgepress.trust.keys import SigningKey, add_key
from badgepress.trust.ld import UnsafeDocument
from badgepress.trust.ledger import read_log
from badgepress.trust.logs import read_logs
from badgepress.trust.status import Allocator
from click.testing import CliRunner
from conftest import NOW, REPO, issue

BADGES = ("member", "leader", "analyst")


def rows(n: int, tag: str) -> list[tuple[int | None, IssueRequest]]:
    return [(i + 2, IssueRequest(BADGES[i % 3], f"{tag}-{i}@example.org"))
            for i in range(n)]


def assert_index_matches_scan(site: Path, emails: list[str]) -> None:
    """Every duplicate question and the used status indexes, answered both ways."""
    catalog, _ = load_site(site)
    existing = existing_for(site)
    index = load_index(site)
    for slug in (*BADGES, "old-timer"):
        badge = catalog.badge(slug)
        achievement = catalog.config.abs_url(badge.url)
        for email in emails:
            assert index.duplicate(achievement, normalize_email(email)) == \
                already_issued(existing, catalog.config, badge, email), (slug, email)
    logs = read_logs(site)
    assert index.used_indexes(logs) == used_indexes(existing, logs)


def test_the_index_answers_as_the_full_scan_also_when_stale(keyed, tmp_path: Path) -> None:
    site, key, _ = keyed
    issue(site, key, IssueRequest("member", "ada@example.org"),
          IssueRequest("leader", "ada@example.org"), IssueRequest("member", "bob@example.org"))
    assert (site / INDEX_PATH).is_file()
    stale = tmp_path / "stale-index.json"
    shutil.copy(site / INDEX_PATH, stale)

    # another maintainer's credentials arrive (as a git pull brings them) after the index
    other = SigningKey.generate()
    add_key(site, other, now=datetime(2026, 1, 2, tzinfo=UTC))
    pulled = issue(site, other, IssueRequest("analyst", "cy@example.org"),
                   IssueRequest("member", "Dee@Example.org"))
    shutil.copy(stale, site / INDEX_PATH)  # the index from before the pull
    files = sorted((site / "site_src/credentials").glob("*.json"))
    # a credential removed, one edited by hand (its email hash now names eve)
    removed = next(f for f in files if f not in {r.path for r in pulled})
    removed.unlink()
    edited = pulled[0].path
    doc = json.loads(edited.read_text())
    ident = doc["credentialSubject"]["identifier"][0]
    ident["identityHash"] = issuing.email_hash("eve@example.org", ident["salt"])
    edited.write_text(json.dumps(doc, indent=2))

    emails = ["ada@example.org", "bob@example.org", "cy@example.org", "dee@example.org",
              "eve@example.org", "nobody@example.org"]
    assert_index_matches_scan(site, emails)

    # the stale index, used for real: the pulled credential is found, not issued again
    shutil.copy(stale, site / INDEX_PATH)
    again = issue_credentials(site, [(2, IssueRequest("member", "dee@example.org")),
                                     (3, IssueRequest("analyst", "eve@example.org")),
                                     (4, IssueRequest("leader", "fay@example.org"))],
                              key, now=NOW)
    assert [r.new for r in again] == [False, False, True]
    assert again[0].path == pulled[1].path and again[1].path == edited


@pytest.mark.parametrize("damage", ["missing", "garbage", "wrong shape", "bad record",
                                    "other version"])
def test_a_missing_or_damaged_index_is_rebuilt(keyed, damage: str) -> None:
    site, key, _ = keyed
    issue(site, key, IssueRequest("member", "ada@example.org"),
          IssueRequest("analyst", "bob@example.org"))
    path = site / INDEX_PATH
    if damage == "missing":
        path.unlink()
    elif damage == "garbage":
        path.write_bytes(b"\x00{not json")
    elif damage == "wrong shape":
        path.write_text(json.dumps({"version": 1, "files": {"x.json": [1, 2]}}))
    elif damage == "bad record":  # right stamps, nonsense facts: not trusted either
        data = json.loads(path.read_text())
        for record in data["files"].values():
            record[4] = "sha256$..."
        path.write_text(json.dumps(data))
    else:
        data = json.loads(path.read_text())
        path.write_text(json.dumps({**data, "version": 0}))
    assert_index_matches_scan(site, ["ada@example.org", "bob@example.org", "c@example.org"])
    again = issue(site, key, IssueRequest("member", "ADA@example.org"))
    assert not again[0].new


def test_a_large_batch_is_signed_in_workers_and_logged_like_one(keyed, monkeypatch) -> None:
    site, key, _ = keyed
    monkeypatch.setattr(issuing, "COMMIT_EVERY", 25)  # several commits in one run
    requests = rows(PARALLEL_MIN + 10, "w")
    requests.insert(5, (99, IssueRequest("leader", "W-1@example.org")))  # a duplicate row
    done: list[int] = []
    results = issue_credentials(site, requests, key, now=NOW, progress=done.append)
    assert [r.request for r in results] == [req for _, req in requests]
    assert [r.new for r in results].count(False) == 1
    assert results[5].path == results[1].path
    assert done == sorted(done) and done[-1] == len(requests)  # reported as it goes
    result = build(site, now=NOW)  # every signature, hash and log entry checks out
    assert len(result.awards) == PARALLEL_MIN + 10
    indexes = {json.loads(a.raw)["credentialStatus"]["statusListIndex"] for a in result.awards}
    assert len(indexes) == PARALLEL_MIN + 10
    log = read_log(site, key.public_multibase)
    assert [e["action"] for e in log.entries].count("issue") == PARALLEL_MIN + 10
    assert not (site / "site_src/log/.journal.jsonl").exists()
    assert all(not r.new for r in issue_credentials(site, requests, key, now=NOW))


def test_a_failure_mid_run_keeps_what_was_committed_and_a_rerun_finishes(
        keyed, monkeypatch) -> None:
    site, key, _ = keyed
    monkeypatch.setattr(issuing, "COMMIT_EVERY", 20)
    requests = rows(PARALLEL_MIN + 20, "f")
    real_add = issuing.CredentialIndex.add
    calls = {"n": 0}

    def failing_add(self, path: Path, doc: dict) -> None:
        calls["n"] += 1
        if calls["n"] == 47:
            raise OSError("disk full")
        real_add(self, path, doc)

    monkeypatch.setattr(issuing.CredentialIndex, "add", failing_add)
    with pytest.raises(OSError, match="disk full"):
        issue_credentials(site, requests, key, now=NOW)
    assert len(list((site / "site_src/credentials").glob("*.json"))) == 40  # two commits
    monkeypatch.setattr(issuing.CredentialIndex, "add", real_add)
    results = issue_credentials(site, requests, key, now=NOW)
    assert [r.new for r in results].count(True) == PARALLEL_MIN + 20 - 40
    assert len(build(site, now=NOW).awards) == PARALLEL_MIN + 20


def _issue_process(site: Path, csv: Path, key: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "badgepress", "-C", str(site), "issue",
                             "--csv", str(csv), "--key", str(key)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                            start_new_session=True)


def test_sigkill_of_a_parallel_run_leaves_no_worker_holding_the_lock(keyed,
                                                                     tmp_path: Path) -> None:
    """Kill the parent of a parallel run a few times at random moments: its workers go away
    by themselves, the next run is not blocked, and the CSV ends with one credential a row."""
    site, key, key_file = keyed
    n = PARALLEL_MIN + 30
    warm = tmp_path / "warm.csv"
    warm.write_text("badge,email\n" + "".join(f"member,warm{i}@example.org\n"
                                              for i in range(n)))
    started = time.perf_counter()
    assert _issue_process(site, warm, key_file).wait(timeout=300) == 0
    duration = time.perf_counter() - started
    csv = tmp_path / "rows.csv"
    csv.write_text("badge,email\n" + "".join(f"{BADGES[i % 3]},k{i}@example.org\n"
                                             for i in range(n)))
    rng = random.Random(20261125)
    for _ in range(3):
        proc = _issue_process(site, csv, key_file)
        time.sleep(rng.uniform(0.3, 0.9) * duration)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)  # the parent only, as a crash would
        proc.wait()
    proc = _issue_process(site, csv, key_file)
    assert proc.wait(timeout=300) == 0, proc.stderr.read()
    assert len(list((site / "site_src/credentials").glob("*.json"))) == 2 * n
    assert len(build(site, now=NOW).awards) == 2 * n


@pytest.mark.parametrize("terminal", [True, False])
def test_a_bar_shows_the_signing_on_a_terminal_only(keyed, tmp_path: Path, monkeypatch,
                                                    terminal: bool) -> None:
    site, _, key_file = keyed
    monkeypatch.setattr("badgepress.cli._show_progress", lambda: terminal)
    csv = tmp_path / "many.csv"
    csv.write_text("badge,email\n" + "".join(f"{BADGES[i % 3]},bar{i}@example.org\n"
                                             for i in range(200)))
    res = CliRunner().invoke(main, ["-C", str(site), "issue", "--csv", str(csv), "--key",
                                    str(key_file)])
    assert res.exit_code == 0, res.output
    assert "200 credentials issued, 0 skipped" in res.stdout
    bar = [line for line in res.stderr.splitlines() if not line.startswith("warning:")]
    assert any("signing" in line for line in bar) is terminal


def test_a_filling_list_hands_out_every_free_index_once_then_opens_the_next() -> None:
    """From random probes to the list of what is left (a list over ~94% full), no index is
    given twice and none is skipped."""
    base, prefix = "https://b.example/", "z6MkhaXgBZDvotDk"
    url = f"{base}status/{prefix}-1.json"
    used = {url: set(range(0, 2000, 2))}  # half of 2,000 taken
    alloc = Allocator(base, used, prefix, capacity=2000)
    picks = [alloc.next() for _ in range(1000)]
    assert {p[0] for p in picks} == {url}
    assert sorted(p[1] for p in picks) == list(range(1, 2000, 2))
    assert alloc.next()[2] == f"{prefix}-2"


def test_an_error_in_a_worker_reaches_the_caller_and_rolls_back(keyed, monkeypatch) -> None:
    site, key, _ = keyed
    real_sign = proof.sign

    def sign(doc, *args, **kwargs):
        idents = doc["credentialSubject"].get("identifier", [])  # a status list has none
        if any(i.get("identityHash") == "Boom" for i in idents):
            raise UnsafeDocument("property 'boom' is not defined by the document's contexts")
        return real_sign(doc, *args, **kwargs)

    monkeypatch.setattr(proof, "sign", sign)  # the workers are forked: they inherit it
    requests = rows(PARALLEL_MIN + 10, "e")
    requests[30] = (32, IssueRequest("member", "boom@example.org", "Boom"))
    with pytest.raises(UnsafeDocument, match="'boom'"):
        issue_credentials(site, requests, key, now=NOW)
    assert not list((site / "site_src/credentials").glob("*.json"))
    assert not (site / "site_src/log/.journal.jsonl").exists()
    monkeypatch.setattr(proof, "sign", real_sign)
    assert all(r.new for r in issue_credentials(site, requests, key, now=NOW))
