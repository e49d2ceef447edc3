"""Render, check and write for a one-off build (``badgepress build``): the planned jobs are
rendered, checked for secrets (and, with ``--strict``, for broken links) and written straight
into a fresh staging folder by one worker process per core. Nothing rendered is held in
memory, so a 100,000-credential site builds in the memory of a small one, and both cores of
a CI runner render (Jinja holds the GIL: threads would not help; processes do).

Workers are forked after planning, so they share the plan, the compiled templates and the
verified credentials without pickling any of it; each gets ranges of output paths and
returns only problems, the link references it could not settle alone, and the element ids
of its pages. The staging folder replaces the output in two renames only when every file is
written and nothing failed, exactly like ``output.write_site``: the previous site stays
until the new one is whole.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ..core.errors import BuildError, Problem
from .fanout import fan_out
from .links import broken_link, fragment_problem, page_refs
from .output import remove_stale, replace_folder
from .plan import Job
from .safety import SecretScanner

CHUNK = 400  # output paths per task: small enough to balance, big enough to be cheap
CREDENTIAL_PAGES = "credentials/"  # the folder of Award.url


@dataclass
class ChunkResult:
    """What a worker reports for its share of the files."""

    written: int = 0
    problems: list[Problem] = field(default_factory=list)  # secrets: errors
    links: list[Problem] = field(default_factory=list)  # broken links: warnings
    # (page, ref, target page, fragment): anchors on other pages, settled at the end
    anchors: list[tuple[str, str, str, str]] = field(default_factory=list)
    ids: dict[str, frozenset[str]] = field(default_factory=dict)
    # path -> size of every file, and which of them went to staging
    entries: dict[str, int] = field(default_factory=dict)
    staged: list[str] = field(default_factory=list)


@dataclass
class _Work:
    """Everything a worker needs, set before the fork and inherited (never pickled)."""

    staging: Path
    items: list[tuple[str, Job]]
    scanner: SecretScanner
    links: bool
    paths: frozenset[str]
    out_dir: Path
    previous: dict[str, int] | None  # None: write everything


def _do_range(work: _Work, start: int, end: int) -> ChunkResult:
    result = ChunkResult()
    made: set[str] = set()
    staging = str(work.staging)
    for path, job in work.items[start:end]:
        try:
            data = job.make()
        except BuildError as exc:
            result.problems.extend(exc.problems)
            continue
        result.problems.extend(work.scanner.scan(path, data, job.source))
        if work.links and path.endswith(".html") and path != "404.html":
            _check_page(work, path, job.source, data, result)
        before = work.previous.get(path) if work.previous is not None else None
        if before == len(data) and _holds(f"{work.out_dir}/{path}", data):
            result.entries[path] = before  # on disk already, byte for byte
            result.written += 1
            continue
        folder = posixpath.dirname(path)
        if folder not in made:
            _make_folder(f"{staging}/{folder}")
            made.add(folder)
        _write_new(f"{staging}/{path}", data)
        result.entries[path] = len(data)
        result.staged.append(path)
        result.written += 1
    return result


def _make_folder(folder: str) -> None:
    """A folder of the staging tree, whose parent is most often made already (the
    credentials/ of 100,000 credential folders): one mkdir, not os.makedirs' walk."""
    try:
        with contextlib.suppress(FileExistsError):  # made by another worker's page
            os.mkdir(folder)
    except FileNotFoundError:  # its parent is not made yet
        os.makedirs(folder, exist_ok=True)


def _write_new(path: str, data: bytes) -> None:
    """Write a new file of the staging tree with three system calls (open, write, close; a
    buffered file object adds three more, 305,000 times at 100,000 credentials)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _holds(path: str, data: bytes) -> bool:
    """Whether the regular file at ``path`` holds exactly ``data``, compared byte for byte
    with what is on disk, not with a digest the last build recorded: a cold build then
    hashes none of its 1.8 GB of output (1.4 s of CPU at 100,000 credentials), and a file
    changed behind the build's back is written again."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size != len(data):
            return False
        chunks, left = [], len(data) + 1  # one byte more: a file that grew meanwhile
        while left > 0:
            chunk = os.read(fd, left)
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        same = (chunks[0] if len(chunks) == 1 else b"".join(chunks)) == data if chunks \
            else not data
    except OSError:
        return False
    finally:
        os.close(fd)
    return same


def _check_page(work: _Work, path: str, source: str, data: bytes,
                result: ChunkResult) -> None:
    refs = page_refs(data)
    result.ids[path] = frozenset(refs.ids)
    for ref in refs.refs:
        problem, target, fragment = broken_link(path, ref, source, work.paths)
        if problem is not None:
            result.links.append(problem)
        elif fragment and target == path:
            found = fragment_problem(path, ref, source, target, fragment, refs.ids)
            if found:
                result.links.append(found)
        elif fragment and target is not None and target.endswith(".html") \
                and target != "404.html":
            result.anchors.append((path, ref, target, fragment))


def safe_relative(path: str) -> bool:
    """An output path that stays inside the output folder (checked as text, before any
    file is written: no absolute path, no '..', no empty or '.' segment)."""
    parts = path.split("/")
    return bool(path) and not path.startswith("/") and "\\" not in path and \
        "\0" not in path and all(p not in ("", ".", "..") for p in parts)


