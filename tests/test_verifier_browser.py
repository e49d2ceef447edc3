"""The verifier as visitors meet it: credential pages verify themselves, /verify/ checks
pasted and dropped credentials and baked images; same-origin requests only, under the CSP."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from badgepress.build.pipeline import build
from badgepress.cli import main
from badgepress.commands.issue import IssueRequest
from badgepress.trust.bake import credential_text
from badgepress.trust.ld import known_contexts
from click.testing import CliRunner
from conftest import DEMO_NOW, NOW, REPO, VECTORS, issue


def tiny_png() -> bytes:
    """A real 2x2 PNG, made here so the test site has a PNG badge."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\0" + b"\x0f\x5f\xc2" * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def open_page(browser, url: str, now=NOW, javascript: bool = True):
    """A page with the clock fixed (tests never read today's date) and a request log."""
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.clock.set_fixed_time(now)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(url)
    return context, page, requests, errors


def verdict(page) -> str:
    page.wait_for_selector("#verification:not([data-verdict=pending])", timeout=15000)
    return page.get_attribute("#verification", "data-verdict")


def checks(page) -> dict[str, str]:
    return {li.get_attribute("data-check"): li.get_attribute("data-status")
            for li in page.query_selector_all("#verification [data-check]")}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "site"
    return build(REPO, out, now=DEMO_NOW)


def test_every_demo_credential_page_verifies_with_same_origin_requests_only(
        browser, serve_dir, demo) -> None:
    url = serve_dir(demo.out_dir)
    assert len(demo.awards) >= 30
    for award in demo.awards:
        context, page, requests, errors = open_page(browser, url + award.url, DEMO_NOW)
        if award.state == "revoked":  # the demo's one withdrawn credential
            assert verdict(page) == "invalid", (award.uuid, checks(page))
            assert {k: v for k, v in checks(page).items() if v != "pass"} == {
                "revocation": "fail"}
        else:
            assert verdict(page) == "valid", (award.uuid, checks(page))
            assert set(checks(page).values()) == {"pass"}
        assert page.text_content("#verification [data-role=when]").startswith(
            "Verified on 2026-11-01 by your browser")
        assert all(r.startswith(url) for r in requests), requests
        assert not [r for r in requests for ctx in known_contexts()
                    if r.endswith(urlsplit(ctx).path)]  # no context is ever fetched
        assert errors == []
        context.close()


def test_altered_embedded_credential_shows_invalid(browser, serve_dir, keyed) -> None:
    site, key, _ = keyed
    [r] = issue(site, key, IssueRequest("member", "a@example.org", "Ada Lovelace"))
    out = build(site, now=NOW).out_dir
    page_file = out / f"credentials/{r.path.stem}/index.html"
    html = page_file.read_text()
    assert html.count("Ada Lovelace") >= 2
    page_file.write_text(html.replace('"identityHash": "Ada Lovelace"',
                                      '"identityHash": "Mallory Forger"'))
    context, page, _, _ = open_page(browser, serve_dir(out) + f"credentials/{r.path.stem}/")
    assert verdict(page) == "invalid"
    assert checks(page)["signature"] == "fail"
    assert page.text_content("[data-role=standing]").startswith("NOT AUTHENTIC: The signature")
    # the claims are rendered from the (altered) JSON and marked as not verified
    assert page.text_content("[data-field=earner]") == "Mallory Forger"
    assert page.get_attribute("article.credential", "data-verified") == "invalid"
    context.close()


def test_recipient_check_on_credential_page(browser, serve_dir, keyed) -> None:
    site, key, _ = keyed
    [r] = issue(site, key, IssueRequest("member", "Ada@Example.org"))
    out = build(site, now=NOW).out_dir
    context, page, requests, _ = open_page(browser,
                                           serve_dir(out) + f"credentials/{r.path.stem}/")
    assert verdict(page) == "valid"
    page.fill("#recipient-email", "someone.else@example.org")
    page.click("text=Check recipient")
    page.wait_for_selector("[data-check=recipient]")
    assert checks(page)["recipient"] == "fail"
    page.fill("#recipient-email", "ada@example.org")
    page.click("text=Check recipient")
    page.wait_for_selector("[data-check=recipient][data-status=pass]")
    assert not [u for u in requests if "example.org" in u]  # the address was never sent
    context.close()


