"""Sharing a credential, in a real browser under the site's CSP: the printed page (one A4 or
Letter sheet with a QR code that decodes to the page's address, the verification summary
and the date checked), the embed snippet and its Copy button, the LinkedIn link, and the
social card the page declares."""

from __future__ import annotations

import io
import unicodedata
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from badgepress.build.pipeline import build
from badgepress.commands.issue import IssueRequest
from bs4 import BeautifulSoup
from conftest import NOW, issue
from PIL import Image
from test_verifier_browser import checks, open_page, verdict

BASE = "https://badges.test.example/"
LONG_NARRATIVE = "Ran the council's client panel for a year. " * 12


@pytest.fixture
def served(keyed, serve_dir):
    site, key, _ = keyed
    [r] = issue(site, key, IssueRequest("member", "ada@example.org", "Ada Lovelace",
                                        evidence="https://evidence.test.example/ada",
                                        narrative=LONG_NARRATIVE))
    out = build(site, now=NOW).out_dir
    uuid = r.path.stem
    return serve_dir(out), uuid, f"{BASE}credentials/{uuid}/"


def _csp_errors(errors: list[str]) -> list[str]:
    return [e for e in errors if "Content Security Policy" in e or "Refused" in e]


def test_printed_credential_has_a_qr_of_its_url_and_the_verification(browser, served):
    import zxingcpp

    url, uuid, canonical = served
    context, page, requests, errors = open_page(browser, f"{url}credentials/{uuid}/")
    try:
        assert verdict(page) == "valid"
        page.wait_for_selector("[data-role=print-qr][data-ready=true]", state="attached")
        # on screen the QR is not shown
        assert not page.is_visible("[data-role=print-qr]")
        page.emulate_media(media="print")
        assert page.is_visible("[data-role=print-qr] svg")
        assert page.is_visible("#verification [data-role=verdict]")
        assert set(checks(page)) >= {"format", "issuer", "signature", "dates", "revocation"}
        assert all(page.is_visible(f"#verification [data-check={c}]")
                   for c in ("format", "issuer", "signature", "dates", "revocation"))
        when = page.text_content("#verification [data-role=when]")
        assert "Verified on 2026-06-01" in when and page.is_visible("[data-role=when]")
        # navigation, footer and buttons are not printed
        for hidden in (".site-header nav", ".site-footer", ".breadcrumb", "button",
                       "[data-role=embed]", ".badge-side"):
            assert all(not e.is_visible() for e in page.query_selector_all(hidden)), hidden
        shot = page.locator("[data-role=print-qr] .qr").screenshot()
        found = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
        assert [b.text for b in found] == [canonical]
        assert found[0].format == zxingcpp.BarcodeFormat.QRCode
        assert page.text_content(".qr-url") == canonical
        assert not _csp_errors(errors), errors
        assert all(r.startswith(url) for r in requests), requests
    finally:
        context.close()


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_printed_credential_fits_one_page(browser, served, paper):
    from pypdf import PdfReader

    url, uuid, canonical = served
    context, page, _, _ = open_page(browser, f"{url}credentials/{uuid}/")
    try:
        assert verdict(page) == "valid"
        page.wait_for_selector("[data-role=print-qr][data-ready=true]", state="attached")
        pdf = page.pdf(format=paper, print_background=True)
    finally:
        context.close()
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    text = unicodedata.normalize("NFKC", reader.pages[0].extract_text())  # "ﬁ" ligatures
    assert "Ada Lovelace" in text and "Council Member" in text
    assert canonical in text.replace("\n", "")
    assert "Verified on 2026-06-01" in text
    assert "Genuine and current" in text
    for check in ("Format", "Issuer's key", "Signature", "Dates", "Revocation"):
        assert f"{check} Pass" in text
    # nothing but the page itself: no navigation, footer or buttons
    for absent in ("Copy HTML", "Check recipient", "Add to LinkedIn", "Built with badgepress",
                   "Skills", "What it takes"):
        assert absent not in text


def test_embed_snippet_copies_and_links_the_credential(browser, served):
    url, uuid, canonical = served
    context, page, _, errors = open_page(browser, f"{url}credentials/{uuid}/")
    try:
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url.rstrip("/"))
        area = page.locator("[data-role=embed-code]")
        assert area.is_visible() and area.get_attribute("readonly") is not None
        snippet = area.input_value()
        parsed = BeautifulSoup(snippet, "html.parser")
        link = parsed.find("a")
        assert link["href"] == canonical
        assert link.find("img")["src"] == BASE + "badges/member/card.png"
        button = page.locator("[data-role=embed-copy]")
        assert button.is_visible()
        button.click()
        # a locator waits without evaluating a string in the page, which the page's CSP
        # (no 'unsafe-eval') refuses when the first check is not already true
        page.locator("[data-role=embed-status]", has_text="Copied.").wait_for()
        assert page.text_content("[data-role=embed-status]") == "Copied."
        assert page.evaluate("navigator.clipboard.readText()") == snippet
        assert not _csp_errors(errors), errors
    finally:
        context.close()


def test_linkedin_link_and_social_card_as_served(browser, served):
    url, uuid, canonical = served
    context, page, _, _ = open_page(browser, f"{url}credentials/{uuid}/")
    try:
        href = page.get_attribute("a:text('Add to LinkedIn profile')", "href")
        image = page.get_attribute("meta[property='og:image']", "content")
        width = page.get_attribute("meta[property='og:image:width']", "content")
        height = page.get_attribute("meta[property='og:image:height']", "content")
    finally:
        context.close()
    q = {k: v[0] for k, v in parse_qs(urlsplit(href).query).items()}
    assert (q["name"], q["organizationName"]) == ("Council Member", "Test Issuer")
    assert (q["issueYear"], q["issueMonth"]) == ("2026", "6")
    assert (q["expirationYear"], q["expirationMonth"]) == ("2027", "6")
    assert (q["certUrl"], q["certId"]) == (canonical, uuid)
    # the declared image, fetched from the server as a crawler would (the base URL swapped
    # for the local one): a PNG of the declared size
    assert image == BASE + "badges/member/card.png"
    with urllib.request.urlopen(url + image.removeprefix(BASE)) as resp:
        assert resp.headers["Content-Type"] == "image/png"
        data = resp.read()
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "PNG" and img.size == (int(width), int(height)) == (1200, 630)
