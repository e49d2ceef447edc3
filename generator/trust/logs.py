"""All issuance logs of a site read as one history: what each file's hash must be, which
revocations and renewals were recorded, and where parallel branches disagree.

Each key appends to its own log (``ledger.py``), so a merge of two maintainers' branches
brings two logs side by side instead of one conflicting file. Their entries are applied in
(time, log name, seq) order, never before what their writer had seen: the last entry for a
path says what its hash must be. Every entry but 'issue' carries ``seen``
(``ledger.Transaction.record``): how many entries of every other log its writer had, so the
build tells "after" from "in parallel" without trusting clocks.
"""

from __future__ import annotations

import operator
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.paths import LEGACY_LOG, LOG_DIR
from .ledger import Log, read_log

HEAD_SUFFIX = ".head.json"


def log_names(root: Path) -> list[str]:
    """Every log of the site, by name (a key's multibase, or the legacy 'log'), sorted; a
    log counts when either its entries or its head exist, so a lost head is noticed."""
    folder = root / LOG_DIR
    names: set[str] = set()
    for p in folder.iterdir() if folder.is_dir() else []:
        if p.name.startswith("."):
            continue
        if p.name == "head.json" or p.name == "log.jsonl":
            names.add(LEGACY_LOG)
        elif p.name.endswith(HEAD_SUFFIX):
            names.add(p.name[: -len(HEAD_SUFFIX)])
        elif p.suffix == ".jsonl":
            names.add(p.stem)
    return sorted(names)


def read_logs(root: Path) -> list[Log]:
    """Every log of the site (committed entries only); LedgerError for an unreadable one."""
    return [read_log(root, name) for name in log_names(root)]


@dataclass(frozen=True)
class Step:
    """One entry with the log it belongs to."""

    log: str
    entry: dict[str, Any]

    @property
    def time(self) -> str:
        return str(self.entry.get("time", ""))

    @property
    def seq(self) -> int:
        return int(self.entry.get("seq", 0))

    def knows(self, other: Step) -> bool:
        """Whether the writer of this entry had ``other`` when writing it."""
        if self.log == other.log:
            return self.seq >= other.seq
        return int((self.entry.get("seen") or {}).get(other.log, 0)) >= other.seq


def history(logs: list[Log]) -> list[Step]:
    """Every entry of every log in the order they apply: (time, log name, seq), except that
    an entry always comes after what its writer had seen (times have one-second steps, and
    clocks differ between machines). A merge of the logs, one pointer per log.

    Kept on the first log for these very logs (five callers per build ask for it; 100,000
    entries take a second to merge), so it lives exactly as long as they do."""
    kept = logs[0].__dict__.get("_history") if logs else None
    if kept is not None and len(kept[0]) == len(logs) and all(
            ref() is log and n == len(log.entries)
            for (ref, n), log in zip(kept[0], logs, strict=True)):
        return list(kept[1])
    steps = _merge(logs)
    if logs:  # weak references: no cycle from the first log back to itself
        logs[0].__dict__["_history"] = (
            tuple((weakref.ref(log), len(log.entries)) for log in logs), steps)
    return list(steps)


def _merge(logs: list[Log]) -> list[Step]:
    if len(logs) == 1:  # one writer: its entries are in the order they apply
        return [Step(logs[0].name, e) for e in logs[0].entries]
    queues = {log.name: [Step(log.name, e) for e in log.entries] for log in logs}
    taken = dict.fromkeys(queues, 0)
    out: list[Step] = []
    while True:
        heads = [q[taken[name]] for name, q in queues.items() if taken[name] < len(q)]
        if not heads:
            return out
        ready = [h for h in heads if all(taken.get(name, 0) >= int(n) for name, n in
                                         (h.entry.get("seen") or {}).items()
                                         if name in taken)]
        step = min(ready or heads, key=lambda s: (s.time, s.log, s.seq))
        out.append(step)
        taken[step.log] += 1