def test_verify_page_accepts_dropped_baked_png_and_svg_and_vectors(
        browser, serve_dir, keyed, tmp_path: Path) -> None:
    site, key, _ = keyed
    (site / "badges/analyst.svg").unlink()
    (site / "badges/analyst.png").write_bytes(tiny_png())
    [png_cred] = issue(site, key, IssueRequest("analyst", "a@example.org", "Ada"))
    [svg_cred] = issue(site, key, IssueRequest("member", "b@example.org", "Bo"))
    out = build(site, now=NOW).out_dir
    png = out / f"credentials/{png_cred.path.stem}/badge.png"
    svg = out / f"credentials/{svg_cred.path.stem}/badge.svg"
    assert credential_text(png.read_bytes()) == png_cred.path.read_text().strip()
    assert credential_text(svg.read_bytes()) == svg_cred.path.read_text().strip()
    # the CLI verifies the baked files too
    res = CliRunner().invoke(main, ["-C", str(site), "verify", str(png), str(svg), "--now",
                                    "2026-06-02T00:00:00Z"])
    assert res.exit_code == 0, res.output
    url = serve_dir(out)
    context, page, requests, errors = open_page(browser, url + "verify/")
    page.set_input_files("#credential-file", str(png))  # "choose a file"
    assert verdict(page) == "valid"
    assert page.text_content("[data-claim=earner]") == "Ada"
    # a real drop of the SVG onto the drop zone
    page.evaluate("document.getElementById('verification').dataset.verdict = 'pending'")
    transfer = page.evaluate_handle("""([name, text]) => {
        const dt = new DataTransfer();
        dt.items.add(new File([text], name, { type: "image/svg+xml" }));
        return dt; }""", ["badge.svg", svg.read_text()])
    page.dispatch_event("#drop-zone", "drop", {"dataTransfer": transfer})
    assert verdict(page) == "valid"
    assert page.text_content("[data-claim=earner]") == "Bo"
    # pasted W3C and 1EdTech vectors: the signature verifies; their issuers' keys cannot be
    # fetched from here (no network in tests), which the page says plainly
    page.route("https://**", lambda route: route.abort())
    for vector in ("vc-di-eddsa/eddsa-rdfc-2022/signedDataInt.json",
                   "vc-di-eddsa/eddsa-jcs-2022/signedJCS.json",
                   "ob-v3p0-1edtech/signed.json"):
        page.evaluate("document.getElementById('verification').dataset.verdict = 'pending'")
        page.fill("#credential-text", (VECTORS / vector).read_text())
        page.click("button[type=submit]")
        assert verdict(page) == "unknown", vector
        assert checks(page)["signature"] == "pass" and checks(page)["issuer"] == "unknown"
        assert "CORS" in page.text_content("[data-check=issuer]")
    assert sorted({r for r in requests if not r.startswith(url)}) == [
        "https://example.edu/issuers/565049", "https://vc.example/issuers/5678"]
    context.close()


def test_without_javascript_the_page_explains_and_shows_the_cli(browser, serve_dir,
                                                                 keyed) -> None:
    site, key, _ = keyed
    [r] = issue(site, key, IssueRequest("member", "a@example.org"))
    out = build(site, now=NOW).out_dir
    context, page, _, _ = open_page(browser, serve_dir(out) + f"credentials/{r.path.stem}/",
                                    javascript=False)
    text = page.text_content("#verification")
    assert "needs JavaScript" in text
    assert f"badgepress verify https://badges.test.example/credentials/{r.path.stem}/" in text
    assert page.get_attribute("#verification", "data-verdict") == "pending"
    context.close()


def test_pages_are_served_with_the_strict_csp(serve_dir, built_basic: Path) -> None:
    import urllib.request

    url = serve_dir(built_basic)
    with urllib.request.urlopen(url + "verify/") as resp:
        csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    with urllib.request.urlopen(url + "badges/member/achievement.json") as resp:
        assert resp.headers["Access-Control-Allow-Origin"] == "*"
        assert resp.headers["Content-Type"] == "application/ld+json"
    for html in built_basic.rglob("*.html"):
        text = html.read_text()
        # no inline script: every <script> either has src= or is a JSON-LD data block
        import re

        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag or 'type="application/ld+json"' in tag, (html, tag)
    assert json.loads((built_basic / "badges/member/achievement.json").read_text())
