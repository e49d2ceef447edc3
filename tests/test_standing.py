"""Revoked or expired is not forged: the one-line answer (genuine or not, still valid or not)
in `badgepress verify` and on credential pages, in the same words (messages.json summary.*).
A revoked or expired credential keeps its details legible, marked with the date; only a
failure of format, issuer key or signature strikes them through as not verified."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from badgepress.build.pipeline import build
from badgepress.cli import main
from badgepress.commands.issue import IssueRequest
from badgepress.commands.lifecycle import revoke
from badgepress.commands.verify_sources import summarize
from badgepress.trust.resolve import LocalResolver
from badgepress.trust.verify import verify_credential
from click.testing import CliRunner
from conftest import DEMO_NOW, NOW, REPO, copy_site, issue
from corpus import NOW as CORPUS_NOW
from corpus import make_corpus
from test_verifier_browser import open_page, verdict

RUN = CliRunner()
EXPIRED_ON = datetime(2025, 1, 10, tzinfo=UTC)  # + the member badge's valid_for P1Y


@pytest.fixture
def lifecycle_site(keyed):
    """Revoked with a public reason, revoked privately, expired, current; built at NOW."""
    site, key, _ = keyed
    public, private, expired, current = issue(
        site, key, IssueRequest("member", "a@example.org", "Ada"),
        IssueRequest("leader", "b@example.org", "Bo"),
        IssueRequest("member", "c@example.org", "Cy", date=EXPIRED_ON),
        IssueRequest("member", "d@example.org", "Di"))
    revoke(site, public.path.stem, "Issued in error", key, public=True, now=NOW)
    revoke(site, private.path.stem, "Private matter", key, now=NOW)
    return site, {"public": public.path, "private": private.path, "expired": expired.path,
                  "current": current.path}


def verify_cli(site: Path, *paths: Path, extra: tuple[str, ...] = ()):
    return RUN.invoke(main, ["-C", str(site), "verify", *map(str, paths),
                             "--now", NOW.isoformat(), *extra])


def test_verify_says_genuine_but_revoked_or_expired_or_not_authentic(lifecycle_site,
                                                                       tmp_path: Path) -> None:
    site, paths = lifecycle_site
    tampered = tmp_path / "tampered.json"
    doc = json.loads(paths["current"].read_text())
    doc["credentialSubject"]["identifier"][1]["identityHash"] = "Mallory"
    tampered.write_text(json.dumps(doc))
    res = verify_cli(site, paths["public"], paths["private"], paths["expired"], paths["current"],
                     tampered)
    assert res.exit_code == 1, res.output
    lines = res.output.splitlines()
    summaries = [lines[i + 1] for i, line in enumerate(lines) if not line.startswith(" ")]
    assert summaries == [
        "  Genuine, but revoked by Test Issuer on 2026-06-01. Reason: Issued in error.",
        "  Genuine, but revoked by Test Issuer on 2026-06-01.",  # the reason is not public
        "  Genuine, but expired on 2026-01-10.",
        "  Genuine and current: issued by Test Issuer, not expired, not revoked.",
        "  NOT AUTHENTIC: The signature does not match: the credential was changed after it "
        "was signed, or it was signed with another key.",
    ]
    assert lines[0] == f"{paths['public']}: INVALID"


def test_verify_json_keeps_its_contract_and_adds_the_summary(lifecycle_site) -> None:
    site, paths = lifecycle_site
    res = verify_cli(site, paths["expired"], extra=("--json",))
    data = json.loads(res.output)
    assert res.exit_code == 1
    assert data["verdict"] == "invalid" and [c["check"] for c in data["checks"]] == [
        "format", "issuer", "signature", "dates", "revocation"]
    assert data["summary"] == {"standing": "expired", "code": "summary.expired",
                               "message": "Genuine, but expired on 2026-01-10."}


def test_outside_its_site_a_revoked_credential_has_no_date_and_offline_is_unconfirmed(
        lifecycle_site, tmp_path: Path) -> None:
    site, paths = lifecycle_site
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    res = verify_cli(elsewhere, paths["current"], extra=("--offline",))
    assert res.exit_code == 1
    assert res.output.splitlines()[1].startswith(
        "  Not confirmed as genuine: Could not load the issuer's published keys from "
        "https://badges.test.example/issuer.json (network access is turned off)")
    # the site's own documents, without its revocation records: revoked, date unknown
    resolver = LocalResolver(_site_documents(site))
    result = verify_credential(paths["public"].read_bytes(), resolver, NOW)
    assert summarize(result).message == "Genuine, but revoked by Test Issuer."


def _site_documents(site: Path) -> dict:
    from badgepress.build.credential_stage import site_resolver
    from badgepress.build.pipeline import load_site

    return site_resolver(load_site(site)[0]).documents


# the credential page ------------------------------------------------------------------

def struck(page, selector: str) -> bool:
    """Whether the page presents this detail as not verified (struck through, marked)."""
    return page.evaluate("""s => { const el = document.querySelector(s);
        return getComputedStyle(el).textDecorationLine.includes('line-through')
            || getComputedStyle(el, '::after').content.includes('not verified'); }""", selector)


def standing_of(page) -> tuple[str, str, str]:
    """(data-standing, the hero banner's text, the panel's verdict line)."""
    return (page.get_attribute("article.credential", "data-standing"),
            " ".join(page.text_content("[data-role=standing]").split()),
            page.text_content("#verification [data-role=verdict]"))


DETAILS = ("[data-field=earner]", "[data-field=badge-name]", "[data-field=issuer-name]",
           "[data-field=valid-from]")


def test_demo_revoked_credential_page_is_genuine_but_revoked(browser, serve_dir,
                                                             tmp_path: Path) -> None:
    demo = build(REPO, tmp_path / "demo", now=DEMO_NOW)
    [revoked] = [a for a in demo.awards if a.state == "revoked"]
    context, page, _, errors = open_page(browser, serve_dir(demo.out_dir) + revoked.url,
                                         DEMO_NOW)
    assert verdict(page) == "invalid"  # the contract is unchanged: a revoked credential is
    state, banner, line = standing_of(page)  # not valid; but it is genuine
    summary = ("Genuine, but revoked by Corvane Client Support on 22 October 2026. "
               "Reason: Issued in error: the contribution was counted twice.")
    assert state == "revoked" and line == summary
    assert banner.startswith(summary + " The details on this page are as the issuer signed "
                             "them, but the issuer has revoked this credential")
    assert not any(struck(page, s) for s in DETAILS)
    assert not page.is_visible(".build-notice")  # the browser's answer replaced the build's
    assert page.get_attribute("#verification", "data-standing") == "revoked"
    assert errors == []
    context.close()


def test_expired_and_other_recipient_stay_legible_tampered_is_struck(
        browser, serve_dir, keyed) -> None:
    site, key, _ = keyed
    expired, current = issue(site, key,
                             IssueRequest("member", "c@example.org", "Cy", date=EXPIRED_ON),
                             IssueRequest("member", "d@example.org", "Di"))
    out = build(site, now=NOW).out_dir
    tampered = out / f"credentials/{current.path.stem}/index.html"
    forged = out / "credentials/forged"
    forged.mkdir()
    (forged / "index.html").write_text(tampered.read_text().replace(
        '"identityHash": "Di"', '"identityHash": "Mallory"'))
    url = serve_dir(out)

    context, page, _, _ = open_page(browser, url + f"credentials/{expired.path.stem}/")
    assert verdict(page) == "invalid"
    state, banner, line = standing_of(page)
    assert (state, line) == ("expired", "Genuine, but expired on 10 January 2026.")
    assert banner.startswith("Genuine, but expired on 10 January 2026. The details on this "
                             "page are as the issuer signed them")
    assert page.text_content("[data-field=earner]") == "Cy"
    assert not any(struck(page, s) for s in DETAILS)
    context.close()

    context, page, _, _ = open_page(browser, url + f"credentials/{current.path.stem}/")
    assert verdict(page) == "valid" and not page.is_visible("[data-role=standing]")
    page.fill("#recipient-email", "someone.else@example.org")
    page.click("text=Check recipient")
    page.wait_for_selector("#verification[data-standing=other-recipient]")
    assert standing_of(page)[2] == "Genuine, but not issued to the email address given."
    assert not any(struck(page, s) for s in DETAILS)
    context.close()

    context, page, _, _ = open_page(browser, url + "credentials/forged/")
    assert verdict(page) == "invalid"
    state, banner, line = standing_of(page)
    assert state == "forged" and line.startswith("NOT AUTHENTIC: The signature does not match")
    assert banner.endswith("The details on this page are not verified and must not be "
                           "relied on.")
    assert page.text_content("[data-field=earner]") == "Mallory"
    assert all(struck(page, s) for s in DETAILS)
    context.close()


# one answer, two implementations ---------------------------------------------------------

def test_page_and_cli_give_the_same_answer_on_the_shared_corpus(browser, serve_dir,
                                                                tmp_path: Path) -> None:
    corpus = make_corpus(copy_site("basic", tmp_path / "site"), tmp_path)
    resolver = LocalResolver(corpus.documents)
    in_python = {c.name: summarize(verify_credential(c.text, resolver, CORPUS_NOW))
                 for c in corpus.cases}
    url = serve_dir(corpus.out_dir)
    assets = next(corpus.out_dir.glob("assets/*/verify/core.js")).parent.parent.relative_to(
        corpus.out_dir)
    context = browser.new_context()
    page = context.new_page()
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(url) else r.abort())
    page.goto(url + "verify/")
    in_browser = page.evaluate("""async ([assets, base, root, now, cases]) => {
        const core = await import(`${root}${assets}/verify/core.js`);
        const { standingOf } = await import(`${root}${assets}/verify/standing.js`);
        const out = {};
        for (const c of cases) {
            const resolver = core.makeResolver({ siteBase: base, siteRoot: root });
            const r = await core.verifyCredential(c.text, { resolver, now: new Date(now) });
            const s = standingOf(r);
            out[c.name] = [s.standing, s.code];
        }
        return out;
    }""", [assets.as_posix(), "https://badges.test.example/", url, CORPUS_NOW.isoformat(),
           [{"name": c.name, "text": c.text} for c in corpus.cases]])
    context.close()
    python = {name: [s.standing, s.code] for name, s in in_python.items()}
    assert in_browser == python
    assert {"valid", "revoked", "expired", "forged", "unconfirmed", "unchecked",
            "not-yet-valid"} <= {s for s, _ in python.values()}
