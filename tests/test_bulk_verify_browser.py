"""/verify/ "Check many at once", as an employer uses it: 20 pasted credential addresses —
this site's valid, revoked, expired and tampered credentials, another issuer's site (served on
another port, reached at its https address), an unreachable address and pages without a
credential — each verified in the browser, the table sorted, the CSV export read back; and
nothing requested but the addresses given and the issuers' keys and status lists."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from badgepress.build.pipeline import build
from badgepress.commands.issue import IssueRequest
from badgepress.commands.lifecycle import revoke
from badgepress.trust.keys import SigningKey, add_key, load_signing_key, save_new_key
from conftest import NOW, copy_site, issue
from test_accessibility import AXE, axe_violations, sideways

OTHER = "https://other.test.example/"
GONE = "https://gone.test.example/credentials/0000/"
OWN_BASE = "https://badges.test.example/"


HOSTILE = """<!doctype html><html><head><title>Hostile</title>
<script>window.parent.__ran = true; fetch("https://tracker.test.example/ran");</script>
<script src="https://tracker.test.example/x.js"></script>
<link rel="stylesheet" href="https://tracker.test.example/style.css">
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "Thing"}</script>
<script type="application/ld+json">CREDENTIAL</script>
</head><body><img src="https://tracker.test.example/pixel.gif" onerror="window.__ran = 1">
<iframe src="https://tracker.test.example/frame"></iframe></body></html>"""


def keyed_site(root: Path, secret: Path) -> SigningKey:
    key = SigningKey.generate()
    save_new_key(key, secret, root)
    add_key(root, key, now=datetime(2026, 1, 1, tzinfo=UTC))
    return load_signing_key(secret, root)


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    """This site (named, revoked, expired, tampered credentials) and another issuer's."""
    tmp = tmp_path_factory.mktemp("bulk")
    own = copy_site("basic", tmp / "own")
    key = keyed_site(own, tmp / "secret/own.key")
    # one name needs CSV quoting (a comma and quotes)
    names = [f"Ada {i:02}" for i in range(1, 9)]
    names[5] = 'Ada 06, "the Countess"'
    valid = issue(own, key, *[IssueRequest("member", f"p{i}@example.org", name)
                              for i, name in enumerate(names)])
    formula, revoked, expired, tampered = issue(
        own, key, IssueRequest("analyst", "f@example.org", "=1+2"),
        IssueRequest("member", "r@example.org", "Rex Revoked"),
        IssueRequest("member", "e@example.org", "Eve Expired",
                     date=datetime(2025, 1, 10, tzinfo=UTC)),
        IssueRequest("leader", "t@example.org", "Tom Tampered"))
    revoke(own, revoked.path.stem, "Issued in error", key, public=True, now=NOW)
    own_out = build(own, now=NOW).out_dir
    page = (own_out / f"credentials/{tampered.path.stem}/index.html").read_text()
    forged = page.replace('"identityHash": "Tom Tampered"', '"identityHash": "Mallory Forger"')
    assert forged != page
    (own_out / "credentials/tampered").mkdir()
    (own_out / "credentials/tampered/index.html").write_text(forged)

    # a hostile page: scripts, an image, a stylesheet, a JSON-LD block that is no credential
    # and a credential with a key written twice (nothing of it may run or load)
    signed = (own_out / f"credentials/{valid[0].path.stem}/credential.json").read_text()
    (own_out / "credentials/hostile").mkdir()
    (own_out / "credentials/hostile/index.html").write_text(HOSTILE.replace(
        "CREDENTIAL", signed.replace("{", '{"name": "Twice", ', 1)))

    other = copy_site("basic", tmp / "other")
    toml = other / "site_src/site.toml"
    toml.write_text(toml.read_text().replace(OWN_BASE, OTHER)
                    .replace('name = "Test Issuer"', 'name = "Other Issuer"'))
    okey = keyed_site(other, tmp / "secret/other.key")
    o_valid, o_revoked = issue(other, okey, IssueRequest("leader", "x@example.org", "Oz Other"),
                               IssueRequest("member", "y@example.org", "Olga Other"))
    revoke(other, o_revoked.path.stem, "Left the program", okey, now=NOW)
    other_out = build(other, now=NOW).out_dir
    return {"own": own_out, "other": other_out, "valid": [r.path.stem for r in valid],
            "formula": formula.path.stem, "revoked": revoked.path.stem,
            "expired": expired.path.stem, "o_valid": o_valid.path.stem,
            "o_revoked": o_revoked.path.stem}


