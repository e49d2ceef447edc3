"""The build as a list of steps you can read top to bottom (Zola's Site::build), and the one
pipeline that ``build``, ``check``, ``serve`` and the benchmarks share.

``Pipeline.run`` is config → load → validate → catalog → credentials → plan → render →
safety check (→ links); writing is the caller's. Caches only skip work: with ``Caches()`` the
dev server reuses parsed sources, the credentials stage and rendered pages whose declared
inputs did not change; with ``Caches.none()`` (``build``, ``check``) everything is computed.
The output is the same either way (tests compare the two byte for byte).
"""

from __future__ import annotations

import hashlib
import json
import operator
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..content.catalog import build_catalog
from ..content.config import SiteConfig, load_config
from ..content.load import load_sources
from ..content.model import Award, Catalog, Restated
from ..content.people import load_earners
from ..core.dates import iso, now_utc
from ..core.errors import BuildError, Problem, Problems
from ..core.files import read_regular, refuse_unsafe
from ..core.paths import BADGES_DIR, CREDENTIALS_DIR, SRC_DIR, STATUS_DIR
from ..trust.issuer import identity_documents
from ..trust.keys import load_key_history
from ..trust.ledger import Log
from ..trust.logs import history, read_logs
from ..trust.verify import parse_datetime
from . import manifest
from .caches import AwardCache, JobCache, SourceCache, site_path, touches_records
from .cards import DrawnAhead
from .credential_stage import DEFAULT_SAMPLING, CredentialStage, ProofReport, Sampling
from .fanout import collector_paused
from .links import check_links
from .plan import Job, LogLine, plan_site
from .render import Output, forget_theme
from .safety import ScanMemo, SecretScanner, check_output, source_secrets
from .stream import SiteFiles, Written, write_jobs


class Reporter:
    """Receives build progress (Lektor's reporter): silent here; the CLI's shows bars and
    timings, tests can record. ``stage`` yields a tick(done, total) callback."""

    @contextmanager
    def stage(self, name: str) -> Iterator:
        yield lambda done, total: None


@dataclass
class Caches:
    """What a long-lived process (the dev server) keeps between builds; each part is
    optional, and a missing part means "compute it"."""

    sources: SourceCache | None = field(default_factory=SourceCache)
    awards: AwardCache | None = field(default_factory=AwardCache)
    jobs: JobCache | None = field(default_factory=JobCache)
    records: tuple[dict[str, bytes], list[LogLine]] | None = None
    scans: ScanMemo | None = field(default_factory=ScanMemo)

    @classmethod
    def none(cls) -> Caches:
        return cls(sources=None, awards=None, jobs=None, scans=None)


@dataclass(frozen=True)
class SiteResult:
    """One run of the pipeline: the model, every output file, and which of them were
    rendered afresh in this run (all of them without a page cache)."""

    catalog: Catalog
    awards: tuple[Award, ...]
    files: Output
    fresh: Output
    problems: Problems
    proofs: ProofReport | None = None  # None: the credentials stage's result was reused
    removed: tuple[str, ...] = ()  # files of the last run (of a dev server) that are gone

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(self.problems.warnings)


@dataclass(frozen=True)
class Planned:
    """The model and every output file's job, before anything is rendered."""

    catalog: Catalog
    awards: list[Award]
    jobs: dict[str, Job]
    problems: Problems


@dataclass(frozen=True)
class BuildResult:
    catalog: Catalog | None  # None when unchanged
    files: SiteFiles
    warnings: tuple[Problem, ...]
    seconds: float
    out_dir: Path | None
    awards: tuple[Award, ...] = ()
    proofs: ProofReport | None = None
    unchanged: bool = False  # nothing changed since the last build: nothing was done
    written: int = 0  # files written (the others were on disk as they are)
    removed: int = 0


