"""What a long-lived process keeps between builds so that a rebuild does only the work a
change requires: parsed sources, the credentials stage's result, rendered pages.

The rule that keeps this honest: every render job declares all of its inputs (render.Job),
so a page is rebuilt exactly when something it shows changed, and the output is identical to
a clean build (tests compare the two after a series of edits).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from ..content.config import SiteConfig
from ..content.load import SourceFile, markdown_files, read_source
from ..content.model import Award, Badge, Catalog
from ..content.validate import IMAGE_SUFFIXES, validate_badge
from ..core.errors import BuildError, Problems
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
from .layers import Layered
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
        # badge file -> (the parse it was validated from, config, badge, image stamps)
        self.badges: dict[Path, tuple[SourceFile, SiteConfig, Badge, tuple]] = {}
        # folders whose last scan found no link or special file (pipeline.load_site): a
        # rebuild scans only what the file watcher says changed in them
        self.clean: set[Path] = set()
        # what the file watcher reported for this build (None: it cannot tell, look at
        # every file's mtime and size); folder -> its Markdown files, as last listed
        self.changed: set[Path] | None = None
        self.listed: dict[Path, list[Path]] = {}

    def watch(self, changed: set[Path] | None) -> None:
        """What the file watcher reports for the coming build: a file it does not name
        is taken as unchanged without a stat (1,000 badges and their images: 3,000 stat
        calls a rebuild need not make)."""
        self.changed = changed
        if changed is None:
            self.listed.clear()
            return
        for folder in list(self.listed):
            if any(p.parent == folder or p == folder or folder.is_relative_to(p)
                   for p in changed):
                del self.listed[folder]

    def listing(self, folder: Path) -> list[Path]:
        """load.markdown_files, kept while the watcher reports nothing in the folder."""
        if self.changed is None or folder not in self.listed:
            self.listed[folder] = markdown_files(folder)
        return self.listed[folder]

    def forget(self, changed: set[Path]) -> None:
        """Read and validate again what a file watcher reported, whatever its mtime and
        size say (an edit of the same length within one tick of the file system's clock):
        a badge or page file, or a file its image can be."""
        for path in changed:
            self.sources.pop(path, None)
            self.badges.pop(path, None)
        folders = {p.parent for p in changed} | changed
        for key, hit in list(self.badges.items()):
            if key.parent in folders and any(p in changed for p in _image_paths(hit[0])):
                del self.badges[key]

    def read(self, path: Path, problems: Problems) -> SourceFile | None:
        hit = self.sources.get(path)
        if hit and self.changed is not None:  # forget() dropped it if it changed
            return hit[1]
        stamp = _stamp(path)
        if hit and hit[0] == stamp:
            return hit[1]
        before = len(problems.items)
        src = read_source(path, problems)
        if src is not None and len(problems.items) == before:
            self.sources[path] = (stamp, src)
        return src

    def validate(self, src: SourceFile, config: SiteConfig, problems: Problems) -> Badge | None:
        """The badge of ``src``, validated again when its file, the config or its image
        changed: an image added, removed or replaced beside an unchanged badge file changes
        the badge (validate._image finds ``<slug>.svg`` or ``.png`` by its existence)."""
        hit = self.badges.get(src.path)
        if hit and hit[0] is src and hit[1] == config and self.changed is not None:
            return hit[2]  # forget() dropped it if one of its image files changed
        images = _image_stamps(src)
        if hit and hit[0] is src and hit[1] == config and hit[3] == images:
            return hit[2]
        before = len(problems.items)
        badge = validate_badge(src, config, problems)
        if badge is not None and len(problems.items) == before:
            self.badges[src.path] = (src, config, badge, images)
        else:
            self.badges.pop(src.path, None)
        return badge


def _image_paths(src: SourceFile) -> list[Path]:
    """Every file a badge's image can be: the one its front matter names, and
    ``<slug>.svg`` / ``<slug>.png`` beside it."""
    folder = src.path.parent
    named = src.meta.get("image") if isinstance(src.meta, dict) else None
    names = [src.stem.lower() + suffix for suffix in IMAGE_SUFFIXES]
    if isinstance(named, str) and named and "/" not in named and "\\" not in named:
        names.append(named)
    return [folder / name for name in names]


def _image_stamps(src: SourceFile) -> tuple:
    return tuple(_stamp(path) for path in _image_paths(src))


class AwardCache:
    """The credentials stage's result, reused while no credential, status list, log,
    revocation or key file changed (10,000 stat calls instead of 10,000 verifications)."""

    FILES = (REVOCATIONS, KEYS_PATH, INSIGHTS_PATH)
    FOLDERS = (CREDENTIALS_DIR, STATUS_DIR, LOG_DIR, EARNERS_DIR)

    def __init__(self) -> None:
        self.key: tuple | None = None
        self.awards: list[Award] = []
        self.loaded: dict = {}  # each credential file as loaded, by path and bytes
        self.stamped: dict[str, tuple[int, int] | None] | None = None  # path -> stamp
        self.version = 0  # moves on whenever ``stamped`` changes
        # the moments the awards' states hold for: from the run's now to the first
        # validFrom or validUntil after it (CredentialStage's horizon)
        self.window: tuple[datetime, datetime] = (datetime.max.replace(tzinfo=UTC),) * 2

    @classmethod
    def stamps(cls, root: Path) -> tuple:
        """mtime and size of every file the credentials stage reads."""
        files = [str(root / p) for p in cls.FILES]
        for folder in cls.FOLDERS:
            if (root / folder).is_dir():
                with os.scandir(root / folder) as it:
                    files += [e.path for e in it if e.name.endswith((".json", ".jsonl"))]
        return tuple(sorted((p, _stamp(p)) for p in files))

    def key_for(self, root: Path, catalog: Catalog, records_changed: bool,
                changed: set[Path] | None = None) -> tuple:
        """What the stage's result depends on. The stat calls are skipped when the file
        watcher says no record changed, and limited to the files it names otherwise."""
        paths = self.read_by_stage(root, changed) if changed is not None else None
        if self.stamped is None or (records_changed and paths is None):
            stamped = dict(self.stamps(root))
            if stamped != self.stamped:
                self.stamped, self.version = stamped, self.version + 1
        elif records_changed and paths:
            self.version += 1  # written, even if with the same size within one clock tick
            for path in paths:
                stamp = _stamp(path)
                if stamp is None:
                    self.stamped.pop(path, None)
                else:
                    self.stamped[path] = stamp
        return (self.version, tuple((b.slug, b.url) for b in catalog.badges), catalog.config)

    @classmethod
    def read_by_stage(cls, root: Path, changed: set[Path]) -> list[str] | None:
        """The changed paths that are files the stage reads (as ``stamps`` names them);
        None when a change may have moved or removed many at once (a folder of them, or a
        folder above one), so every file must be stamped again."""
        files = {p.as_posix() for p in cls.FILES}
        folders = {p.as_posix() for p in cls.FOLDERS}
        out = []
        for path in changed:
            rel = site_path(root, path)
            if rel is None:
                continue
            parent, _, name = rel.rpartition("/")
            if rel in files or (parent in folders and name.endswith((".json", ".jsonl"))):
                out.append(str(root / rel))
            elif any(covers(rel, part) and not rel.startswith(part + "/")
                     for part in files | folders):
                return None
        return out


class JobCache:
    """Rendered pages by path with the fingerprint of their inputs: a job whose
    fingerprint did not change is not rendered again. ``memo`` holds per-build stand-ins
    for big inputs (plan.Plan), reset whenever the credentials change.

    A segment of jobs (plan.Jobs) that is the very dict of the last build is taken whole:
    its files are the last build's, without a look at each of its jobs.

    What a render made counts only once the build is good (``commit``): after a build that
    failed (a secret in one page), the pages it rendered are rendered again, so that the
    next good build hands them to the writer."""

    def __init__(self, remember: bool = True) -> None:
        self.remember = remember  # False: a one-off build, no fingerprints needed
        # path -> (fingerprint, bytes, the job that made them), for jobs outside segments
        self.done: dict[str, tuple[int, bytes, Job]] = {}
        # segment name -> (its jobs, their files, their entries as in ``done``)
        self.segments: dict = {}
        self.pending: tuple | None = None
        self.memo: dict = {}
        # paths the last render made that the one before did not, and the other way round
        self.removed: list[str] = []
        self.sources: dict[str, str] = {}  # what each freshly rendered file is made from
        # problems of the jobs the last render could not make (a template error): every
        # page is tried, as a clean build does, and they are reported together
        self.failed: list = []

    def render(self, jobs: dict[str, Job], tick) -> tuple[Output, Output]:
        """(every file, the files rendered in this call)."""
        fresh: Output = {}
        self.sources = {}
        self.failed = []
        total = len(jobs)
        segments = getattr(jobs, "segments", None) if self.remember else None
        loose = jobs.loose if segments else jobs  # type: ignore[attr-defined]
        layered = Layered(jobs.owner) if segments else None  # type: ignore[attr-defined]
        files = layered if layered is not None else {}
        done = self._render(loose, self.done, layered.loose if layered is not None else files,
                            fresh, tick, 0, total)
        count = len(loose)
        kept = {}
        for name, seg in (segments or {}).items():
            last = self.segments.get(name)
            if last is not None and last[0] is seg:
                kept[name] = last
                layered.segments[name] = last[1]  # type: ignore[union-attr]
            else:
                seg_files: dict[str, bytes] = {}
                seg_done = self._render(seg, last[2] if last is not None else self.done,
                                        seg_files, fresh, tick, count, total)
                kept[name] = (seg, seg_files, seg_done)
                layered.segments[name] = seg_files  # type: ignore[union-attr]
            count += len(seg)
        tick(total, total)
        gone = [p for p in self.done.keys() - done.keys() if p not in files]
        for name, last in self.segments.items():
            if kept.get(name) is not last:
                gone += [p for p in last[1] if p not in files]
        self.removed = sorted(gone)
        self.pending = (done, kept)
        return files, fresh

    def commit(self) -> None:
        """The last render made a good build: later renders start from it."""
        if self.pending is not None and self.remember:
            self.done, self.segments = self.pending
        self.pending = None

    def _render(self, jobs: dict[str, Job], last: dict[str, tuple[int, bytes, Job]],
                files: Output, fresh: Output, tick, count: int, total: int
                ) -> dict[str, tuple[int, bytes, Job]]:
        """Render ``jobs`` into ``files`` (and ``fresh``) unless ``last`` has their bytes
        for the same job or the same fingerprint; the new ``last``."""
        done: dict[str, tuple[int, bytes, Job]] = {}
        remember = self.remember
        for n, (path, job) in enumerate(jobs.items(), count + 1):
            hit = last.get(path)
            if hit is not None and hit[2] is job:  # the very job of the last build (plan memo)
                done[path] = hit
                files[path] = hit[1]
                continue
            fp = job.fingerprint() if remember else 0
            if hit and hit[0] == fp and remember:
                data = hit[1]
            else:
                try:
                    data = fresh[path] = job.make()
                except BuildError as exc:
                    self.failed += exc.problems
                    continue
                self.sources[path] = job.source
            if remember:
                done[path] = (fp, data, job)
            files[path] = data
            if n % 1000 == 0:
                tick(n, total)
        return done


RECORD_PARTS = tuple(p.as_posix() for p in RECORD_PATHS)


def site_path(root: Path, path: Path | str) -> str | None:
    """``path`` (absolute, or relative to the site) as a path below ``root``, its folder
    resolved but not itself (a link must not lead elsewhere); '' for the site folder,
    None for a path outside it."""
    path = root / path
    where = path.parent.resolve() / path.name if path.name else path.resolve()
    try:
        rel = where.relative_to(root).as_posix()
    except ValueError:
        return None
    return "" if rel == "." else rel


def covers(rel: str, part: str) -> bool:
    """Whether a change at site path ``rel`` can change what lies at ``part``: the same
    path, one below it, or a folder above it (moved or deleted whole)."""
    part = part.rstrip("/")
    return rel == part or rel.startswith(part + "/") or rel == "" or \
        part.startswith(rel + "/")


def touches_records(root: Path, changed: set[Path], parts: tuple[str, ...] = RECORD_PARTS
                    ) -> bool:
    """Whether any changed path is, holds or lies in a file or folder the credentials
    stage reads (or, with ``parts``, one of those site paths)."""
    for path in changed:
        rel = site_path(root, path)
        if rel is not None and any(covers(rel, part) for part in parts):
            return True
    return False
