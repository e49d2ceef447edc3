"""Hostile input in the site's own files and in what maintainers feed `issue`: links and
special files anywhere the build reads, size and time bombs, encodings that are not UTF-8,
deep nesting in YAML, TOML, Markdown and CSV, secrets in any output file, torn logs, dates
and names that every later build would choke on.

Each case must end in a clear error naming the file (and line or field) and the fix, and a
failed build must leave the previous output byte for byte as it was. Static hostile files
live in tests/hostile/site/ (and the exact-message build cases in tests/sites/invalid/);
links, FIFOs, sockets and big files are made here, at test time. No secret and no big file is
committed: the key is the test's own throwaway key."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from badgepress.build.pipeline import build
from badgepress.cli import main
from badgepress.commands.issue import (
    IssueRequest,
    build_credential,
    credential_bytes,
    current_key,
    used_indexes,
)
from badgepress.commands.lifecycle import audit, revoke, withdraw
from badgepress.core.errors import BadgepressError, BuildError
from badgepress.core.files import SPECIAL_HINT, SYMLINK_HINT, UnsafeFile, read_regular
from badgepress.core.text import valid_email, visible_text
from badgepress.trust import proof
from badgepress.trust.ledger import read_log, transaction
from badgepress.trust.logs import read_logs
from badgepress.trust.status import Allocator, key_prefix, status_entry
from click.testing import CliRunner
from conftest import NOW, TESTS, issue, soup

HOSTILE = TESTS / "hostile" / "site"
LINK = f"is a symbolic link, not a regular file ({SYMLINK_HINT})"
RUN = CliRunner()


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@dataclass
class Site:
    """A site with a good build in ``out``; ``refused`` builds again and expects failure."""

    root: Path
    out: Path
    before: dict[str, bytes]
    outside: Path  # a folder next to the site, for what links point at
    key_file: Path | None = None
    key: object = None
    credential: Path | None = None

    def refused(self) -> list[str]:
        with pytest.raises(BuildError) as info:
            build(self.root, self.out, now=NOW)
        assert snapshot(self.out) == self.before  # byte for byte, nothing added or removed
        return [str(p) for p in info.value.problems]

    def link(self, rel: str, target: Path | str | None = None) -> None:
        """Replace ``rel`` by a link to a copy of it outside the site (the most insidious
        link: its content is fine), or to ``target``."""
        path = self.root / rel
        if target is None:
            target = self.outside / rel.replace("/", "_")
            shutil.move(path, target)
        elif path.exists():
            path.unlink()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(target)


def _site(root: Path, tmp_path: Path, **kw) -> Site:
    out = tmp_path / "out"
    build(root, out, now=NOW)
    outside = tmp_path / "outside"
    outside.mkdir()
    return Site(root, out, snapshot(out), outside, **kw)


@pytest.fixture
def plain(basic_site: Path, tmp_path: Path) -> Site:
    """The basic site (badges and pages, no credential) with a theme override folder."""
    (basic_site / "theme/assets").mkdir(parents=True)
    (basic_site / "theme/assets/extra.css").write_text("body { color: black; }\n")
    return _site(basic_site, tmp_path)


@pytest.fixture
def issued(keyed, tmp_path: Path) -> Site:
    """The basic site with a key, one credential, its status list and the log."""
    root, key, key_file = keyed
    [a] = issue(root, key, IssueRequest("member", "ann@example.org", "Ann"))
    return _site(root, tmp_path, key_file=key_file, key=key, credential=a.path)


def sign_and_log(site: Site, **changes) -> Path:
    """A credential signed and logged the way an older badgepress could: ``changes`` are
    applied to the document before signing, past today's checks of `issue`."""
    from badgepress.build.pipeline import load_site

    cfg = load_site(site.root)[0].config
    catalog = load_site(site.root)[0]
    vm = current_key(site.root, cfg, site.key)
    doc = build_credential(cfg, catalog.badge("analyst"), IssueRequest("analyst", "x@e.org"),
                           NOW)
    doc.update({k: v for k, v in changes.items() if k != "name"})
    if "name" in changes:
        doc["credentialSubject"]["identifier"].append({
            "type": "IdentityObject", "identityHash": changes["name"],
            "identityType": "name", "hashed": False})
    with transaction(site.root, site.key, vm) as tx:
        url, index, _ = Allocator(cfg.base_url, used_indexes([], [tx.log]),
                                  key_prefix(site.key.public_multibase)).next()
        doc["credentialStatus"] = status_entry(url, index)
        signed = proof.sign(doc, site.key, vm, "2026-05-01T00:00:00Z")
        rel = Path("site_src/credentials") / (signed["id"][9:] + ".json")
        data = credential_bytes(signed)
        tx.write(rel, data)
        tx.record("issue", signed["id"], {rel: data})
    return site.root / rel


# links and special files -------------------------------------------------------------------

@pytest.mark.parametrize("rel", [
    "badges/member.md", "badges/member.svg", "site_src/pages/about.md", "site_src/site.toml",
    "theme/assets/extra.css", "badges", "site_src/pages"])
def test_a_link_anywhere_the_build_reads_is_refused(plain: Site, rel: str) -> None:
    plain.link(rel)
    assert plain.refused() == [f"{rel}: {LINK}"]


@pytest.mark.parametrize("rel", [
    "site_src/credentials/CRED", "site_src/status/LIST", "site_src/log/LOG",
    "site_src/log/HEAD", "site_src/issuer/keys.json", "site_src/revocations.toml"])
