"""Shared fixtures: tiny sites copied into tmp_path, built for real, parsed with a real
HTML parser; a local static server; headless Debian chromium through Playwright."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from badgepress.build.pipeline import build
from badgepress.commands.issue import IssueRequest, issue_credentials
from badgepress.trust.keys import SigningKey, add_key, load_signing_key, save_new_key
from bs4 import BeautifulSoup

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
SITES = TESTS / "sites"
# W3C / 1EdTech test vectors, vendored with their sources (tests/vectors/README.md).
VECTORS = TESTS / "vectors"
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)  # tests never read the clock
DEMO_NOW = datetime(2026, 11, 1, tzinfo=UTC)  # after every demo credential, before any expiry
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    """A port of 127.0.0.1 nothing listens on (as the system gives one out)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_site(name: str, dest: Path) -> Path:
    """A fresh copy of tests/sites/<name> (default theme from the repo)."""
    shutil.copytree(SITES / name, dest)
    return dest


@pytest.fixture
def basic_site(tmp_path: Path) -> Path:
    return copy_site("basic", tmp_path / "site")


@pytest.fixture
def built_basic(basic_site: Path) -> Path:
    build(basic_site)
    return basic_site / "_site"


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless chromium; skipped with a reason outside CI, a failure in CI."""
    reason = None
    if not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} not installed (apt-get install -y chromium)"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = reason or "playwright is not installed (pip install -e '.[test]')"
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run in CI: {reason}")
        pytest.skip(reason)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def serve_dir():
    """Serve a folder on 127.0.0.1 (random port); returns a function dir -> base URL."""
    from badgepress.serve.static import serve_in_thread

    servers = []

    def start(directory: Path) -> str:
        # the repository's netlify.toml: tests see the production CSP and CORS headers
        server, url = serve_in_thread(directory, site_root=REPO)
        servers.append(server)
        return url

    yield start
    for s in servers:
        s.shutdown()
        s.server_close()


@pytest.fixture
def keyed(basic_site: Path, tmp_path: Path) -> tuple[Path, SigningKey, Path]:
    """The basic site with a published key; the private key file sits outside the site."""
    key_file = tmp_path / "secret" / "issuer.key"
    key = SigningKey.generate()
    save_new_key(key, key_file, basic_site)
    add_key(basic_site, key, now=datetime(2026, 1, 1, tzinfo=UTC))
    return basic_site, load_signing_key(key_file, basic_site), key_file


def issue(site: Path, key: SigningKey, *reqs: IssueRequest):
    return issue_credentials(site, [(None, r) for r in reqs], key, now=NOW)