def load_site(root: Path, *, strict: bool = False, cache: SourceCache | None = None,
              changed: set[Path] | None = None) -> tuple[Catalog, Problems]:
    """Config, load and validate: the whole model, or BuildError with every problem.
    ``cache`` reuses badge and page files that did not change.

    First of all, every folder the build reads (badges/, site_src/, the site's theme
    folder) is scanned for symbolic links and special files: one is refused before
    anything is read, so nothing from outside the site folder can reach the output. A dev
    server (``cache``) scans a folder whole once, then only the ``changed`` paths its file
    watcher reports, as long as every scan since found the folder clean."""
    problems = Problems(root)
    was_clean = set(cache.clean) if cache is not None else set()
    if cache is not None:  # clean again only once every scan of this build passed
        cache.clean.clear()
    _scan(was_clean, [root / BADGES_DIR, root / SRC_DIR], problems, changed)
    config = load_config(root, problems)
    problems.raise_if_errors(strict)
    assert config is not None
    _scan(was_clean, [config.theme_dir], problems, changed)
    if cache is not None:
        cache.clean.update([root / BADGES_DIR, root / SRC_DIR, config.theme_dir])
    if cache is not None:
        cache.watch(changed)
    if cache is not None and changed is not None:
        cache.forget(changed)
        if any(p == config.theme_dir or p.is_relative_to(config.theme_dir)
               or config.theme_dir.is_relative_to(p) for p in changed):
            forget_theme()
    if cache is not None:
        badge_sources, page_sources = load_sources(root, problems, cache.read, cache.listing)
        catalog = build_catalog(config, badge_sources, page_sources, problems, cache.validate)
    else:
        badge_sources, page_sources = load_sources(root, problems)
        catalog = build_catalog(config, badge_sources, page_sources, problems)
    problems.raise_if_errors(strict)
    assert catalog is not None
    return catalog, problems


def _scan(clean: set[Path], folders: list[Path], problems: Problems,
          changed: set[Path] | None) -> None:
    """refuse_unsafe; within a folder the last scan found clean, only the ``changed``
    paths, unless one of them is the folder itself or a folder above it (replaced whole:
    scanned whole)."""
    for folder in folders:
        known = changed is not None and folder in clean and not any(
            folder == p or folder.is_relative_to(p) for p in changed)
        refuse_unsafe([folder], problems, changed if known else None)
    problems.raise_if_errors()


def published_records(root: Path, logs: list[Log] | None = None, memo: dict | None = None
                      ) -> tuple[dict[str, bytes], list[LogLine]]:
    """Status lists and every issuance log exactly as signed, /log/index.json listing the
    logs, and all entries in the order they apply, each with the log (key) it is from.
    ``logs``: as the credentials stage of this build read and checked them (else read).
    ``memo`` (a dev server's): a log whose entries are the last run's plus new ones at its
    end has only those encoded again."""
    files = Records({f"status/{p.name}": read_regular(p)
                     for p in sorted((root / STATUS_DIR).glob("*.json"))})
    logs = [log for log in (read_logs(root) if logs is None else logs)
            if log.head is not None]
    listed = []
    published = {}
    for log in logs:
        published[log.name] = _published_log(log, memo)
        files[f"log/{log.path.name}"] = published[log.name][1]
        if published[log.name][3] is not None:
            files.digests[f"log/{log.path.name}"] = published[log.name][3]
        files[f"log/{log.head_path.name}"] = read_regular(root / log.head_path)
        listed.append({"name": log.name, "log": log.path.name, "head": log.head_path.name,
                       "entries": len(log.entries)})
    if listed:
        files["log/index.json"] = (json.dumps({"logs": listed}, indent=2) + "\n").encode()
    if len(logs) == 1:  # one log: its entries in its own order (trust.logs.history)
        return files, published[logs[0].name][2]
    lines = {id(e): line for log in logs if len(log.lines) == len(log.entries)
             for e, line in zip(log.entries, log.lines, strict=True)}
    entries = [LogLine(step.log, str(step.entry.get("subject")), lines.get(id(step.entry))
                       or json.dumps(step.entry, ensure_ascii=False, sort_keys=True))
               for step in history(logs)]  # the parsed entries are freed on return
    return files, entries