def test_a_link_among_the_signed_records_is_refused(issued: Site, rel: str) -> None:
    if rel.endswith("revocations.toml"):
        revoke(issued.root, issued.credential.stem, "test", issued.key, now=NOW)
        build(issued.root, issued.out, now=NOW)
        issued.before = snapshot(issued.out)
    log = key_log(issued)
    rel = (rel.replace("CRED", issued.credential.name)
           .replace("LIST", next((issued.root / "site_src/status").glob("*.json")).name)
           .replace("LOG", log.name).replace("HEAD", log.name.removesuffix(".jsonl")
                                             + ".head.json"))
    issued.link(rel)
    assert issued.refused() == [f"{rel}: {LINK}"]


def test_the_private_key_or_the_environment_behind_a_badge_image_is_refused(
        plain: Site, tmp_path: Path) -> None:
    key_file = tmp_path / "secret.key"
    key_file.write_text('{"secretKeyMultibase": "z3u2…"}')
    plain.link("badges/x.png", key_file)
    plain.link("badges/y.svg", "/proc/self/environ")
    plain.link("badges/analyst.svg", "/etc/hostname")
    assert plain.refused() == [f"badges/analyst.svg: {LINK}", f"badges/x.png: {LINK}",
                               f"badges/y.svg: {LINK}"]


def test_a_private_key_saved_in_the_site_folder_fails_the_build_unless_git_ignores_it(
        issued: Site) -> None:
    """Never published (site_src/issuer/ and the root are not output), but one `git add -A`
    from every clone: the build names each file, wherever it is and whatever its name."""
    import subprocess

    key = issued.key_file.read_bytes()
    for rel in ("issuer-key.json", "site_src/issuer/ada-private.json", "badges/notes.txt"):
        (issued.root / rel).write_bytes(key)
    with pytest.raises(BuildError) as info:
        build(issued.root, issued.out, now=NOW)
    found = sorted(str(p) for p in info.value.problems)
    assert [f.split(":")[0] for f in found] == [
        "badges/notes.txt", "issuer-key.json", "site_src/issuer/ada-private.json"]
    assert all("'git add' would commit" in f and "keygen --rotate" in f for f in found)
    assert snapshot(issued.out) == issued.before  # nothing of the last build replaced
    (issued.root / "badges/notes.txt").unlink()
    (issued.root / "site_src/issuer/ada-private.json").unlink()
    subprocess.run(["git", "init", "-q", str(issued.root)], check=True)
    (issued.root / ".gitignore").write_text("issuer-key.json\n_site/\n")
    # a document quoting a PEM header is no key
    (issued.root / "NOTES.md").write_text("Never paste -----BEGIN PRIVATE KEY----- here.\n")
    build(issued.root, issued.out, now=NOW)  # ignored: git add -A leaves it out
    # new files git would add anywhere below the site, and odd names in signed folders
    for rel in ("keys/ada.key", "site_src/credentials/ada.key"):
        (issued.root / rel).parent.mkdir(exist_ok=True)
        (issued.root / rel).write_bytes(key)
        with pytest.raises(BuildError) as info:
            build(issued.root, issued.out, now=NOW)
        assert [str(p).split(":")[0] for p in info.value.problems] == [rel]
        (issued.root / rel).unlink()


@pytest.mark.parametrize("rel", ["badges/pipe.md", "site_src/pages/pipe.md",
                                 "site_src/credentials/pipe.json",
                                 "theme/templates/base.html"])
def test_a_fifo_is_refused_and_never_waited_on(plain: Site, rel: str) -> None:
    (plain.root / rel).parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(plain.root / rel)
    assert plain.refused() == [f"{rel}: is a named pipe (FIFO), not a regular file "
                               f"({SPECIAL_HINT})"]


def test_a_socket_and_a_device_are_refused(plain: Site, monkeypatch) -> None:
    monkeypatch.chdir(plain.root)  # AF_UNIX paths are short: bind relative to the site
    with socket.socket(socket.AF_UNIX) as s:
        s.bind("site_src/sock")
        expected = [f"site_src/sock: is a socket, not a regular file ({SPECIAL_HINT})"]
        try:
            os.mknod(plain.root / "badges/null.svg", stat.S_IFCHR | 0o600, os.makedev(1, 3))
            expected.insert(0, "badges/null.svg: is a character device, not a regular file "
                               f"({SPECIAL_HINT})")
        except PermissionError:
            pass  # not root: no device to make
        assert plain.refused() == expected


def test_a_theme_folder_outside_the_site_is_refused(plain: Site) -> None:
    toml = plain.root / "site_src/site.toml"
    toml.write_text('theme = "../outside"\n' + toml.read_text())
    assert plain.refused() == [
        "site_src/site.toml: theme folder '../outside' is outside the site folder (the build "
        "reads nothing from outside the site: copy the theme into the site and name it "
        "relative to the site)"]


def test_editor_lock_links_are_left_alone(plain: Site) -> None:
    (plain.root / "badges/.#member.md").symlink_to("user@host.1234")  # Emacs, dangling
    build(plain.root, plain.out, now=NOW)


def test_reads_never_follow_a_link_swapped_in_after_the_scan(tmp_path: Path) -> None:
    (tmp_path / "real").write_text("secret")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(UnsafeFile, match="is a symbolic link"):
        read_regular(tmp_path / "link")
    with pytest.raises(UnsafeFile, match="is a named pipe"):
        read_regular(tmp_path / "fifo")  # returns at once: O_NONBLOCK, no writer needed
    with pytest.raises(UnsafeFile, match="is 6 bytes, more than the 1 bytes"):
        read_regular(tmp_path / "real", limit=1)


