"""Several maintainers, one site: each signs with their own key into their own log, on
branches of one git repository (a bare repository in tmp_path, never the network). Their
branches merge and rebase without conflicts and build as they are; real conflicts (a status
list both re-signed, a credential revoked on one branch and renewed on the other) stop the
build with the choice explained, and `badgepress reconcile` settles them. A bad merge of the
logs, and a contributor without a key adding a credential, fail the build with the reason."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from badgepress.build.pipeline import build
from badgepress.cli import main
from badgepress.commands.scaffold import GITATTRIBUTES_TEXT
from badgepress.core.errors import BuildError
from badgepress.trust.keys import load_key_history
from badgepress.trust.logs import read_logs
from click.testing import CliRunner
from conftest import SITES, soup

RUN = CliRunner()
GIT_ENV = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
PEOPLE = {"ada": "Ada Lovelace", "bo": "Bo Byte", "cy": "Cy Contributor"}


def git(cwd: Path, *args: str, who: str = "ada", check: bool = True) -> str:
    name = PEOPLE[who]
    proc = subprocess.run(["git", "-c", f"user.name={name}", "-c",
                           f"user.email={who}@example.org", "-c", "init.defaultBranch=main",
                           *args], cwd=cwd, env=GIT_ENV, capture_output=True, text=True)
    if check and proc.returncode:
        raise AssertionError(f"git {' '.join(args)}: {proc.stdout}{proc.stderr}")
    return proc.stdout


def cli(site: Path, *args: str) -> str:
    res = RUN.invoke(main, ["-C", str(site), *args])
    assert res.exit_code == 0, (args, res.output)
    return res.output


def errors_of(site: Path) -> list[str]:
    with pytest.raises(BuildError) as info:
        build(site)
    return [str(p) for p in info.value.problems]


def signer_of(path: Path) -> str:
    vm = json.loads(path.read_text())["proof"][0]["verificationMethod"]
    return vm.rsplit("/", 1)[1].removesuffix(".json")


class Team:
    """The shared repository, both maintainers' keys (outside every clone) and multibases."""

    def __init__(self, root: Path):
        self.root = root
        self.origin = root / "origin.git"
        self.keys = {who: root / "keys" / f"{who}.key" for who in ("ada", "bo")}
        self.mb: dict[str, str] = {}
        self.seed: dict[str, Path] = {}

    def clone(self, name: str, branch: str = "main", who: str = "ada") -> Path:
        dest = self.root / name
        git(self.root, "clone", "-q", "-b", branch, str(self.origin), str(dest), who=who)
        return dest

    def issue(self, site: Path, who: str, badge: str, email: str) -> Path:
        out = cli(site, "issue", "--badge", badge, "--email", email, "--key",
                  str(self.keys[who]))
        return _issued(site, out)

    def issue_csv(self, site: Path, who: str, rows: list[tuple[str, str]]) -> None:
        csv = self.root / f"{who}-{len(rows)}-{site.name}.csv"
        csv.write_text("badge,email\n" + "".join(f"{b},{e}\n" for b, e in rows))
        cli(site, "issue", "--csv", str(csv), "--key", str(self.keys[who]))


def _issued(site: Path, output: str) -> Path:
    """The credential file `issue` reports."""
    for word in output.split():
        if "site_src/credentials/" in word:
            return site / word[word.index("site_src/"):].rstrip(":,)")
    raise AssertionError(output)


def _start(root: Path) -> Team:
    """main: the basic site, both maintainers' keys and one credential each."""
    team = Team(root)
    git(root, "init", "-q", "--bare", str(team.origin))
    seed = shutil.copytree(SITES / "basic", root / "seed")
    (seed / ".gitignore").write_text("_site/\n.badgepress-cache/\nsite_src/log/.lock\n"
                                     "site_src/log/.journal.jsonl\n")
    (seed / ".gitattributes").write_text(GITATTRIBUTES_TEXT)
    for who in ("ada", "bo"):
        cli(seed, "keygen", "--key", str(team.keys[who]), "--name", PEOPLE[who])
    team.mb = {who: k.public_key_multibase
               for who, k in zip(("ada", "bo"), load_key_history(seed), strict=True)}
    team.seed["ada"] = team.issue(seed, "ada", "member", "a0@example.org")
    team.seed["bo"] = team.issue(seed, "bo", "leader", "b0@example.org")
    git(seed, "init", "-q")
    git(seed, "add", "-A")
    git(seed, "commit", "-qm", "A site with two maintainers")
    git(seed, "remote", "add", "origin", str(team.origin))
    git(seed, "push", "-q", "origin", "main")
    return team


