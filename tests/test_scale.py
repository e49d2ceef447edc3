"""The build at scale (issue #12): the signed log as the trust anchor (with a random sample
re-verified in full), pages written by worker processes, no-change builds and
changed-files-only writes from the manifest. Nothing here is timed; bench/run.py measures."""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import random
import re
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from badgepress.build import fanout
from badgepress.build.credential_stage import Sampling
from badgepress.build.pipeline import build, render
from badgepress.build.render import _relpath
from badgepress.cli import main
from badgepress.commands.issue import IssueRequest, build_credential, credential_bytes
from badgepress.content.config import load_config
from badgepress.core.errors import BuildError, Problems
from badgepress.core.text import EMAIL_RE, NOT_TLDS, emails_in
from badgepress.trust import proof
from badgepress.trust.issuer import key_id
from badgepress.trust.ledger import transaction
from click.testing import CliRunner
from conftest import NOW, REPO, issue

sys.path.insert(0, str(REPO / "bench"))
from synthetic import make_site  # noqa: E402


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def cli(site: Path, *args: str):
    return CliRunner().invoke(main, ["-C", str(site), *args], catch_exceptions=False)


@pytest.fixture
def issued(keyed):
    site, key, key_file = keyed
    issue(site, key, *(IssueRequest("analyst", f"e{i}@example.org", f"Earner {i}")
                       for i in range(6)))
    return site, key, key_file


def logged_bad_proof(site: Path, key) -> Path:
    """A credential the key holder logged although its proof does not verify (a field
    changed after signing): only a full verification can notice."""
    cfg = load_config(site, Problems(site))
    from badgepress.build.pipeline import load_site

    catalog, _ = load_site(site)
    vm = key_id(cfg, key.public_multibase)
    doc = build_credential(cfg, catalog.badge("analyst"),
                           IssueRequest("analyst", "late@example.org", "Late Earner"), NOW)
    signed = proof.sign(doc, key, vm, "2026-05-01T00:00:00Z")
    signed["credentialSubject"]["identifier"][-1]["identityHash"] = "Someone Else"
    rel = Path("site_src/credentials") / (signed["id"][9:] + ".json")
    raw = credential_bytes(signed)
    with transaction(site, key, vm) as tx:  # logged now, after every earlier entry
        tx.write(rel, raw)
        tx.record("issue", signed["id"], {rel: raw})
    return site / rel


# the trust anchor ------------------------------------------------------------------------

def test_logged_files_skip_the_proof_but_the_sample_catches_a_bad_one(issued) -> None:
    site, key, _ = issued
    bad = logged_bad_proof(site, key)
    # no sample, no cache: the log vouches for the file, so this build cannot see it
    result = build(site, site / "out0", now=NOW, sampling=Sampling(0, 1))
    assert result.proofs.vouched == 7 and result.proofs.verified == 0
    # a sample of every file re-verifies it: the build fails naming the file
    with pytest.raises(BuildError) as exc:
        build(site, site / "out1", now=NOW, sampling=Sampling(100, 1))
    assert [str(p.path) for p in exc.value.problems] == [bad.relative_to(site).as_posix()]
    assert "signature check failed" in exc.value.problems[0].message
    assert not (site / "out1").exists()
    # and so does --verify-all, whatever the sample
    with pytest.raises(BuildError):
        build(site, site / "out2", now=NOW, verify_all=True, sampling=Sampling(0, 1))


def _stage_outcome(site: Path, sampling: Sampling, memo: dict | None) -> tuple:
    from badgepress.build.credential_stage import CredentialStage
    from badgepress.build.pipeline import load_site

    shutil.rmtree(site / ".badgepress-cache", ignore_errors=True)  # what it verifies it keeps
    catalog, _ = load_site(site)
    problems = Problems(site)
    stage = CredentialStage(catalog, problems, NOW, sampling=sampling, memo=memo)
    awards = stage.run()
    r = stage.report
    return ([(a.id, a.state) for a in awards], [str(p) for p in problems.items],
            (r.vouched, r.verified, r.cached, r.sampled, r.sample_paths))


