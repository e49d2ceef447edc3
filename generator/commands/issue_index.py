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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.files import atomic_write, read_regular
from ..core.paths import CACHE_DIR, CREDENTIALS_DIR
from ..trust.ledger import Log
from ..trust.status import entry_of
from ..trust.verify import email_hash

INDEX_PATH = CACHE_DIR / "issue-index.json"
VERSION = 1
RESAVE_AFTER = 200  # files parsed or added since the saved index: worth writing it again


@dataclass(frozen=True)
class Entry:
    """What one credential file says, as ``already_issued`` and ``used_indexes`` read it."""

    achievement: Any  # credentialSubject.achievement.id, as written
    emails: tuple[tuple[Any, Any], ...]  # (salt, identityHash) of each emailAddress identifier
    status: tuple[str, int] | None  # its BitstringStatusListEntry (list URL, index)

    def to_json(self) -> list[Any]:
        return [self.achievement, [list(e) for e in self.emails],
                list(self.status) if self.status else None]

    @classmethod
    def from_json(cls, data: list[Any]) -> Entry:
        achievement, emails, status = data
        return cls(achievement, tuple((s, h) for s, h in emails),
                   (str(status[0]), int(status[1])) if status else None)


def entry_for(doc: Any) -> Entry:
    """The index entry of a parsed credential (anything that is no credential has none of
    the three)."""
    if not isinstance(doc, dict):
        return Entry(None, (), None)
    subject = doc.get("credentialSubject", {})
    subject = subject if isinstance(subject, dict) else {}
    achievement = subject.get("achievement", {})
    idents = subject.get("identifier", [])
    emails = tuple((i.get("salt", ""), i.get("identityHash"))
                   for i in (idents if isinstance(idents, list) else [])
                   if isinstance(i, dict) and i.get("identityType") == "emailAddress")
    return Entry(achievement.get("id") if isinstance(achievement, dict) else None, emails,
                 entry_of(doc))


def _stamp(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ino]


class CredentialIndex:
    """The credentials of a site by file name, and by achievement for duplicate checks."""

    def __init__(self, root: Path, files: dict[str, tuple[list[int], Entry]],
                 fresh: int = 0):
        self.root = root
        self.files = files
        self.fresh = fresh  # entries the saved index lacks (parsed now, or added)
        self._by_achievement: dict[Any, list[str]] | None = None

    def _grouped(self) -> dict[Any, list[str]]:
        if self._by_achievement is None:
            grouped: dict[Any, list[str]] = {}
            for name in sorted(self.files):  # the order existing_for reads them in
                achievement = self.files[name][1].achievement
                if isinstance(achievement, str):
                    grouped.setdefault(achievement, []).append(name)
            self._by_achievement = grouped
        return self._by_achievement

    def duplicate(self, achievement_id: str, email: str) -> Path | None:
        """The first file (by name) of a credential for this achievement whose email
        identifier hashes ``email`` (normalized) with its own salt."""
        for name in self._grouped().get(achievement_id, []):
            for salt, digest in self.files[name][1].emails:
                if isinstance(salt, str) and digest == email_hash(email, salt):
                    return self.root / CREDENTIALS_DIR / name
        return None

    def used_indexes(self, logs: Iterable[Log] = ()) -> dict[str, set[int]]:
        """Status list entries taken by the credentials, and reserved by withdrawn ones
        (the same rule as ``issue.used_indexes``)."""
        used: dict[str, set[int]] = {}
        for _, entry in self.files.values():
            if entry.status:
                used.setdefault(entry.status[0], set()).add(entry.status[1])
        for e in (e for log in logs for e in log.withdrawn().values()):
            url, _, index = str(e.get("status", "")).rpartition("#")
            if url and index.isdigit():
                used.setdefault(url, set()).add(int(index))
        return used

    def add(self, path: Path, doc: dict[str, Any]) -> None:
        """A file just written by this run (its content is known: no need to read it)."""
        self.files[path.name] = (_stamp(path.stat()), entry_for(doc))
        self.fresh += 1
        self._by_achievement = None

    def save(self) -> None:
        """Write the index (atomically; a failure only costs the next run a rebuild) when
        it lacks enough entries to matter: rewriting 30 MB for one credential would cost
        more than parsing the few files it lacks on the next run."""
        if self.fresh < RESAVE_AFTER and (self.root / INDEX_PATH).is_file():
            return
        data = {"version": VERSION,
                "files": {n: [stamp, e.to_json()] for n, (stamp, e) in self.files.items()}}
        try:
            atomic_write(self.root / INDEX_PATH, json.dumps(data, separators=(",", ":"),
                                                            ensure_ascii=False).encode())
        except OSError:
            pass


def _read_index(root: Path) -> dict[str, tuple[list[int], Entry]]:
    """The saved entries; {} when there is no usable index (missing, damaged, older)."""
    path = root / INDEX_PATH
    try:
        data = json.loads(read_regular(path)) if path.is_file() else {}
        if not isinstance(data, dict) or data.get("version") != VERSION:
            return {}
        return {str(name): (list(stamp), Entry.from_json(entry))
                for name, (stamp, entry) in data["files"].items()}
    except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError):
        return {}


def load_index(root: Path) -> CredentialIndex:
    """The index, brought up to date with ``site_src/credentials/``: entries of files that
    are gone are dropped, new or changed files (size, mtime or inode differ) are parsed.
    A file that cannot be read or parsed is left out, as ``existing_for`` leaves it out."""
    saved = _read_index(root)
    files: dict[str, tuple[list[int], Entry]] = {}
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
            if old is not None and old[0] == stamp:
                files[item.name] = old
                continue
            try:
                doc = json.loads(read_regular(Path(item.path)))
            except (ValueError, OSError):
                continue
            files[item.name] = (stamp, entry_for(doc))
            fresh += 1
    return CredentialIndex(root, files, fresh + len(set(saved) - set(files)))