@pytest.fixture(scope="module")
def team(tmp_path_factory) -> Team:
    """Ada and Bo work at the same time in their own clones, each on a branch: both issue
    (one, then a CSV), Ada revokes Bo's first credential, Bo renews Ada's."""
    team = _start(tmp_path_factory.mktemp("team"))
    ada, bo = team.clone("ada"), team.clone("bo", who="bo")
    git(ada, "checkout", "-qb", "ada-work")
    git(bo, "checkout", "-qb", "bo-work", who="bo")
    team.issue(ada, "ada", "member", "a1@example.org")
    team.issue(bo, "bo", "member", "b1@example.org")
    team.issue_csv(ada, "ada", [("leader", "a2@example.org"), ("analyst", "a3@example.org")])
    team.issue_csv(bo, "bo", [("leader", "b2@example.org"), ("analyst", "b3@example.org")])
    seed_bo = team.seed["bo"].name
    cli(ada, "revoke", seed_bo.removesuffix(".json"), "--reason", "Issued in error",
        "--key", str(team.keys["ada"]))
    cli(bo, "renew", team.seed["ada"].stem, "--key", str(team.keys["bo"]))
    for site, who in ((ada, "ada"), (bo, "bo")):
        git(site, "add", "-A", who=who)
        git(site, "commit", "-qm", f"{PEOPLE[who]}'s credentials", who=who)
        git(site, "push", "-q", "origin", f"{who}-work", who=who)
    return team


def merged(team: Team, name: str, how: str) -> Path:
    """A clone where the two branches came together: merged either way, or rebased."""
    if how == "ada+bo":
        site = team.clone(name, "ada-work")
        git(site, "merge", "-q", "--no-edit", "origin/bo-work")
    elif how == "bo+ada":
        site = team.clone(name, "bo-work", who="bo")
        git(site, "merge", "-q", "--no-edit", "origin/ada-work", who="bo")
    else:  # Bo rebases his work on Ada's
        site = team.clone(name, "bo-work", who="bo")
        git(site, "pull", "-q", "--rebase", "origin", "ada-work", who="bo")
        assert "Ada Lovelace's credentials" in git(site, "log", "--format=%s")
    return site


def check_site(team: Team, site: Path):
    """The merged site builds as it is; every credential verifies (the revoked one as
    revoked), each operation is logged once, and no status index is shared."""
    result = build(site)
    assert len(result.awards) == 9  # 2 + 3 + 3 issued, 1 renewal
    revoked = {a.uuid for a in result.awards if a.state == "revoked"}
    assert revoked == {team.seed["bo"].stem}
    files = sorted((site / "site_src/credentials").glob("*.json"))
    good = [str(p) for p in files if p.stem not in revoked]
    res = RUN.invoke(main, ["-C", str(site), "verify", *good, "--json"])
    assert res.exit_code == 0, res.output
    assert {r["verdict"] for r in json.loads(res.output)} == {"valid"}
    res = RUN.invoke(main, ["-C", str(site), "verify",
                            str(site / "site_src/credentials" / team.seed["bo"].name), "--json"])
    assert res.exit_code == 1 and json.loads(res.output)["checks"][4]["code"] == \
        "revocation.revoked"
    logs = {log.name: log for log in read_logs(site)}
    assert set(logs) == {team.mb["ada"], team.mb["bo"]}
    actions = {who: Counter(e["action"] for e in logs[team.mb[who]].entries)
               for who in ("ada", "bo")}
    assert actions["ada"] == {"status-list": 1, "issue": 4, "revoke": 1}
    assert actions["bo"] == {"status-list": 1, "issue": 4, "renew": 1}
    made = Counter(e["subject"] for log in logs.values() for e in log.entries
                   if e["action"] in ("issue", "renew"))
    assert sorted(made) == sorted(json.loads(p.read_text())["id"] for p in files)
    assert set(made.values()) == {1}
    entries = [(json.loads(p.read_text())["credentialStatus"]["statusListCredential"],
                json.loads(p.read_text())["credentialStatus"]["statusListIndex"])
               for p in files]
    assert len(set(entries)) == len(entries) == 9
    # each key drew from its own list; the renewal is Bo's, on Bo's list
    assert {u.rsplit("/", 1)[1] for u, _ in entries} == {
        f"{team.mb[w][:16]}-1.json" for w in ("ada", "bo")}
    return result


