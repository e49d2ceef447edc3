"""The issuance logs: append-only, hash-chained, each head signed by an issuer key.

Why: full RDFC verification costs ~20 ms a credential, too slow to redo for 100,000 files at
every build, and a maintainer must not be able to slip in or back-date a credential unnoticed.
Every `issue`, `revoke`, `renew` and `resign` appends entries naming the files it wrote and
their SHA-256; the build checks the chain, the head's signature and every file's hash in
milliseconds, and fully re-verifies only what is new or changed.

One log per key: a key appends only to its own log, ``site_src/log/<multibase>.jsonl`` with
its head ``<multibase>.head.json``, so maintainers who each sign with their own key never
write the same file and git merges their branches without conflict. The single ``log.jsonl``
+ ``head.json`` of older sites stays readable as one more, frozen, log (``LEGACY_LOG``).
``logs.py`` reads all of them as one history.

Writes are transactions: an intent journal is written (and fsynced) before each file, the log
entries are appended, and the new signed head is the commit point. A command killed at any
moment is rolled back by the next one (files restored or removed, the log cut back to its
head), so there is either no trace or a complete credential with its log entry.

The rule that makes a torn log recoverable: the head is written last, so every line after
the head's ``seq`` is uncommitted. A power cut or a full disk while entries are appended
leaves such lines, the last one perhaps cut in the middle (a "torn" line that is no JSON).
Readers ignore them (``Log.uncommitted`` counts them, ``Log.torn`` is the line of a cut
last one);
the next write command cuts the log back to its head. A line up to the head's ``seq`` that
does not parse is no accident of appending: the log was damaged, and only git can restore it.
"""

from __future__ import annotations

import base64
import errno
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import base58

from ..core.dates import iso, now_utc
from ..core.errors import BadgepressError
from ..core.files import (
    append_line,
    atomic_write,
    conflict_lines,
    merge_conflict,
    read_regular,
    read_regular_text,
)
from ..core.paths import (
    CREDENTIALS_DIR,
    EARNERS_DIR,
    ISSUER_DIR,
    JOURNAL,
    LEGACY_LOG,
    LOCK,
    LOG_DIR,
    SRC_DIR,
    STATUS_DIR,
    head_file,
    log_file,
)
from .keys import SigningKey, verify_signature
from .ld import canonize_jcs

GENESIS = "0" * 64


class LedgerError(BadgepressError, ValueError):
    """The log is broken or does not match the files; the message names what and where."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def entry_hash(entry: dict[str, Any]) -> str:
    return sha256_hex(canonize_jcs(entry))


@dataclass
class Log:
    """One committed log: entries in order, and what each file's hash must be now."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    head: dict[str, Any] | None = None
    name: str = LEGACY_LOG  # the multibase of the key that writes it
    uncommitted: int = 0  # lines after the head's seq (an interrupted append)
    torn: int = 0  # line number of the last of them when it is cut off in the middle
    lines: list[str] = field(default_factory=list)  # each entry's line as read, if read

    @property
    def path(self) -> Path:
        return log_file(self.name)

    @property
    def head_path(self) -> Path:
        return head_file(self.name)

    @property
    def last_hash(self) -> str:
        return entry_hash(self.entries[-1]) if self.entries else GENESIS

    def expected_files(self) -> dict[str, str]:
        """Path -> SHA-256 the file must have (its latest entry); '' means removed."""
        files: dict[str, str] = {}
        for e in self.entries:
            files.update(e.get("files", {}))
        return files

    def withdrawn(self) -> dict[str, dict[str, Any]]:
        """{credential id: its 'withdraw' entry}: files removed on purpose, never to be
        published again; their status list entries stay reserved."""
        return {e["subject"]: e for e in self.entries if e.get("action") == "withdraw"}

    def by_subject(self) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for e in self.entries:
            out.setdefault(e.get("subject", ""), []).append(e)
        return out