@pytest.mark.parametrize("sampling", [Sampling(0, 1), Sampling(3, 42), Sampling(100, 1)])
def test_a_one_off_build_judges_each_file_as_a_dev_server_does(issued, sampling) -> None:
    """A one-off build reads, hashes and loads each credential in one pass (run_once); a
    dev server hashes them all first (run, with a memo). Same site, same seed: the same
    awards, problems in the same order, the same report."""
    site, key, _ = issued
    bad = logged_bad_proof(site, key).relative_to(site).as_posix()
    once, served = (_stage_outcome(site, sampling, memo) for memo in (None, {}))
    assert once == served
    awards, found, (vouched, verified, _, sampled, _) = once
    assert len(awards) == (7 if sampling.size < 7 and bad not in once[2][4] else 6)
    assert (vouched, verified, sampled) == (7, min(sampling.size, 7), min(sampling.size, 7))
    assert [p.split(":")[0] for p in found] == ([bad] if len(awards) == 6 else [])


def test_a_file_differing_from_its_log_is_named_first_by_both_passes(issued) -> None:
    """With a file whose bytes the log does not give, a dev server verifies every proof in
    full and a one-off build only that file's (the build fails either way): both name the
    file first, as changed since it was logged."""
    site, _, _ = issued
    target = sorted((site / "site_src/credentials").glob("*.json"))[2]
    target.write_bytes(target.read_bytes().replace(b"Earner", b"Earnor", 1))
    rel = target.relative_to(site).as_posix()
    for memo in (None, {}):
        _, found, _ = _stage_outcome(site, Sampling(0, 1), memo)
        assert found[0].startswith(f"{rel}: changed since it was logged"), found


def test_the_sample_is_drawn_by_its_seed_and_reported(issued) -> None:
    site, _, _ = issued
    shutil.rmtree(site / ".badgepress-cache", ignore_errors=True)
    a = build(site, site / "a", now=NOW, sampling=Sampling(3, 42)).proofs
    shutil.rmtree(site / ".badgepress-cache")
    b = build(site, site / "b", now=NOW, sampling=Sampling(3, 42)).proofs
    assert a.sample_paths == b.sample_paths and len(a.sample_paths) == 3
    assert a.verified == 3 and a.vouched == 6 and a.seed == 42
    assert "3 of them re-verified in full (random sample, seed 42)" in a.sentence()
    # a later build draws among the files no build on this machine verified yet
    c = build(site, site / "c", now=NOW, sampling=Sampling(3, 42)).proofs
    assert not set(c.sample_paths) & set(a.sample_paths) and c.cached == 3


def test_key_checks_are_remembered_per_issuer_and_key(issued) -> None:
    """A logged file's key check is remembered by what it reads (issuer id and name, each
    proof's type, key and time): a document naming another key, or the same key in other
    words, gets the answer check_keys gives it, not the one remembered for the first."""
    import copy

    from badgepress.build.credential_stage import CredentialStage
    from badgepress.build.pipeline import load_site
    from badgepress.trust.verify import check_keys

    site, _, _ = issued
    catalog, _ = load_site(site)
    stage = CredentialStage(catalog, Problems(site), NOW)
    doc = json.loads(next((site / "site_src/credentials").glob("*.json")).read_bytes())
    proofs = doc["proof"] if isinstance(doc["proof"], list) else [doc["proof"]]
    variants = [doc]
    for change in ("key", "name", "type", "created", "no name", "issuer text", "two proofs"):
        other = copy.deepcopy(doc)
        first = other["proof"][0] if isinstance(other["proof"], list) else other["proof"]
        if change == "key":
            first["verificationMethod"] += "x"
        elif change == "name":
            other["issuer"]["name"] = "Someone Else"
        elif change == "type":
            first["type"] = "Ed25519Signature2020"
        elif change == "created":
            first["created"] = "2020-01-01T00:00:00Z"
        elif change == "no name":
            del other["issuer"]["name"]
        elif change == "issuer text":
            other["issuer"] = other["issuer"]["id"]
        else:
            other["proof"] = [*proofs, {**proofs[0], "verificationMethod": "did:key:z6Mkx"}]
        variants.append(other)
    for d in [*variants, *variants]:  # each twice: the second answer is the remembered one
        assert stage.key_check(d) == check_keys(d, stage.key_resolver).check
    assert stage.key_check(doc).status == "pass"
    assert stage.key_check(variants[1]).status == "fail"