@pytest.mark.parametrize("how", ["ada+bo", "bo+ada", "rebase"])
def test_two_maintainers_branches_merge_and_build_as_they_are(team: Team, how: str) -> None:
    site = merged(team, f"merged-{how}", how)
    assert not git(site, "diff", "--name-only", "--diff-filter=U")  # no conflict at all
    check_site(team, site)


def test_the_merged_site_audits_and_verifies_in_the_browser(team: Team, serve_dir,
                                                            browser) -> None:
    import badgepress.trust.resolve as resolve
    from badgepress.commands.lifecycle import audit
    from test_verifier_browser import checks, open_page, verdict

    site = merged(team, "served", "ada+bo")
    out = build(site).out_dir
    url = serve_dir(out)
    index = json.loads((out / "log/index.json").read_text())
    assert sorted(i["name"] for i in index["logs"]) == sorted(team.mb.values())
    real = resolve.fetch_bytes

    def local(u: str, timeout: float = 15.0) -> bytes:
        return real(u.replace("https://badges.test.example/", url), timeout)

    report = audit(url, local)
    assert report.problems == [] and report.checked == 11  # 9 credentials, 2 status lists
    rows = [tr.find_all("td") for tr in soup(out / "log/index.html").select(
        "table.log tbody tr")]
    assert len(rows) == 12 and {r[-1].get_text() for r in rows} == {
        f"{PEOPLE[w]} {team.mb[w][:12]}…" for w in ("ada", "bo")}
    now = datetime.now(UTC) + timedelta(minutes=1)
    for path in sorted((site / "site_src/credentials").glob("*.json")):
        context, page, _, _ = open_page(browser, url + f"credentials/{path.stem}/", now)
        want = "invalid" if path.name == team.seed["bo"].name else "valid"
        assert verdict(page) == want, (path.name, signer_of(path), checks(page))
        context.close()


def test_a_merge_that_drops_or_reorders_log_entries_fails_the_build(team: Team) -> None:
    site = merged(team, "badmerge", "ada+bo")
    bo_log = site / f"site_src/log/{team.mb['bo']}.jsonl"
    bo_head = bo_log.with_name(f"{team.mb['bo']}.head.json")
    lines = bo_log.read_text().splitlines(keepends=True)
    rel = bo_log.relative_to(site).as_posix()
    bo_log.write_text("".join(lines[:2] + lines[3:]))  # one entry dropped
    errors = errors_of(site)
    assert f"{rel}:3: the chain is broken here (the entry does not name the hash of the one " \
           "before): the log was edited" in "\n".join(errors), errors
    bo_log.write_text("".join([lines[0], lines[2], lines[1], *lines[3:]]))  # reordered
    errors = errors_of(site)
    assert any(e.startswith(f"{rel}:2: entry number 3 where 2 belongs") for e in errors), errors
    bo_log.write_text("".join(lines))
    bo_head.unlink()  # the head lost
    errors = errors_of(site)
    assert any(e.startswith(f"{bo_head.relative_to(site)}: missing, so the {len(lines)} "
                            f"entries of {rel} are signed by no one") for e in errors), errors
    git(site, "checkout", "-q", "HEAD", "--", "site_src/log")
    build(site)
    # a resolution that kept main's version of Ada's log: her new credentials are unlogged
    git(site, "checkout", "-q", "origin/main", "--", *(f"site_src/log/{team.mb['ada']}{ext}"
                                                      for ext in (".jsonl", ".head.json")))
    errors = errors_of(site)
    unlogged = [e.split(":")[0] for e in errors if "is not in any issuance log" in e]
    assert len(unlogged) == 3 and all(signer_of(site / u) == team.mb["ada"] for u in unlogged)


