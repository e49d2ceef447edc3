"""Incremental rebuilds for the dev server (and anything else that builds repeatedly in one
process): reuse what did not change, render only pages whose inputs changed, write only files
whose bytes changed.

The rule that keeps this honest: every render job declares all of its inputs (render.Job),
so a page is rebuilt exactly when something it shows changed, and the output is identical to
a clean build (tests compare the two after a series of edits).
"""

from __future__ import annotations

import gc
import hashlib
import os
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .awards import load_awards
from .build import load_site, published_records
from .config import SiteConfig
from .errors import Problem, Problems
from .issuer import identity_documents
from .keys import load_key_history, now_utc
from .load import SourceFile, read_source
from .model import Award, Badge, Catalog
from .render import plan_site
from .safety import check_output
from .validate import validate_badge
from .write import write_site


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


class SourceCache:
    """Badge and page files parsed and validated once, until the file changes. Only files
    that produced no problem are kept, so every problem is reported again on each build."""

    def __init__(self) -> None:
        self.sources: dict[Path, tuple[tuple, SourceFile]] = {}
        self.badges: dict[int, tuple[SiteConfig, Badge]] = {}

    def read(self, path: Path, problems: Problems) -> SourceFile | None:
        stamp = _stamp(path)
        hit = self.sources.get(path)
        if hit and hit[0] == stamp:
            return hit[1]
        before = len(problems.items)
        src = read_source(path, problems)
        if src is not None and len(problems.items) == before:
            self.sources[path] = (stamp, src)
        return src

    def validate(self, src: SourceFile, config: SiteConfig, problems: Problems) -> Badge | None:
        hit = self.badges.get(id(src))
        if hit and hit[0] == config and self.sources.get(src.path, (None, None))[1] is src:
            return hit[1]
        before = len(problems.items)
        badge = validate_badge(src, config, problems)
        if badge is not None and len(problems.items) == before:
            self.badges[id(src)] = (config, badge)
        return badge


class AwardCache:
    """The credentials stage's result, reused while no credential, status list, log,
    revocation or key file changed (10,000 stat calls instead of 10,000 verifications)."""

    def __init__(self) -> None:
        self.key: tuple | None = None
        self.awards: list[Award] = []

    @staticmethod
    def stamps(root: Path) -> tuple:
        """mtime and size of every file the credentials stage reads."""
        folders = ("site_src/credentials", "site_src/status", "site_src/log")
        files = [root / "site_src/revocations.toml", root / "site_src/issuer/keys.json"]
        for folder in folders:
            if (root / folder).is_dir():
                with os.scandir(root / folder) as it:
                    files += [Path(e.path) for e in it if e.name.endswith((".json", ".jsonl"))]
        return tuple(sorted((str(p), _stamp(p)) for p in files))


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
        self.strict = strict
        self.sources = SourceCache()
        self.award_cache = AwardCache()
        self.jobs: dict[str, tuple[bytes, bytes]] = {}  # path -> (fingerprint, bytes)
        self.on_disk: dict[str, bytes] = {}  # path -> sha256 of what was written
        self.first = True
        self.memo: dict = {}
        self.records: tuple | None = None

    def build(self, now: datetime | None = None, changed: set[Path] | None = None
              ) -> IncrementalResult:
        """Build again (see _build); the cyclic garbage collector is paused meanwhile, as
        scanning the large, long-lived caches would cost more than the build itself."""
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._build(now, changed)
        finally:
            if enabled:
                gc.enable()

    def _build(self, now: datetime | None = None, changed: set[Path] | None = None
               ) -> IncrementalResult:
        """Build again. ``changed`` (from a file watcher) names the files that changed; when
        none of them is a credential, status list, log, revocation or key file, the
        credentials stage is reused without even a stat of its files."""
        start = time.perf_counter()
        now = now or now_utc()
        catalog, problems = load_site(self.root, strict=self.strict, cache=self.sources)
        records_changed = changed is None or any(_is_record(self.root, p) for p in changed)
        cached = self.award_cache.key
        stamps = (AwardCache.stamps(self.root) if records_changed or cached is None
                  else cached[0])
        signature = (stamps, tuple((b.slug, b.url) for b in catalog.badges), catalog.config)
        if signature == cached:
            awards = self.award_cache.awards
        else:
            awards = load_awards(catalog, problems, now)
            problems.raise_if_errors(self.strict)
            self.award_cache.key, self.award_cache.awards = signature, awards
            self.memo = {}
            records_changed = True
        problems.raise_if_errors(self.strict)
        if records_changed or self.records is None:
            self.records = published_records(self.root)
        records, entries = self.records
        plan = plan_site(catalog, awards, identity_documents(
            catalog.config, load_key_history(self.root)), records=records, log_entries=entries,
            memo=self.memo)
        files: dict[str, bytes] = {}
        fresh: dict[str, bytes] = {}
        jobs: dict[str, tuple[bytes, bytes]] = {}
        for path, job in plan.items():
            fp = job.fingerprint()
            hit = self.jobs.get(path)
            data = hit[1] if hit and hit[0] == fp else job.make()
            if not (hit and hit[0] == fp):
                fresh[path] = data
            jobs[path] = (fp, data)
            files[path] = data
        check_output(self.root, fresh, catalog)
        out = self.out_dir or catalog.config.output_dir
        written, removed = self._write(out, files, fresh)
        self.jobs = jobs
        return IncrementalResult(catalog, awards, written, removed, len(fresh),
                                 time.perf_counter() - start, tuple(problems.warnings), files)

    def _write(self, out: Path, files: dict[str, bytes], fresh: dict[str, bytes]
               ) -> tuple[list[str], list[str]]:
        """Only re-rendered files can differ from what is on disk: hash just those."""
        if self.first or not out.is_dir():
            write_site(out, files)
            self.first = False
            self.on_disk = {p: hashlib.sha256(d).digest() for p, d in files.items()}
            return sorted(files), []
        digests = dict(self.on_disk)
        written = []
        for p, d in fresh.items():
            digest = hashlib.sha256(d).digest()
            if self.on_disk.get(p) != digest:
                written.append(p)
            digests[p] = digest
        written.sort()
        removed = sorted(set(self.on_disk) - set(files))
        for p in removed:
            digests.pop(p, None)
        for p in written:
            target = out / p
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.tmp")
            tmp.write_bytes(files[p])
            os.replace(tmp, target)
        for p in removed:
            (out / p).unlink(missing_ok=True)
        for folder in sorted({(out / p).parent for p in removed}, reverse=True):
            while folder != out and folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
                folder = folder.parent
        self.on_disk = digests
        return written, removed


RECORD_PARTS = ("site_src/credentials", "site_src/status", "site_src/log",
                "site_src/revocations.toml", "site_src/issuer")


def _is_record(root: Path, path: Path) -> bool:
    try:
        rel = Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return False
    return rel.startswith(RECORD_PARTS)


__all__ = ["IncrementalBuilder", "IncrementalResult"]