@pytest.mark.parametrize("warm", [False, True])
def test_bytes_differing_from_the_log_fail_with_and_without_cache(issued, warm) -> None:
    site, _, _ = issued
    if warm:
        build(site, site / "warm", now=NOW)  # fills .badgepress-cache/verified.json
    else:
        shutil.rmtree(site / ".badgepress-cache", ignore_errors=True)
    target = sorted((site / "site_src/credentials").glob("*.json"))[2]
    target.write_bytes(target.read_bytes().replace(b"Earner", b"Earnor", 1))
    res = cli(site, "build", "--out", str(site / "out"))
    assert res.exit_code == 1
    assert f"{target.relative_to(site)}: changed since it was logged" in res.output
    assert not (site / "out").exists()


def test_a_log_head_with_a_wrong_signature_fails(issued) -> None:
    site, key, _ = issued
    head_file = site / f"site_src/log/{key.public_multibase}.head.json"
    head = json.loads(head_file.read_text())
    sig = head["signature"] if "signature" in head else head["proofValue"]
    field = "signature" if "signature" in head else "proofValue"
    head[field] = sig[:-3] + ("abc" if sig[-3:] != "abc" else "abd")
    head_file.write_text(json.dumps(head, indent=2) + "\n")
    with pytest.raises(BuildError) as exc:
        build(site, site / "out", now=NOW, sampling=Sampling(0, 1))
    rel = head_file.relative_to(site).as_posix()
    assert any(str(p.path) == rel and "signature of the log head does not verify" in p.message
               for p in exc.value.problems)


# fresh and warm builds, workers, the manifest ---------------------------------------------

def test_fresh_copy_without_cache_equals_warm_builds(tmp_path: Path, monkeypatch) -> None:
    """A site of a few hundred credentials built by two worker processes from a fresh
    copy (no .badgepress-cache) equals, byte for byte, the single-process build, the
    in-memory render, and a warm incremental build after an edit and its undo."""
    monkeypatch.setattr(fanout, "SMALL", 0)  # fork even for a small site
    site = tmp_path / "site"
    make_site(site, 12, 150)
    fresh = tmp_path / "fresh"
    shutil.copytree(site, fresh)
    monkeypatch.setenv(fanout.WORKERS_ENV, "2")
    res = cli(fresh, "build", "--strict")
    assert res.exit_code == 0, res.output
    assert "150 credentials: 150 vouched for by the signed issuance log" in res.output
    parallel = tree(fresh / "_site")
    monkeypatch.setenv(fanout.WORKERS_ENV, "1")
    build(site, tmp_path / "single", now=None)
    assert tree(tmp_path / "single") == parallel
    _, files, _, _ = render(site)
    assert {p: bytes(d) for p, d in files.items()} == parallel
    # warm: nothing changed, then an edit (fewer files written), then its undo
    assert "nothing changed since the last build" in cli(fresh, "build", "--strict").output
    badge = fresh / "badges/badge-0003.md"
    text = badge.read_text()
    badge.write_text(text.replace("- Do task 3", "- Do task 3, twice"))
    res = cli(fresh, "build", "--strict")
    written = int(res.output.split("(")[-1].split(" written")[0])
    assert 0 < written < len(parallel) / 4, res.output
    assert tree(fresh / "_site") != parallel
    badge.write_text(text)
    cli(fresh, "build", "--strict")
    assert tree(fresh / "_site") == parallel