def test_a_lock_file_link_is_refused_and_its_target_never_truncated(issued: Site) -> None:
    victim = issued.outside / "precious.txt"
    victim.write_text("keep me")
    issued.link("site_src/log/.lock", victim)
    res = RUN.invoke(main, ["-C", str(issued.root), "issue", "--badge", "analyst", "--email",
                            "b@example.org", "--key", str(issued.key_file)])
    assert res.exit_code == 1
    assert f"error: site_src/log/.lock: {LINK}" in res.output
    assert victim.read_text() == "keep me"


# the last gate: secrets in any output file -------------------------------------------------

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082")


def test_the_private_key_inside_a_real_image_is_caught(issued: Site, monkeypatch) -> None:
    (issued.root / "badges/leader.svg").unlink()
    (issued.root / "badges/leader.png").write_bytes(PNG + issued.key_file.read_bytes())
    made = " (made from badges/leader.md)"
    assert issued.refused() == [
        "badges/leader/leader.png: contains 'secretKeyMultibase': private key material must "
        f"never be published{made} (remove it)",
        f"badges/leader/leader.png: contains an Ed25519 private key (z3u2…){made} (remove it "
        "from the site sources at once, and rotate the key)"]
    seed = issued.key.seed
    (issued.root / "badges/leader.png").write_bytes(PNG + seed)  # raw bytes, no marker
    monkeypatch.setenv("BADGEPRESS_KEY", str(issued.key_file))
    assert issued.refused() == [
        f"badges/leader/leader.png: contains the issuer's private key{made} (remove it from "
        "the site sources at once, and rotate the key)"]


def test_a_secret_multikey_is_a_whole_token_not_a_stretch_of_a_signature() -> None:
    from badgepress.build.safety import key_problems
    from badgepress.trust.keys import SigningKey

    secret = json.loads(SigningKey.generate().to_json())["secretKeyMultibase"].encode()
    assert key_problems("x.json", b'"k": "' + secret + b'"', [], [])
    # 'z3u2' + 44 base58 characters inside a longer proofValue is no key (1 build in ~20 of
    # 10,000 credentials hit this before the match had to be a whole token)
    assert key_problems("x.json", b'"proofValue": "z5' + secret + b'Qx"', [], []) == []


def test_key_forms_pem_blocks_and_environment_secrets_in_text(plain: Site,
                                                              monkeypatch) -> None:
    svg = plain.root / "badges/analyst.svg"
    svg.write_text(svg.read_text().replace(
        "</svg>", "<desc>-----BEGIN OPENSSH PRIVATE KEY-----</desc></svg>"))  # well-formed
    monkeypatch.setenv("NETLIFY_AUTH_TOKEN", "nfp_0123456789abcdefghij")
    about = plain.root / "site_src/pages/about.md"
    about.write_text(about.read_text() + "\nToken: nfp_0123456789abcdefghij\n")
    assert plain.refused() == [
        "about/index.html: contains the value of a secret environment variable of the build "
        "(made from site_src/pages/about.md) (remove it, and change that secret)",
        "badges/analyst/analyst.svg: contains a PEM private key block: private key material "
        "must never be published (made from badges/analyst.md) (remove it)"]


# size and time bombs -----------------------------------------------------------------------

def test_huge_files_are_refused_before_they_are_parsed(plain: Site) -> None:
    member = plain.root / "badges/member.md"
    member.write_text(member.read_text() + "x" * (3 << 20))
    about = plain.root / "site_src/pages/about.md"
    about.write_text("---\ntitle: About\nfiller: '" + "x" * (300 << 10) + "'\n---\nhi\n")
    image = plain.root / "badges/analyst.svg"
    image.write_text("<svg>" + " " * (9 << 20) + "</svg>")
    assert plain.refused() == [
        "badges/member.md: is 3.0 MB, more than the 2 MB a file of this kind may have "
        "(split it, or check that it is the file you meant)",
        "site_src/pages/about.md:2: front matter is 300 KB, more than 256 KB (keep long text "
        "in the Markdown body below the front matter)",
        "badges/analyst.svg: is 9.0 MB, more than the 8 MB a file of this kind may have "
        "(split it, or check that it is the file you meant)"]


@pytest.mark.parametrize("front_matter", [
    "requires: " + "[" * 5000 + "]" * 5000,
    "alignments: " + "{a: " * 5000 + "1" + "}" * 5000,
    "skills:\n  " + "- " * 5000 + "x",
])
def test_yaml_nested_too_deeply(plain: Site, front_matter: str) -> None:
    member = plain.root / "badges/member.md"
    member.write_text(member.read_text().replace("---\n", f"---\n{front_matter}\n", 1))
    assert plain.refused() == [
        "badges/member.md:2: front matter nested too deeply to read (front matter needs only "
        "a few levels of lists and mappings)"]


def test_yaml_alias_bombs_in_pages_and_badges(plain: Site) -> None:
    laughs = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 9))
    bomb = "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + laughs
    for rel in ("badges/member.md", "site_src/pages/about.md"):
        path = plain.root / rel
        path.write_text(path.read_text().replace("---\n", "---\n" + bomb, 1))
    message = (":2: front matter expands to more than 100,000 values through YAML aliases "
               "(write the values out instead of repeating anchors (*name))")
    assert plain.refused() == ["badges/member.md" + message, "site_src/pages/about.md" + message]