def test_a_contributor_without_a_key_gets_a_build_failure_that_says_who_can_fix_it(
        team: Team) -> None:
    site = team.clone("contributor", who="cy")
    git(site, "checkout", "-qb", "cy-pr", who="cy")
    badge = site / "badges/member.md"
    badge.write_text(badge.read_text() + "\nA sentence from a contributor.\n")
    build(site)  # badges and pages need no key
    forged = json.loads(team.seed["ada"].read_text())
    forged["id"] = "urn:uuid:00000000-0000-4000-8000-0000000000c1"
    path = site / "site_src/credentials/00000000-0000-4000-8000-0000000000c1.json"
    path.write_text(json.dumps(forged, indent=2))
    git(site, "add", "-A", who="cy")
    git(site, "commit", "-qm", "Add my credential", who="cy")
    errors = errors_of(site)
    labels = ", ".join(f"{PEOPLE[w]} {team.mb[w][:12]}…" for w in ("ada", "bo"))
    assert errors[0] == (
        f"site_src/credentials/{path.name}: is not in any issuance log: only a maintainer "
        f"with an issuer key can issue (keys: {labels}) (ask one of them to run 'badgepress "
        "issue', and remove this file from the pull request)")


def test_real_conflicts_stop_the_build_until_reconciled(tmp_path: Path) -> None:
    """Ada revokes her own first credential and Bo's; at the same time Bo renews Ada's and
    revokes one of his own. Git keeps both revocations (union) but only one side of Bo's
    status list; the build names both conflicts, `reconcile` settles them."""
    team = _start(tmp_path)
    ada, bo = team.clone("ada"), team.clone("bo", who="bo")
    git(ada, "checkout", "-qb", "ada-x")
    git(bo, "checkout", "-qb", "bo-x", who="bo")
    for cred in (team.seed["ada"], team.seed["bo"]):
        cli(ada, "revoke", cred.stem, "--reason", "Issued in error", "--key",
            str(team.keys["ada"]))
    cli(bo, "renew", team.seed["ada"].stem, "--key", str(team.keys["bo"]))
    b5 = team.issue(bo, "bo", "member", "b5@example.org")
    cli(bo, "revoke", b5.stem, "--reason", "Wrong person", "--key", str(team.keys["bo"]))
    for site, who in ((ada, "ada"), (bo, "bo")):
        git(site, "add", "-A", who=who)
        git(site, "commit", "-qm", f"{PEOPLE[who]}'s changes", who=who)
    git(ada, "pull", "-q", "--no-rebase", str(bo), "bo-x", check=False)
    bo_list = f"site_src/status/{team.mb['bo'][:16]}-1.json"
    assert git(ada, "diff", "--name-only", "--diff-filter=U").split() == [bo_list]
    git(ada, "checkout", "-q", "--theirs", bo_list)  # keep one side, as git must
    git(ada, "add", "-A")
    git(ada, "commit", "-qm", "Merge Bo's changes")
    assert (ada / "site_src/revocations.toml").read_text().count("{id = ") == 3
    errors = "\n".join(errors_of(ada))
    assert f"{bo_list}: was re-signed on two branches" in errors
    assert "badgepress reconcile --key PATH" in errors
    assert f"{json.loads(team.seed['ada'].read_text())['id']} was revoked by Ada Lovelace" \
        in errors and "renewed by Bo Byte" in errors
    res = RUN.invoke(main, ["-C", str(ada), "reconcile"])
    assert res.exit_code != 0 and "only an issuer key" in res.output
    out = cli(ada, "reconcile", "--key", str(team.keys["ada"]))
    assert f"re-signed {bo_list} from revocations.toml (2 revoked)" in out
    assert "is both revoked and renewed" in out
    result = build(ada)
    states = {a.uuid: a.state for a in result.awards}
    assert [states[p.stem] for p in (team.seed["ada"], team.seed["bo"], b5)] == ["revoked"] * 3
    assert sorted(states.values()).count("valid") == 1  # the renewal stands
    assert "nothing to reconcile" in cli(ada, "reconcile", "--key", str(team.keys["ada"]))


