"""Accessibility of every page type and every state of the verification panel, checked by
axe-core (WCAG 2.2 AA + best practice) in Chromium at 1280 and 320 px wide, with no sideways
scrolling at 320 px (reflow, WCAG 1.4.10).

axe-core is a test tool only (tests/vendor/axe-core/, never in a site). It is injected as an
init script, which Chromium runs outside the page's Content-Security-Policy, so the pages
themselves run under their real strict CSP (`script-src 'self'`, served from netlify.toml):
`page.add_script_tag` would be an inline script, which that CSP refuses."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import badgepress.build.plan as plan
import pytest
from badgepress.build.pipeline import build
from conftest import DEMO_NOW, REPO, TESTS

AXE = TESTS / "vendor" / "axe-core" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]
WIDTHS = (1280, 320)
# A demo credential with a named earner, evidence and an expiry date; and the revoked one.
SAMPLE = "ba88d262-50dd-42d1-8c99-e9d7392418e9"
REVOKED = "f208b88b-f164-4b66-852c-d34a0897b8d4"
AFTER_EXPIRY = datetime(2028, 7, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """The demo site, plus a copy of one credential page with its embedded JSON altered;
    log pages of 10 entries, so its 307 entries show the paginated log's older pages."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(plan, "LOG_PAGE_SIZE", 10)
        out = build(REPO, tmp_path_factory.mktemp("a11y") / "site", now=DEMO_NOW).out_dir
    assert (out / "log/page/3/index.html").is_file()
    page = (out / f"credentials/{SAMPLE}/index.html").read_text(encoding="utf-8")
    data = json.loads(page.split('id="credential-data">', 1)[1].split("</script>", 1)[0])
    name = data["credentialSubject"]["identifier"][1]["identityHash"]
    forged = page.replace(f'"identityHash": "{name}"', '"identityHash": "Mallory Forger"')
    assert forged != page
    (out / "credentials/tampered").mkdir()
    (out / "credentials/tampered/index.html").write_text(forged, encoding="utf-8")
    return out


def test_the_vendored_axe_is_the_recorded_release_and_never_in_a_site(demo: Path) -> None:
    assert hashlib.sha256(AXE.read_bytes()).hexdigest() == AXE_SHA256
    assert AXE.read_text(encoding="utf-8")[:200].startswith("/*! axe v4.14.1")
    assert AXE_SHA256 in (AXE.parent / "README.md").read_text(encoding="utf-8")
    assert not [p for p in demo.rglob("*") if "axe" in p.name.lower()]


def panel(state: str, standing: str):
    """Wait for the credential page's verdict, and check it is the state under test."""
    def ready(page) -> None:
        page.wait_for_selector("#verification:not([data-verdict=pending])", timeout=15000)
        assert (page.get_attribute("#verification", "data-verdict"),
                page.get_attribute("#verification", "data-standing")) == (state, standing)
    return ready


def verified_on_verify_page(credential: Path, standing: str, tamper: bool = False):
    """/verify/ after checking a pasted credential."""
    def ready(page) -> None:
        text = credential.read_text(encoding="utf-8")
        if tamper:  # a date changed after signing
            text = json.dumps(json.loads(text) | {"validFrom": "2026-01-01T00:00:00Z"})
        page.fill("#credential-text", text)
        page.click("#verify-form button[type=submit]")
        page.wait_for_selector("#verification:not([data-verdict=pending])", timeout=15000)
        assert page.get_attribute("#verification", "data-standing") == standing
        assert page.is_visible("#claims")
    return ready


def cases(demo: Path) -> list[tuple[str, str, object, datetime, str | None]]:
    """(name, path, ready, clock, blocked URL part): every page type and panel state."""
    def visible(selector: str):
        return lambda page: page.wait_for_selector(selector, state="visible")

    revoked_json = demo / f"credentials/{REVOKED}/credential.json"
    return [
        ("catalog", "", visible("#filters"), DEMO_NOW, None),
        ("badge page", "badges/support-foundations/", visible("h1"), DEMO_NOW, None),
        ("skills", "skills/", visible("h1"), DEMO_NOW, None),
        ("extra page", "about/", visible("h1"), DEMO_NOW, None),
        ("404", "no/such/page/", visible("text=Page not found"), DEMO_NOW, None),
        ("log", "log/", visible("table.log"), DEMO_NOW, None),
        ("log: older page", "log/page/2/", visible("table.log"), DEMO_NOW, None),
        ("verify", "verify/", visible("#verify-form"), DEMO_NOW, None),
        ("verify: revoked pasted", "verify/",
         verified_on_verify_page(revoked_json, "revoked"), DEMO_NOW, None),
        ("verify: altered pasted", "verify/",
         verified_on_verify_page(revoked_json, "forged", tamper=True), DEMO_NOW, None),
        ("credential: valid", f"credentials/{SAMPLE}/", panel("valid", "valid"), DEMO_NOW,
         None),
        ("credential: invalid (altered)", "credentials/tampered/",
         panel("invalid", "forged"), DEMO_NOW, None),
        ("credential: unknown (status list unreachable)", f"credentials/{SAMPLE}/",
         panel("unknown", "unchecked"), DEMO_NOW, "/status/"),
        ("credential: unknown (issuer offline)", f"credentials/{SAMPLE}/",
         panel("unknown", "unconfirmed"), DEMO_NOW, "/issuer"),
        ("credential: revoked", f"credentials/{REVOKED}/", panel("invalid", "revoked"),
         DEMO_NOW, None),
        ("credential: expired", f"credentials/{SAMPLE}/", panel("invalid", "expired"),
         AFTER_EXPIRY, None),
    ]


