"""What a long-lived process keeps between builds so that a rebuild does only the work a
change requires: parsed sources, the credentials stage's result, rendered pages.

The rule that keeps this honest: every render job declares all of its inputs (render.Job),
so a page is rebuilt exactly when something it shows changed, and the output is identical to
a clean build (tests compare the two after a series of edits).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..content.config import SiteConfig
from ..content.load import SourceFile, read_source
from ..content.model import Award, Badge, Catalog
from ..content.validate import validate_badge
from ..core.errors import Problems
from ..core.paths import (
    CREDENTIALS_DIR,
    EARNERS_DIR,
    INSIGHTS_PATH,
    KEYS_PATH,
    LOG_DIR,
    RECORD_PATHS,
    REVOCATIONS,
    STATUS_DIR,
)
from .plan import Job
from .render import Output


def _stamp(path: Path | str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
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
        self.loaded: dict = {}  # each credential file as loaded, by path and bytes

    @staticmethod
    def stamps(root: Path) -> tuple:
        """mtime and size of every file the credentials stage reads."""
        files = [str(root / REVOCATIONS), str(root / KEYS_PATH), str(root / INSIGHTS_PATH)]
        for folder in (CREDENTIALS_DIR, STATUS_DIR, LOG_DIR, EARNERS_DIR):
            if (root / folder).is_dir():
                with os.scandir(root / folder) as it:
                    files += [e.path for e in it if e.name.endswith((".json", ".jsonl"))]
        return tuple(sorted((p, _stamp(p)) for p in files))

    def key_for(self, root: Path, catalog: Catalog, records_changed: bool) -> tuple:
        """What the stage's result depends on; the stat calls are skipped when the file
        watcher says no record changed."""
        stamps = (self.stamps(root) if records_changed or self.key is None else self.key[0])
        return (stamps, tuple((b.slug, b.url) for b in catalog.badges), catalog.config)


class JobCache:
    """Rendered pages by path with the fingerprint of their inputs: a job whose
    fingerprint did not change is not rendered again. ``memo`` holds per-build stand-ins
    for big inputs (plan.Plan), reset whenever the credentials change."""

    def __init__(self, remember: bool = True) -> None:
        self.remember = remember  # False: a one-off build, no fingerprints needed
        # path -> (fingerprint, bytes, the job that made them)
        self.done: dict[str, tuple[int, bytes, Job]] = {}
        self.memo: dict = {}

    def render(self, jobs: dict[str, Job], tick) -> tuple[Output, Output]:
        """(every file, the files rendered in this call)."""
        files: Output = {}
        fresh: Output = {}
        done: dict[str, tuple[int, bytes, Job]] = {}
        for n, (path, job) in enumerate(jobs.items(), 1):
            hit = self.done.get(path)
            if hit is not None and hit[2] is job:  # the very job of the last build (plan memo)
                done[path] = hit
                files[path] = hit[1]
                continue
            fp = job.fingerprint() if self.remember else 0
            if hit and hit[0] == fp and self.remember:
                data = hit[1]
            else:
                data = fresh[path] = job.make()
            if self.remember:
                done[path] = (fp, data, job)
            files[path] = data
            if n % 1000 == 0 or n == len(jobs):
                tick(n, len(jobs))
        self.done = done
        return files, fresh


RECORD_PARTS = tuple(p.as_posix() for p in RECORD_PATHS)


def touches_records(root: Path, changed: set[Path]) -> bool:
    """Whether any changed file is one the credentials stage reads."""
    for path in changed:
        try:
            rel = Path(path).resolve().relative_to(root).as_posix()
        except ValueError:
            continue
        if rel.startswith(RECORD_PARTS):
            return True
    return False
