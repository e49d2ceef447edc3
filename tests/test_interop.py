"""Other verifiers accept what badgepress publishes: every credential and status list of the
demo and of a fresh `init` site, through the DCC stack (the library behind VerifierPlus and
the Learner Credential Wallet, configured as the wallet does) and the Digital Bazaar stack,
each with an HTTP document loader that drops URL fragments, fully offline (tests/interop).
Revoked shows revoked, a changed field fails, and a key rotation keeps old credentials valid
in all three verifiers while `key revoke` stops them.

The other direction (what the Digital Bazaar stack signs verifies here, in Python and in the
browser) is part of the shared corpus (tests/corpus.py, `signed_elsewhere`)."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import interop_harness
import pytest
from badgepress.build.pipeline import build
from badgepress.cli import main
from click.testing import CliRunner
from conftest import DEMO_NOW, REPO

DEMO_BASE = "https://badgepress-demo.netlify.app/"
INIT_BASE = "https://badges.acme.example/"
OB_SCHEMA = ("https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
             "ob_v3p0_achievementcredential_schema.json")


@pytest.fixture(autouse=True)
def harness() -> None:
    interop_harness.require()


def by_credential(results: list[dict]) -> dict[tuple[str, bool], dict]:
    return {(Path(r["source"]).parent.name if r["source"].endswith("credential.json")
             else Path(r["source"]).name, r.get("tampered", False)): r for r in results}


def assert_verdicts(results: list[dict], revoked: set[str], expired: set[str] = frozenset()
                    ) -> None:
    """Untampered: valid in both stacks, or failing exactly the status (revoked) or expiry
    check; tampered: the proof fails in both."""
    assert results
    for r in results:
        name = Path(r["source"]).parent.name
        for stack in ("dcc", "db"):
            checks = r[stack]["checks"]
            where = (r["source"], stack, r["tampered"], r[stack].get("errors"))
            if r["tampered"]:
                assert checks["proof"] == "fail" and not r[stack]["verified"], where
            elif name in revoked:
                assert checks["proof"] == "pass" and checks["status"] == "fail", where
            elif name in expired:
                assert checks["proof"] == "pass" and checks["expiry"] == "fail", where
            else:
                assert r[stack]["verified"], where
                assert checks["status"] in ("pass", "none"), where
            # nothing but the site was asked for (contexts are served locally); verifier-core
            # also asks for 1EdTech's JSON schema, a check it reports apart (not pinned here)
            assert set(r[stack]["network"].get("refused", [])) <= {OB_SCHEMA}, where


def test_demo_verifies_in_the_dcc_and_digital_bazaar_stacks(tmp_path: Path) -> None:
    out = build(REPO, tmp_path / "_site", now=DEMO_NOW).out_dir
    revoked = {c.removeprefix("urn:uuid:") for c in _revoked_ids(REPO)}
    assert len(revoked) == 1  # the demo shows a revoked credential too
    credentials = sorted(out.glob("credentials/*/credential.json"))
    assert len(credentials) == len(list((REPO / "site_src/credentials").glob("*.json")))
    (status,) = out.glob("status/*.json")  # the demo's one status list
    results = interop_harness.other_verifiers(out, DEMO_BASE, [*credentials, status],
                                              DEMO_NOW.strftime("%Y-%m-%dT%H:%M:%SZ"))
    creds = [r for r in results if r["source"].endswith("credential.json")]
    assert len(creds) == 2 * len(credentials)  # each as published, and with one field changed
    assert_verdicts(creds, revoked)
    lists = [r for r in results if r["source"].endswith(status.name)]
    assert [(r["tampered"], r["dcc"]["checks"]["proof"], r["db"]["checks"]["proof"])
            for r in lists] == [(False, "pass", "pass"), (True, "fail", "fail")]


def _revoked_ids(site: Path) -> list[str]:
    import tomllib

    path = site / "site_src/revocations.toml"
    return [r["id"] for r in tomllib.loads(path.read_text()).get("revoked", [])] \
        if path.is_file() else []


def cli(*args: str) -> str:
    res = CliRunner().invoke(main, list(args))
    assert res.exit_code == 0, res.output
    return res.output


def ours(site: Path, path: Path, now: datetime) -> dict:
    res = CliRunner().invoke(main, ["-C", str(site), "verify", "--json", "--now",
                                    now.strftime("%Y-%m-%dT%H:%M:%SZ"), str(path)])
    return json.loads(res.output)


def test_init_site_rotation_and_revocation_in_all_three_verifiers(tmp_path: Path,
                                                                  monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    site, key1, key2 = tmp_path / "acme", tmp_path / "k/one.key", tmp_path / "k/two.key"
    cli("init", str(site), "--yes", "--key", str(key1), "--base-url", INIT_BASE)
    s = ["-C", str(site)]
    for email in ("ada@example.org", "bo@example.org"):
        cli(*s, "issue", "--badge", "first-contribution", "--email", email, "--key",
            str(key1), "--date", "2026-03-01")
    [first, withdrawn] = sorted((site / "site_src/credentials").glob("*.json"),
                                key=lambda p: json.loads(p.read_text())["credentialSubject"]
                                ["identifier"][0]["salt"])
    first_copy = tmp_path / "first-as-issued.json"
    shutil.copyfile(first, first_copy)
    cli(*s, "revoke", withdrawn.stem, "--reason", "Issued in error", "--key", str(key1))
    cli(*s, "keygen", "--rotate", "--key", str(key2))
    cli(*s, "issue", "--badge", "first-contribution", "--email", "cy@example.org", "--key",
        str(key2), "--date", "2026-05-01")
    later = datetime.now(UTC).replace(microsecond=0)  # the lists were signed just now
    out = build(site, now=later).out_dir
    sources = sorted(out.glob("credentials/*/credential.json"))
    assert len(sources) == 3
    lists = sorted(out.glob("status/*.json"))  # one per key that issued
    results = interop_harness.other_verifiers(out, INIT_BASE, [*sources, *lists],
                                              later.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert_verdicts([r for r in results if r["source"].endswith("credential.json")],
                    {withdrawn.stem})
    # an https issuer's documents need no context that the stacks' npm packages lack: DCC
    # fetched none over the network, and Digital Bazaar loaded no cid/v1 (which no package
    # bundles: a verifier would fetch it from w3.org, or fail offline)
    for r in results:
        assert not r["dcc"]["network"].get("contexts"), (r["source"], r["dcc"]["network"])
        assert "https://www.w3.org/ns/cid/v1" not in r["db"].get("contextsLoaded", []), r
    # ours agrees: the credential the rotated-out key signed is valid, the revoked one not
    assert ours(site, first, later)["verdict"] == "valid"
    assert ours(site, withdrawn, later)["verdict"] == "invalid"

    # the first key is compromised: after `key revoke` + `resign` the re-signed files verify
    # everywhere, and the copy an earner kept from before fails in all three verifiers
    cli(*s, "key", "revoke", json.loads(first_copy.read_text())["proof"][0]
        ["verificationMethod"].rsplit("/", 1)[1].removesuffix(".json"), "--since",
        "2026-02-01")
    cli(*s, "resign", "--yes", "--key", str(key2))
    out = build(site, now=later).out_dir
    results = interop_harness.other_verifiers(
        out, INIT_BASE, [*sorted(out.glob("credentials/*/credential.json")), first_copy],
        later.strftime("%Y-%m-%dT%H:%M:%SZ"), tamper=False)
    for r in results:
        name = Path(r["source"]).name
        for stack in ("dcc", "db"):
            if name == first_copy.name:
                assert r[stack]["checks"]["proof"] == "fail", (stack, r[stack])
            elif Path(r["source"]).parent.name == withdrawn.stem:
                assert r[stack]["checks"]["status"] == "fail", (stack, r[stack])
            else:
                assert r[stack]["verified"], (r["source"], stack, r[stack])
    mine = ours(site, first_copy, later)
    assert mine["verdict"] == "invalid"
    assert {c["check"]: c["status"] for c in mine["checks"]}["issuer"] == "fail"


def test_did_web_issuer_verifies_in_both_stacks(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    site, key = tmp_path / "acme", tmp_path / "k/one.key"
    cli("init", str(site), "--yes", "--key", str(key), "--base-url", INIT_BASE)
    toml = site / "site_src/site.toml"
    toml.write_text(toml.read_text().replace('id = "https"', 'id = "did:web"'))
    cli("-C", str(site), "issue", "--badge", "first-contribution", "--email",
        "ada@example.org", "--key", str(key), "--date", "2026-03-01")
    later = datetime.now(UTC).replace(microsecond=0)
    out = build(site, now=later).out_dir
    assert (out / ".well-known/did.json").is_file()
    results = interop_harness.other_verifiers(
        out, INIT_BASE, sorted(out.glob("credentials/*/credential.json")),
        later.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert_verdicts(results, set())


def test_interop_harness_contexts_are_the_npm_packages_copies() -> None:
    """The contexts badgepress pins equal the ones the other stacks ship."""
    proc = interop_harness._node("check-contexts.mjs")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "same" in proc.stdout and "DIFFERENT" not in proc.stdout