@pytest.mark.parametrize("where, markdown, line", [
    ("body", "".join("    " * i + "- x\n" for i in range(3000)), 38),  # 10 min, then a crash
    ("body", "".join(">" * i + " x\n\n" for i in range(1, 3001)), 69),
    ("body", "*" * 3000 + "x" + "*" * 3000 + "\n", 5),
    ("claim", "'" + "*" * 3000 + "x" + "*" * 3000 + "'", 2),
])
def test_markdown_nested_too_deeply(plain: Site, where: str, markdown: str,
                                    line: int) -> None:
    page = plain.root / "site_src/pages/about.md"
    text = page.read_text()
    if where == "claim":
        page = plain.root / "badges/analyst.md"
        text = page.read_text().replace("---\n", f"---\nclaim: {markdown}\n", 1)
    else:
        text = text.replace("This is", markdown[:(1 << 20)] + "\nThis is")
    page.write_text(text)
    problems = plain.refused()
    assert len(problems) == 1 and problems[0].startswith(f"{page.relative_to(plain.root)}:"
                                                         f"{line}: Markdown nested")


@pytest.mark.parametrize("toml, message", [
    ("x = " + "[" * 3000 + "]" * 3000, "TOML nested too deeply to read (arrays or tables "
     "inside each other) (flatten site.toml: it needs only a few levels)"),
    ("x = " + "{a = " * 3000 + "1" + "}" * 3000, "TOML nested too deeply to read (arrays or "
     "tables inside each other) (flatten site.toml: it needs only a few levels)"),
    ("x = 1\x00", None),
])
def test_toml_nested_too_deeply_or_broken(plain: Site, toml: str, message: str | None) -> None:
    path = plain.root / "site_src/site.toml"
    path.write_text(toml + "\n" + path.read_text())
    problems = plain.refused()
    assert len(problems) == 1 and problems[0].startswith("site_src/site.toml")
    if message:
        assert problems[0] == f"site_src/site.toml: {message}"


def test_revocations_toml_nested_too_deeply(issued: Site) -> None:
    (issued.root / "site_src/revocations.toml").write_text(
        "x = " + "[" * 3000 + "]" * 3000 + "\n")
    assert issued.refused()[0] == (
        "site_src/revocations.toml: TOML nested too deeply to read (fix the TOML, or restore "
        "it with git)")


# encodings ----------------------------------------------------------------------------------

@pytest.mark.parametrize("data, line, message", [
    ("name: Café".encode("latin-1"), 2, "is not UTF-8 text (byte 13)"),
    ("\ufeffname: x".encode("utf-16"), 1, "is UTF-16 text, not UTF-8"),
    ("name: x".encode("utf-16-le"), 1, "is UTF-16 text, not UTF-8"),
    (b"name: x\0", 2, "contains a NUL byte (byte 11), so it is no text file"),
])
def test_pages_that_are_not_utf8(plain: Site, data: bytes, line: int, message: str) -> None:
    head = b"---\n" if not data.startswith((b"\xff\xfe", b"n\x00")) else b""
    (plain.root / "site_src/pages/about.md").write_bytes(head + data + b"\n---\nhi\n")
    assert plain.refused() == [f"site_src/pages/about.md:{line}: {message} (save the file "
                               "as UTF-8)"]


def test_a_utf8_bom_is_fine(plain: Site) -> None:
    page = plain.root / "site_src/pages/about.md"
    page.write_bytes(b"\xef\xbb\xbf" + page.read_bytes())
    build(plain.root, plain.out, now=NOW)


SAVE = "(save it as UTF-8 (in Excel: 'CSV UTF-8'; in LibreOffice: character set UTF-8))"


@pytest.mark.parametrize("name, message", [
    ("utf16-bom.csv", "is UTF-16 text, not UTF-8"),
    ("utf16-no-bom.csv", "contains NUL bytes (UTF-16 text without a byte order mark?)"),
    ("latin1.csv", "is not UTF-8 text (byte 43; Latin-1 or Windows-1252?)"),
])
def test_csv_that_is_not_utf8_is_refused(issued: Site, name: str, message: str) -> None:
    csv = HOSTILE / "csv" / name
    res = RUN.invoke(main, ["-C", str(issued.root), "issue", "--csv", str(csv), "--key",
                            str(issued.key_file)])
    assert res.exit_code == 1, res.output
    line = ":2" if name == "latin1.csv" else (":1" if "no-bom" in name else "")
    assert f"error: {csv}{line}: {message} {SAVE}" in res.output


def test_csv_with_a_utf8_bom_is_issued(issued: Site) -> None:
    res = RUN.invoke(main, ["-C", str(issued.root), "issue", "--csv",
                            str(HOSTILE / "csv/utf8-bom.csv"), "--key", str(issued.key_file)])
    assert res.exit_code == 0, res.output
    assert "0 credentials issued, 1 skipped" in res.output  # Ann holds member already


@pytest.mark.parametrize("make, line, message", [
    (lambda: "badge,email,narrative\nmember,b@example.org,\"" + "x" * 200_000 + "\"\n", 2,
     "this row cannot be read: field larger than field limit (131072)"),
    (lambda: (HOSTILE / "csv/deep-narrative.csv").read_text(), 2,
     "the narrative cannot be shown: Markdown nested 33 levels deep (block quotes or list "
     "indentation; at most 32)"),
    (lambda: "badge,email,narrative\nmember,b@example.org," + "*" * 3000 + "x" + "*" * 3000
     + "\n", 2, "the narrative cannot be shown: Markdown nested too deeply to render "
     "(emphasis, links or quotes inside each other)"),
    (lambda: "badge,email,narrative\nmember,b@example.org,\"" + "".join(
        "    " * i + "- x\n" for i in range(40)) + "\"\n", 2,
     "the narrative cannot be shown: Markdown nested 33 levels deep"),
])
def test_csv_bombs_are_refused_naming_the_row(issued: Site, tmp_path: Path, make, line: int,
                                             message: str) -> None:
    csv = tmp_path / "bomb.csv"
    csv.write_text(make())
    res = RUN.invoke(main, ["-C", str(issued.root), "issue", "--csv", str(csv), "--key",
                            str(issued.key_file)])
    assert res.exit_code == 1, res.output
    assert f"error: {csv}:{line}: {message}" in res.output