def read_log(root: Path, name: str = LEGACY_LOG, *, committed_only: bool = True,
             memo: dict | None = None) -> Log:
    """Parse one log; with committed_only, lines past the signed head are not parsed, only
    counted (see the module docstring). LedgerError when a committed line is damaged.

    ``memo`` (a dev server's) keeps the bytes and parsed lines of the last read: a log
    that only grew at its end (an issue, a revocation) has just its new lines parsed.
    Anything else (an edit, a rewrite) is parsed whole."""
    head_path = root / head_file(name)
    head = None
    if head_path.is_file():
        data = read_regular(head_path)
        try:
            head = json.loads(data)
        except ValueError as exc:
            shown = head_file(name).as_posix()
            if lines := conflict_lines(data):
                raise LedgerError(f"{shown}:{lines[0]}: not a JSON log head: "
                                  f"{merge_conflict(shown, lines)}") from exc
            raise LedgerError(f"{shown}: not a JSON log head ({exc})") from exc
        if not isinstance(head, dict) or type(head.get("seq")) is not int:
            raise LedgerError(f"{head_file(name)}: not a log head (no entry number 'seq')")
    path = root / log_file(name)
    raw = read_regular(path) if path.is_file() else b""
    last = memo.get(("log-read", name)) if memo is not None else None
    if last is not None and raw.startswith(last[0]) and last[0].endswith(b"\n"):
        start = last[3] + 1  # the number of the first line past it
        numbered = last[1] + _numbered(raw[len(last[0]):], start)
        parsed = last[2]
        breaks = last[3] + raw.count(b"\n", len(last[0]))
    else:
        numbered, parsed = _numbered(raw, 1), []
        breaks = raw.count(b"\n") if memo is not None else 0
    keep = len(numbered)
    if committed_only:
        keep = min(head["seq"], keep) if head else 0
    entries = parsed[:keep]
    for n, line in numbered[len(entries):keep]:
        try:
            entries.append(json.loads(line))
        except ValueError as exc:
            shown = log_file(name).as_posix()
            if lines := conflict_lines(raw):
                raise LedgerError(f"{shown}:{n}: not a JSON log entry: "
                                  f"{merge_conflict(shown, lines)}") from exc
            raise LedgerError(f"{shown}:{n}: not a JSON log entry ({exc})") from exc
    if memo is not None:
        memo[("log-read", name)] = (raw, numbered, entries, breaks)
        entries = list(entries)
    tail = numbered[keep:]
    torn = 0
    if tail:
        try:
            json.loads(tail[-1][1])
        except ValueError:
            torn = tail[-1][0]
    return Log(entries, head, name=name, uncommitted=len(tail), torn=torn,
               lines=[line for _, line in numbered[:keep]])


def _numbered(raw: bytes, start: int) -> list[tuple[int, str]]:
    """(line number, line) of the non-blank lines of ``raw``, numbered from ``start``.
    "\n" only: str.splitlines would also split at U+2028 inside a JSON string."""
    return [(n, line) for n, line in enumerate(
        raw.decode("utf-8", errors="replace").split("\n"), start) if line.strip()]


@dataclass(frozen=True)
class Chain:
    """How far a log's chain has been walked: its first ``checked`` entries, the hash of
    the last of them, the latest time among them, and the problems found in them."""

    checked: int = 0
    prev: str = GENESIS
    last_time: str = ""
    problems: tuple[str, ...] = ()


def walk_chain(log: Log, hashes: list[str], start: Chain = Chain()) -> Chain:
    """``start`` walked on over ``log.entries[start.checked:]``, whose entry_hash values
    are ``hashes``: what a walk from the first entry would find, when ``start`` is such a
    walk over the same first entries."""
    problems = list(start.problems)
    prev, last_time = start.prev, start.last_time
    log_path = log.path.as_posix()
    for i, (e, digest) in enumerate(zip(log.entries[start.checked:], hashes, strict=True),
                                    start.checked + 1):
        if str(e.get("time", "")) < last_time:
            problems.append(f"{log_path}:{i}: dated {e.get('time')}, before the entry above "
                            f"it ({last_time}): entries are only ever appended, so this one "
                            "was back-dated or moved")
        last_time = max(last_time, str(e.get("time", "")))
        if e.get("seq") != i:
            problems.append(f"{log_path}:{i}: entry number {e.get('seq')} where {i} belongs")
        if e.get("prev") != prev:
            problems.append(f"{log_path}:{i}: the chain is broken here (the entry does not "
                            "name the hash of the one before): the log was edited")
        prev = digest
    return Chain(len(log.entries), prev, last_time, tuple(problems))


