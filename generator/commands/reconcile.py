"""After a merge: make the signed status lists say what revocations.toml says.

Git merges revocations.toml by union (``merge=union`` in .gitattributes), so both branches'
revocations survive; a status list that both branches re-signed can keep only one side. The
build stops and names such a list; ``reconcile`` re-signs it from revocations.toml with the
maintainer's own key and records it in that key's log, with what the writer had seen, which
also settles a credential revoked on one branch and renewed on another.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..build.log_stage import withdrawn_entries
from ..build.pipeline import load_site
from ..core.dates import iso, now_utc
from ..core.paths import STATUS_DIR
from ..trust.keys import SigningKey
from ..trust.ledger import Log, sha256_hex, transaction
from ..trust.logs import expected_files, history, parallel_revoke_and_renew, read_logs
from ..trust.status import list_bits, list_name, list_path, list_url, read_revocations, set_bits
from .issue import current_key, existing_for, signed_status_list


@dataclass
class Reconciled:
    """What ``reconcile`` did: lists re-signed (name -> revoked indexes), conflicts settled."""

    lists: dict[str, set[int]] = field(default_factory=dict)
    settled: list[str] = field(default_factory=list)


def wanted_bits(root: Path, base_url: str) -> dict[str, set[int]]:
    """{list name: indexes revocations.toml revokes} for every list of the site: of the
    credential files, and of withdrawn credentials (their entry, kept in the withdrawal's
    log entry: copies handed out must stay revoked after their file is gone)."""
    revoked = {r.id for r in read_revocations(root)}
    wanted: dict[str, set[int]] = {p.stem: set() for p in (root / STATUS_DIR).glob("*.json")}
    for _, doc in existing_for(root):
        status = doc.get("credentialStatus") or {}
        name = list_name(base_url, str(status.get("statusListCredential", "")))
        if name is not None:
            wanted.setdefault(name, set())
            if doc.get("id") in revoked:
                wanted[name].add(int(status.get("statusListIndex", -1)))
    for (url, index), cid in withdrawn_entries(read_logs(root)).items():
        name = list_name(base_url, url)
        if name is not None and cid in revoked:
            wanted.setdefault(name, set()).add(index)
    return wanted


def _current(path: Path) -> tuple[set[int] | None, str | None]:
    """(revoked indexes, validFrom) of a list file; (None, None) when it cannot be read (a
    git conflict left in it)."""
    try:
        doc = json.loads(path.read_bytes())
        return set_bits(list_bits(doc)), doc.get("validFrom")
    except (ValueError, KeyError, OSError):
        return None, None


def reconcile(root: Path, key: SigningKey, *, now: datetime | None = None) -> Reconciled:
    """Re-sign every status list whose bits, or bytes, disagree with revocations.toml and
    the logs; record it in the key's own log."""
    now = now or now_utc()
    cfg = load_site(root)[0].config
    vm = current_key(root, cfg, key)
    done = Reconciled()
    with transaction(root, key, vm) as tx:  # logged when it takes the lock
        logs = read_logs(root)
        expected = expected_files(logs)
        for name, bits in sorted(wanted_bits(root, cfg.base_url).items()):
            rel = list_path(name)
            have, since = _current(root / rel)
            digest = expected.files.get(rel.as_posix())
            matches = (root / rel).is_file() and sha256_hex((root / rel).read_bytes()) == digest
            if have == bits and matches and rel.as_posix() not in expected.parallel:
                continue
            if since is None:
                since = _created(logs, rel.as_posix()) or iso(now)
            data = signed_status_list(cfg, key, vm, name, bits, iso(now), since=since)
            tx.write(rel, data)
            tx.record("status-list", list_url(cfg.base_url, name), {rel: data})
            done.lists[name] = bits
        conflicts = parallel_revoke_and_renew(logs)
        done.settled = sorted({str(r.entry.get("subject")) for r, _ in conflicts})
        if done.lists or done.settled:
            tx.record("reconcile", cfg.issuer_id, {}, settles=done.settled)
    return done


def _created(logs: list[Log], rel: str) -> str | None:
    """When a list was first logged: its validFrom stays (verifiers whose clocks run behind
    refuse a list valid only from now)."""
    return next((s.time for s in history(logs) if rel in (s.entry.get("files") or {})), None)


__all__ = ["Reconciled", "reconcile"]