# dates (9) ----------------------------------------------------------------------------------

def test_dates_outside_sane_years_are_refused_at_issue(issued: Site) -> None:
    res = RUN.invoke(main, ["-C", str(issued.root), "issue", "--badge", "analyst", "--email",
                            "b@example.org", "--date", "0202-03-01", "--key",
                            str(issued.key_file)])
    assert res.exit_code == 2
    assert ("Invalid value for --date: '0202-03-01' is outside the years 1900-9999 (write it "
            "as 2026-03-01 or 2026-03-01T09:00:00Z)") in res.output
    csv = HOSTILE / "csv/ancient-date.csv"
    res = RUN.invoke(main, ["-C", str(issued.root), "issue", "--csv", str(csv), "--key",
                            str(issued.key_file)])
    assert res.exit_code == 1
    assert (f"error: {csv}:3: date: '0202-03-01' is outside the years 1900-9999 (write it "
            "as 2026-03-01 or 2026-03-01T09:00:00Z)") in res.output
    with pytest.raises(BuildError, match="outside the years 1900-9999"):
        issue(issued.root, issued.key, IssueRequest("analyst", "c@example.org",
                                                    date=datetime(202, 3, 1, tzinfo=UTC)))


def test_a_signed_credential_with_an_unreadable_date_is_reported_not_crashed(
        issued: Site) -> None:
    path = sign_and_log(issued, validFrom="202-03-01T00:00:00Z")
    rel = path.relative_to(issued.root)
    assert issued.refused() == [
        f"{rel}: its validFrom is unusable: '202-03-01T00:00:00Z' is not an ISO date "
        "(withdraw it ('badgepress withdraw ID --reason …') and issue it again with "
        "'badgepress issue')"]
    withdraw(issued.root, path.stem, "Unreadable date", issued.key)
    build(issued.root, issued.out, now=NOW)


def test_the_date_filter_never_crashes() -> None:
    from badgepress.build.render import _format_date

    assert _format_date("202-03-01T00:00:00Z") == "202-03-01T00:00:00Z"
    assert _format_date("2026-03-01T00:00:00Z") == "1 March 2026"
    assert _format_date(datetime(202, 3, 1)) == "0202-03-01T00:00:00"


# names, emails, withdrawal (10) ----------------------------------------------------------------

def test_an_email_in_a_name_is_refused_at_issue(issued: Site) -> None:
    res = RUN.invoke(main, ["-C", str(issued.root), "issue", "--badge", "analyst", "--email",
                            "b@example.org", "--name", "Ann other@example.net", "--key",
                            str(issued.key_file)])
    assert res.exit_code == 1
    assert ("error: issue: the name contains the email address other@example.net, which would "
            "be published") in res.output
    csv = HOSTILE / "csv/email-in-name.csv"
    res = RUN.invoke(main, ["-C", str(issued.root), "issue", "--csv", str(csv), "--key",
                            str(issued.key_file)])
    assert res.exit_code == 1 and f"error: {csv}:3: the name contains the email" in res.output
    assert "nothing was written" in res.output


def test_withdraw_takes_a_credential_off_for_good_and_the_build_and_audit_accept_it(
        issued: Site, serve_dir) -> None:
    path = sign_and_log(issued, name="Ann other@example.net")
    problems = issued.refused()
    assert f"credentials/{path.stem}/credential.json: would publish the email address " \
        "other@example.net (made from " in "\n".join(problems)
    revoke(issued.root, path.stem, "Issued in error", issued.key, now=NOW)
    doc = json.loads(path.read_text())
    res = RUN.invoke(main, ["-C", str(issued.root), "withdraw", path.stem, "--reason",
                            "Email address in the name", "--key", str(issued.key_file)])
    assert res.exit_code == 0, res.output
    assert not path.exists()
    entry = read_log(issued.root, key_log(issued).stem).entries[-1]
    assert entry["action"] == "withdraw" and entry["subject"] == doc["id"]
    assert entry["files"] == {f"site_src/credentials/{path.name}": ""}
    assert entry["reason"] == "Email address in the name"
    assert entry["status"] == doc["credentialStatus"]["id"]
    out = build(issued.root, issued.out, now=NOW).out_dir  # the revoked bit stays set, fine
    issued.before = snapshot(out)
    # its status list index stays reserved
    used = used_indexes([], read_logs(issued.root))
    url, index = doc["credentialStatus"]["statusListCredential"], int(
        doc["credentialStatus"]["statusListIndex"])
    assert index in used[url]
    # a restored file is refused, naming the withdrawal
    path.write_bytes(credential_bytes(doc))
    assert issued.refused()[0] == (
        f"site_src/credentials/{path.name}: was withdrawn (issuance log entry "
        f"{entry['seq']}) and must not be published (delete the file; to award the badge "
        "again, issue a new credential)")
    path.unlink()
    # the published site passes its audit; serving the withdrawn file again does not
    url = serve_dir(out)
    import badgepress.trust.resolve as resolve

    def local(u: str, timeout: float = 15.0) -> bytes:
        return resolve.fetch_bytes(u.replace("https://badges.test.example/", url), timeout)

    assert audit(url, local).problems == []
    public = out / f"credentials/{path.stem}/credential.json"
    public.parent.mkdir(parents=True)
    public.write_bytes(credential_bytes(doc))
    assert audit(url, local).problems == [
        f"credentials/{path.stem}/credential.json: withdrawn on {entry['time']} (log entry "
        f"{entry['seq']}) but still served"]


