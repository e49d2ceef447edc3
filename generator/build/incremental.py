"""Incremental rebuilds for the dev server (and anything else that builds repeatedly in one
process): the one pipeline with caches, then only the files whose bytes changed are written.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..content.model import Award, Catalog
from ..core.errors import Problem
from .output import remove_stale, write_site
from .pipeline import Caches, Pipeline


@dataclass
class IncrementalResult:
    catalog: Catalog
    awards: list[Award]
    written: list[str]
    removed: list[str]
    rendered: int
    seconds: float
    warnings: tuple[Problem, ...] = ()
    files: Mapping[str, bytes] = field(default_factory=dict)


class IncrementalBuilder:
    """Builds one site again and again; the first build writes the output whole (atomic
    swap), later ones write only what changed. A failed build raises BuildError and writes
    nothing, so the last good site keeps being served."""

    def __init__(self, root: Path, out_dir: Path | None = None, *, strict: bool = False):
        self.root = root.resolve()
        self.out_dir = out_dir
        self.pipeline = Pipeline(self.root, strict=strict, caches=Caches())
        self.on_disk: dict[str, bytes] = {}  # path -> the bytes written there
        self.first = True
        # paths changed since the last good build (None: unknown, look at everything)
        self.missed: set[Path] | None = None

    def build(self, now: datetime | None = None, changed: set[Path] | None = None
              ) -> IncrementalResult:
        """Build again. ``changed`` (from a file watcher; absolute, or relative to the site)
        names the files that changed; when none of them is a credential, status list, log,
        revocation or key file, the credentials stage is reused without even a stat of its
        files. The cyclic garbage collector is paused meanwhile: scanning the large,
        long-lived caches would cost more than the build itself."""
        enabled = gc.isenabled()
        gc.disable()
        # what a failed build was told still has to be looked at: it may have stopped
        # before the stage that reads it (a broken badge, then a changed credential)
        if changed is not None and self.missed is not None:
            changed = {self.root / p for p in changed} | self.missed
        else:
            changed = None
        self.missed = changed
        try:
            start = time.perf_counter()
            result = self.pipeline.run(now, changed=changed)
            out = self.out_dir or result.catalog.config.output_dir
            written, removed = self._write(out, result.files, result.fresh, result.removed)
            self.missed = set()
            return IncrementalResult(result.catalog, list(result.awards), written, removed,
                                     len(result.fresh), time.perf_counter() - start,
                                     result.warnings, result.files)
        finally:
            if enabled:
                gc.enable()

    def _write(self, out: Path, files: Mapping[str, bytes], fresh: dict[str, bytes],
               removed: tuple[str, ...]) -> tuple[list[str], list[str]]:
        """Only re-rendered files can differ from what is on disk: compare just those with
        the bytes last written (kept by reference: the page cache holds them anyway, and
        comparing is cheaper than hashing a 35 MB log). A file that only grew (the signed
        log, after an issue or a revocation) gets its new end appended, when the file on
        disk is still the size this builder wrote. ``removed``: the files of the last
        build this one no longer makes. A write that fails leaves the next build to write
        the whole site again."""
        if self.first or not out.is_dir():
            self.first = True
            write_site(out, files)
            self.first = False
            self.on_disk = dict(files.items())
            return sorted(files), []
        written = [p for p, d in fresh.items() if self.on_disk.get(p) != d]
        written.sort()
        self.first = True  # until every file below is in place
        for p in written:
            target = out / p
            data = files[p]
            if not _appended(target, self.on_disk.get(p), data):
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = target.with_name(f".{target.name}.tmp")
                tmp.write_bytes(data)
                os.replace(tmp, target)
            self.on_disk[p] = data
        remove_stale(out, list(removed))
        for p in removed:
            self.on_disk.pop(p, None)
        self.first = False
        return written, list(removed)


APPEND_MIN = 1 << 20  # below this, a file is written whole: appending saves nothing


def _appended(target: Path, old: bytes | None, new: bytes) -> bool:
    """Write the end of ``new`` after ``old`` in ``target`` when ``new`` only grew from
    ``old`` and ``target`` still has ``old``'s size; whether it did."""
    if old is None or len(old) < APPEND_MIN or len(new) <= len(old) or \
            not new.startswith(old):
        return False
    try:
        with open(target, "r+b") as fh:
            if os.fstat(fh.fileno()).st_size != len(old):
                return False
            fh.seek(len(old))
            fh.write(memoryview(new)[len(old):])
    except OSError:
        return False
    return True
