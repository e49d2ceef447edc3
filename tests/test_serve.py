"""`badgepress serve` in a real browser: live reload on save, stylesheet swap without a
reload, the error overlay while the build is broken, and a clean Ctrl-C."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import REPO, copy_site, free_port


@pytest.fixture
def served(tmp_path: Path):
    site = copy_site("basic", tmp_path / "site")
    shutil.copytree(REPO / "theme", site / "theme")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "badgepress", "-C", str(site), "serve",
                             "--port", str(port)], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(100):
        try:
            urllib.request.urlopen(url, timeout=1).read()
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail(f"serve did not start: {proc.stdout.read()}")
    yield site, url, proc
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def save(path: Path, old: str, new: str) -> float:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return time.perf_counter()


def test_live_reload_overlay_and_css_swap(browser, served) -> None:
    site, url, proc = served
    page = browser.new_page()
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/__badgepress/events" in r.url else 0)
    page.goto(url + "badges/member/")
    assert page.text_content("h1") == "Council Member"
    page.wait_for_timeout(300)
    assert len(polls) >= 2  # connected: the first answer, then the long poll

    # save a badge: the open page reloads with the change within 1 s of the save
    saved = save(site / "badges/member.md", "name: Council Member", "name: Council Member Plus")
    page.wait_for_selector("h1:text-is('Council Member Plus')", timeout=1000)
    latency = time.perf_counter() - saved
    print(f"reload latency after save: {latency * 1000:.0f} ms")

    # break the YAML: the overlay appears, the last good page stays
    saved = save(site / "badges/member.md", "level: Foundation", "level: [Foundation")
    overlay = page.wait_for_selector("#badgepress-error-overlay", timeout=5000)
    assert "badges/member.md" in overlay.text_content()
    assert "YAML syntax error" in overlay.text_content()
    assert page.text_content("h1") == "Council Member Plus"
    # fixing it removes the overlay
    save(site / "badges/member.md", "level: [Foundation", "level: Foundation")
    page.wait_for_selector("#badgepress-error-overlay", state="detached", timeout=5000)

    # a stylesheet change is applied without reloading the page
    page.evaluate("window.__stillHere = true")
    css = site / "theme/assets/style.css"
    css.write_text(css.read_text() + "\nh1 { letter-spacing: 3px; }\n")
    page.wait_for_selector("html[data-badgepress-css]", timeout=5000)
    assert page.evaluate("window.__stillHere") is True
    assert page.evaluate("getComputedStyle(document.querySelector('h1')).letterSpacing") == "3px"
    page.close()

    # the built site itself never carries the reload script
    built = (site / "_site/badges/member/index.html").read_text()
    assert "livereload" not in built and "Council Member Plus" in built

    proc.send_signal(signal.SIGINT)  # Ctrl-C
    assert proc.wait(timeout=60) == 0  # a bound for a loaded CI machine, not a target
    assert "stopped" in proc.stdout.read()
