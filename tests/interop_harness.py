"""The Node harness in tests/interop (the DCC and Digital Bazaar verifier stacks, and the
Digital Bazaar signer), driven from pytest. Installed by the test command (`npm ci`); outside
CI a machine without it skips these tests with the reason, in CI they fail."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parent / "interop"


def missing() -> str | None:
    """Why the harness cannot run here, or None."""
    if shutil.which("node") is None:
        return "node is not installed (the interop tests need Node.js and npm)"
    if not (HARNESS / "node_modules" / "@digitalcredentials" / "verifier-core").is_dir():
        return "tests/interop is not installed: run 'npm ci' there (scripts/test does)"
    return None


def require() -> None:
    """Skip with the reason outside CI; fail in CI, where the harness must run."""
    reason = missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"interop harness cannot run in CI: {reason}")
        pytest.skip(reason)


def _node(*args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run(["node", *args], cwd=HARNESS, capture_output=True, text=True,
                          timeout=timeout)


def other_verifiers(site_out: Path, base_url: str, sources: list[Path | str], now: str,
                    tamper: bool = True) -> list[dict]:
    """Each source through the DCC and the Digital Bazaar stacks (and, with ``tamper``, a
    copy with one signed field changed): one result per credential and variant."""
    proc = _node("verify.mjs", "--site", str(site_out), "--base-url", base_url, "--now", now,
                 *(["--tamper"] if tamper else []), *map(str, sources))
    if proc.returncode not in (0, 1):
        raise AssertionError(f"verify.mjs failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def digital_bazaar_sign(unsigned: dict, seed: bytes, created: str, *,
                        issuer_id: str | None = None, vm: str | None = None) -> dict:
    """``unsigned`` signed by the Digital Bazaar stack (eddsa-rdfc-2022, proof as an array):
    with a did:key issuer, or with ``issuer_id`` + ``vm`` for a key a site publishes."""
    fd, name = tempfile.mkstemp(suffix=".json")
    src = Path(name)
    with os.fdopen(fd, "w") as fh:
        json.dump(unsigned, fh)
    try:
        who = ["--did-key"] if issuer_id is None else ["--issuer-id", issuer_id,
                                                       "--verification-method", vm or ""]
        proc = _node("sign.mjs", *who, "--seed", seed.hex(), "--in", str(src), "--created",
                     created, "--proof-array")
    finally:
        src.unlink(missing_ok=True)
    if proc.returncode != 0:
        raise AssertionError(f"sign.mjs failed: {proc.stderr[-3000:]}")
    return json.loads(proc.stdout)