def test_withdraw_refuses_what_it_cannot_do(issued: Site) -> None:
    stray = issued.root / "site_src/credentials/00000000-0000-4000-8000-000000000000.json"
    stray.write_text("{}")
    for args, message in [
        (["nothing-here"], "no credential 'nothing-here' in site_src/credentials/"),
        ([stray.stem], "is in no issuance log, so it was never issued here"),
    ]:
        res = RUN.invoke(main, ["-C", str(issued.root), "withdraw", *args, "--reason", "x",
                                "--key", str(issued.key_file)])
        assert res.exit_code == 1 and message in res.output, res.output
    res = RUN.invoke(main, ["-C", str(issued.root), "withdraw", issued.credential.stem,
                            "--reason", "mail ann@example.org", "--key", str(issued.key_file)])
    assert res.exit_code == 1 and "leave the email address out" in res.output
    assert issued.credential.exists()


def test_a_withdrawn_credential_can_still_be_revoked_and_says_why_it_cannot_be_renewed(
        issued: Site) -> None:
    """Withdrawn without a revocation, copies handed out would verify for ever: withdraw
    says so, and revoke still sets the status bit its withdrawal kept reserved."""
    from badgepress.trust.status import list_bits, set_bits

    doc = json.loads(issued.credential.read_text())
    url, index = doc["credentialStatus"]["statusListCredential"], int(
        doc["credentialStatus"]["statusListIndex"])
    site = ["-C", str(issued.root)]
    res = RUN.invoke(main, [*site, "withdraw", issued.credential.stem, "--reason",
                            "Personal data in the name", "--key", str(issued.key_file)])
    assert res.exit_code == 0 and "it is not revoked, so copies already handed out" \
        in res.output, res.output
    res = RUN.invoke(main, [*site, "renew", issued.credential.stem[:8], "--key",
                            str(issued.key_file)])
    assert res.exit_code == 1 and "was withdrawn on" in res.output \
        and "nothing to renew" in res.output, res.output
    res = RUN.invoke(main, [*site, "revoke", issued.credential.stem[:8], "--reason",
                            "Handed out before the withdrawal", "--key", str(issued.key_file)])
    assert res.exit_code == 0 and doc["id"] in res.output, res.output
    status = issued.root / "site_src/status" / url.rsplit("/", 1)[1]
    assert index in set_bits(list_bits(json.loads(status.read_text())))
    build(issued.root, now=NOW)  # the revocation of a withdrawn credential is accepted


# the torn log (11) -----------------------------------------------------------------------------

def key_log(site: Site) -> Path:
    """The issuing key's own log (one log per key)."""
    return next((site.root / "site_src/log").glob("z*.jsonl"))


def test_a_torn_last_log_line_is_one_problem_and_the_next_command_recovers(
        issued: Site) -> None:
    log = key_log(issued)
    rel = log.relative_to(issued.root).as_posix()
    committed = log.read_bytes()
    log.write_bytes(committed + b'{"action": "issue", "files": {"site_src/cred')
    torn = len(committed.splitlines()) + 1
    assert issued.refused() == [
        f"{rel}:{torn}: the log ends in a torn line (an append was cut off, e.g. "
        "by a power cut or a full disk) (run any badgepress issue/revoke command to recover, "
        "or restore it with git)"]
    issue(issued.root, issued.key, IssueRequest("analyst", "b@example.org"))
    assert log.read_bytes().startswith(committed)
    again = read_log(issued.root, log.name.removesuffix(".jsonl"))
    # the issue alone: with fewer than 5 credentials every count of insights.json is null
    # (suppressed) before and after, so the file is not re-written
    assert [e["action"] for e in again.entries[torn - 1:]] == ["issue"]
    assert not again.torn
    build(issued.root, issued.out, now=NOW)


def test_complete_uncommitted_lines_are_cut_too_but_a_damaged_committed_line_is_not(
        issued: Site) -> None:
    log = key_log(issued)
    rel = log.relative_to(issued.root).as_posix()
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines) + lines[-1] + b'{"seq"')
    revoke(issued.root, issued.credential.stem, "test", issued.key, now=NOW)
    actions = [json.loads(line)["action"] for line in log.read_bytes().splitlines()]
    assert actions[len(lines):] == ["revoke"]  # the stray lines were cut
    log.write_bytes(b'{"seq": 1, "ti\n' + b"".join(log.read_bytes().splitlines(True)[1:]))
    problems = issued.refused()
    assert problems == [f"{rel}:1: not a JSON log entry (Unterminated string "
                        "starting at: line 1 column 12 (char 11)) (the logs are append-only: "
                        "restore it with git (after a merge, take both branches' versions of "
                        "the logs unchanged))"]  # one problem, not one per file
    res = RUN.invoke(main, ["-C", str(issued.root), "issue", "--badge", "analyst", "--email",
                            "b@example.org", "--key", str(issued.key_file)])
    assert res.exit_code == 1 and "not a JSON log entry" in res.output
    assert log.read_bytes().startswith(b'{"seq": 1, "ti\n')  # never cut: only git can help


# hygiene -----------------------------------------------------------------------------------

@pytest.mark.parametrize("email, ok", [
    ("a@.", False), ("a@@b.c", False), ("a@b", False), ("@b.c", False), ("a b@c.de", False),
    ("a@b.c", False), ("a@-b.org", False), (".a@b.org", False), ("a..b@c.org", False),
    ("a@b.123", False), ("ann@example.org", True), ("Ann.O+x@mail.example.co.uk", True),
    ("jörg@bücher.de", True), (" ann@example.org ", True),
])
def test_valid_email(email: str, ok: bool) -> None:
    assert valid_email(email) is ok


