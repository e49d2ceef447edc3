"""init, check (links included), the progress reporter, and netlify.toml against the site."""

from __future__ import annotations

import fnmatch
import os
import stat
import tomllib
from pathlib import Path

from badgepress.build.pipeline import build
from badgepress.cli import main
from click.testing import CliRunner
from conftest import DEMO_NOW, NOW, REPO, soup


def test_init_then_build_in_an_empty_folder(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    res = runner.invoke(main, ["init", "acme-badges", "--yes", "--issuer-name", "Acme Corp",
                               "--base-url", "https://badges.acme.example/"])
    assert res.exit_code == 0, res.output
    site = tmp_path / "acme-badges"
    key = tmp_path / "home/.config/badgepress/badges-acme-example.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert not list(site.rglob("*.key"))
    assert "*.key" in (site / ".gitignore").read_text()
    # both branches' revocations survive a merge (README: A team)
    attributes = (site / ".gitattributes").read_text()
    assert "site_src/revocations.toml merge=union\n" in attributes
    assert "site_src/credentials/** -text\n" in attributes  # no CRLF in signed files
    assert not (site / "site_src/credentials").exists()  # no demo credentials
    result = build(site, now=NOW)
    assert [b.name for b in result.catalog.badges] == ["First Contribution"]
    profile = (site / "_site/issuer.json").read_text()
    assert "https://badges.acme.example/issuer/keys/z6Mk" in profile
    assert soup(site / "_site/index.html").select_one(".site-footer a").get_text() == \
        "Acme Corp"
    # a second init into the same folder, or with the same key, is refused
    again = runner.invoke(main, ["init", "acme-badges", "--yes"])
    assert again.exit_code == 1 and "is not empty" in again.output
    other = runner.invoke(main, ["init", "other", "--yes", "--key", str(key)])
    assert other.exit_code == 1 and "already exists" in other.output
    # init says how to sign with the key it made
    assert f"export BADGEPRESS_KEY={key}" in res.output
    # answers piped in are read, in the order asked; running out of them is a usage error
    piped = runner.invoke(main, ["init", "piped", "--key", str(tmp_path / "p.key")],
                          input="Piped Program\nhttps://piped.example/\nPiper Org\n"
                                "https://piper.example/\n\n")
    assert piped.exit_code == 0, piped.output
    toml = (tmp_path / "piped/site_src/site.toml").read_text()
    assert 'title = "Piped Program"' in toml and "https://piped.example/" in toml
    short = runner.invoke(main, ["init", "short", "--key", str(tmp_path / "s.key")],
                          input="Only A Title\n")
    assert short.exit_code == 2 and "--yes" in short.output
    # and the new site can issue with its key, right away
    res = runner.invoke(main, ["-C", str(site), "issue", "--badge", "first-contribution",
                               "--email", "ada@example.org", "--key", str(key)])
    assert res.exit_code == 0, res.output


def test_check_reports_broken_links_as_warnings_and_errors_with_strict(basic_site: Path
                                                                        ) -> None:
    page = basic_site / "site_src/pages/about.md"
    page.write_text(page.read_text() + "\nSee [the old badge](../badges/gone/) and "
                    "[criteria](../badges/member/#nowhere).\n")
    runner = CliRunner()
    res = runner.invoke(main, ["-C", str(basic_site), "check"])
    assert res.exit_code == 0, res.output
    assert ("warning: site_src/pages/about.md: about/index.html links to '../badges/gone/', "
            "which the site does not have (fix the link or add the page)") in res.output
    assert "has no anchor 'nowhere'" in res.output
    assert not (basic_site / "_site").exists()  # check writes nothing
    res = runner.invoke(main, ["-C", str(basic_site), "check", "--strict"])
    assert res.exit_code == 1
    res = runner.invoke(main, ["-C", str(basic_site), "build", "--strict"])
    assert res.exit_code == 1 and "links to '../badges/gone/'" in res.output


def test_build_prints_a_summary_and_stage_times(basic_site: Path) -> None:
    res = CliRunner().invoke(main, ["-C", str(basic_site), "build", "-v"])
    assert res.exit_code == 0
    assert "0 credentials: 0 vouched for by the signed issuance log" in res.output
    assert "built 11 pages, " in res.output and "written, 0 removed) in " in res.output
    for stage in ("load:", "credentials:", "plan:", "pages:"):
        assert stage in res.output


def _headers_for(rules: list[dict], path: str) -> dict:
    out: dict = {}
    for rule in rules:
        if fnmatch.fnmatchcase(path, rule["for"]):
            out.update(rule.get("values", {}))
    return out


def test_netlify_toml_matches_the_built_site(tmp_path: Path) -> None:
    config = tomllib.loads((REPO / "netlify.toml").read_text())
    assert config["build"]["publish"] == "_site"
    assert "badgepress build" in config["build"]["command"]
    assert config["build"]["environment"]["PYTHON_VERSION"].startswith("3.1")
    out = build(REPO, tmp_path / "_site", now=DEMO_NOW).out_dir
    paths = ["/" + p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()]
    rules = config["headers"]
    optional = ("/.well-known/did.json", "/did.json", "/credentials/*/badge.png")
    for rule in rules:  # every rule applies to something the site has (or may have)
        assert rule["for"] in optional or any(fnmatch.fnmatchcase(p, rule["for"])
                                              for p in paths), rule["for"]
    for p in paths:
        h = _headers_for(rules, p)
        assert "script-src 'self'" in h["Content-Security-Policy"]
        if p.endswith(".json") and not p.startswith("/assets/"):
            assert h.get("Access-Control-Allow-Origin") == "*", p
        if p.startswith("/assets/"):
            assert "immutable" in h["Cache-Control"]
        if p.endswith(".html"):
            assert "max-age=0" in h["Cache-Control"]
        if p.startswith("/status/"):
            assert h["Content-Type"] == "application/vc+ld+json"
            assert "max-age=300" in h["Cache-Control"]
    assert _headers_for(rules, "/issuer.json")["Content-Type"] == "application/ld+json"
    assert (out / "404.html").is_file() and list(out.glob("log/*.jsonl"))


def test_init_says_when_requirements_pin_a_version_the_build_host_may_not_find(
        monkeypatch) -> None:
    """requirements.txt pins badgepress==<version>; installed from a clone or a file, that
    version may be on no package index, and the Netlify build would fail on it."""
    from importlib import metadata

    from badgepress.commands import scaffold

    class Dist:
        def __init__(self, direct):
            self.direct = direct

        def read_text(self, name):
            return self.direct if name == "direct_url.json" else None

    monkeypatch.setattr(metadata, "distribution", lambda name: Dist(None))
    assert scaffold.requirement_note() == ""  # from an index: the host installs the same
    monkeypatch.setattr(metadata, "distribution", lambda name: Dist(
        '{"url": "file:///home/me/badgepress", "dir_info": {}}'))
    note = scaffold.requirement_note()
    assert "file:///home/me/badgepress" in note and "requirements.txt" in note


def test_commands_find_the_site_from_a_folder_inside_it(basic_site: Path,
                                                        monkeypatch) -> None:
    """`badgepress build` in badges/ builds the site around it, as git finds its
    repository; -C still names one."""
    monkeypatch.chdir(basic_site / "badges")
    res = CliRunner().invoke(main, ["check"])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(main, ["build"])
    assert res.exit_code == 0, res.output
    assert (basic_site / "_site/index.html").is_file()
    assert not (basic_site / "badges/_site").exists()
    assert f"(the site at {basic_site.resolve()})" in res.output  # said where
    # a folder inside that is a site of its own, without its configuration yet, gets that
    # error rather than the site around it
    inner = basic_site / "badges/draft"
    (inner / "badges").mkdir(parents=True)
    monkeypatch.chdir(inner)
    res = CliRunner().invoke(main, ["check"])
    assert res.exit_code == 1 and "no site configuration" in res.output, res.output


def test_init_piped_answers_make_one_line_per_question_and_the_key_has_its_name(
        tmp_path: Path) -> None:
    """Piped answers are not echoed by the terminal: every prompt ran into the next on
    one line. And the first key can carry its holder's name, as keygen's can."""
    import json
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "badgepress", "init", str(tmp_path / "site"), "--key",
         str(tmp_path / "k" / "a.key"), "--name", "Ada Lovelace"],
        input="Piped Program\nhttps://piped.example/\nPiper Org\nhttps://piper.example/\n\n",
        capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("Program title [") and lines[0].endswith("]: Piped Program")
    assert lines[1].startswith("Public URL of the site [") and \
        lines[1].endswith("]: https://piped.example/")
    keys = json.loads((tmp_path / "site/site_src/issuer/keys.json").read_text())["keys"]
    assert [k.get("name") for k in keys] == ["Ada Lovelace"]
