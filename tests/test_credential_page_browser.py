"""Credential pages in a real browser: untrusted text stays text."""

from __future__ import annotations

import json

from badgepress.build.pipeline import build
from badgepress.commands.issue import IssueRequest
from conftest import NOW, issue, soup

EVIL = "</script><script>alert(1)</script>"


def test_script_in_earner_name_cannot_run(keyed, browser, serve_dir) -> None:
    site, key, _ = keyed
    [r] = issue(site, key, IssueRequest("member", "a@example.org", EVIL,
                                        narrative=f"Evidence {EVIL} <img src=x onerror=alert(2)>"))
    out = build(site, now=NOW).out_dir
    page_path = f"credentials/{r.path.stem}/"
    parsed = soup(out / page_path / "index.html")
    assert json.loads(parsed.select_one("#credential-data").string)["credentialSubject"][
        "identifier"][1]["identityHash"] == EVIL
    url = serve_dir(out)
    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(url + page_path)
    page.wait_for_load_state("load")
    assert dialogs == []
    assert page.text_content(".earner") == EVIL
    data = page.evaluate("JSON.parse(document.getElementById('credential-data').textContent)")
    assert data["credentialSubject"]["identifier"][1]["identityHash"] == EVIL
    assert page.locator("script").count() == len(parsed.select("script"))
    page.close()