@dataclass
class Facts:
    """What one log's entries say, folded in their order (the order they apply when the
    log is the site's only one): each path's hash, the revocation records, the renewals,
    the withdrawals. ``entries`` are the entries folded, for ``log_facts`` to tell whether
    a log read later only grew at its end (then just the new entries are folded)."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    legacy: set[str] = field(default_factory=set)
    renewals: dict[str, str] = field(default_factory=dict)
    withdrawn: dict[str, dict[str, Any]] = field(default_factory=dict)
    # (the files of the facts these grew from, the paths the new entries name): a check
    # of the files against an earlier read's needs to look at those paths only
    since: tuple[dict[str, str], frozenset[str]] | None = None

    def grown(self, entries: list[dict[str, Any]]) -> Facts:
        """These facts with ``entries[len(self.entries):]`` folded in, as a new object:
        the facts of an earlier read stay what they were."""
        out = Facts(list(entries), dict(self.files), dict(self.records), set(self.legacy),
                    dict(self.renewals), dict(self.withdrawn))
        touched: set[str] = set()
        for e in entries[len(self.entries):]:
            out.files.update(e.get("files") or {})
            touched.update(e.get("files") or {})
            action = e.get("action")
            if action == "revoke":
                record = e.get("revocation")
                if isinstance(record, dict):
                    out.records[str(record.get("id"))] = record
                else:
                    out.legacy.add(str(e.get("subject")))
            elif action == "renew" and e.get("renews"):
                out.renewals[e["renews"]] = e["subject"]
            elif action == "withdraw":
                out.withdrawn[e["subject"]] = e
        out.since = (self.files, frozenset(touched))
        return out


def log_facts(log: Log, memo: dict | None = None) -> Facts:
    """The facts of one log, kept on it for the other callers of this build. ``memo`` (a
    dev server's) keeps the last read's: when this log is that one's entries (the very
    same objects, as ``ledger.read_log`` keeps them) plus new ones at its end, only those
    are folded: one revocation costs one entry, not 100,000."""
    kept = log.__dict__.get("_facts")
    if kept is not None and extends(kept.entries, log.entries, exact=True):
        return kept
    last = memo.get(("log-facts", log.name)) if memo is not None else None
    if last is None or not extends(last.entries, log.entries):
        last = Facts()
    # the same entries: the same facts (they are never changed once made)
    facts = last if len(last.entries) == len(log.entries) and last.entries else \
        last.grown(log.entries)
    log.__dict__["_facts"] = facts
    if memo is not None:
        memo[("log-facts", log.name)] = facts
    return facts


def extends(old: list, new: list, exact: bool = False) -> bool:
    """Whether ``new`` starts with the very objects of ``old`` (and has no more, when
    ``exact``)."""
    if len(old) > len(new) or (exact and len(old) != len(new)):
        return False
    return all(map(operator.is_, old, new))


@dataclass
class Expected:
    """What each file's hash must be, and the files parallel branches both wrote."""

    files: dict[str, str]
    # path -> its last step and the steps of other logs for the path that the last one's
    # writer did not have (git could keep only one side of each such file)
    parallel: dict[str, list[Step]]
    # (earlier files, the paths whose hash may differ from them): see Facts.since
    since: tuple[dict[str, str], frozenset[str]] | None = None


def expected_files(logs: list[Log], memo: dict | None = None) -> Expected:
    """Apply every entry in history order: path -> SHA-256 ('' = removed). One log has no
    parallel branches (each entry's writer had every entry before it): its facts say it.
    The files dict may be shared with the log's facts: read it, never change it."""
    if len(logs) == 1:
        facts = log_facts(logs[0], memo)
        return Expected(facts.files, {}, facts.since)
    files: dict[str, str] = {}
    writers: dict[str, dict[str, Step]] = {}  # path -> {log: its last step for the path}
    for step in history(logs):
        for path, digest in (step.entry.get("files") or {}).items():
            files[path] = digest
            mine = writers.setdefault(path, {})
            mine.pop(step.log, None)
            mine[step.log] = step  # insertion order: the last writer last
    parallel = {}
    for path, mine in writers.items():
        *others, last = mine.values()
        missed = [s for s in others if not last.knows(s)]
        if missed:
            parallel[path] = [*missed, last]
    return Expected(files, parallel)


def logged_revocations(logs: list[Log], memo: dict | None = None
                       ) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """({credential id: revocation record} of entries that carry one, {ids revoked by legacy
    entries, which only named revocations.toml's hash}). Read them, never change them."""
    if len(logs) == 1:
        facts = log_facts(logs[0], memo)
        return facts.records, facts.legacy
    records: dict[str, dict[str, Any]] = {}
    legacy: set[str] = set()
    for step in history(logs):
        if step.entry.get("action") != "revoke":
            continue
        record = step.entry.get("revocation")
        if isinstance(record, dict):
            records[str(record.get("id"))] = record
        else:
            legacy.add(str(step.entry.get("subject")))
    return records, legacy


def renewals(logs: list[Log], memo: dict | None = None) -> dict[str, str]:
    """{old id: new id} from 'renew' entries."""
    if len(logs) == 1:
        return dict(log_facts(logs[0], memo).renewals)
    return {s.entry["renews"]: s.entry["subject"] for s in history(logs)
            if s.entry.get("action") == "renew" and s.entry.get("renews")}


def parallel_revoke_and_renew(logs: list[Log]) -> list[tuple[Step, Step]]:
    """(revoke, renew) pairs of one credential written on parallel branches (neither writer
    had the other's entry) that no later entry has settled (one written with both known).
    Within one log, each entry's writer had every entry before it: none."""
    if len(logs) < 2:
        return []
    steps = history(logs)
    revokes = [s for s in steps if s.entry.get("action") == "revoke"]
    renews = [s for s in steps if s.entry.get("action") == "renew"]
    deciders = [s for s in steps if s.entry.get("action") in ("revoke", "renew", "reconcile")]
    out = []
    for r in revokes:
        for n in renews:
            if n.entry.get("renews") != r.entry.get("subject") or r.knows(n) or n.knows(r):
                continue
            if not any(d.knows(r) and d.knows(n) for d in deciders):
                out.append((r, n))
    return out


__all__ = ["Expected", "Facts", "Step", "expected_files", "extends", "history", "log_facts",
           "log_names", "logged_revocations", "parallel_revoke_and_renew", "read_logs",
           "renewals"]
