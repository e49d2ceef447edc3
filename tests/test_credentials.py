"""Keys, issuing (single and CSV), what a credential carries, how the build and `verify`
treat good and bad credentials."""

from __future__ import annotations

import base64
import copy
import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import base58
import pytest
from badgepress.build.pipeline import build
from badgepress.cli import main
from badgepress.commands.issue import IssueRequest, requests_from_csv
from badgepress.core.errors import BuildError
from badgepress.trust import proof
from badgepress.trust.keys import (
    KeyProblem,
    SigningKey,
    add_key,
    load_key_history,
    load_signing_key,
    save_new_key,
)
from badgepress.trust.ld import UnsafeDocument
from badgepress.trust.resolve import LocalResolver, OfflineResolver
from badgepress.trust.verify import email_hash, verify_credential
from click.testing import CliRunner
from conftest import NOW, issue, soup

ISSUER = "https://badges.test.example/issuer.json"


def cred(path: Path) -> dict:
    return json.loads(path.read_text())


def test_keygen_cli_writes_private_key_outside_with_0600_and_publishes_public(
        basic_site: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    key_file = tmp_path / "k" / "issuer.key"
    res = runner.invoke(main, ["-C", str(basic_site), "keygen", "--key", str(key_file)])
    assert res.exit_code == 0, res.output
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    first = load_key_history(basic_site)
    assert len(first) == 1 and first[0].public_key_multibase.startswith("z6Mk")
    # the id its proofs name, which verifiers can load (not 0.1's issuer.json#… form)
    assert (f"key id: https://badges.test.example/issuer/keys/"
            f"{first[0].public_key_multibase}.json ") in res.output
    assert "secretKeyMultibase" not in (basic_site / "site_src/issuer/keys.json").read_text()
    # a second keygen adds a current key and keeps the old one published
    res = runner.invoke(main, ["-C", str(basic_site), "keygen", "--key",
                               str(tmp_path / "k" / "second.key")])
    assert res.exit_code == 0, res.output
    assert [k.public_key_multibase for k in load_key_history(basic_site)][0] == \
        first[0].public_key_multibase
    out = build(basic_site).out_dir
    profile = json.loads((out / "issuer.json").read_text())
    # every context one the verifiers' npm packages bundle (cid/v1 is fetched from w3.org)
    assert profile["@context"] == ["https://www.w3.org/ns/did/v1",
                                   "https://www.w3.org/ns/credentials/v2",
                                   "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
                                   "https://w3id.org/security/multikey/v1"]
    assert profile["id"] == ISSUER and profile["type"] == ["Profile"]
    assert len(profile["verificationMethod"]) == 2
    for vm in profile["verificationMethod"]:
        assert vm["type"] == "Multikey" and vm["controller"] == ISSUER
        mb = vm["publicKeyMultibase"]
        assert vm["id"] == f"https://badges.test.example/issuer/keys/{mb}.json"
        assert vm["id"] in profile["assertionMethod"]
        # the key's own document, where its id points, says the same
        key_doc = json.loads((out / f"issuer/keys/{mb}.json").read_text())
        assert key_doc == {"@context": ["https://w3id.org/security/multikey/v1"], **vm}
    # refusals: no path, inside the site, overwrite, readable by others
    res = runner.invoke(main, ["-C", str(basic_site), "keygen"], env={"BADGEPRESS_KEY": ""})
    assert res.exit_code == 2 and "--key PATH or BADGEPRESS_KEY" in res.output
    res = runner.invoke(main, ["-C", str(basic_site), "keygen", "--key",
                               str(basic_site / "issuer.key")])
    assert res.exit_code == 1 and "must be kept outside the site folder" in res.output
    assert not (basic_site / "issuer.key").exists()
    res = runner.invoke(main, ["-C", str(basic_site), "keygen", "--key", str(key_file)])
    assert res.exit_code == 1 and "refusing to overwrite" in res.output
    os.chmod(key_file, 0o644)
    with pytest.raises(KeyProblem, match="readable by other users"):
        load_signing_key(key_file, basic_site)


def test_issued_credential_content(keyed) -> None:
    site, key, _ = keyed
    [r] = issue(site, key, IssueRequest("member", " Ada@Example.org ", "Ada Lovelace",
                                        "https://example.org/ada", "Chaired **5** meetings",
                                        datetime(2026, 3, 1, tzinfo=UTC)))
    doc = cred(r.path)
    text = r.path.read_text()
    assert "ada@example.org" not in text.lower()
    assert doc["@context"] == ["https://www.w3.org/ns/credentials/v2",
                               "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    assert doc["id"].startswith("urn:uuid:") and r.path.name == doc["id"][9:] + ".json"
    assert doc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert doc["issuer"]["id"] == ISSUER and doc["issuer"]["type"] == ["Profile"]
    assert doc["validFrom"] == "2026-03-01T00:00:00Z"
    assert doc["validUntil"] == "2027-03-01T00:00:00Z"  # member is valid_for P1Y
    subject = doc["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert set(subject) == {"type", "identifier", "achievement"}  # schema: no extra keys
    email_id, name_id = subject["identifier"]
    assert email_id["hashed"] is True and email_id["identityType"] == "emailAddress"
    assert email_id["identityHash"] == email_hash("ada@example.org", email_id["salt"])
    assert name_id == {"type": "IdentityObject", "identityHash": "Ada Lovelace",
                       "identityType": "name", "hashed": False}
    assert subject["achievement"]["id"] == "https://badges.test.example/badges/member/"
    assert doc["evidence"] == [{"type": ["Evidence"], "id": "https://example.org/ada",
                                "narrative": "Chaired **5** meetings"}]
    assert isinstance(doc["proof"], list) and len(doc["proof"]) == 1  # 1EdTech's schema
    p = doc["proof"][0]
    assert (p["type"], p["cryptosuite"], p["proofPurpose"]) == (
        "DataIntegrityProof", "eddsa-rdfc-2022", "assertionMethod")
    # its own document at a fragment-free URL: HTTP document loaders can fetch it
    assert p["verificationMethod"] == \
        f"https://badges.test.example/issuer/keys/{key.public_multibase}.json"


def test_build_publishes_credential_pages_and_verifies_them(keyed) -> None:
    site, key, _ = keyed
    named, anon = issue(site, key,
                        IssueRequest("leader", "ada@example.org", "Ada Lovelace",
                                     narrative="Ran a <script>x()</script> *workshop*"),
                        IssueRequest("leader", "bob@example.org"))
    result = build(site, now=NOW)
    out = result.out_dir
    uuid = named.path.stem
    page = soup(out / f"credentials/{uuid}/index.html")
    assert page.select_one(".earner").get_text() == "Ada Lovelace"
    assert page.select_one("h1 a")["href"] == "../../badges/leader/"
    assert (out / f"credentials/{uuid}/credential.json").read_bytes() == named.path.read_bytes()
    embedded = json.loads(page.select_one("#credential-data").string)
    assert embedded == cred(named.path)
    evidence = page.select_one(".evidence")
    assert evidence.select_one("em").get_text() == "workshop" and not evidence.select("script")
    assert page.select_one('meta[property="og:title"]')["content"] == \
        "Ada Lovelace earned Council Leader"
    linkedin = page.find("a", string="Add to LinkedIn profile")["href"]
    assert linkedin.startswith("https://www.linkedin.com/profile/add?startTask=")
    assert f"certId={uuid}" in linkedin
    anon_page = soup(out / f"credentials/{anon.path.stem}/index.html")
    assert anon_page.select_one(".earner").get_text() == "Name withheld"
    badge_page = soup(out / "badges/leader/index.html")
    # named, but not opted in to an earner page: named only on her own credential page
    assert badge_page.select("#earners a") == []
    assert "Ada Lovelace" not in badge_page.get_text()
    assert "Awarded fewer than 5 times" in badge_page.select_one("#earners").get_text()


def test_csv_bulk_issue_reports_bad_rows_and_skips_duplicates(keyed, tmp_path: Path) -> None:
    site, _, key_file = keyed
    runner = CliRunner()
    bad = tmp_path / "bad.csv"
    # rows that cannot be read (a date, earner_page) and rows that name what is not there,
    # all reported by the one run, in line order
    bad.write_text("badge,email,name,date,earner_page\nmember,a@example.org,A,,\n"
                   "membr,b@example.org,,,\nleader,not-an-email,,,\n"
                   "member,c@example.org,,2025-02-30,\nmember,d@example.org,D,,maybe\n"
                   "member,e@example.org,,2999-01-01,\n")
    res = runner.invoke(main, ["-C", str(site), "issue", "--csv", str(bad), "--key",
                               str(key_file)])
    assert res.exit_code == 1
    errors = [line for line in res.output.splitlines() if line.startswith("error: ")]
    assert [e.split(":")[2] for e in errors[:4]] == ["3", "4", "5", "6"], res.output
    assert f"{bad}:3: badge 'membr' does not exist (did you mean 'member'?)" in res.output
    assert f"{bad}:4: 'not-an-email' is not an email address" in res.output
    assert f"{bad}:5: date: " in res.output and f"{bad}:6: earner_page: " in res.output
    assert f"{bad}:7: date 2999-01-01T00:00:00Z is in the future" in res.output  # this run
    assert not list((site / "site_src/credentials").glob("*.json"))  # nothing half-done
    good = tmp_path / "good.csv"
    good.write_text("badge,email,name,date\nmember,a@example.org,A,2026-02-01\n"
                    "analyst,b@example.org,,2026-02-02\nmember,A@example.org,,2026-02-03\n")
    args = ["-C", str(site), "issue", "--csv", str(good), "--key", str(key_file)]
    res = runner.invoke(main, args)
    assert res.exit_code == 0, res.output
    assert "2 credentials issued, 1 skipped" in res.output
    assert f"skipped {good}:4: member: the same badge and email as a row above, issued in " \
        "this run" in res.output
    res = runner.invoke(main, args)
    assert "0 credentials issued, 3 skipped" in res.output
    assert f"skipped {good}:2: member: already issued to that email" in res.output
    assert len(list((site / "site_src/credentials").glob("*.json"))) == 2
    old = tmp_path / "old.csv"  # an HR export of long ago: issued as asked, and said so
    old.write_text("badge,email,date\nmember,f@example.org,2020-01-01\n")
    res = runner.invoke(main, ["-C", str(site), "issue", "--csv", str(old), "--key",
                               str(key_file)])
    assert res.exit_code == 0 and f"warning: {old}:2: dated 2020-01-01, it expired on " \
        "2021-01-01 already" in res.output, res.output


@pytest.mark.parametrize("evidence, named", [
    ("https://example.org/a b", "a space"), ('https://example.org/a"b', "a double quote"),
    ("https://example.org/<a>", "'<'"), ("https://example.org/{a}", "'{'"),
    ("https://example.org/a|b", "'|'"), ("https://example.org/a^b", "'^'"),
    ("https://example.org/a\\b", "a backslash"), ("https://example.org/a`b", "a backtick")])
def test_issue_refuses_evidence_that_verifiers_would_read_two_ways(keyed, evidence,
                                                                   named) -> None:
    """pyld and jsonld.js canonicalize such IRIs differently: signed by one, the other says
    the signature does not match. Refused at issue time, naming the field (both verifiers
    refuse them too: the bad-id cases of the shared corpus)."""
    site, _, key_file = keyed
    res = CliRunner().invoke(main, ["-C", str(site), "issue", "--badge", "member", "--email",
                                    "a@example.org", "--evidence", evidence, "--key",
                                    str(key_file)])
    assert res.exit_code == 1
    assert (f"evidence '{evidence}' contains {named}, which an IRI cannot contain unencoded; "
            "percent-encode it (a space is %20)") in res.output
    assert not list((site / "site_src/credentials").glob("*.json"))


def test_secrets_never_reach_the_site(keyed, monkeypatch) -> None:
    site, key, key_file = keyed
    issue(site, key, IssueRequest("member", "secret.person@example.org", "Ada"))
    monkeypatch.setenv("BADGEPRESS_KEY", str(key_file))
    out = build(site, now=NOW).out_dir
    forms = [key.seed.hex(), base58.b58encode(key.seed).decode(),
             base64.b64encode(key.seed).decode().rstrip("="),
             json.loads(key_file.read_text())["secretKeyMultibase"]]
    for f in out.rglob("*"):
        if f.is_file():
            data = f.read_bytes().decode("utf-8", "replace")
            assert "secret.person@example.org" not in data
            assert not any(form in data for form in forms), f
    # an earner name that is an email address is refused by the build (issue refuses it
    # too now; a credential signed by an older badgepress may still carry one)
    monkeypatch.setattr("badgepress.commands.issue.emails_in", lambda text: set())
    issue(site, key, IssueRequest("analyst", "x@example.org", "leak@example.org"))
    with pytest.raises(BuildError, match="would publish the email address leak@example.org"):
        build(site, now=NOW)


def _write(site: Path, doc: dict) -> Path:
    path = site / "site_src/credentials" / (doc["id"][9:] + ".json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2))
    return path


def test_tampered_credential_fails_build_and_verify(keyed) -> None:
    site, key, _ = keyed
    [r] = issue(site, key, IssueRequest("member", "a@example.org", "Ada"))
    out = build(site, now=NOW).out_dir
    before = (out / "index.html").read_bytes()
    doc = cred(r.path)
    doc["credentialSubject"]["identifier"][1]["identityHash"] = "Mallory"
    r.path.write_text(json.dumps(doc, indent=2))
    with pytest.raises(BuildError) as info:
        build(site, now=NOW)
    messages = [str(p) for p in info.value.problems]
    assert messages[0].startswith(f"site_src/credentials/{r.path.name}: changed since it was "
                                  "logged")
    assert messages[1].startswith(f"site_src/credentials/{r.path.name}: signature check "
                                  "failed: The signature does not match")
    assert (out / "index.html").read_bytes() == before
    res = CliRunner().invoke(main, ["-C", str(site), "verify", str(r.path), "--json",
                                    "--now", "2026-06-02T00:00:00Z"])
    assert res.exit_code == 1
    data = json.loads(res.output)
    assert data["verdict"] == "invalid"
    assert [(c["check"], c["status"]) for c in data["checks"]] == [
        ("format", "pass"), ("issuer", "pass"), ("signature", "fail"), ("dates", "pass"),
        ("revocation", "unknown")]  # a forged credential's status list is never fetched


def _resign(doc: dict, key: SigningKey, vm: str) -> dict:
    unsigned = {k: v for k, v in doc.items() if k != "proof"}
    return proof.sign(unsigned, key, vm, "2026-05-01T00:00:00Z")


@pytest.mark.parametrize("change, message", [
    (lambda d: d.__setitem__("foo", "bar"), "property 'foo' is not defined"),
    (lambda d: d["credentialSubject"]["achievement"].__setitem__("id", "badges/member/"),
     "id 'badges/member/' is relative"),
    (lambda d: d["@context"].append("https://example.org/my-context.json"),
     "unknown JSON-LD context 'https://example.org/my-context.json'"),
])
def test_undefined_relative_or_unknown_context_refused_by_sign_build_and_verify(
        keyed, change, message) -> None:
    site, key, _ = keyed
    [r] = issue(site, key, IssueRequest("member", "a@example.org"))
    doc = {k: v for k, v in cred(r.path).items() if k != "proof"}
    change(doc)
    with pytest.raises(UnsafeDocument, match=message):
        proof.sign(doc, key, f"{ISSUER}#{key.public_multibase}", "2026-05-01T00:00:00Z")
    # signed anyway by a careless tool: canonicalized without safe mode
    doc["proof"] = cred(r.path)["proof"]
    _write(site, doc)
    with pytest.raises(BuildError, match="format check failed"):
        build(site, now=NOW)
    result = verify_credential(doc, OfflineResolver(), NOW)
    assert result.check("format").status == "fail"
    assert message.split("'")[1] in result.check("format").message
    assert result.verdict == "invalid"


def test_key_not_in_profile_refused_by_issue_build_and_verify(keyed, tmp_path: Path) -> None:
    site, key, _ = keyed
    stranger = SigningKey.generate()
    save_new_key(stranger, tmp_path / "stranger.key", site)
    with pytest.raises(KeyProblem, match="not one of the site's published keys"):
        issue(site, load_signing_key(tmp_path / "stranger.key", site),
              IssueRequest("member", "a@example.org"))
    [r] = issue(site, key, IssueRequest("member", "a@example.org"))
    forged = _resign(cred(r.path), stranger, f"{ISSUER}#{stranger.public_multibase}")
    r.path.write_text(json.dumps(forged))
    with pytest.raises(BuildError, match="issuer check failed: The key .* is not one of the "
                                         "keys Test Issuer publishes"):
        build(site, now=NOW)
    from badgepress.build.credential_stage import site_resolver
    from badgepress.build.pipeline import load_site

    result = verify_credential(forged, site_resolver(load_site(site)[0]), NOW)
    assert result.check("issuer").code == "issuer.not_listed"
    assert result.check("signature").status == "pass"  # checked with the key it names
    assert result.verdict == "invalid"


def test_controller_mismatch_and_document_id_mismatch_fail(keyed) -> None:
    site, key, _ = keyed
    [r] = issue(site, key, IssueRequest("member", "a@example.org"))
    doc = cred(r.path)
    vm = doc["proof"][0]["verificationMethod"]
    files = build(site, now=NOW).files
    profile = json.loads(files["issuer.json"])
    url = doc["credentialStatus"]["statusListCredential"]
    lists = {url: json.loads(files[url.removeprefix("https://badges.test.example/")])}
    other = copy.deepcopy(profile)
    other["verificationMethod"][0]["controller"] = "https://evil.example/issuer.json"
    result = verify_credential(doc, LocalResolver({ISSUER: other} | lists), NOW)
    assert result.check("issuer").code == "issuer.controller"
    assert "controlled by https://evil.example/issuer.json" in result.check("issuer").message
    moved = copy.deepcopy(profile) | {"id": "https://evil.example/issuer.json"}
    assert verify_credential(doc, LocalResolver({ISSUER: moved} | lists), NOW).check(
        "issuer").code == "issuer.id_mismatch"
    unauthorised = copy.deepcopy(profile) | {"assertionMethod": []}
    assert verify_credential(doc, LocalResolver({ISSUER: unauthorised} | lists), NOW).check(
        "issuer").code == "issuer.not_assertion"
    ok = verify_credential(doc, LocalResolver({ISSUER: profile} | lists), NOW)
    assert ok.verdict == "valid" and vm in profile["assertionMethod"]


def test_did_web_issuer(basic_site: Path, tmp_path: Path) -> None:
    toml = basic_site / "site_src/site.toml"
    toml.write_text(toml.read_text() + 'id = "did:web"\n')
    key = SigningKey.generate()
    save_new_key(key, tmp_path / "k.key", basic_site)
    add_key(basic_site, key)
    [r] = issue(basic_site, key, IssueRequest("member", "a@example.org"))
    doc = cred(r.path)
    assert doc["issuer"]["id"] == "did:web:badges.test.example"
    assert doc["proof"][0]["verificationMethod"] == \
        f"did:web:badges.test.example#{key.public_multibase}"
    result = build(basic_site, now=NOW)
    did = json.loads(result.files[".well-known/did.json"])
    assert did["id"] == "did:web:badges.test.example"
    assert "issuer.json" not in result.files
    ok = verify_credential(doc, LocalResolver({
        "https://badges.test.example/.well-known/did.json": did,
        doc["credentialStatus"]["statusListCredential"]: json.loads(result.files[
            doc["credentialStatus"]["statusListCredential"].removeprefix(
                "https://badges.test.example/")])}),
        NOW)
    assert ok.verdict == "valid", ok.to_json()
    assert "DID document" in ok.check("issuer").message


def test_did_key_issuer_verifies_offline() -> None:
    key = SigningKey.generate()
    did = f"did:key:{key.public_multibase}"
    doc = {"@context": ["https://www.w3.org/ns/credentials/v2"],
           "id": "urn:uuid:6b6b3a1e-5f43-4d83-9d2c-3a0f5b0e1c11",
           "type": ["VerifiableCredential"], "issuer": did,
           "validFrom": "2026-01-01T00:00:00Z",
           "credentialSubject": {"id": "did:example:someone"}}
    signed = proof.sign(doc, key, f"{did}#{key.public_multibase}", "2026-01-01T00:00:00Z")
    result = verify_credential(signed, OfflineResolver(), NOW)
    assert result.verdict == "valid", result.to_json()
    assert result.check("issuer").code == "issuer.did_key"


def test_verify_cli_human_output_and_exit_codes(keyed, tmp_path: Path) -> None:
    site, key, _ = keyed
    [r] = issue(site, key, IssueRequest("member", "a@example.org"))
    runner = CliRunner()
    res = runner.invoke(main, ["-C", str(site), "verify", str(r.path), "--now",
                               "2026-06-02T00:00:00Z"])
    assert res.exit_code == 0, res.output
    assert f"{r.path}: VALID" in res.output
    assert "pass    signature  The signature is valid" in res.output
    res = runner.invoke(main, ["-C", str(site), "verify", str(r.path), "--now",
                               "2027-06-02T00:00:00Z"])
    assert res.exit_code == 1 and "fail    dates      Expired on 2027-06-01" in res.output
    res = runner.invoke(main, ["-C", str(site), "verify", str(r.path), "--email",
                               "A@example.org", "--now", "2026-06-02T00:00:00Z", "--json"])
    assert json.loads(res.output)["checks"][-1] == {
        "check": "recipient", "status": "pass", "code": "recipient.match",
        "message": "The email address matches the credential's recipient."}
    missing = runner.invoke(main, ["-C", str(tmp_path), "verify", str(tmp_path / "nope.json"),
                                   "--offline"])
    assert missing.exit_code == 2 and "Could not read a credential" in missing.output
    assert runner.invoke(main, ["verify"]).exit_code == 2


def test_verify_now_takes_a_plain_date_as_issue_date_does(keyed) -> None:
    """--now 2030-01-01 was refused as "not a date-time" although the help says ISO 8601
    and issue --date takes a plain date: it is that day's 00:00:00Z."""
    site, key, _ = keyed
    [r] = issue(site, key, IssueRequest("member", "a@example.org"))  # 2026-06-01T12:00:00Z

    def verify(now: str):
        return CliRunner().invoke(main, ["-C", str(site), "verify", str(r.path), "--now", now])

    assert verify("2026-06-01").exit_code == 1  # 00:00, before the credential's 12:00
    assert "Not valid yet: valid from 2026-06-01" in verify("2026-06-01").output
    assert verify("2027-06-01").exit_code == 0  # 00:00, before it expires at 12:00
    assert "Expired on 2027-06-01" in verify("2027-06-02").output
    bad = verify("2030-13-01")
    assert bad.exit_code == 2 and "Invalid value for --now: '2030-13-01' is not a date of " \
        "the calendar (write it as 2026-03-01 or 2026-03-01T09:00:00Z)" in bad.output


def test_csv_header_as_a_spreadsheet_writes_it(keyed, tmp_path: Path) -> None:
    """'Badge,Email,Name' (capitalised, spaced) names the columns; a file saved with ';'
    says so; an unknown column is refused, saying it would otherwise be lost."""
    site, key, _ = keyed
    capital = tmp_path / "capital.csv"
    capital.write_text("Badge, Email ,Name\nmember,ada@example.org,Ada\n")
    [(line, req)] = requests_from_csv(capital, site)
    assert (line, req.badge, req.email, req.name) == (2, "member", "ada@example.org", "Ada")
    spaced = tmp_path / "spaced.csv"
    spaced.write_text("Badge,Email,Name,Earner Page\nmember,bo@example.org,Bo,yes\n")
    [(_, req)] = requests_from_csv(spaced, site)
    assert req.earner_page is True
    for text, hint in (("badge;email\nmember;ada@example.org\n", "separated by ';'"),
                       ("badge,email,notes\nmember,ada@example.org,x\n", "unknown: notes"),
                       ("badge,Email,email\nmember,a@example.org,b@example.org\n",
                        "names email twice")):
        bad = tmp_path / "bad.csv"
        bad.write_text(text)
        with pytest.raises(BuildError) as info:
            requests_from_csv(bad, site)
        assert hint in str(info.value), str(info.value)


def test_issue_warns_when_the_earner_lacks_a_prerequisite(keyed, tmp_path: Path) -> None:
    """leader requires member: issued anyway (a program may award out of order), with a
    warning naming the row and the badge it lacks, unless the earner holds it, in an
    earlier issue or earlier in the same CSV."""
    site, _, key_file = keyed
    rows = tmp_path / "rows.csv"
    rows.write_text("badge,email\nleader,ada@example.org\nmember,bo@example.org\n"
                    "leader,bo@example.org\n")
    res = CliRunner().invoke(main, ["-C", str(site), "issue", "--csv", str(rows), "--key",
                                    str(key_file)])
    assert res.exit_code == 0, res.output
    warnings = [line for line in res.output.splitlines() if line.startswith("warning:")]
    assert warnings == [f"warning: {rows}:2: the earner holds no credential of member, which "
                        "leader requires (issued anyway)"], res.output
    assert "3 credentials issued" in res.output