def test_each_maintainer_adds_and_rotates_only_their_own_key(tmp_path: Path) -> None:
    site = shutil.copytree(SITES / "basic", tmp_path / "site")
    for who in ("ada", "bo"):
        cli(site, "keygen", "--key", str(tmp_path / f"{who}.key"), "--name", PEOPLE[who])
    ada, bo = load_key_history(site)
    assert (ada.name, bo.name) == ("Ada Lovelace", "Bo Byte")
    res = RUN.invoke(main, ["-C", str(site), "keygen", "--rotate", "--key",
                            str(tmp_path / "bo2.key")])
    assert res.exit_code != 0 and "2 keys are in use" in res.output
    assert "--replaces" in res.output and not (tmp_path / "bo2.key").exists()
    cli(site, "keygen", "--rotate", "--replaces", bo.public_key_multibase[:10], "--key",
        str(tmp_path / "bo2.key"))
    keys = load_key_history(site)
    assert [(k.name, k.usable) for k in keys] == [("Ada Lovelace", True), ("Bo Byte", False),
                                                  ("Bo Byte", True)]
    # the key $BADGEPRESS_KEY names is the one retired, without --replaces
    res = RUN.invoke(main, ["-C", str(site), "keygen", "--rotate", "--key",
                            str(tmp_path / "ada2.key")],
                     env={"BADGEPRESS_KEY": str(tmp_path / "ada.key")})
    assert res.exit_code == 0, res.output
    assert [(k.name, k.usable) for k in load_key_history(site)] == [
        ("Ada Lovelace", False), ("Bo Byte", False), ("Bo Byte", True), ("Ada Lovelace", True)]


def test_revoking_one_maintainers_key_affects_only_what_it_signed(tmp_path: Path) -> None:
    team = _start(tmp_path)
    site = team.clone("site")
    res = RUN.invoke(main, ["-C", str(site), "key", "revoke", team.mb["bo"][:14], "--since",
                            "2026-01-01"])
    assert res.exit_code == 0 and "2 file(s) signed with it" in res.output
    bo_list = f"site_src/status/{team.mb['bo'][:16]}-1.json"
    failing = {e.split(":")[0] for e in errors_of(site)}
    assert failing == {f"site_src/credentials/{team.seed['bo'].name}", bo_list,
                       f"site_src/log/{team.mb['bo']}.head.json"}
    res = RUN.invoke(main, ["-C", str(site), "resign", "--key", str(team.keys["ada"])])
    assert res.exit_code == 2 and "recording it makes it final" in res.output \
        and "git log -p site_src/issuer/keys.json" in res.output, res.output
    assert "re-signed 2 file(s)" in cli(site, "resign", "--yes", "--key",
                                        str(team.keys["ada"]))
    result = build(site)  # Bo's log stays his, its head now vouched for by Ada's key
    assert {a.state for a in result.awards} == {"valid"}
    head = json.loads((site / f"site_src/log/{team.mb['bo']}.head.json").read_text())
    assert head["verificationMethod"].endswith(f"/{team.mb['ada']}.json")


