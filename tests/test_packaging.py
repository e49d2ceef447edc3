"""badgepress as a new user gets it: the sdist and wheel built with `python -m build`, the
wheel installed into a fresh venv outside the repository, and a badge program started with
nothing but that install (init, build, issue, verify, serve). Also: a site's own theme
folder overrides single files of the packaged default theme."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import time
import tomllib
import urllib.request
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import badgepress
import pytest
from badgepress.build.pipeline import build
from badgepress.build.theme import DEFAULT_THEME
from conftest import NOW, REPO, copy_site, free_port, soup


def run(cmd: list[str], cwd: Path, env: dict | None = None, timeout: int = 600) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, f"{cmd}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out), str(REPO)],
        cwd=out)
    return out


def test_the_wheel_holds_the_theme_contexts_and_messages(dist: Path) -> None:
    wheel = next(dist.glob("badgepress-*.whl"))
    assert wheel.name.startswith(f"badgepress-{badgepress.__version__}-")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("badgepress/cli.py", "badgepress/messages.json",
                   "badgepress/theme/templates/credential.html",
                   "badgepress/theme/assets/verify/core.js",
                   "badgepress/theme/vendor/versions.json",
                   "badgepress/theme/vendor/jsonld.esm.js",
                   "badgepress/theme/vendor/LICENSES/jsonld.txt",
                   "badgepress/trust/contexts/ob-v3p0-context-3.0.3.json",
                   "badgepress/serve/devassets/livereload.js",
                   "badgepress/commands/site_template/netlify.toml"):
        assert needed in names, needed
    assert not any(n.startswith("generator/") for n in names)  # no generic top-level name
    # every theme file of the repository is in the wheel
    theme_files = {"badgepress/theme/" + p.relative_to(DEFAULT_THEME).as_posix()
                   for p in DEFAULT_THEME.rglob("*") if p.is_file()
                   and "__pycache__" not in p.parts}
    assert theme_files - names == set()
    sdist = next(dist.glob("badgepress-*.tar.gz"))
    with tarfile.open(sdist) as tar:
        members = tar.getnames()
    assert any(m.endswith("theme/templates/badge.html") for m in members)


def test_a_fresh_venv_with_the_wheel_starts_a_badge_program(dist: Path,
                                                             tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    py, bp = venv / "bin/python", venv / "bin/badgepress"
    wheel = next(dist.glob("badgepress-*.whl"))
    run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)],
        cwd=tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "BADGEPRESS_KEY")}
    env["HOME"] = str(tmp_path / "home")
    assert run([str(bp), "--version"], tmp_path, env).strip().endswith(badgepress.__version__)
    # nothing of the repository is importable from there
    where = run([str(py), "-c", "import badgepress, os; print(os.path.dirname("
                 "badgepress.__file__))"], tmp_path, env).strip()
    assert where.startswith(str(venv)) and not Path(where).is_relative_to(REPO)

    key = tmp_path / "keys/issuer.key"
    run([str(bp), "init", "acme", "--yes", "--key", str(key), "--base-url",
         "https://badges.acme.example/"], tmp_path, env)
    site = tmp_path / "acme"
    assert (site / "requirements.txt").read_text().strip() == \
        f"badgepress=={badgepress.__version__}"
    assert "pip install -r requirements.txt" in (site / "netlify.toml").read_text()
    assert not (site / "theme/templates").exists()  # the theme comes from the package
    run([str(bp), "-C", str(site), "issue", "--badge", "first-contribution", "--email",
         "ada@example.org", "--key", str(key), "--date", "2026-03-01"], tmp_path, env)
    run([str(bp), "-C", str(site), "build", "--strict"], tmp_path, env)
    out = site / "_site"
    assert (out / "badges/first-contribution/index.html").is_file()
    assert list(out.glob("assets/*/vendor/jsonld.esm.js"))
    cred = next(out.glob("credentials/*/credential.json"))
    # the status list was signed just now by `issue`: judge a minute later (any day works)
    later = (datetime.now(UTC) + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    verdict = json.loads(run([str(bp), "-C", str(site), "verify", "--json", "--now", later,
                              str(cred)], tmp_path, env))
    assert verdict["verdict"] == "valid", verdict

    port = free_port()
    proc = subprocess.Popen([str(bp), "-C", str(site), "serve", "--port", str(port)],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    try:
        body = b""
        for _ in range(150):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                    body = r.read()
                break
            except OSError:
                time.sleep(0.2)
        assert b"First Contribution" in body
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_a_site_theme_overrides_single_files_of_the_default(tmp_path: Path) -> None:
    site = copy_site("basic", tmp_path / "site")
    (site / "theme/templates").mkdir(parents=True)
    (site / "theme/assets").mkdir(parents=True)
    (site / "theme/templates/404.html").write_text(
        '{% extends "base.html" %}{% block main %}<h1>Lost at Acme</h1>{% endblock %}')
    (site / "theme/assets/style.css").write_text("body { color: rebeccapurple }\n")
    build(site, now=NOW)
    out = site / "_site"
    assert soup(out / "404.html").h1.get_text() == "Lost at Acme"
    # the page itself, base.html and every other template come from the default theme
    sheet = soup(out / "index.html").select_one("link[rel=stylesheet]")["href"]
    assert sheet.endswith("/style.css")
    css = next(out.glob("assets/*/style.css")).read_text()
    assert css == "body { color: rebeccapurple }\n"
    # assets not overridden, and the verifier, are the default theme's
    assert next(out.glob("assets/*/verify/core.js")).read_bytes() == \
        (DEFAULT_THEME / "assets/verify/core.js").read_bytes()


def test_a_theme_named_in_site_toml_must_exist(tmp_path: Path) -> None:
    from badgepress.core.errors import BuildError

    site = copy_site("basic", tmp_path / "site")
    toml = site / "site_src/site.toml"
    toml.write_text('theme = "mytheme"\n' + toml.read_text())
    with pytest.raises(BuildError, match="theme folder 'mytheme' not found"):
        build(site, now=NOW)


def test_changelog_names_the_package_version() -> None:
    assert f"## {badgepress.__version__}" in (REPO / "CHANGELOG.md").read_text()
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert "version" in project["dynamic"]
