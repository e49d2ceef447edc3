"""What `issue` needs to know about the credentials there are, without parsing 100,000 files
on every run: for each file, its achievement id, the salted email hashes of its earner and
its status list entry.

Why a local index and not the logs: duplicates and taken status indexes are decided by the
files in ``site_src/credentials/`` (a file pulled with git, edited by hand or not yet logged
counts as much as one this key issued), so the index is validated against those files
themselves, the way git validates its own index: each entry keeps the file's size,
modification time and inode, one ``stat`` per file tells whether it changed, and only new or
changed files are parsed again (a removed file drops out). A missing, damaged or foreign
index is simply rebuilt. Nothing in it is trusted beyond what the file said when it was
indexed, and it lives in ``.badgepress-cache/``, which is never published nor committed.

Crash safety needs nothing more: the index is written after the transaction, atomically,
and an index that names files a rolled-back transaction removed, or misses files a later
one wrote, is corrected by the same stat check on the next run.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..build.fanout import fan_out
from ..core.files import atomic_write, read_regular
from ..core.paths import CACHE_DIR, CREDENTIALS_DIR
from ..trust.ledger import Log
from ..trust.status import entry_of
from ..trust.verify import email_hash

INDEX_PATH = CACHE_DIR / "issue-index.json"
VERSION = 1
RESAVE_AFTER = 200  # files parsed or added since the saved index: worth writing it again


# One file's record, kept as the JSON the index is saved as (no conversion on load or save):
# [size, mtime_ns, inode, achievement id as written, [[salt, identityHash] of each
#  emailAddress identifier], [status list URL, index] or None]
Record = list[Any]


def facts_of(doc: Any) -> list[Any]:
    """What ``already_issued`` and ``used_indexes`` read in a parsed credential: its
    achievement id, (salt, hash) of its email identifiers, its status entry (anything that
    is no credential has none of the three)."""
    if not isinstance(doc, dict):
        return [None, [], None]
    subject = doc.get("credentialSubject", {})
    subject = subject if isinstance(subject, dict) else {}
    achievement = subject.get("achievement", {})
    idents = subject.get("identifier", [])
    emails = [[i.get("salt", ""), i.get("identityHash")]
              for i in (idents if isinstance(idents, list) else [])
              if isinstance(i, dict) and i.get("identityType") == "emailAddress"]
    status = entry_of(doc)
    return [achievement.get("id") if isinstance(achievement, dict) else None, emails,
            list(status) if status else None]


def _stamp(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def _valid(record: Any) -> bool:
    """The shape ``facts_of`` and ``_stamp`` give (a saved index is checked, not trusted)."""
    if type(record) is not list or len(record) != 6:
        return False
    size, mtime, ino, _, emails, status = record
    return (type(size) is int and type(mtime) is int and type(ino) is int
            and type(emails) is list
            and all(type(e) is list and len(e) == 2 for e in emails)
            and (status is None or (type(status) is list and len(status) == 2
                                    and type(status[0]) is str and type(status[1]) is int)))


class CredentialIndex:
    """The credentials of a site by file name, and by achievement for duplicate checks."""

    def __init__(self, root: Path, files: dict[str, Record], fresh: int = 0):
        self.root = root
        self.files = files
        self.fresh = fresh  # records the saved index lacks (parsed now, or added)
        self._by_achievement: dict[Any, list[str]] | None = None

    def _grouped(self) -> dict[Any, list[str]]:
        if self._by_achievement is None:
            grouped: dict[Any, list[str]] = {}
            for name in sorted(self.files):  # the order existing_for reads them in
                achievement = self.files[name][3]
                if isinstance(achievement, str):
                    grouped.setdefault(achievement, []).append(name)
            self._by_achievement = grouped
        return self._by_achievement

    def duplicate(self, achievement_id: str, email: str) -> Path | None:
        """The first file (by name) of a credential for this achievement whose email
        identifier hashes ``email`` (normalized) with its own salt."""
        for name in self._grouped().get(achievement_id, []):
            for salt, digest in self.files[name][4]:
                if isinstance(salt, str) and digest == email_hash(email, salt):
                    return self.root / CREDENTIALS_DIR / name
        return None

    def used_indexes(self, logs: Iterable[Log] = ()) -> dict[str, set[int]]:
        """Status list entries taken by the credentials, and reserved by withdrawn ones
        (the same rule as ``issue.used_indexes``)."""
        used: dict[str, set[int]] = {}
        for record in self.files.values():
            if record[5]:
                used.setdefault(record[5][0], set()).add(record[5][1])
        for e in (e for log in logs for e in log.withdrawn().values()):
            url, _, index = str(e.get("status", "")).rpartition("#")
            if url and index.isdigit():
                used.setdefault(url, set()).add(int(index))
        return used

    def add(self, path: Path, doc: dict[str, Any]) -> None:
        """A file just written by this run (its content is known: no need to read it)."""
        self.files[path.name] = _stamp(path.stat()) + facts_of(doc)
        self.fresh += 1
        self._by_achievement = None

    def save(self) -> None:
        """Write the index (atomically; a failure only costs the next run a rebuild) when
        it lacks enough records to matter: rewriting 30 MB for one credential would cost
        more than parsing the few files it lacks on the next run."""
        if self.fresh < RESAVE_AFTER and (self.root / INDEX_PATH).is_file():
            return
        data = {"version": VERSION, "files": self.files}
        try:
            atomic_write(self.root / INDEX_PATH, json.dumps(data, separators=(",", ":"),
                                                            ensure_ascii=False).encode())
        except OSError:
            pass


def _read_index(root: Path) -> dict[str, Record]:
    """The saved records; {} when there is no usable index (missing, damaged, older)."""
    path = root / INDEX_PATH
    try:
        data = json.loads(read_regular(path)) if path.is_file() else {}
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != VERSION:
        return {}
    files = data.get("files")
    if not isinstance(files, dict) or not all(_valid(r) for r in files.values()):
        return {}
    return files


def load_index(root: Path) -> CredentialIndex:
    """The index, brought up to date with ``site_src/credentials/``: entries of files that
    are gone are dropped, new or changed files (size, mtime or inode differ) are parsed.
    A file that cannot be read or parsed is left out, as ``existing_for`` leaves it out."""
    saved = _read_index(root)
    files: dict[str, Record] = {}
    todo: list[tuple[str, str, tuple]] = []
    fresh = 0
    folder = root / CREDENTIALS_DIR
    listing = os.scandir(folder) if folder.is_dir() else contextlib.nullcontext([])
    with listing as items:  # the names folder.glob("*.json") gives, dot files included
        for item in items:
            if not item.name.endswith(".json"):
                continue
            try:
                stamp = _stamp(item.stat(follow_symlinks=True))
            except OSError:
                continue
            old = saved.get(item.name)
            if old is not None and old[:3] == stamp:
                files[item.name] = old
                continue
            todo.append((item.name, item.path, stamp))
    # new or changed files (all of them on a fresh clone) are parsed on every core
    for _, records in fan_out(_parse_range, todo, len(todo), chunk=1000):
        for name, record in records:
            files[name] = record
            fresh += 1
    return CredentialIndex(root, files, fresh + len(set(saved) - set(files)))


def _parse_range(todo: list[tuple[str, str, tuple]], start: int, end: int
                 ) -> list[tuple[str, Record]]:
    out = []
    for name, path, stamp in todo[start:end]:
        try:
            doc = json.loads(read_regular(path))  # the path as text: no Path 100,000 times
        except (ValueError, OSError):
            continue
        out.append((name, stamp + facts_of(doc)))
    return out