def test_a_site_with_the_single_log_of_before_gains_per_key_logs(tmp_path: Path) -> None:
    from conftest import REPO

    site = tmp_path / "demo"
    shutil.copytree(REPO / "badges", site / "badges")
    shutil.copytree(REPO / "tests/sites/legacy-log/site_src", site / "site_src")
    cli(site, "keygen", "--key", str(tmp_path / "ada.key"), "--name", "Ada Lovelace")
    build(site)
    legacy = json.loads(next((site / "site_src/credentials").glob("*.json")).read_text())
    assert legacy["credentialStatus"]["statusListCredential"].endswith("/status/1.json")
    cli(site, "revoke", legacy["id"], "--reason", "Issued in error", "--key",
        str(tmp_path / "ada.key"))
    new = _issued(site, cli(site, "issue", "--badge", "community-speaker", "--email",
                            "n@example.org", "--key", str(tmp_path / "ada.key")))
    result = build(site)
    assert {a.uuid: a.state for a in result.awards}[legacy["id"][9:]] == "revoked"
    assert json.loads(new.read_text())["credentialStatus"]["statusListCredential"].endswith(
        f"/status/{load_key_history(site)[-1].public_key_multibase[:16]}-1.json")
    index = json.loads(result.files["log/index.json"])
    assert [i["log"] for i in index["logs"]][0] == "log.jsonl"  # the earlier log, frozen
    assert "log/log.jsonl" in result.files and "log/head.json" in result.files


def test_a_maintainer_withdraws_what_another_key_or_their_old_key_issued(
        tmp_path: Path) -> None:
    """Withdrawal is for personal data that must come off the site: whoever holds a key
    can do it, whichever key issued the credential (another maintainer's, or their own
    before a rotation). The entry goes into the withdrawing key's log, and the build takes
    it, as it takes a revocation by another key."""
    team = _start(tmp_path)
    site = team.clone("site")
    bos = team.seed["bo"].stem
    cli(site, "revoke", bos, "--reason", "Issued in error", "--key", str(team.keys["ada"]))
    cli(site, "withdraw", bos, "--reason", "Personal data in the evidence", "--key",
        str(team.keys["ada"]))
    assert not (site / "site_src/credentials" / f"{bos}.json").exists()
    cli(site, "keygen", "--rotate", "--replaces", team.mb["ada"][:10], "--key",
        str(tmp_path / "ada2.key"))
    adas = team.seed["ada"].stem
    cli(site, "withdraw", adas, "--reason", "Name misspelt", "--key", str(tmp_path / "ada2.key"))
    result = build(site)
    assert not {bos, adas} & {a.uuid for a in result.awards}
    logs = {log.name: log for log in read_logs(site)}
    assert logs[team.mb["ada"]].entries[-1]["action"] == "withdraw"
    new = next(k for k in load_key_history(site) if k.usable and k.name == PEOPLE["ada"])
    assert logs[new.public_key_multibase].entries[-1]["action"] == "withdraw"


def test_a_windows_checkout_keeps_signed_files_as_signed(tmp_path: Path) -> None:
    """Git for Windows checks text files out with CRLF (core.autocrlf=true), which changes
    every signed file's hash. The .gitattributes of `init` keeps them as signed; a site
    without those lines gets a build error that says what happened and how to undo it."""
    team = _start(tmp_path)
    win = tmp_path / "win"
    git(tmp_path, "-c", "core.autocrlf=true", "clone", "-q", str(team.origin), str(win))
    git(win, "config", "core.autocrlf", "true")
    assert b"\r\n" in (win / "badges/member.md").read_bytes()  # git did convert text
    assert b"\r\n" not in team.seed["ada"].read_bytes()
    assert len(build(win).awards) == 2
    attributes = win / ".gitattributes"
    attributes.write_text("site_src/revocations.toml merge=union\n")  # a site of before
    git(win, "rm", "-r", "-q", "--cached", "site_src")
    git(win, "checkout", "HEAD", "--", "site_src")
    errors = errors_of(win)
    assert errors and all("has Windows line endings (CRLF) where it was signed with LF"
                          in e for e in errors if "credentials/" in e), errors
    assert any("git rm -r -q --cached site_src && git checkout HEAD -- site_src" in e
               for e in errors)
    attributes.write_text(GITATTRIBUTES_TEXT)  # the fix the message gives
    git(win, "rm", "-r", "-q", "--cached", "site_src")
    git(win, "checkout", "HEAD", "--", "site_src")
    assert len(build(win).awards) == 2