def open_verify(browser, serve_dir, sites, width: int = 1280, axe: bool = False):
    """/verify/ of this site (clock fixed, requests and errors recorded), with the other
    issuer's https address answered by its own server on another port, and every other https
    address unreachable. Playwright may add CORS headers to what a route fulfils, so each of
    the other site's own answers is recorded: it must allow other sites to read it."""
    url = serve_dir(sites["own"])
    other = serve_dir(sites["other"])
    context = browser.new_context(viewport={"width": width, "height": 900})
    if axe:
        context.add_init_script(path=str(AXE))
    context.add_init_script(script=WATCH_SUMMARY)
    context.add_init_script(script=COUNT_FETCHES)
    page = context.new_page()
    page.clock.set_fixed_time(NOW)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    cors: dict[str, str | None] = {}

    def from_other(route) -> None:
        response = route.fetch(url=other + route.request.url[len(OTHER):])
        cors[route.request.url] = response.headers.get("access-control-allow-origin")
        route.fulfill(response=response)

    page.route("https://**", lambda route: route.abort())
    page.route(OTHER + "**", from_other)
    page.goto(url + "verify/")
    return url, context, page, requests, errors, cors


# How many credential addresses are being fetched at once (issuer documents aside); each
# answer waits a moment, so that a missing limit would show.
COUNT_FETCHES = """window.__fetching = { now: 0, most: 0 };
const pageFetch = window.fetch;
window.fetch = async (...args) => {
  const url = String(args[0]);
  if (/issuer\\.json$|\\/status\\//.test(url)) return pageFetch(...args);
  const f = window.__fetching;
  f.now += 1; f.most = Math.max(f.most, f.now);
  try {
    await new Promise((resolve) => setTimeout(resolve, 30));
    return await pageFetch(...args);
  } finally { f.now -= 1; }
};"""


# Every text the bulk summary takes, from before the page's own scripts run.
WATCH_SUMMARY = """window.__summaries = [];
new MutationObserver(() => {
  const s = document.getElementById("bulk-summary");
  if (s && s.textContent) window.__summaries.push([s.textContent, s.getAttribute("role")]);
}).observe(document, { childList: true, characterData: true, subtree: true });"""


def addresses(url: str, s: dict) -> list[tuple[str, str, str]]:
    """(address, verdict, failing check) for 20 lines; this site's credentials by their local
    address, by their published one (read from this server: local preview) and as JSON."""
    own = lambda uuid: url + f"credentials/{uuid}/"  # noqa: E731
    rows = [(own(u), "Genuine and current", "") for u in s["valid"][:6]]
    rows += [(OWN_BASE + f"credentials/{s['valid'][6]}/", "Genuine and current", ""),
             (url + f"credentials/{s['valid'][7]}/credential.json", "Genuine and current", ""),
             (own(s["formula"]), "Genuine and current", ""),
             (own(s["revoked"]), "Genuine, but revoked", "revocation"),
             (own(s["expired"]), "Genuine, but expired", "dates"),
             (url + "credentials/tampered/", "NOT AUTHENTIC", "signature"),
             (url + "badges/member/", "Not checked", "source"),
             (url + "credentials/no-such-credential/", "Not checked", "source"),
             (GONE, "Not checked", "source"),
             (OTHER + f"credentials/{s['o_valid']}/", "Genuine and current", ""),
             (OTHER + f"credentials/{s['o_valid']}/credential.json", "Genuine and current", ""),
             (OTHER + f"credentials/{s['o_revoked']}/", "Genuine, but revoked", "revocation"),
             (OTHER + f"credentials/{s['o_revoked']}/badge.svg", "Genuine, but revoked",
              "revocation"),
             (url + "credentials/", "Not checked", "source")]
    assert len(rows) == 20
    return rows


def table(page) -> list[list[str]]:
    return page.eval_on_selector_all(
        "#bulk-table tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))")


def run(page, lines: list[str]) -> None:
    page.fill("#bulk-addresses", "\n".join(lines))
    page.click("#bulk-form button[type=submit]")
    page.wait_for_selector("#bulk-results[data-state=done]", timeout=60000)


