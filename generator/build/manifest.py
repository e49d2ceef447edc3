"""What the last ``badgepress build`` wrote, kept in ``.badgepress-cache/build.json`` (never
published, never needed: delete it and the next build is a full one).

It serves two things at 100,000 credentials:
- **nothing changed** — the stamp of every input (size and mtime of each file of badges/,
  site_src/ and the themes, the badgepress version and code, the secrets the output is
  checked for) equals the last build's, the output folder is the one that build wrote, and
  no credential's state can have changed since (no validFrom or validUntil passed between
  the last build's "now" and this one's): the build stops after a few stat calls, as make
  does, instead of rendering 300,000 files again;
- **write only what changed** — otherwise every file is rendered and checked again, but a
  file whose bytes equal those on disk (compared byte for byte with the file the last build
  wrote) is not written again, and files no longer planned are deleted.

A build that fails writes no manifest; a manifest that cannot be read is ignored.

The list of written files (305,000 entries, 21 MB at 100k credentials) lives in a file of its
own, ``build-files.json``, named by its SHA-256 in ``build.json``: a build that finds nothing
changed reads only the small ``build.json``; parsing the list was a third of its time.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path

from ..content.config import SiteConfig
from ..core.dates import iso
from ..core.files import atomic_write
from ..core.paths import BADGES_DIR, CACHE_DIR, SRC_DIR
from .safety import environment_secrets, key_forms
from .stream import page_count, safe_relative

MANIFEST = CACHE_DIR / "build.json"
FILES = CACHE_DIR / "build-files.json"
FORMAT = 3  # 3: a file's size alone (2: also its SHA-256 and mtime; now compared byte for byte)

# the size of a file as the last build wrote it
Entry = int


def _walk(folder: Path, into: list[tuple[str, int, int]]) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for e in entries:
        if e.name == "__pycache__":  # written by Python itself, whenever it likes
            continue
        if e.is_dir(follow_symlinks=False):
            _walk(Path(e.path), into)
        else:
            st = e.stat(follow_symlinks=False)
            into.append((e.path, st.st_size, st.st_mtime_ns))


def input_stamp(cfg: SiteConfig) -> str:
    """One digest of everything a build reads: each file's path, size and mtime below
    badges/, site_src/ and both themes; badgepress's version and the mtimes of its own
    code; the key forms and environment secrets the output is checked against."""
    from .. import __version__

    stamps: list[tuple[str, int, int]] = []
    for folder in (cfg.root / BADGES_DIR, cfg.root / SRC_DIR, cfg.theme_dir,
                   Path(str(resources.files("badgepress")))):
        _walk(folder, stamps)
    stamps.sort()
    digest = hashlib.sha256(f"{FORMAT}\0{__version__}\0{cfg.output_dir}\0".encode())
    for path, size, mtime in stamps:
        digest.update(f"{path}\0{size}\0{mtime}\n".encode())
    for secret in (*key_forms(), *environment_secrets()):
        digest.update(hashlib.sha256(secret).digest())
    return digest.hexdigest()


def out_stamp(out_dir: Path) -> list[int] | None:
    try:
        st = out_dir.stat()
    except OSError:
        return None
    return [st.st_ino, st.st_mtime_ns]


@dataclass
class Manifest:
    """The last successful build of this site: its input stamp, when it judged dates,
    until when those judgements hold, and every file it wrote (read when first asked for,
    ``entries``)."""

    out: str = ""
    stamp: str = ""
    now: str = ""
    horizon: str = ""  # the first validFrom/validUntil after ``now`` ('' = none)
    links_checked: bool = False
    warnings: list[str] = field(default_factory=list)
    out_dir: list[int] | None = None
    files: dict[str, Entry] | None = field(default_factory=dict)  # None: not read yet
    pages: int = 0  # how many of the files are .html pages
    count: int = 0  # how many files
    files_sha256: str = ""
    root: Path | None = field(default=None, compare=False)

    @classmethod
    def load(cls, root: Path) -> Manifest:
        try:
            data = json.loads((root / MANIFEST).read_bytes())
            if data.get("format") != FORMAT:
                return cls()
            return cls(out=data["out"], stamp=data["stamp"], now=data["now"],
                       horizon=data["horizon"], links_checked=data["links_checked"],
                       warnings=list(data["warnings"]), out_dir=data["out_dir"],
                       files=None, pages=int(data["pages"]), count=int(data["count"]),
                       files_sha256=str(data["files_sha256"]), root=root)
        except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
            return cls()  # a damaged manifest only costs a full build

    def entries(self) -> dict[str, Entry] | None:
        """{output path: entry} of every file the last build wrote; None when the list is
        missing, damaged or not the one ``build.json`` names."""
        if self.files is None and self.root is not None:
            try:
                raw = (self.root / FILES).read_bytes()
                if hashlib.sha256(raw).hexdigest() != self.files_sha256:
                    return None
                files = {p: int(e) for p, e in json.loads(raw)["files"].items()}
            except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
                return None
            # the next build deletes the listed files it no longer makes: a path leading
            # out of the output folder ('../x', '/x') makes the whole list untrusted
            if not all(safe_relative(p) for p in files):  # JSON keys: always text
                return None
            self.files = files
        return self.files

    def paths(self, out_dir: Path) -> list[str]:
        """The files the last build wrote; when their list cannot be read, the files in
        ``out_dir`` (the folder that build wrote, as ``unchanged`` checked)."""
        entries = self.entries()
        if entries is not None:
            return list(entries)
        found = []
        for folder, _, names in os.walk(out_dir):
            rel = Path(folder).relative_to(out_dir).as_posix()
            found += [name if rel == "." else f"{rel}/{name}" for name in names]
        return sorted(found)

    def unchanged(self, out_dir: Path, stamp: str, now: datetime, links: bool) -> bool:
        """Whether a build now would write exactly what the last one wrote."""
        return bool(self.stamp) and self.stamp == stamp and self.out == str(out_dir) \
            and self.out_dir is not None and self.out_dir == out_stamp(out_dir) \
            and (self.links_checked or not links) and self.now <= iso(now) \
            and (not self.horizon or iso(now) < self.horizon)

    def previous(self, out_dir: Path) -> dict[str, Entry] | None:
        """The files on disk this build may keep unwritten, when the output folder is
        the one the last build wrote and its list of files can be read."""
        if self.out == str(out_dir) and self.out_dir is not None \
                and self.out_dir == out_stamp(out_dir):
            return self.entries()
        return None


def forget(root: Path) -> None:
    """Drop the manifest before the output changes (a crash meanwhile leaves none)."""
    (root / MANIFEST).unlink(missing_ok=True)


def save(root: Path, manifest: Manifest, out_dir: Path) -> None:
    """The list of files first, then ``build.json`` naming it: a crash between the two
    leaves no ``build.json``, or one whose list no longer matches (ignored)."""
    if manifest.files is None:  # a loaded manifest whose list was never read
        raise ValueError("a manifest is saved with the list of the files its build wrote")
    files = manifest.files
    manifest.out_dir = out_stamp(out_dir)
    (root / CACHE_DIR).mkdir(exist_ok=True)
    listed = json.dumps({"files": files}, separators=(",", ":")).encode()
    atomic_write(root / FILES, listed)
    atomic_write(root / MANIFEST, json.dumps({
        "format": FORMAT, "out": manifest.out, "stamp": manifest.stamp, "now": manifest.now,
        "horizon": manifest.horizon, "links_checked": manifest.links_checked,
        "warnings": manifest.warnings, "out_dir": manifest.out_dir,
        "pages": page_count(files), "count": len(files),
        "files_sha256": hashlib.sha256(listed).hexdigest()}, separators=(",", ":")).encode())