def head_problems(log: Log, chain: Chain) -> list[str]:
    """The head against the walked chain (not its signature), as sentences."""
    head_path = log.head_path.as_posix()
    if log.head is not None:
        if log.head.get("seq") != len(log.entries):
            return [f"{head_path}: the head names entry {log.head.get('seq')}, the log has "
                    f"{len(log.entries)}"]
        if log.head.get("hash") != chain.prev:
            return [f"{head_path}: the head's hash does not match the last entry: the log "
                    "was edited"]
    elif log.entries:
        return [f"{head_path}: missing; the log has no signed head"]
    return []


def check_chain(log: Log, hashes: list[str] | None = None) -> list[str]:
    """Every problem of the chain and the head (not the signature), as sentences.
    ``hashes``: entry_hash of each entry, when the caller computed them already (on
    every core: 100,000 JCS canonicalizations)."""
    if hashes is None:
        hashes = [entry_hash(e) for e in log.entries]
    chain = walk_chain(log, hashes)
    return [*chain.problems, *head_problems(log, chain)]


def _head_payload(head: dict[str, Any]) -> bytes:
    return canonize_jcs({k: head[k] for k in ("seq", "hash", "time", "verificationMethod")})


def sign_head(log: Log, key: SigningKey, vm: str, when: str) -> dict[str, Any]:
    head = {"seq": len(log.entries), "hash": log.last_hash, "time": when,
            "verificationMethod": vm}
    head["signature"] = "z" + base58.b58encode(key.sign(_head_payload(head))).decode()
    return head


def head_signature_ok(head: dict[str, Any], public_key: bytes) -> bool:
    try:
        signature = base58.b58decode(str(head["signature"])[1:])
        return verify_signature(public_key, signature, _head_payload(head))
    except (KeyError, ValueError):
        return False


def seen_heads(root: Path, own: str) -> dict[str, int]:
    """{log name: committed entries} of every other log with a signed head."""
    out = {}
    for path in sorted((root / LOG_DIR).glob("*.json")) if (root / LOG_DIR).is_dir() else []:
        name = LEGACY_LOG if path.name == "head.json" else path.name.removesuffix(".head.json")
        if path.name.endswith("head.json") and name != own:
            try:
                out[name] = int(json.loads(path.read_bytes())["seq"])
            except (ValueError, KeyError, TypeError):
                continue  # a damaged head: the build names it
    return out


# transactions ----------------------------------------------------------------------------