def test_bad_emails_in_a_csv_are_each_refused(issued: Site) -> None:
    csv = HOSTILE / "csv/bad-emails.csv"
    res = RUN.invoke(main, ["-C", str(issued.root), "issue", "--csv", str(csv), "--key",
                            str(issued.key_file)])
    assert res.exit_code == 1
    for line, email in enumerate(["a@.", "a@@b.c", "a@b", "@b.c"], 2):
        assert f"{csv}:{line}: '{email}' is not an email address" in res.output


def test_invisible_characters_never_reach_titles(issued: Site) -> None:
    res = RUN.invoke(main, ["-C", str(issued.root), "issue", "--csv",
                            str(HOSTILE / "csv/bidi-name.csv"), "--key", str(issued.key_file)])
    assert res.exit_code == 1
    assert "the name contains the invisible character(s) U+202E" in res.output
    name = "Ann\u202eyrneH\u200b\u2066"
    path = sign_and_log(issued, name=name)  # signed before issue refused such names
    out = build(issued.root, issued.out, now=NOW).out_dir
    page = soup(out / f"credentials/{path.stem}/index.html")
    assert page.title.get_text() == "Data Analyst · AnnyrneH · Test Badges"
    og = page.find("meta", property="og:title")["content"]
    assert og == "AnnyrneH earned Data Analyst"
    embedded = json.loads(page.find("script", id="credential-data").get_text())
    assert name in json.dumps(embedded, ensure_ascii=False)  # signed bytes untouched
    assert "\u202e" not in (out / "badges/analyst/index.html").read_text()


def test_visible_text_keeps_joiners_that_join() -> None:
    assert visible_text("می\u200cخواهم") == "می\u200cخواهم"  # Persian ZWNJ
    assert visible_text("\U0001F469\u200d\U0001F4BB") == "\U0001F469\u200d\U0001F4BB"
    assert visible_text("\u200dAnn \u200c\u2068x\u2069") == "Ann x"


# merge conflicts left in the site's JSON files ------------------------------------------------

def git_conflict(ours: bytes, theirs: bytes) -> bytes:
    """What git leaves in a file both branches changed: the lines they share, then each
    side's own lines between its markers."""
    a, b = ours.splitlines(keepends=True), theirs.splitlines(keepends=True)
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    return b"".join([*a[:start], b"<<<<<<< HEAD\n", *a[start:len(a) - end], b"=======\n",
                     *b[start:len(b) - end], b">>>>>>> other-branch\n", *a[len(a) - end:]])


def two_keygens(site: Site) -> tuple[bytes, bytes]:
    """keys.json after two maintainers ran keygen on parallel branches and merged: with
    git's conflict markers, and as its fix (both keys kept)."""
    from badgepress.trust.keys import SigningKey

    path = site.root / "site_src/issuer/keys.json"
    doc = json.loads(path.read_bytes())
    sides = []
    for n, name in ((1, "Ada"), (2, "Bo")):
        new = {"publicKeyMultibase": SigningKey.generate().public_multibase,
               "created": f"2026-02-0{n}T00:00:00Z", "name": name}
        sides.append(doc | {"keys": [*doc["keys"], new]})
    merged = doc | {"keys": [*doc["keys"], sides[0]["keys"][-1], sides[1]["keys"][-1]]}
    as_file = [(json.dumps(d, indent=2) + "\n").encode() for d in (*sides, merged)]
    return git_conflict(as_file[0], as_file[1]), as_file[2]


def test_a_merge_conflict_in_keys_json_is_named_by_every_command(issued: Site,
                                                                 tmp_path: Path) -> None:
    """Every command reads keys.json; a broken one ended each of them in a JSONDecodeError
    traceback, and verify blamed its --now option, which was not even given."""
    keys = issued.root / "site_src/issuer/keys.json"
    conflicted, fixed = two_keygens(issued)
    keys.write_bytes(conflicted)
    line = conflicted.splitlines().index(b"<<<<<<< HEAD") + 1
    want = (f"error: site_src/issuer/keys.json:{line}: not valid JSON: a merge conflict left "
            "in site_src/issuer/keys.json (git's <<<<<<< ======= >>>>>>> markers on lines "
            f"{line}, {line + 4} and {line + 8}) (keep both sides' keys: the file lists one "
            "entry per maintainer key; edit it to keep every key object of both sides, "
            "separated by commas, delete the marker lines, then run 'badgepress build')")
    site, key = ["-C", str(issued.root)], ["--key", str(issued.key_file)]
    for args in (["build"], ["check"], ["verify", str(issued.credential)],
                 ["issue", "--badge", "analyst", "--email", "b@example.org", *key],
                 ["revoke", issued.credential.stem, "--reason", "x", *key],
                 ["keygen", "--key", str(tmp_path / "new.key")]):
        res = RUN.invoke(main, [*site, *args])
        assert res.exit_code == 1 and isinstance(res.exception, SystemExit), \
            (args, res.exception)  # not a traceback's exit code 1
        assert res.output.splitlines()[0] == want, args
        assert "--now" not in res.output and "Traceback" not in res.output
    assert not (tmp_path / "new.key").exists()  # keygen wrote no key it cannot publish
    keys.write_bytes(b"".join(x for x in conflicted.splitlines(keepends=True)  # only the
                              if x[:1] not in b"<=>").replace(b'"Ada"', b'"Ada",'))  # markers
    res = RUN.invoke(main, [*site, "check"])
    assert res.output.startswith("error: site_src/issuer/keys.json: an object names "
                                 "'publicKeyMultibase' twice, so one of its values would be "
                                 "lost (a merge conflict resolved by deleting only the marker "
                                 "lines?) (keep both sides' keys:")
    comma = fixed.rindex(b"},\n    {") + 1
    keys.write_bytes(fixed[:comma] + fixed[comma + 1:])  # no comma between two keys
    res = RUN.invoke(main, [*site, "check"])
    at = len(fixed[:comma].splitlines()) + 1
    assert res.output.startswith(
        f"error: site_src/issuer/keys.json:{at}: not valid JSON "
        "(Expecting ',' delimiter, column 5) (it lists the issuer's public keys, one object "
        "per key, and is written by 'badgepress keygen': fix it, or restore it with git)")
    keys.write_bytes(b'{"keys": [{"publicKeyMultibase": "z6Mk", "created": "2026"}]}')
    res = RUN.invoke(main, [*site, "check"])
    assert res.output.startswith("error: site_src/issuer/keys.json: keys[0]: not an Ed25519 "
                                 "Multikey (")
    keys.write_bytes(fixed)  # the fix the message gives
    build(issued.root, issued.out, now=NOW)