def test_twenty_addresses_verdicts_sorting_and_csv(browser, serve_dir, sites) -> None:
    url, context, page, _, errors, cors = open_verify(browser, serve_dir, sites)
    expected = addresses(url, sites)
    run(page, [a for a, _, _ in expected])
    rows = table(page)
    assert [r[0] for r in rows] == [str(i) for i in range(1, 21)]
    assert [r[1] for r in rows] == [a for a, _, _ in expected]
    assert [r[6] for r in rows] == [v for _, v, _ in expected], rows
    checks = page.eval_on_selector_all(
        "#bulk-table tbody tr", "rows => rows.map(r => r.cells[7].dataset.check || '')")
    assert checks == [c for _, _, c in expected], rows
    by_source = {r[1]: r for r in rows}
    first = by_source[url + f"credentials/{sites['valid'][0]}/"]
    # the issuer's name as it signed it, and the host of its identifier, where its keys are
    assert first[2:6] == ["Ada 01", "Council Member", "Test Issuer (badges.test.example)",
                          "2026-06-01"]
    assert by_source[OTHER + f"credentials/{sites['o_valid']}/"][2:5] == [
        "Oz Other", "Council Leader", "Other Issuer (other.test.example)"]
    assert by_source[url + "credentials/tampered/"][2] == "Mallory Forger"
    assert by_source[url + "credentials/tampered/"][7].startswith("Signature: ")
    assert by_source[url + f"credentials/{sites['revoked']}/"][7].startswith(
        "Revocation: Revoked by the issuer")
    assert by_source[url + "badges/member/"][7] == "No credential on this page."
    assert by_source[url + "credentials/no-such-credential/"][7] == (
        "Could not fetch: the site answered HTTP 404.")
    assert by_source[GONE][7].startswith("Could not fetch: network error")
    summary = "20 checked: 11 valid, 3 revoked, 1 expired, 1 not authentic, 4 not checked."
    assert page.text_content("#bulk-summary") == summary
    # announced once, when all are done, by a live region made before it was written
    assert page.evaluate("window.__summaries") == [[summary, "status"]]
    assert cors and set(cors.values()) == {"*"}, cors  # the other site's pages, JSON, image
    assert page.evaluate("window.__fetching.most") == 4  # four at a time

    # sort by earner (A-Z, then Z-A): the header says so to assistive technology
    page.click("#bulk-table th[data-col=earner] button")
    assert page.get_attribute("#bulk-table th[data-col=earner]", "aria-sort") == "ascending"
    assert page.get_attribute("#bulk-table th[data-col=number]", "aria-sort") is None
    ascending = sorted(rows, key=lambda r: (r[2].casefold(), int(r[0])))
    assert table(page) == ascending
    page.click("#bulk-table th[data-col=earner] button")
    assert page.get_attribute("#bulk-table th[data-col=earner]", "aria-sort") == "descending"
    assert table(page) == ascending[::-1]

    # the export: exactly the table's rows in the table's order, formulas neutralized
    with page.expect_download() as info:
        page.click("#bulk-export")
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    records = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    header = page.eval_on_selector_all("#bulk-table thead th",
                                       "ths => ths.map(t => t.textContent.trim())")
    assert records[0] == header == ["No.", "Source", "Earner", "Badge", "Issuer", "Issued",
                                    "Verdict", "Failing check"]
    shown = table(page)
    neutral = [[("'" + c) if c[:1] in ("=", "+", "-", "@") else c for c in r] for r in shown]
    assert records[1:] == neutral
    assert ["'=1+2"] == [r[2] for r in records[1:] if "1+2" in r[2]]
    assert b'"Ada 06, ""the Countess"""' in data
    assert not [e for e in errors if not e.startswith("Failed to load resource")]  # 404, gone
    context.close()