def test_the_manifest_rebuilds_when_a_date_passes_or_the_output_changed(issued) -> None:
    site, _, _ = issued
    assert "6 credentials" in cli(site, "build").output
    assert "nothing changed" in cli(site, "build").output
    # a removed output folder is written again in full
    shutil.rmtree(site / "_site")
    assert "nothing changed" not in cli(site, "build").output
    assert (site / "_site/index.html").is_file()
    # a file deleted by hand inside the output is put back by the next change
    victim = next((site / "_site/credentials").rglob("index.html"))
    victim.unlink()
    (site / "badges/analyst.md").write_text((site / "badges/analyst.md").read_text() + "\n")
    cli(site, "build")
    assert victim.is_file()


def test_an_output_file_altered_by_hand_is_written_again(issued) -> None:
    """A file is left unwritten only when its bytes on disk equal the new ones: one altered
    by hand, with its size and mtime as the last build left them, is written again."""
    site, _, _ = issued
    cli(site, "build")
    victim = site / "_site/verify/index.html"  # a page the badge edit below leaves alone
    good = victim.read_bytes()
    st = victim.stat()
    victim.write_bytes(good.replace(b"<title>", b"<TITLE>", 1))
    os.utime(victim, ns=(st.st_atime_ns, st.st_mtime_ns))
    badge = site / "badges/analyst.md"
    badge.write_text(badge.read_text() + "\nAlso: a write-up.\n")
    res = cli(site, "build").output
    written = int(res.split("(")[-1].split(" written")[0])
    assert 0 < written < _counts(res)[1], res
    assert victim.read_bytes() == good


def test_state_horizon_forces_a_rebuild(issued) -> None:
    """A credential that expires between two builds must show as expired: the manifest's
    horizon (first validFrom/validUntil after the last build's now) forces a build."""
    site, key, _ = issued
    issue(site, key, IssueRequest("member", "short@example.org", "Short Lived",
                                  date=datetime(2026, 3, 1, tzinfo=UTC)))  # valid_for: P1Y
    first = build(site, now=NOW, incremental=True)
    assert not first.unchanged
    assert build(site, now=NOW, incremental=True).unchanged
    later = build(site, now=datetime(2027, 4, 1, tzinfo=UTC), incremental=True)
    assert not later.unchanged
    assert [a.state for a in later.awards if a.badge_slug == "member"] == ["expired"]


def _counts(output: str) -> tuple[int, int]:
    """(pages, files) as the build line reports them."""
    m = re.search(r"(\d+) pages, (\d+) files", output)
    assert m, output
    return int(m[1]), int(m[2])


def test_a_no_change_build_reads_only_the_small_manifest(issued) -> None:
    """The 300,000-entry file list is read only by a build that writes: a no-change build
    reports the right counts without it, and a list that is missing or not the one
    build.json names costs a full build (every file written) instead of trusting it."""
    site, _, _ = issued
    first = cli(site, "build").output
    pages, files = _counts(first)
    listed = site / ".badgepress-cache/build-files.json"
    assert listed.is_file() and len((site / ".badgepress-cache/build.json").read_bytes()) < 2000
    saved = listed.read_bytes()
    listed.unlink()
    again = cli(site, "build").output
    assert "nothing changed" in again and _counts(again) == (pages, files)
    listing = build(site, incremental=True).files  # the output folder's files instead
    assert len(listing) == files and len(list(listing)) == files == len(listing)
    assert "index.html" in listing and listing.pages == pages
    badge = site / "badges/analyst.md"

    def edit(n: int) -> None:
        badge.write_text(badge.read_text() + f"\nAlso: write-up number {n}.\n")

    # a change with the list gone: everything written again
    edit(1)
    res = cli(site, "build").output
    assert f"({files} written, 0 removed)" in res, res
    # a list that is not the one build.json names (here: one entry fewer) is not trusted
    edit(2)
    data = json.loads(listed.read_bytes())
    data["files"].pop(next(iter(data["files"])))
    listed.write_text(json.dumps(data))
    res = cli(site, "build").output
    assert f"({files} written, 0 removed)" in res, res
    # the list as the last build wrote it: only what changed is written
    edit(3)
    res = cli(site, "build").output
    written = int(res.split("(")[-1].split(" written")[0])
    assert 0 < written < files, res
    assert saved != listed.read_bytes()  # rewritten by each build


