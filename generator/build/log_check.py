"""The issuance log against the site's signed files: its chain and signed head, every
credential and status list file against the SHA-256 the log recorded, and what the log says
about credentials beyond their files (renewals, withdrawals).

A log that cannot be read is one problem, not one per file: a torn last line (an append cut
off by a power cut or a full disk, see trust/ledger.py) says how to recover, and a damaged
committed line says to restore the log with git.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..content.config import SiteConfig
from ..core.errors import Problems
from ..core.files import read_regular
from ..core.paths import CREDENTIALS_DIR, HEAD_FILE, JOURNAL, LOG_FILE, REVOCATIONS, STATUS_DIR
from ..trust.issuer import key_for_method
from ..trust.keys import PublishedKey, decode_multibase_key
from ..trust.ledger import (
    LedgerError,
    Log,
    check_chain,
    head_signature_ok,
    read_log,
    sha256_hex,
)

RESIGN_HINT = "re-sign with the current key: badgepress resign --key PATH"
TORN_HINT = "run any badgepress issue/revoke command to recover, or restore it with git"


def check_log(root: Path, cfg: SiteConfig, keys: list[PublishedKey],
              problems: Problems) -> Log | None | bool:
    """The log's chain and signed head; None when there is no log at all, False when it
    cannot be read (one problem says so: files are then not checked against it, which
    would only repeat that problem for each of them)."""
    if (root / JOURNAL).is_file():
        problems.error(root / JOURNAL, "an interrupted issue/revoke left a journal",
                       hint="run any badgepress issue/revoke command to roll it back, or "
                            "delete the journal if you restored the files with git")
    try:
        log = read_log(root)
    except LedgerError as exc:
        where, _, text = str(exc).partition(": ")
        file, _, line = where.partition(":")
        problems.error(root / file, text, line=int(line) if line.isdigit() else None,
                       hint="the log is append-only: restore it with git")
        return False
    if log.torn:
        problems.error(root / LOG_FILE, "the log ends in a torn line (an append was cut "
                       "off, e.g. by a power cut or a full disk)", line=log.torn,
                       hint=TORN_HINT)
    if not log.entries and log.head is None:
        return None
    for message in check_chain(log):
        where, _, text = message.partition(": ")
        file, _, line = where.partition(":")
        problems.error(root / file, text, line=int(line) if line.isdigit() else None,
                       hint="the log is append-only: restore it with git")
    head = log.head or {}
    vm = head.get("verificationMethod")
    key = key_for_method(cfg, keys, vm)
    if log.head is not None:
        if key is None:
            problems.error(root / HEAD_FILE, f"signed with {vm}, which is not a published key",
                           hint=RESIGN_HINT)
        elif key.revoked:
            problems.error(root / HEAD_FILE, f"signed with key {vm}, revoked on {key.revoked}",
                           hint=RESIGN_HINT)
        elif not head_signature_ok(head, _raw(key)):
            problems.error(root / HEAD_FILE, "the signature of the log head does not verify",
                           hint="the log or its head was edited: restore them with git")
    return log


def _raw(key: PublishedKey) -> bytes:

    return decode_multibase_key(key.public_key_multibase)


def check_files_against_log(root: Path, log: Log, files: list[Any],
                            problems: Problems) -> None:
    """Each file (``.rel``, ``.digest``) against the log, and each logged file that is gone
    (unless it was withdrawn)."""
    expected = log.expected_files()
    removed = {rel: e for e in log.entries if e.get("action") == "withdraw"
               for rel in e.get("files", {})}
    present = {f.rel for f in files}
    for f in files:
        want = expected.get(f.rel)
        if want == "" and f.rel in removed:
            problems.error(root / f.rel, f"was withdrawn (issuance log entry "
                           f"{removed[f.rel].get('seq')}) and must not be published",
                           hint="delete the file; to award the badge again, issue a new "
                                "credential")
        elif want is None:
            problems.error(root / f.rel, "is not in the issuance log: it was not made by "
                           "badgepress issue (or its log entry was never committed)",
                           hint="issue credentials only with 'badgepress issue'; remove "
                                "this file")
        elif want != f.digest:
            problems.error(root / f.rel, "changed since it was logged (its SHA-256 differs "
                           "from the issuance log)", hint="signed files must not be edited: "
                           "restore it with 'git checkout', or reissue the credential")
    for rel, want in expected.items():
        if want and rel not in present and (rel.startswith(str(CREDENTIALS_DIR)) or
                                            rel.startswith(str(STATUS_DIR)) or
                                            rel == str(REVOCATIONS)):
            if not (root / rel).is_file():
                problems.error(root / rel, "is listed in the issuance log but missing",
                               hint="restore it with git; to take a credential off the site "
                                    "use 'badgepress withdraw' (or 'revoke'), never delete it")
            elif rel == str(REVOCATIONS) and sha256_hex(read_regular(root / rel)) != want:
                problems.error(root / rel, "changed since it was logged", hint=(
                    "record revocations only with 'badgepress revoke'; restore it with git"))


def renewals(log: Log | None) -> dict[str, str]:
    """{old id: new id} from 'renew' entries of the log."""
    out = {}
    for e in log.entries if log else []:
        if e.get("action") == "renew" and e.get("renews"):
            out[e["renews"]] = e["subject"]
    return out


def withdrawn_entries(log: Log | None) -> dict[tuple[str, int], str]:
    """{(status list URL, index): credential id} of withdrawn credentials: their entries
    stay reserved, and a revoked one's bit stays set."""
    out = {}
    for cid, e in (log.withdrawn() if log else {}).items():
        url, _, index = str(e.get("status", "")).rpartition("#")
        if url and index.isdigit():
            out[(url, int(index))] = cid
    return out