class Records(dict):
    """{site path: bytes} of the signed records as published; ``digests`` holds the
    SHA-256 of those a dev server hashed as they grew (plan.Plan.records takes it instead
    of hashing a 35 MB log again)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.digests: dict[str, bytes] = {}


def _published_log(log: Log, memo: dict | None
                   ) -> tuple[list, bytes, list[LogLine], bytes | None]:
    """(its entries, the log as published: each entry as canonical JSON on a line, each
    entry as a LogLine, the SHA-256 of the log as published or None), from the last run's
    for the entries it had (the very same objects: trust.ledger.read_log keeps them) and
    encoded for the new ones; a dev server's hash goes on from the last run's too."""
    kept = memo.get(("published-log", log.name)) if memo is not None else None
    entries = log.entries
    if kept is not None and len(kept[0]) <= len(entries) and all(
            map(operator.is_, kept[0], entries)):
        done, text, lines, hasher = kept
        hasher = hasher.copy()
    else:
        done, text, lines, hasher = [], b"", [], hashlib.sha256()
    new = entries[len(done):]
    own = log.lines[len(done):] if len(log.lines) == len(entries) else [None] * len(new)
    encoded = [json.dumps(e, ensure_ascii=False, sort_keys=True) for e in new]
    added = "".join(line + "\n" for line in encoded).encode()
    text += added
    lines = lines + [LogLine(log.name, str(e.get("subject")), line or line_of_entry)
                     for e, line, line_of_entry in zip(new, own, encoded, strict=True)]
    if memo is None:
        return entries, text, lines, None
    hasher.update(added)
    memo[("published-log", log.name)] = (list(entries), text, lines, hasher)
    return entries, text, lines, hasher.digest()


class _Sources:
    """What each output file is made from, looked up in the jobs when a problem names it
    (a dict of 300,000 sources would be built on every rebuild for nothing)."""

    def __init__(self, jobs: dict[str, Job]) -> None:
        self.jobs = jobs

    def get(self, path: str) -> str | None:
        job = self.jobs.get(path)
        return job.source if job is not None else None


class Pipeline:
    """The steps of a build of the site at ``root``; ``caches`` only skip work."""

    def __init__(self, root: Path, *, strict: bool = False, caches: Caches | None = None,
                 reporter: Reporter | None = None, sampling: Sampling = DEFAULT_SAMPLING):
        self.root = root.resolve()
        self.strict = strict
        self.caches = caches or Caches.none()
        self.report = reporter or Reporter()
        self.sampling = sampling
        self.proofs: ProofReport | None = None
        self.logs: list[Log] | None = None  # read by this plan's credentials stage
        self._uuids: tuple[list[Award] | None, set[str]] = (None, set())

    def plan(self, now: datetime | None = None, *, changed: set[Path] | None = None,
             verify_all: bool = False,
             loaded: Callable[[Catalog], None] | None = None) -> Planned:
        """Load, validate, check the credentials and plan every output file (nothing is
        rendered yet). ``changed`` (from a file watcher) names the files that changed since
        the last run; ``loaded`` is called with the catalog once it is loaded."""
        now = now or now_utc()
        self.proofs = None
        self.logs = None
        with self.report.stage("load"):
            catalog, problems = load_site(self.root, strict=self.strict,
                                          cache=self.caches.sources, changed=changed)
        if loaded is not None:
            loaded(catalog)
        records_changed = changed is None or touches_records(self.root, changed)
        files_unchanged = changed is not None and not touches_records(
            self.root, changed, (CREDENTIALS_DIR.as_posix() + "/",))
        with self.report.stage("credentials") as tick:
            awards = self.credentials(catalog, problems, now, records_changed, verify_all,
                                      tick, files_unchanged, changed)
            earners = load_earners(self.root, self.uuids(awards), problems)
        problems.raise_if_errors(self.strict)
        with self.report.stage("plan"):
            records, entries = self.records(records_changed)
            self.logs = None  # 100,000 parsed entries: not kept while pages are made
            jobs = plan_site(catalog, awards, identity_documents(
                catalog.config, load_key_history(self.root)), records=records,
                log_entries=entries, memo=self.caches.jobs.memo if self.caches.jobs else None,
                earners=earners)
        return Planned(catalog, awards, jobs, problems)

    def run(self, now: datetime | None = None, *, changed: set[Path] | None = None,
            verify_all: bool = False, links: bool | None = None) -> SiteResult:
        """Everything but writing, rendered into memory (check, serve, tests). Links
        between pages are checked when ``links`` (default: with ``strict``), as that
        parses every page."""
        planned = self.plan(now, changed=changed, verify_all=verify_all)
        catalog, jobs, problems = planned.catalog, planned.jobs, planned.problems
        with self.report.stage("pages") as tick:
            cache = self.caches.jobs or JobCache(remember=False)
            files, fresh = cache.render(jobs, tick)
        try:
            check_output(self.root, fresh, catalog, _Sources(jobs), self.caches.scans, files,
                         changed)
            # then what is never published but would be committed (a key saved in the site)
            found = source_secrets(self.root, catalog.config.theme_dir,
                                   changed if self.caches.sources is not None else None)
        except BuildError as exc:
            found = exc.problems
        if cache.failed or found:  # together, in a clean build's order (stream.py)
            raise BuildError(sorted([*cache.failed, *found],
                                    key=lambda p: (str(p.path), p.message)))
        if self.strict if links is None else links:
            problems.items.extend(check_links(files, {p: j.source for p, j in jobs.items()}))
            problems.raise_if_errors(self.strict)
        cache.commit()
        return SiteResult(catalog, tuple(planned.awards), files, fresh, problems,
                          self.proofs, tuple(cache.removed))

    def uuids(self, awards: list[Award]) -> set[str]:
        """The uuids of ``awards``; kept while the credentials stage's result is, or
        restates its credentials (same files: same uuids)."""
        if self._uuids[0] is not awards:
            same = isinstance(awards, Restated) and awards.before is self._uuids[0]
            self._uuids = (awards, self._uuids[1] if same else {a.uuid for a in awards})
        return self._uuids[1]

    def credentials(self, catalog: Catalog, problems: Problems, now: datetime,
                    records_changed: bool, verify_all: bool, tick,
                    files_unchanged: bool = False, changed: set[Path] | None = None
                    ) -> list[Award]:
        """The credentials stage, or its cached result while none of the files it reads
        changed (a stat of each instead of a verification of each). ``files_unchanged``:
        the file watcher reports no credential file changed (only records did)."""
        cache = self.caches.awards
        if cache is None or verify_all:
            return self.run_stage(catalog, problems, now, verify_all, tick)
        key = cache.key_for(self.root, catalog, records_changed, changed)
        if key == cache.key and cache.window[0] <= now < cache.window[1]:
            return cache.awards
        # the dev server samples proofs on its first build; each rebuild after a revoke or
        # an issue would draw 32 more (1.5 s) while someone waits for the page to reload
        sampling = self.sampling if cache.key is None else Sampling(0, self.sampling.seed)
        named = frozenset(rel for p in changed or () if (rel := site_path(self.root, p))
                          and rel.startswith(CREDENTIALS_DIR.as_posix() + "/"))
        awards = self.run_stage(catalog, problems, now, False, tick, sampling,
                                files_unchanged, named)
        # kept only when good; a failed run's problems are reported with the earners'
        # (plan() raises after loading them, as a build without this cache does)
        cache.key, cache.awards, cache.window = None, [], (now, now)
        if not problems.errors:
            stated = cache.loaded.get("stated")  # when the states move with time
            cache.key, cache.awards = key, awards
            # a run that kept no statement of its states (it warned) is never reused: the
            # next build states them, and reports the warnings, again
            if stated is not None:
                cache.window = (stated.now, stated.horizon)
        if self.caches.jobs is not None:  # per-badge credential jobs check their own keys
            memo = self.caches.jobs.memo
            self.caches.jobs.memo = {k: memo[k] for k in (
                "credentials", "award_fp", "group_fps", "log-pages", "tally", "skill-sections",
                "awards", "segments", "badge-fps", "progression", "images",
                "badge-parts") if k in memo}
        self.caches.records = None
        return awards

    def run_stage(self, catalog: Catalog, problems: Problems, now: datetime,
                  verify_all: bool, tick, sampling: Sampling | None = None,
                  files_unchanged: bool = False, rehash: frozenset[str] = frozenset()
                  ) -> list[Award]:
        stage = CredentialStage(catalog, problems, now, verify_all,
                                sampling=sampling or self.sampling,
                                memo=None if self.caches.awards is None or verify_all
                                else self.caches.awards.loaded,
                                files_unchanged=files_unchanged, rehash=rehash)
        awards = stage.run(tick)
        self.proofs = stage.report
        self.logs = stage.logs
        return awards

    def records(self, records_changed: bool) -> tuple[dict[str, bytes], list[LogLine]]:
        if self.caches.awards is None:
            return published_records(self.root, self.logs)
        if records_changed or self.caches.records is None:
            self.caches.records = published_records(self.root, self.logs,
                                                    self.caches.awards.loaded)
        return self.caches.records


def render(root: Path, *, strict: bool = False, now: datetime | None = None,
           verify_all: bool = False, links: bool | None = None,
           reporter: Reporter | None = None
           ) -> tuple[Catalog, Output, Problems, tuple[Award, ...]]:
    """Everything but writing (``check``, tests): the pipeline without caches."""
    result = Pipeline(root, strict=strict, reporter=reporter).run(
        now, verify_all=verify_all, links=links)
    return result.catalog, result.files, result.problems, result.awards


def build(root: Path, out_dir: Path | None = None, *, strict: bool = False,
          now: datetime | None = None, verify_all: bool = False,
          reporter: Reporter | None = None, sampling: Sampling = DEFAULT_SAMPLING,
          incremental: bool = False) -> BuildResult:
    """Build the site at ``root`` into its output folder (or ``out_dir``), atomically.
    ``now`` is the moment credentials' dates are judged at (tests pass it explicitly).
    Pages are rendered, checked and written by one process per core (stream.py) and never
    held in memory all at once; ``files`` of the result reads them back from disk.

    ``incremental`` (the CLI's build) uses the last build's manifest (manifest.py): when
    no input changed it returns at once (``BuildResult.unchanged``), otherwise it writes
    only the files whose bytes changed."""
    start = time.perf_counter()
    now = now or now_utc()
    reporter = reporter or Reporter()
    root = root.resolve()
    cfg = config_only(root)
    target = (out_dir or cfg.output_dir).resolve()
    last = manifest.Manifest.load(root) if incremental and not verify_all \
        else manifest.Manifest()
    stamp = manifest.input_stamp(cfg) if incremental else ""
    if last.unchanged(target, stamp, now, strict):
        listed = SiteFiles(target, lambda: last.paths(target), (last.pages, last.count))
        return BuildResult(None, listed, tuple(
            Problem("", w, warning=True) for w in last.warnings),
            time.perf_counter() - start, target, (), None, unchanged=True)
    pipeline = Pipeline(root, strict=strict, reporter=reporter, sampling=sampling)
    # no cycle collection while the build's objects pile up (the first one after would
    # scan them all), nor a full one at the end: they live until the build is over
    with collector_paused(collect=False):
        written, planned = _plan_and_write(pipeline, root, target, last, now, strict,
                                           verify_all, incremental, reporter)
        planned.problems.items.extend(written.warnings)
        warnings = tuple(planned.problems.warnings)
        if incremental:
            manifest.save(root, manifest.Manifest(
                out=str(target), stamp=stamp, now=iso(now),
                horizon=_horizon(planned.awards, now), links_checked=strict,
                warnings=[str(w) for w in warnings], files=written.entries), target)
        return BuildResult(planned.catalog, SiteFiles(target, list(planned.jobs)), warnings,
                           time.perf_counter() - start, target, tuple(planned.awards),
                           pipeline.proofs, written=written.staged, removed=written.removed)


def _plan_and_write(pipeline: Pipeline, root: Path, target: Path, last: manifest.Manifest,
                    now: datetime, strict: bool, verify_all: bool, incremental: bool,
                    reporter: Reporter) -> tuple[Written, Planned]:
    """``build``'s plan and pages stages: the new social cards drawn ahead while the
    credentials are checked, then every file rendered, checked and written by workers."""
    ahead = DrawnAhead()
    try:
        planned = pipeline.plan(now, verify_all=verify_all, loaded=ahead.start)
    finally:
        # the cards not drawn yet are drawn by the pages stage's card jobs, on every core
        ahead.stop()
    scanner = SecretScanner(pipeline.root, planned.catalog)

    def before_commit() -> None:
        """Every output file passed its check; then what is never published but would be
        committed (a key saved in the site folder), before the output is replaced."""
        found = source_secrets(pipeline.root, planned.catalog.config.theme_dir)
        if found:
            raise BuildError(found)
        manifest.forget(root)

    with reporter.stage("pages") as tick:
        written = write_jobs(target, planned.jobs, scanner, links=strict, strict=strict,
                             tick=tick, previous=last.previous(target) if incremental
                             else None, before_commit=before_commit)
    return written, planned


def _horizon(awards: list[Award], now: datetime) -> str:
    """The first validFrom or validUntil after ``now``: until then, every credential's
    state (valid, expired, not yet valid) stays what this build showed."""
    later = []
    for a in awards:
        for value in (a.valid_from, a.valid_until):
            try:
                when = parse_datetime(value) if value else None
            except ValueError:
                continue
            if when is not None and when > now:
                later.append(when)
    return iso(min(later)) if later else ""


def config_only(root: Path) -> SiteConfig:
    problems = Problems(root)
    config = load_config(root, problems)
    problems.raise_if_errors()
    assert config is not None
    return config