def test_only_the_given_addresses_and_issuer_documents_are_requested(
        browser, serve_dir, sites, tmp_path: Path) -> None:
    url, context, page, requests, errors, _ = open_verify(browser, serve_dir, sites)
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method != "GET" else None)
    expected = addresses(url, sites)
    refused = ["http://10.0.0.1/credentials/x/", "https://127.0.0.1:9/credentials/y/",
               "not an address"]
    # and files: a credential.json, a baked SVG, and a file that is no credential
    files = []
    own = sites["own"] / "credentials"
    for name, body in [("one.json", (own / sites["valid"][0] / "credential.json").read_bytes()),
                       ("two.svg", (own / sites["valid"][1] / "badge.svg").read_bytes()),
                       ("notes.txt", b"hello")]:
        (tmp_path / name).write_bytes(body)
        files.append(str(tmp_path / name))
    page.set_input_files("#bulk-files", files)
    assert "3 files to check" in page.text_content("#bulk-file-names")
    # and a real drop of another file onto the drop zone
    dropped = (sites["other"] / f"credentials/{sites['o_revoked']}/credential.json").read_text()
    transfer = page.evaluate_handle("""([name, text]) => {
        const dt = new DataTransfer();
        dt.items.add(new File([text], name, { type: "application/json" }));
        return dt; }""", ["dropped.json", dropped])
    page.dispatch_event("#bulk-drop", "drop", {"dataTransfer": transfer})
    assert "4 files to check" in page.text_content("#bulk-file-names")
    requests.clear()
    bare = OTHER.removeprefix("https://") + f"credentials/{sites['o_valid']}/"
    hostile = url + "credentials/hostile/"
    run(page, [a for a, _, _ in expected] + refused + [bare, hostile])
    rows = table(page)
    assert len(rows) == 29
    by_source = {r[1]: r for r in rows}
    # the hostile page: its credential read strictly, nothing of the page run or loaded
    assert by_source[hostile][6] == "NOT AUTHENTIC"
    assert by_source[hostile][7].startswith("Format: ") and "'name'" in by_source[hostile][7]
    assert page.evaluate("window.__ran") is None
    assert by_source[bare][6] == "Genuine and current"  # no scheme: https
    assert by_source["http://10.0.0.1/credentials/x/"][7] == (
        "Not fetched: only https addresses are fetched.")
    assert by_source["https://127.0.0.1:9/credentials/y/"][7].startswith(
        "Not fetched: it is a private, local or reserved network address")
    assert by_source["not an address"][7].startswith("Not fetched: it is not a web address")
    assert by_source["one.json"][6] == by_source["two.svg"][6] == "Genuine and current"
    assert by_source["notes.txt"][6] == "NOT AUTHENTIC"  # no credential: format fails
    assert by_source["dropped.json"][2:7] == [
        "Olga Other", "Council Member", "Other Issuer (other.test.example)", "2026-06-01",
        "Genuine, but revoked"]

    def local(address: str) -> str:
        return url + address[len(OWN_BASE):] if address.startswith(OWN_BASE) else address

    given = {local(a) for a, _, _ in expected} | {hostile}
    status_own = json.loads((sites["own"] / f"credentials/{sites['valid'][0]}/credential.json")
                            .read_text())["credentialStatus"]["statusListCredential"]
    status_other = json.loads((sites["other"] / f"credentials/{sites['o_valid']}/credential.json")
                              .read_text())["credentialStatus"]["statusListCredential"]
    documents = {url + "issuer.json", local(status_own), OTHER + "issuer.json", status_other}
    assert set(requests) == given | documents, set(requests) ^ (given | documents)
    # each issuer's documents fetched once for the whole list
    for doc in documents:
        assert requests.count(doc) == 1, (doc, requests.count(doc))
    assert not posts
    assert all(urlsplit(r).hostname in ("127.0.0.1", "other.test.example", "gone.test.example")
               for r in requests)
    # the parsed hostile page is inert (no scripts, no loads), and under this page's CSP too:
    # Chromium reports its onerror attribute as refused
    assert [e for e in errors if not e.startswith("Failed to load resource")] == [
        e for e in errors if e.startswith("Executing inline event handler violates")]

    # cleared while checking: the rest of the list is not fetched, and late answers void
    page.click("#bulk-form button[type=reset]")
    requests.clear()
    page.fill("#bulk-addresses", "\n".join(a for a, _, _ in expected))
    page.click("#bulk-form button[type=submit]")
    page.click("#bulk-form button[type=reset]")
    page.wait_for_timeout(1500)
    assert len(requests) < 20 and page.is_hidden("#bulk-results")
    assert table(page) == [] and page.text_content("#bulk-file-names") == ""

    # over the cap: a clear message, nothing fetched
    requests.clear()
    run_over = [url + f"credentials/{i}/" for i in range(201)]
    page.fill("#bulk-addresses", "\n".join(run_over))
    page.click("#bulk-form button[type=submit]")
    page.wait_for_selector("#bulk-summary:has-text('at most 200')")
    assert page.text_content("#bulk-summary") == (
        "That is 201 credentials; at most 200 are checked at once. Split the list and check "
        "each part.")
    assert requests == []
    context.close()


@pytest.mark.parametrize("width", [1280, 320])
def test_the_results_table_is_accessible(browser, serve_dir, sites, width: int) -> None:
    url, context, page, _, _, _ = open_verify(browser, serve_dir, sites, width, axe=True)
    run(page, [a for a, _, _ in addresses(url, sites)])
    page.click("#bulk-table th[data-col=verdict] button")
    page.focus("#bulk-table th[data-col=issued] button")
    page.keyboard.press("Enter")  # a real button: the keyboard sorts too
    assert page.get_attribute("#bulk-table th[data-col=issued]", "aria-sort") == "ascending"
    assert axe_violations(page) == []
    assert sideways(page) is None  # the table scrolls in its own box, the page does not
    context.close()