@dataclass
class Written:
    """What a build wrote: link warnings, and every file's size."""

    warnings: list[Problem]
    entries: dict[str, int]
    staged: int  # files written (the rest were on disk already)
    removed: int


def write_jobs(out_dir: Path, jobs: dict[str, Job], scanner: SecretScanner, *,
               links: bool = False, strict: bool = False,
               tick: Callable[[int, int], None] | None = None,
               previous: dict[str, int] | None = None,
               before_commit: Callable[[], None] | None = None) -> Written:
    """Make every job's file in a staging folder, then put it in place of ``out_dir``.
    Raises BuildError (writing nothing) on a secret, a template error, or, when
    ``strict``, a broken link. With ``previous`` (what the last build wrote into
    ``out_dir``, as the manifest says), files whose bytes did not change are not written
    again: only changed files are moved in (each rename atomic) and stale ones deleted;
    without it the whole folder is replaced in two renames."""
    for path, job in jobs.items():
        if not safe_relative(path):
            raise BuildError([Problem(job.source, f"output path escapes the site folder: "
                                      f"{path}", hint="rename the page or badge")])
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    if previous is not None and not out_dir.is_dir():
        previous = None
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent))
    # the files of each credential last: small and alike (300,000 at 100,000 credentials),
    # they let the workers finish together; planned last, a chunk of /log/ pages (2 ms
    # each) kept one worker busy for most of a second after the other had run out of work
    items = sorted(jobs.items(), key=_credential_file)
    work = _Work(staging, items, scanner, links, frozenset(jobs), out_dir, previous)
    try:
        results = []
        for done, result in fan_out(_do_range, work, len(items), chunk=CHUNK, ordered=False):
            results.append(result)
            if tick:
                tick(done, len(items))
        problems = [p for r in results for p in r.problems]
        link_problems = [p for r in results for p in r.links]
        if links:
            ids: dict[str, frozenset[str]] = {}
            for r in results:
                ids.update(r.ids)
            for page, ref, target, fragment in (a for r in results for a in r.anchors):
                found = fragment_problem(page, ref, jobs[page].source, target, fragment,
                                         ids.get(target, frozenset()))
                if found:
                    link_problems.append(found)
        link_problems.sort(key=lambda p: (str(p.path), p.message))
        if problems:
            raise BuildError(sorted(problems, key=lambda p: (str(p.path), p.message)))
        if strict and link_problems:
            raise BuildError(link_problems)
        entries: dict[str, int] = {}
        for r in results:
            entries.update(r.entries)
        staged = [p for r in results for p in r.staged]
        if before_commit:
            before_commit()
        if previous is None:
            replace_folder(staging, out_dir)
            removed = 0
        else:
            removed = _move_in(staging, out_dir, staged, sorted(set(previous) - set(jobs)))
        return Written(link_problems, entries, len(staged), removed)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _credential_file(item: tuple[str, Job]) -> bool:
    return item[0].startswith(CREDENTIAL_PAGES)


def _move_in(staging: Path, out_dir: Path, staged: list[str], stale: list[str]) -> int:
    """Changed files into place one atomic rename each; files no longer made deleted,
    with the folders they leave empty."""
    made: set[str] = set()
    for path in staged:
        folder = posixpath.dirname(path)
        if folder not in made:
            os.makedirs(out_dir / folder, exist_ok=True)
            made.add(folder)
        os.replace(staging / path, out_dir / path)
    remove_stale(out_dir, stale)
    return len(stale)


def page_count(paths: Iterable[str]) -> int:
    """How many of the output paths are .html pages (what `build` reports as pages)."""
    return sum(1 for p in paths if p.endswith(".html"))


class SiteFiles(Mapping):
    """A written site's files by output path, read from disk when asked for: what a build
    returns instead of holding every page in memory. The list itself may be read when first
    asked for (``paths`` a function, with the counts known): a build that found nothing
    changed reports them without reading the last build's 305,000-entry list."""

    def __init__(self, out_dir: Path, paths: list[str] | Callable[[], list[str]],
                 counts: tuple[int, int] | None = None):
        self.out_dir = out_dir
        self._paths = paths
        self._counts = counts  # (pages, files)

    @cached_property
    def paths(self) -> list[str]:
        return self._paths() if callable(self._paths) else self._paths

    @cached_property
    def _set(self) -> frozenset[str]:
        return frozenset(self.paths)

    @property
    def pages(self) -> int:
        """How many of the files are .html pages."""
        if self._counts is not None:
            return self._counts[0]
        return page_count(self.paths)

    def __getitem__(self, path: str) -> bytes:
        if path not in self._set:
            raise KeyError(path)
        return (self.out_dir / path).read_bytes()

    def __iter__(self) -> Iterator[str]:
        return iter(self.paths)

    def __len__(self) -> int:
        if self._counts is not None and "paths" not in self.__dict__:
            return self._counts[1]
        return len(self.paths)

    def __contains__(self, path: object) -> bool:
        return path in self._set