def test_a_file_list_leading_out_of_the_output_is_not_trusted(issued) -> None:
    """The next build deletes the listed files it no longer makes: a list naming a path
    outside the output folder (consistent with build.json, as someone with write access to
    .badgepress-cache/ could make it) is ignored, nothing outside is deleted."""
    site, _, _ = issued
    _, files = _counts(cli(site, "build").output)
    victim = site / "victim.txt"
    victim.write_text("keep me")
    cache = site / ".badgepress-cache"
    data = json.loads((cache / "build-files.json").read_bytes())
    data["files"]["../victim.txt"] = 7
    raw = json.dumps(data).encode()
    (cache / "build-files.json").write_bytes(raw)
    header = json.loads((cache / "build.json").read_bytes())
    header["files_sha256"] = hashlib.sha256(raw).hexdigest()
    (cache / "build.json").write_text(json.dumps(header))
    (site / "badges/analyst.md").write_text((site / "badges/analyst.md").read_text()
                                            + "\nAlso: a write-up.\n")
    res = cli(site, "build").output
    assert f"({files} written, 0 removed)" in res, res
    assert victim.read_text() == "keep me"


def test_worker_build_refuses_secrets_and_writes_nothing(issued, monkeypatch) -> None:
    site, _, key_file = issued
    monkeypatch.setattr(fanout, "SMALL", 0)
    monkeypatch.setenv(fanout.WORKERS_ENV, "2")
    monkeypatch.setenv("BADGEPRESS_KEY", str(key_file))
    build(site, now=NOW)
    before = tree(site / "_site")
    secret = json.loads(key_file.read_text())["secretKeyMultibase"]
    md = site / "badges/analyst.md"
    md.write_text(md.read_text() + f"\nOur key: {secret}\n")
    with pytest.raises(BuildError) as exc:
        build(site, now=NOW)
    assert any("private key" in p.message and "badges/analyst.md" in p.message
               for p in exc.value.problems)
    assert tree(site / "_site") == before
    assert not list(site.glob("._site.new-*"))


# fast paths equal the code they replace ---------------------------------------------------

def test_emails_in_finds_what_the_regex_finds() -> None:
    rng = random.Random(20261125)
    alphabet = "ab.@-_%+xyz1 com.org@@..\n<>\"'"
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        want = {m.group(0).lower() for m in EMAIL_RE.finditer(text)
                if m.group(1).lower() not in NOT_TLDS}
        assert emails_in(text) == want, text
    assert emails_in("a@b.com.x@c.org logo@2x.png") == {"a@b.com", ".x@c.org"}


def test_relpath_equals_posixpath() -> None:
    rng = random.Random(7)
    segs = ["a", "b", "index.html", ".", "..", "", "x.json"]
    for _ in range(5000):
        t = "/".join(rng.choice(segs) for _ in range(rng.randint(1, 4))) or "a"
        s = "/".join(rng.choice(segs) for _ in range(rng.randint(1, 4)))
        for target, start in ((t, s or "."), (t or ".", "."), ("/" + t, s or "."),
                              (t + "/", s or ".")):
            assert _relpath(target, start) == posixpath.relpath(target, start)
