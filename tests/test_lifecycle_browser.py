"""Lifecycle verdicts in a real browser, on the site's own pages: revoked, expired, an old
credential after key rotation, a compromised key, and an unreachable status list."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from badgepress.build.pipeline import build
from badgepress.commands.issue import IssueRequest
from badgepress.commands.lifecycle import resign, revoke, revoke_key
from badgepress.trust.keys import SigningKey, add_key, load_signing_key, save_new_key
from conftest import NOW, issue
from test_verifier_browser import checks, open_page, verdict


def test_lifecycle_verdicts_in_the_browser(browser, serve_dir, keyed, tmp_path: Path) -> None:
    site, old_key, _ = keyed
    revoked, expired, before_rotation = issue(
        site, old_key, IssueRequest("member", "a@example.org", "Ada"),
        IssueRequest("member", "b@example.org", "Bo", date=datetime(2025, 1, 10, tzinfo=UTC)),
        IssueRequest("leader", "c@example.org", "Cy"))
    revoke(site, revoked.path.stem, "Issued in error", old_key, public=True, now=NOW)
    new_key = SigningKey.generate()
    save_new_key(new_key, tmp_path / "new.key", site)
    add_key(site, new_key, rotate=True, now=datetime(2026, 6, 1, 13, tzinfo=UTC))
    new_key = load_signing_key(tmp_path / "new.key", site)
    [after_rotation] = issue(site, new_key, IssueRequest("analyst", "d@example.org", "Di"))
    out = build(site, now=NOW).out_dir
    url = serve_dir(out)

    def page_of(award_path: Path):
        return open_page(browser, url + f"credentials/{award_path.stem}/", NOW)

    context, page, _, _ = page_of(revoked.path)
    assert verdict(page) == "invalid" and checks(page)["revocation"] == "fail"
    assert "Revoked by the issuer" in page.text_content("[data-check=revocation]")
    assert page.text_content("[data-role=standing]").startswith(
        "Genuine, but revoked by Test Issuer on 1 June 2026. Reason: Issued in error.")
    context.close()

    context, page, _, _ = page_of(expired.path)
    assert verdict(page) == "invalid" and checks(page)["dates"] == "fail"
    assert "Expired on 2026-01-10" in page.text_content("[data-check=dates]")
    assert checks(page)["signature"] == "pass"  # expired, not forged
    context.close()

    for path in (before_rotation.path, after_rotation.path):
        context, page, _, _ = page_of(path)
        assert verdict(page) == "valid", (path.name, checks(page))
        context.close()

    # the status list cannot be loaded: "could not check", never a green light
    listed = json.loads(after_rotation.path.read_text())["credentialStatus"]
    status = out / "status" / listed["statusListCredential"].rsplit("/", 1)[1]
    status.rename(status.with_suffix(".bak"))
    context, page, _, _ = page_of(after_rotation.path)
    assert verdict(page) == "unknown" and checks(page)["revocation"] == "unknown"
    assert "Could not check for revocation" in page.text_content("[data-check=revocation]")
    context.close()
    status.with_suffix(".bak").rename(status)

    # the old key is compromised: re-signed credentials verify, the old copies do not
    old_copy = before_rotation.path.read_text()
    revoke_key(site, old_key.public_multibase, datetime(2026, 5, 1, tzinfo=UTC))
    resign(site, new_key, now=NOW)
    out = build(site, now=NOW).out_dir
    context, page, _, _ = page_of(before_rotation.path)
    assert verdict(page) == "valid", checks(page)
    assert json.loads(before_rotation.path.read_text())["proof"][0]["verificationMethod"].endswith(
        new_key.public_multibase + ".json")
    context.close()
    context, page, _, _ = open_page(browser, url + "verify/", NOW)
    page.fill("#credential-text", old_copy)
    page.click("button[type=submit]")
    assert verdict(page) == "invalid" and checks(page)["issuer"] == "fail"
    assert "revoked the key" in page.text_content("[data-check=issuer]")
    context.close()