def sideways(page) -> list[int] | None:
    """[scroll width, client width] when the page scrolls sideways, else None."""
    scroll = page.evaluate("[document.documentElement.scrollWidth, "
                           "document.documentElement.clientWidth]")
    return scroll if scroll[0] > scroll[1] else None


def page_problems(page, name: str, reflow: bool = True) -> dict[str, object]:
    """axe-core's violations on the page as it is now and (``reflow``) its sideways
    scrolling, keyed by ``name``: what every page-type test collects and prints."""
    problems: dict[str, object] = {}
    violations = axe_violations(page)
    if violations:
        problems[name] = violations
    scroll = sideways(page) if reflow else None
    if scroll:
        problems[f"{name}: scrolls sideways"] = scroll
    return problems


def axe_violations(page) -> list[dict]:
    return page.evaluate("""async (tags) => {
        const r = await axe.run(document, { runOnly: { type: "tag", values: tags },
                                            resultTypes: ["violations"] });
        return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map((n) => `${n.target.join(" ")}: ${n.failureSummary}`) }));
    }""", TAGS)


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_type_and_panel_state_has_no_axe_violation(browser, serve_dir, demo,
                                                               width: int) -> None:
    url = serve_dir(demo)
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    csp: list[str] = []
    page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text
            else None)
    problems: dict[str, object] = {}
    for name, path, ready, clock, blocked in cases(demo):
        page.clock.set_fixed_time(clock)
        if blocked:
            page.route(f"**{blocked}*", lambda r: r.abort())
        page.goto(url + path)
        ready(page)
        assert page.evaluate("typeof axe") == "object", "axe-core was not injected"
        problems |= page_problems(page, name, reflow=width <= 320)
        if blocked:
            page.unroute(f"**{blocked}*")
    context.close()
    if problems:
        print(json.dumps(problems, indent=2))
    assert problems == {}
    assert csp == []  # the pages ran under their own strict CSP, and it refused nothing


# Records every text the verdict line takes, from before the page's own scripts run.
WATCH_VERDICT = """window.__verdicts = [];
new MutationObserver((records) => {
  for (const r of records) {
    const line = (r.target.nodeType === 1 ? r.target : r.target.parentElement)
      ?.closest?.("[data-role=verdict]");
    if (line && line.textContent) window.__verdicts.push(line.textContent);
  }
}).observe(document, { childList: true, characterData: true, subtree: true });"""
LIVE = "[aria-live], [role=status], [role=alert], [role=log], [role=marquee], [role=timer]"


def test_only_the_verdict_is_live_and_it_is_announced_once(browser, serve_dir, demo) -> None:
    url = serve_dir(demo)
    context = browser.new_context()
    context.add_init_script(script=WATCH_VERDICT)
    page = context.new_page()
    page.clock.set_fixed_time(DEMO_NOW)
    page.goto(url + f"credentials/{REVOKED}/")
    panel("invalid", "revoked")(page)
    live = page.eval_on_selector_all(LIVE, "els => els.map((e) => e.dataset.role)")
    assert live == ["verdict"]  # not the whole panel, not the banners above it
    assert page.evaluate("window.__verdicts") == [page.text_content("[data-role=verdict]")]
    page.goto(url + "verify/")
    verified_on_verify_page(demo / f"credentials/{REVOKED}/credential.json", "revoked")(page)
    assert page.eval_on_selector_all(LIVE, "els => els.map((e) => e.dataset.role)") == [
        "verdict"]
    assert page.evaluate("window.__verdicts") == [page.text_content("[data-role=verdict]")]
    context.close()


def test_the_recipient_forms_neither_show_nor_send_anything_without_javascript(
        browser, serve_dir, demo) -> None:
    url = serve_dir(demo)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    for path, form in ((f"credentials/{SAMPLE}/", "[data-role=recipient]"),
                       ("verify/", "#verify-form")):
        page.goto(url + path)
        assert not page.is_visible(form)  # hidden means hidden, whatever the CSS
        # even shown and submitted (no script to stop it), nothing leaves the page
        page.eval_on_selector(form, "f => { f.hidden = false; }")
        page.fill(f"{form} input[type=email]", "ada@example.org")
        page.press(f"{form} input[type=email]", "Enter")
        page.wait_for_timeout(300)
        assert page.url == url + path
    assert not [r for r in requests if "example.org" in r or "?" in r]
    context.close()