def test_a_logged_key_revocation_cannot_be_undone_by_editing_keys_json(tmp_path: Path) -> None:
    """`resign` records the revocation in the resigning maintainer's log; from then on a
    keys.json that no longer marks the key revoked (an edit needs no key) fails the
    build, so the compromised key and what it signed cannot come back."""
    team = _start(tmp_path)
    site = team.clone("site")
    cli(site, "key", "revoke", team.mb["bo"][:14], "--since", "2026-01-01")
    keys_file = site / "site_src/issuer/keys.json"
    revoked = keys_file.read_text()
    from badgepress.build.log_stage import check_key_revocations
    from badgepress.core.errors import Problems

    problems = Problems(site)  # revoked in keys.json only: a warning until resign logs it
    check_key_revocations(site, read_logs(site), load_key_history(site), problems)
    assert [str(w) for w in problems.warnings] == [
        f"site_src/issuer/keys.json: the key Bo Byte {team.mb['bo'][:12]}… is revoked here, "
        "but no issuance log records it yet, so an edit of this file could undo it (a "
        "maintainer runs 'badgepress resign --key PATH', which records it)"]
    cli(site, "resign", "--yes", "--key", str(team.keys["ada"]))
    ada_log = next(log for log in read_logs(site) if log.name == team.mb["ada"])
    assert any(e["action"] == "key-revoke" and e["subject"] == team.mb["bo"]
               and e["revoked"].startswith("2026-01-01") for e in ada_log.entries)
    assert len(build(site).awards) == 2
    data = json.loads(revoked)
    for k in data["keys"]:
        k.pop("revoked", None)
    keys_file.write_text(json.dumps(data, indent=2) + "\n")
    errors = errors_of(site)
    assert any(e.startswith(f"site_src/issuer/keys.json: the key {team.mb['bo'][:16]}… was "
                            "revoked from 2026-01-01") and "cannot be undone" in e
               for e in errors), errors
    keys_file.write_text(revoked)
    assert len(build(site).awards) == 2
    # nor by listing the key again, unrevoked (verifiers read the first entry)
    data = json.loads(revoked)
    again = dict(next(k for k in data["keys"] if k["publicKeyMultibase"] == team.mb["bo"]))
    again.pop("revoked")
    keys_file.write_text(json.dumps({"keys": [again, *data["keys"]]}, indent=2))
    assert any("lists the key" in e and "again" in e for e in errors_of(site))
    data["keys"][0]["revoked"] = True  # not a date: named, not a traceback
    keys_file.write_text(json.dumps(data, indent=2))
    assert any("keys[0]: 'revoked' must be a date-time string" in e for e in errors_of(site))
    keys_file.write_text(revoked)


def test_a_retired_maintainers_figures_are_not_replaced_by_a_partial_index(
        tmp_path: Path) -> None:
    """Ada leaves (her key retired): Bo's key is the only one in use, but his index knows
    only what he issued, so his commands do not re-write the program's figures."""
    team = _start(tmp_path)
    (tmp_path / "bo-machine").mkdir()  # his own machine: his own earner index
    team.keys["bo"] = Path(shutil.copy2(team.keys["bo"], tmp_path / "bo-machine"))
    site = team.clone("site")
    team.issue_csv(site, "ada", [("member", f"a{i}@example.org") for i in range(6)])
    cli(site, "insights", "--key", str(team.keys["ada"]), "--partial")
    figures = (site / "site_src/insights.json").read_text()
    assert json.loads(figures)["credentials"] == 7
    keys_file = site / "site_src/issuer/keys.json"
    data = json.loads(keys_file.read_text())
    data["keys"][0]["retired"] = "2026-11-01T00:00:00Z"
    keys_file.write_text(json.dumps(data, indent=2))
    team.issue(site, "bo", "member", "b9@example.org")
    assert (site / "site_src/insights.json").read_text() == figures