@contextmanager
def locked(root: Path) -> Iterator[None]:
    """One writer at a time: two `issue` commands on one repository never interleave."""
    (root / LOG_DIR).mkdir(parents=True, exist_ok=True)
    # never through a link: opening it for writing would create or truncate its target
    fd = os.open(root / LOCK, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _fsync_append(path: Path, line: str) -> None:
    append_line(path, line + "\n")


def recover(root: Path) -> int:
    """Undo a transaction that never reached its commit (call with the lock held).
    Returns how many file writes were undone."""
    journal = root / JOURNAL
    _remove_temp_files(root)
    if not journal.is_file():
        # no transaction was under way; an append cut short (power cut, full disk) leaves
        # lines past a log's head, which are cut off here
        for name in _written_logs(root):
            _cut_log_to_head(root, name)
        return 0
    lines = read_regular_text(journal).splitlines()
    items = []
    for line in lines:
        try:
            items.append(json.loads(line))
        except ValueError:
            break  # a half-written last line: its file write never started
    name = items[0].get("log", LEGACY_LOG) if items else LEGACY_LOG
    head = read_log(root, name).head
    base = items[0].get("base", 0) if items else 0
    if head is not None and head["seq"] > base:
        journal.unlink()  # the head was signed: the transaction committed
        return 0
    undone = 0
    for item in reversed(items[1:]):
        target = root / item["path"]
        if item.get("old") is None:
            try:
                target.unlink(missing_ok=True)
            except OSError as exc:  # a name the file system refused: it was never made
                if exc.errno != errno.ENAMETOOLONG:
                    raise
        else:
            atomic_write(target, base64.b64decode(item["old"]))
        undone += 1
    _cut_log_to_head(root, name)
    journal.unlink()
    return undone


def _remove_temp_files(root: Path) -> None:
    """Half-written temporary files of an interrupted atomic write (we hold the lock, so no
    other writer is using them)."""
    for folder in (SRC_DIR, CREDENTIALS_DIR, STATUS_DIR, LOG_DIR, ISSUER_DIR, EARNERS_DIR):
        if (root / folder).is_dir():
            for tmp in (root / folder).glob(".*.tmp"):
                tmp.unlink(missing_ok=True)


def _written_logs(root: Path) -> list[str]:
    folder = root / LOG_DIR
    return sorted({LEGACY_LOG if p.name == "log.jsonl" else p.stem
                   for p in (folder.glob("*.jsonl") if folder.is_dir() else [])})


def _cut_log_to_head(root: Path, name: str) -> None:
    """Drop log lines past the signed head (appended, never committed), a torn last line
    included; committed lines are kept byte for byte."""
    path = root / log_file(name)
    if not path.is_file():
        return
    if _lines_within_head(root, name, path):
        return  # the usual case, told without parsing 100,000 committed entries
    log = read_log(root, name, committed_only=True)
    if log.head is None and not log.entries:
        path.unlink()  # a new log whose first commit never happened
    elif log.uncommitted:
        raw = read_regular(path)
        if marks := conflict_lines(raw):  # a merge's, not an interrupted append: keep it
            shown = log_file(name).as_posix()
            raise LedgerError(f"{shown}:{marks[0]}: {merge_conflict(shown, marks)}: the logs "
                              "are append-only: restore it with git (after a merge, take "
                              "both branches' versions of the logs unchanged)")
        lines = [ln for ln in raw.split(b"\n") if ln.strip()]
        atomic_write(path, b"".join(ln + b"\n" for ln in lines[:len(log.entries)]))


def _lines_within_head(root: Path, name: str, path: Path) -> bool:
    """Whether a log has a readable head and no more lines than the head commits: then
    there is nothing to cut (anything else goes through ``read_log``)."""
    try:
        head = json.loads(read_regular(root / head_file(name)))
        count = sum(1 for ln in read_regular(path).split(b"\n") if ln.strip())
    except (ValueError, OSError):
        return False
    return isinstance(head, dict) and type(head.get("seq")) is int and 0 < count <= head["seq"]


class Transaction:
    """Writes files and entries of the key's own log; nothing counts until ``commit`` signs
    its new head."""

    def __init__(self, root: Path, key: SigningKey, vm: str, when: str | None = None):
        self.root, self.key, self.vm = root, key, vm
        self.when = when or iso(now_utc())
        self.log = read_log(root, key.public_multibase)
        self.pending: list[dict[str, Any]] = []
        self.unsynced: list[Path] = []  # written by write_new, made durable at commit
        self.seen = seen_heads(root, self.log.name)
        if self.log.uncommitted:  # recover() cut what it could: this came from elsewhere
            raise LedgerError(f"{self.log.path}: {self.log.uncommitted} entries past its signed "
                              f"head {self.log.head_path} (a merge or rebase that lost the "
                              "head?): restore both files with git before signing anything")
        last = str(self.log.entries[-1].get("time", "")) if self.log.entries else ""
        if self.when < last:  # the build refuses an entry dated before the one above it
            raise LedgerError(
                f"this computer's clock says {self.when}, but the last entry of your log "
                f"({self.log.path}:{len(self.log.entries)}) is dated {last}: a log never "
                "goes back in time, and the build would refuse the entry. If this clock is "
                "wrong, set it right and run the command again; if it is right, that entry "
                "was dated by a clock running ahead: wait until then, or sign with a new key "
                "('badgepress keygen --rotate'), whose log starts now")

    def _begin(self) -> None:
        """The journal's first line: which log, and its length before this transaction."""
        if not (self.root / JOURNAL).exists():
            _fsync_append(self.root / JOURNAL, json.dumps({"base": len(self.log.entries),
                                                           "log": self.log.name}))

    def write(self, rel: Path | str, data: bytes) -> None:
        """Record the intent (with the old bytes), then replace the file atomically."""
        rel = Path(rel)
        target = self.root / rel
        self._journal(rel)
        atomic_write(target, data)

    def write_new(self, files: list[tuple[Path, bytes]]) -> None:
        """Write many files at once (a bulk issue): one fsynced journal append names them
        all (with their old bytes, as ``write`` does), then each file replaces its path
        atomically but without its own fsync; ``commit`` fsyncs them together before it
        appends the log entries. The guarantee is ``write``'s: a file's intent is durable
        before the file, and every file is durable before the head that commits it. What
        changes is the cost: two fsyncs a file (~5 ms on a loaded disk) become one journal
        fsync per batch and concurrent fsyncs at commit, which the file system groups."""
        if not files:
            return
        self._begin()
        lines = []
        for rel, _ in files:
            target = self.root / rel
            old = read_regular(target) if target.is_file() else None
            lines.append(json.dumps({
                "path": Path(rel).as_posix(),
                "old": base64.b64encode(old).decode() if old is not None else None}) + "\n")
        append_line(self.root / JOURNAL, "".join(lines))
        for rel, data in files:
            atomic_write(self.root / rel, data, sync=False)  # fsynced by _sync_written
            self.unsynced.append(self.root / rel)

    def _sync_written(self) -> None:
        """fsync every file ``write_new`` wrote, several at a time."""
        if self.unsynced:
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(_fsync_file, self.unsynced))
            self.unsynced = []

    def remove(self, rel: Path | str) -> None:
        """Record the intent (with the old bytes), then delete the file."""
        self._journal(Path(rel))
        (self.root / rel).unlink()

    def _journal(self, rel: Path) -> None:
        """The journal line that lets ``recover`` put the file back as it was."""
        target = self.root / rel
        self._begin()
        old = read_regular(target) if target.is_file() else None
        _fsync_append(self.root / JOURNAL, json.dumps({
            "path": rel.as_posix(),
            "old": base64.b64encode(old).decode() if old is not None else None}))

    def record(self, action: str, subject: str, files: dict[str, bytes | None],
               **extra: Any) -> None:
        """A log entry for files already written with ``write`` (None: removed with
        ``remove``, logged as the empty hash ''). Every entry but 'issue' (a new file, which
        no other branch can write) says what it was written after: how many entries of every
        other log its writer had, so the build tells "after" from "in parallel" without
        trusting clocks."""
        if action != "issue":
            extra.setdefault("seen", self.seen)
        seq = len(self.log.entries) + len(self.pending) + 1
        prev = entry_hash(self.pending[-1]) if self.pending else self.log.last_hash
        entry = {"seq": seq, "time": self.when, "action": action, "subject": subject,
                 "files": {Path(p).as_posix(): sha256_hex(d) if d is not None else ""
                           for p, d in files.items()},
                 **extra, "prev": prev}
        self.pending.append(entry)

    def resign_head(self, log: Log) -> None:
        """Sign another log's head anew with this key (its own key was revoked): the same
        entries and hash, vouched for by a usable key of the issuer."""
        head = sign_head(log, self.key, self.vm, self.when)
        self.write(log.head_path, (json.dumps(head, indent=2) + "\n").encode())

    def commit(self) -> None:
        """Append the entries, then sign and write the new head: the commit point."""
        log_path = self.root / self.log.path
        self._begin()
        self._sync_written()
        if self.pending:
            append_line(log_path, "".join(json.dumps(e, ensure_ascii=False, sort_keys=True)
                                          + "\n" for e in self.pending))
        full = Log(self.log.entries + self.pending, name=self.log.name)
        # a key that never wrote has no log yet; nothing new (an issue that skipped every
        # row) leaves the head as it was, not re-signed with a new time in every clone
        if full.entries and (self.pending or not (self.root / full.head_path).is_file()):
            head = sign_head(full, self.key, self.vm, self.when)
            atomic_write(self.root / full.head_path,
                         (json.dumps(head, indent=2) + "\n").encode())
        (self.root / JOURNAL).unlink(missing_ok=True)
        self.log, self.pending = full, []


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def transaction(root: Path, key: SigningKey, vm: str, when: str | None = None
                ) -> Iterator[Transaction]:
    """Lock, roll back any interrupted predecessor, run, commit. An exception rolls back."""
    with locked(root):
        recover(root)
        tx = Transaction(root, key, vm, when)
        try:
            yield tx
        except BaseException:
            recover(root)
            raise
        tx.commit()
