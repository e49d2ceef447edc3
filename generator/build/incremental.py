"""Incremental rebuilds for the dev server (and anything else that builds repeatedly in one
process): the one pipeline with caches, then only the files whose bytes changed are written.
"""

from __future__ import annotations

import gc
import hashlib
import os
import time
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
    files: dict[str, bytes] = field(default_factory=dict)


class IncrementalBuilder:
    """Builds one site again and again; the first build writes the output whole (atomic
    swap), later ones write only what changed. A failed build raises BuildError and writes
    nothing, so the last good site keeps being served."""

    def __init__(self, root: Path, out_dir: Path | None = None, *, strict: bool = False):
        self.root = root.resolve()
        self.out_dir = out_dir
        self.pipeline = Pipeline(self.root, strict=strict, caches=Caches())
        self.on_disk: dict[str, bytes] = {}  # path -> sha256 of what was written
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

    def _write(self, out: Path, files: dict[str, bytes], fresh: dict[str, bytes],
               removed: tuple[str, ...]) -> tuple[list[str], list[str]]:
        """Only re-rendered files can differ from what is on disk: hash just those.
        ``removed``: the files of the last build this one no longer makes. A write that
        fails leaves the next build to write the whole site again."""
        if self.first or not out.is_dir():
            self.first = True
            write_site(out, files)
            self.first = False
            self.on_disk = {p: hashlib.sha256(d).digest() for p, d in files.items()}
            return sorted(files), []
        written = []
        digests = {}
        for p, d in fresh.items():
            digest = digests[p] = hashlib.sha256(d).digest()
            if self.on_disk.get(p) != digest:
                written.append(p)
        written.sort()
        self.first = True  # until every file below is in place
        for p in written:
            target = out / p
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.tmp")
            tmp.write_bytes(files[p])
            os.replace(tmp, target)
        remove_stale(out, list(removed))
        self.on_disk.update(digests)
        for p in removed:
            self.on_disk.pop(p, None)
        self.first = False
        return written, list(removed)