def test_two_maintainers_whose_earners_drew_the_same_page_address_on_branches(
        tmp_path: Path) -> None:
    """Both branches publish a page at /earners/kim-lee/ for two different earners; git
    keeps one side. The other maintainer's `earner --page off` must not take down the page
    that is there (not their earner's), and `--page on` moves their earner to a free
    address."""
    team = _start(tmp_path)
    (tmp_path / "bo-machine").mkdir()  # his own machine: his own earner index
    team.keys["bo"] = Path(shutil.copy2(team.keys["bo"], tmp_path / "bo-machine"))
    ada, bo = team.clone("ada"), team.clone("bo", who="bo")
    git(ada, "checkout", "-qb", "ada-x")
    git(bo, "checkout", "-qb", "bo-x", who="bo")
    for site, who, email in ((ada, "ada", "kim.a@example.org"), (bo, "bo", "kim.b@example.org")):
        cli(site, "issue", "--badge", "member", "--email", email, "--name", "Kim Lee",
            "--earner-page", "--key", str(team.keys[who]))
        assert (site / "site_src/earners/kim-lee.json").is_file()
        git(site, "add", "-A", who=who)
        git(site, "commit", "-qm", f"{who}'s Kim", who=who)
    git(ada, "pull", "-q", "--no-rebase", str(bo), "bo-x", check=False)
    assert "site_src/earners/kim-lee.json" in git(ada, "diff", "--name-only",
                                                  "--diff-filter=U")
    git(ada, "checkout", "-q", "--theirs", "site_src/earners/kim-lee.json")  # Bo's Kim
    git(ada, "add", "-A")
    git(ada, "commit", "-qm", "Merge Bo's Kim")
    bos_page = (ada / "site_src/earners/kim-lee.json").read_bytes()
    build(ada)
    cli(ada, "earner", "kim.a@example.org", "--page", "off", "--key", str(team.keys["ada"]))
    assert (ada / "site_src/earners/kim-lee.json").read_bytes() == bos_page
    out = cli(ada, "earner", "kim.a@example.org", "--page", "on", "--key",
              str(team.keys["ada"]))
    assert "/earners/kim-lee-2/" in out, out
    assert (ada / "site_src/earners/kim-lee.json").read_bytes() == bos_page
    pages = {p.stem: json.loads(p.read_text())["credentials"]
             for p in (ada / "site_src/earners").glob("*.json")}
    assert len(pages) == 2 and not set(pages["kim-lee"]) & set(pages["kim-lee-2"])
    build(ada)


def test_what_a_forged_or_edited_record_claims_reaches_no_signature(tmp_path: Path) -> None:
    """Review findings: withdraw signed the status entry of an edited file; revoke of a
    withdrawn credential took its bit from any log; a forged log's key-revoke entry was
    counted; a prefix naming a live and a withdrawn credential revoked one of them."""
    from badgepress.commands.lifecycle import LifecycleError, _live_or_withdrawn
    from badgepress.trust.ledger import Log

    team = _start(tmp_path)
    site = team.clone("site")
    adas = site / "site_src/credentials" / team.seed["ada"].name
    data = adas.read_bytes()
    adas.write_bytes(data.replace(b'"validFrom"', b'"validFrom" '))  # edited after issue
    res = RUN.invoke(main, ["-C", str(site), "withdraw", adas.stem, "--reason", "x",
                            "--key", str(team.keys["ada"])])
    assert res.exit_code == 1 and "differs from what the issuance log recorded" \
        in res.output, res.output
    adas.write_bytes(data)
    # a line appended to Bo's log without his key: it revokes Ada's key, and counts for
    # nothing (the chain and head name it; no 'cannot be undone' for Ada's key)
    bo_log = site / f"site_src/log/{team.mb['bo']}.jsonl"
    bo_log.write_text(bo_log.read_text() + json.dumps({
        "seq": 99, "time": "2030-01-01T00:00:00Z", "action": "key-revoke",
        "subject": team.mb["ada"], "revoked": "2026-01-01T00:00:00Z", "files": {},
        "prev": "x"}) + "\n")
    errors = errors_of(site)
    assert errors and not any("cannot be undone" in e for e in errors), errors
    # one prefix, a live credential and a withdrawn one: refused, neither revoked
    live_prefix = adas.stem[:8]
    forged = Log([{"seq": 1, "action": "withdraw", "subject": f"urn:uuid:{live_prefix}-ffff",
                   "status": "https://badges.test.example/status/x.json#1", "files": {}}],
                 None, "x")
    with pytest.raises(LifecycleError, match="and of the withdrawn"):
        _live_or_withdrawn(team.clone("other"), live_prefix, [forged])
