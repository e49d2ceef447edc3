"""One corpus, two verifiers: every case must reach its expected outcome in `badgepress
verify` (Python) and in the browser (the same ES modules the pages load), and the two must
agree on every check's status and message code."""

from __future__ import annotations

from pathlib import Path

import interop_harness
import pytest
from badgepress.trust.resolve import LocalResolver
from badgepress.trust.verify import verify_credential
from corpus import NOW, Corpus, expected_ok, local_as_published, make_corpus, summary


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Corpus:
    from conftest import copy_site

    tmp = tmp_path_factory.mktemp("corpus")
    return make_corpus(copy_site("basic", tmp / "site"), tmp)


def python_results(corpus: Corpus) -> dict[str, dict]:
    resolver = LocalResolver(corpus.documents)
    return {c.name: verify_credential(c.text, resolver, NOW).to_json() for c in corpus.cases}


def test_corpus_covers_the_required_cases(corpus: Corpus) -> None:
    names = {c.name for c in corpus.cases}
    for required in ("valid", "wrong-key", "key-not-published-by-issuer", "controller-mismatch",
                     "expired", "not-yet-valid", "revoked", "status-list-unreachable",
                     "unknown-context", "undefined-property", "malformed-json",
                     "w3c-eddsa-rdfc-2022", "w3c-eddsa-jcs-2022", "1edtech-ob3"):
        assert required in names
    assert sum(n.startswith("tampered-") for n in names) >= 8


def test_corpus_holds_credentials_signed_by_another_stack(corpus: Corpus) -> None:
    """Ours must verify theirs: the Digital Bazaar stack signs, both our verifiers judge."""
    from corpus import OTHER_STACK_CASES

    interop_harness.require()
    assert set(OTHER_STACK_CASES) <= {c.name for c in corpus.cases}


def test_python_verifier_meets_every_expectation(corpus: Corpus) -> None:
    results = python_results(corpus)
    failures = {c.name: errs for c in corpus.cases if (errs := expected_ok(c, results[c.name]))}
    assert failures == {}
    issuer = results["issuer-name-claimed"]["checks"][1]["message"]
    assert "Test Issuer" in issuer and "Claimed Name" not in issuer, issuer


def browser_results(browser, serve_dir, corpus: Corpus) -> tuple[dict[str, dict], list[str]]:
    url = serve_dir(corpus.out_dir)
    core = next(p for p in (corpus.out_dir / "assets").rglob("core.js"))
    core_url = url + core.relative_to(corpus.out_dir).as_posix()
    context = browser.new_context()
    page = context.new_page()
    outside: list[str] = []

    def route(r):  # the corpus never needs the network: refuse and record any attempt
        if r.request.url.startswith(url):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(url + "verify/")
    cases = [{"name": c.name, "text": c.text} for c in corpus.cases]
    results = page.evaluate("""async ([coreUrl, base, root, now, cases]) => {
        const core = await import(coreUrl);
        const out = {};
        for (const c of cases) {
            const resolver = core.makeResolver({ siteBase: base, siteRoot: root });
            const r = await core.verifyCredential(c.text, { resolver, now: new Date(now) });
            out[c.name] = { verdict: r.verdict,
                            checks: r.checks.map(({check, status, code, message}) =>
                                                 ({check, status, code, message})) };
        }
        return out;
    }""", [core_url, "https://badges.test.example/", url, NOW.isoformat(), cases])
    context.close()
    local = [name for name, r in results.items()
             if any(c["code"] == "issuer.local" for c in r["checks"])]
    assert "valid" in local  # the preview said where it read the keys from
    return {name: local_as_published(r) for name, r in results.items()}, outside


def test_browser_verifier_meets_every_expectation_and_agrees_with_python(
        browser, serve_dir, corpus: Corpus) -> None:
    in_browser, outside = browser_results(browser, serve_dir, corpus)
    in_python = python_results(corpus)
    failures = {c.name: errs for c in corpus.cases if (errs := expected_ok(c, in_browser[c.name]))}
    assert failures == {}
    disagree = {name: (summary(in_python[name]), summary(in_browser[name]))
                for name in in_python if summary(in_python[name]) != summary(in_browser[name])}
    assert disagree == {}
    # messages are the same words where no library error text is embedded
    for name, py in in_python.items():
        for a, b in zip(py["checks"], in_browser[name]["checks"], strict=True):
            if not b.get("local") and a["code"] not in (
                    "format.json", "format.undefined", "issuer.fetch", "revocation.fetch",
                    "signature.proof", "revocation.list_invalid",
                    "issuer.bad_document", "format.context"):
                assert a["message"] == b["message"], (name, a, b)
    # only the W3C vectors' issuers were asked for, and refused: no context was fetched
    assert all(u.startswith(("https://vc.example/", "https://example.edu/")) for u in outside)


def test_corpus_files_are_served_where_their_ids_say(corpus: Corpus) -> None:
    for url in corpus.documents:
        rel = url.removeprefix("https://badges.test.example/")
        assert (corpus.out_dir / rel).is_file(), rel
    assert Path(corpus.out_dir / "verify/index.html").is_file()