def _conflicted_line(data: bytes) -> bytes:
    """``data`` as a merge leaves it when the other branch changed its middle line."""
    lines = data.splitlines(keepends=True)
    n = len(lines) // 2
    theirs = [*lines[:n], lines[n].rstrip(b"\n") + b" \n", *lines[n + 1:]]
    return git_conflict(data, b"".join(theirs))


@pytest.mark.parametrize("what", ["credential", "status list", "insights", "log head",
                                  "log"])
def test_a_merge_conflict_in_a_logged_file_is_named_as_one(issued: Site, what: str) -> None:
    """Not only as a file that 'changed since it was logged': its fix is the merge's."""
    src = issued.root / "site_src"
    path = {"credential": issued.credential,
            "status list": next((src / "status").glob("*.json")),
            "insights": src / "insights.json",
            "log head": next((src / "log").glob("*.head.json")),
            "log": key_log(issued)}[what]
    rel = path.relative_to(issued.root).as_posix()
    path.write_bytes(_conflicted_line(path.read_bytes()))
    line = path.read_bytes().splitlines().index(b"<<<<<<< HEAD") + 1
    conflict = (f"{rel}:{line}: " + ("not a JSON log entry: " if what == "log" else
                                     "not a JSON log head: " if what == "log head" else "")
                + f"a merge conflict left in {rel} (git's <<<<<<< ======= >>>>>>> markers on "
                f"lines {line}, {line + 2} and {line + 4}) (")
    problems = issued.refused()
    assert problems[0].startswith(conflict), problems
    assert not [p for p in problems if "changed since it was logged" in p]


def test_a_merge_conflict_past_the_log_head_is_never_cut_as_a_torn_append(
        issued: Site) -> None:
    """Both branches appended to the same log: what lies past the head is the other
    branch's entries, not an append a power cut tore."""
    log = key_log(issued)
    rel = log.relative_to(issued.root).as_posix()
    committed = log.read_bytes()
    last = committed.splitlines(keepends=True)[-1]
    log.write_bytes(git_conflict(committed + last, committed + last.replace(b'"', b"'", 1)))
    line = len(committed.splitlines()) + 1
    assert issued.refused() == [
        f"{rel}:{line}: a merge conflict left in {rel} (git's <<<<<<< ======= >>>>>>> "
        f"markers on lines {line}, {line + 2} and {line + 4}) (the logs are append-only: "
        "restore it with git (after a merge, take both branches' versions of the logs "
        "unchanged))"]
    before = log.read_bytes()
    with pytest.raises(BadgepressError, match=f"{rel}:{line}: a merge conflict left in"):
        issue(issued.root, issued.key, IssueRequest("analyst", "b@example.org"))
    assert log.read_bytes() == before


def test_reconcile_keeps_the_bit_of_a_revoked_withdrawn_credential(issued: Site) -> None:
    """Review finding: reconcile counted only credential files, so it cleared the bit of a
    credential revoked and then withdrawn (or withdrawn and then revoked), and the build
    and audit did not notice: copies handed out verified again."""
    from badgepress.trust.status import list_bits, set_bits

    doc = json.loads(issued.credential.read_text())
    status = issued.root / "site_src/status" / doc["credentialStatus"][
        "statusListCredential"].rsplit("/", 1)[1]
    index = int(doc["credentialStatus"]["statusListIndex"])
    site = ["-C", str(issued.root)]
    key = ["--key", str(issued.key_file)]
    for args in (["withdraw", issued.credential.stem, "--reason", "Personal data"],
                 ["revoke", issued.credential.stem[:8], "--reason", "Handed out"],
                 ["reconcile"]):
        res = RUN.invoke(main, [*site, *args, *key])
        assert res.exit_code == 0, res.output
    assert index in set_bits(list_bits(json.loads(status.read_text())))
    build(issued.root, now=NOW)
    # and a list that lost the bit (an old reconcile, a merge) fails the build
    from badgepress.commands.issue import current_key, signed_status_list
    from badgepress.trust.ledger import transaction

    cfg = build(issued.root, now=NOW).catalog.config
    vm = current_key(issued.root, cfg, issued.key)
    name = status.stem
    with transaction(issued.root, issued.key, vm) as tx:
        data = signed_status_list(cfg, issued.key, vm, name, set(), "2026-05-01T00:00:00Z")
        tx.write(status.relative_to(issued.root), data)
        tx.record("status-list", "x", {status.relative_to(issued.root): data})
    with pytest.raises(BuildError) as info:
        build(issued.root, now=NOW)
    assert any("revokes the withdrawn" in str(p) for p in info.value.problems)
