"""Revocation, expiry and renewal, key rotation and compromise, the issuance log, audits,
and what interrupted or concurrent commands leave behind."""

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
from badgepress.build.pipeline import build
from badgepress.cli import main
from badgepress.commands.issue import IssueRequest, credential_bytes
from badgepress.commands.lifecycle import renew, revoke
from badgepress.core.errors import BuildError
from badgepress.trust import proof
from badgepress.trust.keys import load_signing_key
from badgepress.trust.ledger import read_log
from click.testing import CliRunner
from conftest import NOW, REPO, issue, soup

RUN = CliRunner()


def cli(site: Path, *args: str, key: Path | None = None):
    extra = ["--key", str(key)] if key else []
    return RUN.invoke(main, ["-C", str(site), *args, *extra])


def errors_of(site: Path, **kw) -> list[str]:
    with pytest.raises(BuildError) as info:
        build(site, now=NOW, **kw)
    return [str(p) for p in info.value.problems]


# revocation ---------------------------------------------------------------------------

def test_revoke_publishes_status_and_page_says_so(keyed) -> None:
    site, key, key_file = keyed
    a, b, c = issue(site, key, IssueRequest("member", "a@example.org", "Ada"),
                    IssueRequest("leader", "b@example.org", "Bo"),
                    IssueRequest("analyst", "c@example.org", "Cy"))
    doc = json.loads(a.path.read_text())
    entry = doc["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry" and entry["statusPurpose"] == "revocation"
    # each key allocates from its own lists (parallel branches never share an index)
    assert entry["statusListCredential"] == \
        f"https://badges.test.example/status/{key.public_multibase[:16]}-1.json"
    assert entry["id"] == f"{entry['statusListCredential']}#{entry['statusListIndex']}"
    revoke(site, a.path.stem[:8], "Issued in error", key, public=True, now=NOW)  # its start
    revoke(site, b.path.stem, "Private matter", key, now=NOW)
    revoke(site, c.path.stem, "Quiz retaken?", key, public=True, now=NOW)
    again = cli(site, "revoke", b.path.stem, "--reason", "twice", key=key_file)
    assert again.exit_code == 1 and "already revoked" in again.output
    result = build(site, now=NOW)
    out = result.out_dir
    # the reason ends with a full stop (unless it ends with its own); "revoked", since
    # "withdraw" is the command that takes a credential off the site
    notices = {p.path.stem: soup(out / f"credentials/{p.path.stem}/index.html").select_one(
        ".revoked-notice").get_text(" ", strip=True) for p in (a, b, c)}
    revoked = "The issuer has revoked this credential: it is no longer valid."
    assert notices == {
        a.path.stem: f"Revoked on 1 June 2026: Issued in error. {revoked}",
        b.path.stem: f"Revoked on 1 June 2026. {revoked}",
        c.path.stem: f"Revoked on 1 June 2026: Quiz retaken? {revoked}"}
    assert "Private matter" not in soup(out / f"credentials/{b.path.stem}/index.html").get_text()
    assert {a2.state for a2 in result.awards} == {"revoked"}
    assert "Ada" not in [x.get_text() for x in soup(out / "badges/member/index.html")
                         .select("#earners a")]
    res = cli(site, "verify", str(a.path), "--json", "--now", "2026-06-02T00:00:00Z")
    data = json.loads(res.output)
    assert res.exit_code == 1 and data["verdict"] == "invalid"
    assert data["checks"][4]["code"] == "revocation.revoked"


def test_build_fails_when_signed_list_and_revocations_disagree(keyed) -> None:
    from badgepress.commands.issue import current_key, signed_status_list
    from badgepress.trust.ledger import transaction
    from badgepress.trust.status import list_path

    site, key, _ = keyed
    [a] = issue(site, key, IssueRequest("member", "a@example.org"))
    index = int(json.loads(a.path.read_text())["credentialStatus"]["statusListIndex"])
    cfg = build(site, now=NOW).catalog.config
    vm = current_key(site, cfg, key)
    name = f"{key.public_multibase[:16]}-1"
    with transaction(site, key, vm) as tx:  # a list that revokes without revocations.toml
        data = signed_status_list(cfg, key, vm, name, {index, index ^ 1},
                                  "2026-05-01T00:00:00Z")
        tx.write(list_path(name), data)
        tx.record("status-list", "x", {list_path(name): data})
    hint = ("(revoke only with 'badgepress revoke'; after a merge, 'badgepress reconcile --key "
            "PATH' re-signs the list from revocations.toml)")
    assert sorted(errors_of(site)) == sorted([
        f"site_src/status/{name}.json: entry {index} is set (revoked) but revocations.toml "
        f"does not revoke the credential site_src/credentials/{a.path.name} {hint}",
        f"site_src/status/{name}.json: entry {index ^ 1} is set (revoked) but no credential "
        f"of this site holds that entry {hint}"])


def test_two_credentials_sharing_an_index_fail_the_build(keyed, tmp_path: Path) -> None:
    site, key, key_file = keyed
    [a] = issue(site, key, IssueRequest("member", "a@example.org"))
    # a parallel branch: the same site copied before, issuing on its own
    branch = tmp_path / "branch"
    shutil.copytree(site, branch)
    [b] = issue(branch, key, IssueRequest("leader", "b@example.org"))
    doc = json.loads(b.path.read_text())
    doc["credentialStatus"] = json.loads(a.path.read_text())["credentialStatus"]
    unsigned = {k: v for k, v in doc.items() if k != "proof"}
    signed = proof.sign(unsigned, key, doc["proof"][0]["verificationMethod"],
                       "2026-05-02T00:00:00Z")
    from badgepress.trust.ledger import transaction

    with transaction(site, key, signed["proof"][0]["verificationMethod"]) as tx:
        rel = Path("site_src/credentials") / b.path.name
        tx.write(rel, credential_bytes(signed))
        tx.record("issue", signed["id"], {rel: credential_bytes(signed)})
    errors = errors_of(site)
    first, second = sorted([a.path.name, b.path.name])
    assert any(e.startswith(f"site_src/credentials/{second}: shares status list entry")
               and f"site_src/credentials/{first}" in e for e in errors), errors


# expiry and renewal -------------------------------------------------------------------

def test_expired_credential_is_published_as_expired_and_renewal_links_both(keyed) -> None:
    site, key, _ = keyed
    [old] = issue(site, key, IssueRequest("member", "a@example.org", "Ada",
                                          date=datetime(2025, 1, 10, tzinfo=UTC)))
    new_path = renew(site, old.path.stem, key, now=NOW)
    new = json.loads(new_path.read_text())
    assert new["validFrom"] == "2026-06-01T12:00:00Z"
    assert new["validUntil"] == "2027-06-01T12:00:00Z"
    assert new["credentialSubject"]["identifier"] == json.loads(
        old.path.read_text())["credentialSubject"]["identifier"]
    result = build(site, now=NOW)
    states = {a.uuid: a.state for a in result.awards}
    assert states == {old.path.stem: "expired", new_path.stem: "valid"}
    out = result.out_dir
    old_page = soup(out / f"credentials/{old.path.stem}/index.html")
    assert "Expired on 10 January 2026" in old_page.get_text()
    assert old_page.select_one(".renewed-notice a")["href"] == f"../{new_path.stem}/"
    new_page = soup(out / f"credentials/{new_path.stem}/index.html")
    assert new_page.select_one(".renews-note a")["href"] == f"../{old.path.stem}/"
    res = cli(site, "verify", str(old.path), "--now", "2026-06-02T00:00:00Z")
    assert res.exit_code == 1 and "fail    dates      Expired on 2026-01-10" in res.output
    # the renewal alone: insights.json's counts stay null (fewer than 5 credentials), so
    # the file is not re-written
    assert [e["action"] for e in read_log(site, key.public_multibase).entries][-1] == "renew"


def test_renew_refuses_a_revoked_or_already_renewed_credential(keyed) -> None:
    """A successor of a revoked credential would quietly undo the revocation, and a second
    successor of one credential would leave two current ones."""
    from badgepress.commands.lifecycle import LifecycleError

    site, key, _ = keyed
    [old, bad] = issue(site, key, IssueRequest("member", "a@example.org"),
                       IssueRequest("leader", "b@example.org"))
    new_path = renew(site, old.path.stem, key, now=NOW)
    with pytest.raises(LifecycleError, match=f"renewed already, by urn:uuid:{new_path.stem}"):
        renew(site, old.path.stem, key, now=NOW)
    revoke(site, bad.path.stem, "Quiz retaken", key, now=NOW)
    with pytest.raises(LifecycleError, match="was revoked on .* undoing the revocation"):
        renew(site, bad.path.stem, key, now=NOW)
    renew(site, new_path.stem, key, now=NOW)  # the successor itself can be renewed


def test_the_expired_and_renewed_notices_agree_whatever_became_of_the_successor(
        keyed) -> None:
    """A page said "it has not been renewed on this page" right above "Renewed: the current
    credential is valid from …", and called the successor current after it had expired or
    been revoked itself."""
    site, key, _ = keyed
    old, lone = issue(site, key, *(IssueRequest("member", email, date=datetime(
        2025, 1, 10, tzinfo=UTC)) for email in ("a@example.org", "b@example.org")))
    new = renew(site, old.path.stem, key, now=NOW).stem

    def notices(now: datetime) -> dict[str, list[str]]:
        out = build(site, now=now).out_dir
        return {p.path.stem: [" ".join(n.get_text().split()) for n in soup(
            out / f"credentials/{p.path.stem}/index.html").select(
            ".expired-notice, .renewed-notice")] for p in (old, lone)}

    expired = "Expired on 10 January 2026. This credential was valid until then"
    assert notices(NOW) == {
        old.path.stem: [f"{expired}.", "Renewed: the current credential is valid from 1 June "
                        "2026."],
        lone.path.stem: [f"{expired}; it has not been renewed on this page."]}
    assert notices(datetime(2027, 7, 1, tzinfo=UTC))[old.path.stem] == [
        f"{expired}.", "Renewed: a later credential, valid from 1 June 2026, expired on 1 June "
        "2027."]
    revoke(site, new, "Issued in error", key, now=NOW)
    assert notices(NOW)[old.path.stem] == [
        f"{expired}.", "Renewed: a later credential, valid from 1 June 2026, was revoked on 1 "
        "June 2026."]


# keys ----------------------------------------------------------------------------------

def test_rotation_keeps_old_credentials_valid(keyed, tmp_path: Path) -> None:
    site, key, key_file = keyed
    [old] = issue(site, key, IssueRequest("member", "a@example.org"))
    new_file = tmp_path / "new.key"
    assert cli(site, "keygen", "--rotate", key=new_file).exit_code == 0
    res = cli(site, "issue", "--badge", "leader", "--email", "b@example.org", key=key_file)
    assert res.exit_code == 1 and "this key was retired on" in res.output
    issue(site, load_signing_key(new_file, site), IssueRequest("leader", "b@example.org"))
    result = build(site, now=NOW)
    profile = json.loads(result.files["issuer.json"])
    # no `expires` on the old key: strict verifiers reject every proof of an expired method
    assert not any("expires" in m for m in profile["verificationMethod"])
    assert len(profile["verificationMethod"]) == len(profile["assertionMethod"]) == 2
    assert json.loads((site / "site_src/issuer/keys.json").read_text())["keys"][0]["retired"]
    assert {a.state for a in result.awards} == {"valid"}
    assert cli(site, "verify", str(old.path), "--now", "2026-06-02T00:00:00Z").exit_code == 0


def test_after_a_rotation_the_new_key_keeps_the_program_figures_up_to_date(keyed) -> None:
    """insights.json is kept by the key that wrote it; on a site with one key in use, a
    rotation hands it on, instead of freezing the figures at the rotation."""
    site, key, key_file = keyed
    issue(site, key, *[IssueRequest("member", f"m{i}@example.org") for i in range(6)])
    figures = site / "site_src/insights.json"
    assert json.loads(figures.read_text())["credentials"] == 6
    new_file = key_file.parent / "rotated.key"  # beside the old one, with the earner index
    assert cli(site, "keygen", "--rotate", key=new_file).exit_code == 0
    new = load_signing_key(new_file, site)
    issue(site, new, IssueRequest("leader", "m0@example.org"))
    assert json.loads(figures.read_text())["credentials"] == 7
    assert read_log(site, new.public_multibase).entries[-1]["action"] == "insights"
    build(site, now=NOW)


def test_compromised_key_fails_until_resigned(keyed, tmp_path: Path) -> None:
    site, key, key_file = keyed
    [a] = issue(site, key, IssueRequest("member", "a@example.org"))
    before = a.path.read_bytes()
    res = cli(site, "key", "revoke", key.public_multibase[:12], "--since", "2026-05-01")
    assert res.exit_code == 0, res.output
    assert "2 file(s) signed with it no longer verify" in res.output
    errors = errors_of(site)
    assert any(e.startswith(f"site_src/credentials/{a.path.name}: issuer check failed: Test "
                            f"Issuer revoked the key") and "badgepress resign" in e
               for e in errors), errors
    mb = key.public_multibase
    assert any(e.startswith(f"site_src/status/{mb[:16]}-1.json: issuer check failed")
               for e in errors)
    assert any(e.startswith(f"site_src/log/{mb}.head.json: signed with key") for e in errors)
    res = cli(site, "verify", str(a.path), "--now", "2026-06-02T00:00:00Z")
    assert res.exit_code == 1 and "revoked the key" in res.output and "2026-05-01" in res.output
    new_file = tmp_path / "new.key"
    assert cli(site, "keygen", key=new_file).exit_code == 0
    res = cli(site, "resign", "--yes", key=new_file)
    assert res.exit_code == 0, res.output
    assert "re-signed 2 file(s)" in res.output
    result = build(site, now=NOW)
    assert {x.state for x in result.awards} == {"valid"}
    assert a.path.read_bytes() != before
    # the copy signed with the compromised key stays invalid for everyone
    (tmp_path / "old.json").write_bytes(before)
    res = cli(site, "verify", str(tmp_path / "old.json"), "--now", "2026-06-02T00:00:00Z")
    assert res.exit_code == 1 and "revoked the key" in res.output


# the log -------------------------------------------------------------------------------

def test_log_is_chained_signed_and_published(keyed) -> None:
    site, key, _ = keyed
    a, b = issue(site, key, IssueRequest("member", "a@example.org"),
                 IssueRequest("leader", "b@example.org"))
    log = read_log(site, key.public_multibase)  # the key's own log
    # then the program figures the issue changed (site_src/insights.json)
    assert [e["action"] for e in log.entries] == ["status-list", "issue", "issue", "insights"]
    assert log.head["seq"] == 4
    out = build(site, now=NOW).out_dir
    assert (out / f"log/{key.public_multibase}.jsonl").read_bytes().count(b"\n") == 4
    assert json.loads((out / "log/index.json").read_bytes())["logs"] == [
        {"name": key.public_multibase, "log": f"{key.public_multibase}.jsonl",
         "head": f"{key.public_multibase}.head.json", "entries": 4}]
    page = soup(out / "log/index.html")
    rows = page.select("table.log tbody tr")
    assert len(rows) == 4 and [r.select("td")[2].get_text() for r in rows[:2]] == [
        "insights", "issue"]


def test_one_edited_byte_or_an_unlogged_credential_fails_the_build(keyed) -> None:
    site, key, _ = keyed
    [a] = issue(site, key, IssueRequest("member", "a@example.org"))
    build(site, now=NOW)
    data = bytearray(a.path.read_bytes())
    data[data.index(b'"validFrom"') + 15] ^= 1  # one byte of the date
    a.path.write_bytes(bytes(data))
    assert errors_of(site)[0] == (
        f"site_src/credentials/{a.path.name}: changed since it was logged (its SHA-256 differs "
        "from the issuance log) (signed files must not be edited: restore it with 'git "
        "checkout' (to take it off the site, 'badgepress withdraw' it then))")
    data[data.index(b'"validFrom"') + 15] ^= 1  # restored: the build passes again
    a.path.write_bytes(bytes(data))
    build(site, now=NOW)
    # a validly signed credential that never went through the log
    sneaky = json.loads(a.path.read_text())
    sneaky["id"] = "urn:uuid:00000000-0000-4000-8000-000000000001"
    unsigned = {k: v for k, v in sneaky.items() if k != "proof"}
    signed = proof.sign(unsigned, key, sneaky["proof"][0]["verificationMethod"],
                        "2026-05-01T00:00:00Z")
    path = site / "site_src/credentials/00000000-0000-4000-8000-000000000001.json"
    path.write_bytes(credential_bytes(signed))
    errors = errors_of(site)
    assert errors[0].startswith(f"site_src/credentials/{path.name}: is not in any issuance "
                                "log")


def test_rebuild_reverifies_only_new_or_changed(keyed, monkeypatch) -> None:
    import badgepress.build.credential_stage as awards

    site, key, _ = keyed
    issue(site, key, IssueRequest("member", "a@example.org"),
          IssueRequest("leader", "b@example.org"))
    calls: list[int] = []
    real = awards.check_proof  # one call per full verification (format, key, signature)
    monkeypatch.setattr(awards, "check_proof",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    build(site, now=NOW)
    first = len(calls)
    assert first == 3  # two credentials and the status list
    build(site, now=NOW)
    assert len(calls) == first + 1  # only the status list (always re-checked)
    issue(site, key, IssueRequest("analyst", "c@example.org"))
    build(site, now=NOW)
    assert len(calls) == first + 1 + 2  # the new credential and the list
    build(site, now=NOW, verify_all=True)
    assert len(calls) == first + 3 + 4


def _local_fetch(url: str):
    """fetch_bytes that serves https://badges.test.example/ (the site's own id, where its
    issuer profile lives) from the local server at ``url``."""
    import badgepress.trust.resolve as resolve

    real = resolve.fetch_bytes

    def local(u: str, timeout: float = 15.0) -> bytes:
        return real(u.replace("https://badges.test.example/", url), timeout)

    return local


def test_audit_of_a_served_site(keyed, serve_dir, monkeypatch) -> None:
    import badgepress.trust.resolve as resolve

    site, key, _ = keyed
    [a] = issue(site, key, IssueRequest("member", "a@example.org"))
    out = build(site, now=NOW).out_dir
    url = serve_dir(out)
    local = _local_fetch(url)  # serve the site's own profile where its id says
    # the command audits https only, as verify fetches: the site at its own address
    monkeypatch.setattr(resolve, "fetch_bytes", local)
    res = RUN.invoke(main, ["audit", "https://badges.test.example/"])
    assert res.exit_code == 0 and res.output == "2 logged files checked, 0 problem(s)\n"
    from badgepress.commands.lifecycle import audit

    report = audit(url, local)
    assert report.problems == [] and report.checked == 2
    cred = out / f"credentials/{a.path.stem}/credential.json"
    cred.write_bytes(cred.read_bytes().replace(b'"Council Member"', b'"Council Leader"', 1))
    report = audit(url, local)
    assert report.problems == [
        f"credentials/{a.path.stem}/credential.json: differs from the logged SHA-256"]


def test_audit_names_the_url_that_failed_and_fetches_https_only(keyed, serve_dir,
                                                               monkeypatch) -> None:
    """An unreachable site printed only "error: network error: [Errno -2] Name or service
    not known", naming no URL; and `audit http://…` fetched over plain http, which verify
    refuses."""
    from test_hostile_verify import NoNetwork

    site, key, _ = keyed
    issue(site, key, IssueRequest("member", "a@example.org"))
    served = serve_dir(build(site, now=NOW).out_dir)
    network = NoNetwork(monkeypatch)  # no name resolves, no connection leaves this machine
    network.allowed_ports.add(int(served.rsplit(":", 1)[1].strip("/")))  # but to the test's
    res = RUN.invoke(main, ["audit", "https://badges.acme.example/"])
    assert (res.exit_code, res.output) == (1, (
        "error: could not audit https://badges.acme.example/: could not fetch "
        "https://badges.acme.example/log/index.json (network error: [Errno -2] Name or "
        "service not known)\n"))
    for url in (served, "badges.acme.example"):  # verify's rule and words, nothing fetched
        res = RUN.invoke(main, ["audit", url])
        assert (res.exit_code, res.output) == (2, (
            f"error: could not audit {url}: only https URLs are fetched (give the site's "
            "https address)\n"))
    import badgepress.trust.resolve as resolve

    real = resolve.fetch_bytes
    monkeypatch.setattr(resolve, "fetch_bytes", lambda u, timeout=15.0: real(u.replace(
        "https://badges.test.example/", served).replace("/log/", "/gone/"), timeout))
    res = RUN.invoke(main, ["audit", "https://badges.test.example/"])
    assert (res.exit_code, res.output) == (1, (
        "error: could not audit https://badges.test.example/: could not fetch "
        "https://badges.test.example/log/index.json (HTTP 404)\n"))


def test_audit_finds_credentials_in_the_signed_logs_not_the_sitemap(keyed, serve_dir) -> None:
    """The sitemap lists no credential page (they say noindex) and may be gone altogether:
    audit still checks every logged credential. It used to take the sitemap's credential
    URLs as the list of what the site publishes."""
    from badgepress.commands.lifecycle import AuditReport, audit

    site, key, _ = keyed
    a, b = issue(site, key, IssueRequest("member", "a@example.org"),
                 IssueRequest("leader", "b@example.org", name="Bea Example"))
    out = build(site, now=NOW).out_dir
    from xml.etree import ElementTree

    locs = [e.text or "" for e in ElementTree.parse(out / "sitemap.xml").iter(
        "{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert locs and not [u for u in locs if "/credentials/" in u]
    (out / "sitemap.xml").unlink()
    url = serve_dir(out)
    local = _local_fetch(url)
    assert audit(url, local) == AuditReport(3, [])  # 2 credentials, 1 status list
    cred = out / f"credentials/{b.path.stem}/credential.json"
    cred.write_bytes(cred.read_bytes().replace(b"Bea Example", b"Bea Exampel"))
    (out / f"credentials/{a.path.stem}/credential.json").unlink()
    report = audit(url, local)
    assert report.checked == 3 and sorted(report.problems) == sorted([
        f"credentials/{b.path.stem}/credential.json: differs from the logged SHA-256",
        f"credentials/{a.path.stem}/credential.json: logged but not served (HTTP 404)"]), \
        report.problems


def test_audit_reports_a_credential_page_whose_json_differs_from_the_log(keyed,
                                                                         serve_dir) -> None:
    """credential.json matches the log, but the page people see (and the browser check
    verifies) embeds something else: an edited name, or another credential."""
    from badgepress.commands.lifecycle import audit

    site, key, _ = keyed
    a, b = issue(site, key, IssueRequest("member", "a@example.org", name="Ann Example"),
                 IssueRequest("leader", "b@example.org", name="Bea Example"))
    out = build(site, now=NOW).out_dir
    url = serve_dir(out)
    local = _local_fetch(url)
    assert audit(url, local).problems == []
    page_a = out / f"credentials/{a.path.stem}/index.html"
    page_b = out / f"credentials/{b.path.stem}/index.html"
    html = page_a.read_text(encoding="utf-8")
    assert html.count("Ann Example") > 1
    page_a.write_text(html.replace("Ann Example", "Mallory Forger"), encoding="utf-8")
    page_b.write_text(html, encoding="utf-8")  # b's page shows a's credential
    report = audit(url, local)
    assert report.problems == [
        f"credentials/{p.path.stem}/: the page shows a credential that differs from the "
        "logged credential.json" for p in (a, b)]
    page_b.write_text("<!doctype html><title>gone</title><p>nothing here</p>")
    assert audit(url, local).problems[1] == (
        f"credentials/{b.path.stem}/: the page does not embed exactly one credential "
        "(found 0)")


# interruption and concurrency ----------------------------------------------------------

def _issue_process(site: Path, csv: Path, key: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "badgepress", "-C", str(site), "issue",
                             "--csv", str(csv), "--key", str(key)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})


def test_sigkill_at_random_points_leaves_one_credential_per_row(keyed, tmp_path: Path) -> None:
    """Kill `issue --csv` with SIGKILL at random moments (start-up, signing, commit) at least
    20 times; a run that finishes moves on to a fresh batch. Rerunning every batch then
    leaves exactly one credential per row, a valid log and no orphan file."""
    site, key, key_file = keyed
    rng = random.Random(20261124)
    batches: list[Path] = []

    def new_batch() -> Path:
        n = len(batches)
        csv = tmp_path / f"rows{n}.csv"
        csv.write_text("badge,email\n" + "".join(
            f"{('member', 'leader', 'analyst')[i % 3]},r{n}-{i}@example.org\n"
            for i in range(24)))
        batches.append(csv)
        return csv

    started = time.perf_counter()  # calibrate: how long one full run takes here
    assert _issue_process(site, new_batch(), key_file).wait() == 0
    duration = time.perf_counter() - started
    csv, kills, rounds = new_batch(), 0, 0
    while kills < 20 and rounds < 60:
        rounds += 1
        proc = _issue_process(site, csv, key_file)
        time.sleep(rng.uniform(0.02, 0.98) * duration)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        elif proc.returncode == 0:
            csv = new_batch()
        proc.wait()
    assert kills >= 20
    for csv in batches:
        proc = _issue_process(site, csv, key_file)
        assert proc.wait() == 0, proc.stderr.read()
    files = sorted((site / "site_src/credentials").glob("*.json"))
    assert len(files) == 24 * len(batches)
    assert not (site / "site_src/log/.journal.jsonl").exists()
    assert not [p for p in (site / "site_src").rglob("*.tmp")]
    result = build(site, now=NOW)  # the log, head and every hash check out
    assert len(result.awards) == len(files)
    logged = [e for e in read_log(site, key.public_multibase).entries
              if e["action"] == "issue"]
    assert len(logged) == len(files)


def test_two_issue_commands_at_once_lose_nothing(keyed, tmp_path: Path) -> None:
    site, key, key_file = keyed
    procs = []
    for n in range(2):
        csv = tmp_path / f"batch{n}.csv"
        csv.write_text("badge,email\n" + "".join(f"member,b{n}-{i}@example.org\n"
                                                 for i in range(5)))
        procs.append(_issue_process(site, csv, key_file))
    for p in procs:
        assert p.wait() == 0, p.stderr.read()
    result = build(site, now=NOW)
    assert len(result.awards) == 10
    indexes = {json.loads(a.raw)["credentialStatus"]["statusListIndex"] for a in result.awards}
    assert len(indexes) == 10
    log = read_log(site, key.public_multibase)
    actions = [e["action"] for e in log.entries]
    # a status list + 10 credentials, and insights.json as each command left it
    assert len(actions) - actions.count("insights") == 11 and actions.count("insights") == 2
    assert log.head["seq"] == len(actions)


def test_a_back_dated_log_entry_fails_the_build(keyed) -> None:
    from badgepress.commands.issue import build_credential, current_key
    from badgepress.trust.ledger import transaction

    site, key, _ = keyed
    issue(site, key, IssueRequest("member", "a@example.org"))
    line = len(read_log(site, key.public_multibase).entries) + 1
    catalog = build(site, now=NOW).catalog
    vm = current_key(site, catalog.config, key)
    when = datetime(2026, 2, 1, tzinfo=UTC)
    doc = build_credential(catalog.config, catalog.badge("leader"),
                           IssueRequest("leader", "b@example.org", date=when), when)
    signed = proof.sign(doc, key, vm, "2026-02-01T00:00:00Z")
    rel = Path("site_src/credentials") / (signed["id"][9:] + ".json")
    from badgepress.trust.ledger import LedgerError

    # a maintainer whose clock is behind is stopped before anything is written
    with pytest.raises(LedgerError, match="clock says 2020-01-01T00:00:00Z, but the last "
                       r"entry of your log \(.*\) is dated"):
        with transaction(site, key, vm, "2020-01-01T00:00:00Z"):
            pass
    with transaction(site, key, vm) as tx:
        tx.when = "2020-01-01T00:00:00Z"  # a chained, signed lie (someone's own tool)
        tx.write(rel, credential_bytes(signed))
        tx.record("issue", signed["id"], {rel: credential_bytes(signed)})
    errors = errors_of(site)
    assert errors[0].startswith(f"site_src/log/{key.public_multibase}.jsonl:{line}: dated "
                                "2020-01-01T00:00:00Z, before the entry above it")
    assert "back-dated" in errors[0]


def test_an_edited_or_truncated_log_fails_the_build(keyed) -> None:
    site, key, _ = keyed
    issue(site, key, IssueRequest("member", "a@example.org"),
          IssueRequest("leader", "b@example.org"))
    log_file = site / f"site_src/log/{key.public_multibase}.jsonl"
    original = log_file.read_text()
    lines = original.splitlines(keepends=True)
    log_file.write_text(lines[0] + lines[1].replace('"issue"', '"renew"') + "".join(lines[2:]))
    assert any(f"{log_file.relative_to(site)}:3: the chain is broken here" in e
               for e in errors_of(site))
    log_file.write_text("".join(lines[:-1]))  # the last entry dropped
    errors = errors_of(site)
    assert any(e.startswith(f"site_src/log/{key.public_multibase}.head.json: the head names "
                            f"entry {len(lines)}, the log has {len(lines) - 1}")
               for e in errors), errors
    log_file.write_text(original)
    build(site, now=NOW)


def test_resign_moves_a_site_from_the_0_1_key_ids_and_old_copies_keep_verifying(
        keyed) -> None:
    """A site whose credentials 0.1 signed (proof as one object, key id
    <issuer>/issuer.json#<multibase>) is told how to move on; `resign` re-signs in the
    current form and keeps the old id published, so copies earners hold still verify."""
    from badgepress.trust.ledger import transaction
    from badgepress.trust.resolve import LocalResolver
    from badgepress.trust.verify import verify_credential

    site, key, key_file = keyed
    [a] = issue(site, key, IssueRequest("member", "a@example.org"))
    doc = json.loads(a.path.read_text())
    old_vm = f"https://badges.test.example/issuer.json#{key.public_multibase}"
    legacy = proof.sign({k: v for k, v in doc.items() if k != "proof"}, key, old_vm,
                        "2026-05-02T00:00:00Z")
    legacy["proof"] = legacy["proof"][0]  # 0.1 wrote a single object
    rel = Path("site_src/credentials") / a.path.name
    with transaction(site, key, old_vm) as tx:
        tx.write(rel, credential_bytes(legacy))
        tx.record("issue", legacy["id"], {rel: credential_bytes(legacy)})
    errors = errors_of(site)
    assert any(e.startswith(f"{rel}: issuer check failed") and "badgepress resign" in e
               and "0.1" in e for e in errors), errors

    res = cli(site, "resign", "--yes", key=key_file)
    assert res.exit_code == 0, res.output
    assert "re-signed 1 file(s) and the log head" in res.output
    result = build(site, now=NOW)
    migrated = json.loads(a.path.read_text())
    assert isinstance(migrated["proof"], list)
    assert migrated["proof"][0]["verificationMethod"].endswith(
        f"/issuer/keys/{key.public_multibase}.json")
    assert {k: v for k, v in migrated.items() if k != "proof"} == \
        {k: v for k, v in legacy.items() if k != "proof"}  # contents unchanged
    profile = json.loads(result.files["issuer.json"])
    assert old_vm in profile["assertionMethod"]  # still published under the 0.1 id
    docs = {"https://badges.test.example/issuer.json": profile}
    assert verify_credential(credential_bytes(legacy), LocalResolver(docs),
                             NOW).check("issuer").status == "pass"
    # a second resign has nothing left to do
    res = cli(site, "resign", "--yes", key=key_file)
    assert res.exit_code == 0 and "re-signed 0 file(s)" in res.output


def test_a_credential_is_found_by_the_start_of_its_uuid_when_only_one_has_it(
        tmp_path: Path) -> None:
    from badgepress.commands.lifecycle import LifecycleError, find_credential

    folder = tmp_path / "site_src/credentials"
    folder.mkdir(parents=True)
    for name in ("abcdef12-0000-4000-8000-000000000001", "abcdef12-0000-4000-8000-000000000002",
                 "0badcafe-0000-4000-8000-000000000003"):
        (folder / f"{name}.json").write_text("{}")
    assert find_credential(tmp_path, "0badcafe")[0].stem.startswith("0badcafe-")
    with pytest.raises(LifecycleError, match="starts the uuids of 2 credentials"):
        find_credential(tmp_path, "abcdef12")
    with pytest.raises(LifecycleError, match="no credential '0bad'"):  # too short to guess
        find_credential(tmp_path, "0bad")


def test_an_issue_that_skips_every_row_changes_no_file(keyed) -> None:
    """Nothing issued, nothing signed: no log head re-signed with a new time (a diff in
    every clone for nothing)."""
    site, key, key_file = keyed
    issue(site, key, IssueRequest("member", "a@example.org"))

    def files() -> dict[Path, bytes]:
        return {p: p.read_bytes() for p in (site / "site_src").rglob("*")
                if p.is_file() and not p.name.startswith(".")}

    before = files()
    res = cli(site, "issue", "--badge", "member", "--email", "a@example.org", key=key_file)
    assert res.exit_code == 0 and "skipped" in res.output, res.output  # now, not NOW
    assert files() == before
    rows = site.parent / "again.csv"
    rows.write_text("badge,email\nmember,a@example.org\n")
    res = cli(site, "issue", "--csv", str(rows), key=key_file)
    assert res.exit_code == 0 and "1 skipped" in res.output, res.output
    assert files() == before
    from badgepress.trust.ledger import transaction

    head = site / f"site_src/log/{key.public_multibase}.head.json"
    with transaction(site, key, json.loads(head.read_text())["verificationMethod"],
                     "2030-01-01T00:00:00Z"):
        pass  # a transaction that logged nothing, later
    assert files() == before


def test_a_changed_base_url_says_so_instead_of_blaming_the_network(keyed) -> None:
    """base_url is signed into every credential: the build names the cause, not 'network
    access is turned off' (it never fetches anything)."""
    site, key, _ = keyed
    issue(site, key, IssueRequest("member", "a@example.org"))
    toml = site / "site_src/site.toml"
    toml.write_text(toml.read_text().replace("https://badges.test.example/",
                                             "https://skills.test.example/"))
    errors = "\n".join(errors_of(site))
    assert "it is not a document of this site" in errors
    assert "base_url is signed into every credential" in errors
    assert "network access is turned off" not in errors


def test_audit_names_a_logged_revocation_whose_bit_the_site_does_not_serve() -> None:
    """A list re-signed without a revoked credential's bit (an old reconcile dropped those
    of withdrawn credentials) matched its log entry, so audit passed it."""
    from badgepress.commands.lifecycle import _revocations_not_served
    from badgepress.trust.ledger import Log

    url = "https://badges.test.example/status/z6Mk-1.json"
    logs = [Log([{"seq": 1, "action": "revoke", "subject": "urn:uuid:a",
                  "revocation": {"id": "urn:uuid:a", "date": "2026-01-01T00:00:00Z"},
                  "files": {}},
                 {"seq": 2, "action": "withdraw", "subject": "urn:uuid:b",
                  "status": f"{url}#7", "files": {}},
                 {"seq": 3, "action": "revoke", "subject": "urn:uuid:b",
                  "revocation": {"id": "urn:uuid:b", "date": "2026-01-02T00:00:00Z"},
                  "files": {}}], None, "z6Mk")]
    entries = {"urn:uuid:a": (url, 5)}
    assert _revocations_not_served(logs, dict(entries), {url: {5, 7}}) == []
    assert _revocations_not_served(logs, dict(entries), {url: {5}}) == [
        f"urn:uuid:b: revoked in the log, but entry 7 of {url} is not set: verifiers would "
        "call it valid"]


def test_a_write_the_file_system_refuses_for_its_name_rolls_back_cleanly(keyed) -> None:
    """Review finding: a file name over the file system's limit failed the write, then
    the roll-back itself failed on the same name, leaving a journal every later command
    crashed on."""
    import errno

    from badgepress.trust.ledger import transaction

    site, key, _ = keyed
    [a] = issue(site, key, IssueRequest("member", "a@example.org"))
    vm = json.loads(a.path.read_text())["proof"][0]["verificationMethod"]
    with pytest.raises(OSError) as info:
        with transaction(site, key, vm) as tx:
            tx.write(Path("site_src/earners") / ("x" * 300 + ".json"), b"{}")
    assert info.value.errno == errno.ENAMETOOLONG
    assert not (site / "site_src/log/.journal.jsonl").exists()
    issue(site, key, IssueRequest("leader", "b@example.org"))  # the next command runs
    build(site, now=NOW)


def test_renewing_a_credential_whose_successor_was_withdrawn_says_so(keyed) -> None:
    from badgepress.commands.lifecycle import LifecycleError, withdraw

    site, key, _ = keyed
    [old] = issue(site, key, IssueRequest("member", "a@example.org"))
    successor = renew(site, old.path.stem, key, now=NOW)
    withdraw(site, successor.stem, "Issued in error", key, now=NOW)
    with pytest.raises(LifecycleError, match="which was withdrawn since: issue the badge "
                       "again"):
        renew(site, old.path.stem, key, now=NOW)
