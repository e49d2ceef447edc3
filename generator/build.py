"""The build as a list of steps you can read top to bottom (Zola's Site::build)."""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .awards import load_awards
from .catalog import build_catalog
from .config import SiteConfig, load_config
from .errors import Problem, Problems
from .issuer import identity_documents
from .keys import load_key_history, now_utc
from .ledger import HEAD_FILE, read_log
from .links import check_links
from .load import load_sources
from .model import Award, Catalog
from .render import Output, plan_site
from .safety import check_output
from .status import STATUS_DIR
from .write import write_site


@dataclass(frozen=True)
class BuildResult:
    catalog: Catalog
    files: Output
    warnings: tuple[Problem, ...]
    seconds: float
    out_dir: Path | None
    awards: tuple[Award, ...] = ()


def load_site(root: Path, *, strict: bool = False, cache=None) -> tuple[Catalog, Problems]:
    """Config, load and validate: the whole model, or BuildError with every problem.
    ``cache`` (incremental.SourceCache) reuses files that did not change."""
    problems = Problems(root)
    config = load_config(root, problems)
    problems.raise_if_errors(strict)
    assert config is not None
    if cache is not None:
        badge_sources, page_sources = load_sources(root, problems, cache.read)
        catalog = build_catalog(config, badge_sources, page_sources, problems, cache.validate)
    else:
        badge_sources, page_sources = load_sources(root, problems)
        catalog = build_catalog(config, badge_sources, page_sources, problems)
    problems.raise_if_errors(strict)
    assert catalog is not None
    return catalog, problems


def published_records(root: Path) -> tuple[dict[str, bytes], list[dict]]:
    """Status lists and the issuance log exactly as signed, and the log entries."""
    files = {f"status/{p.name}": p.read_bytes()
             for p in sorted((root / STATUS_DIR).glob("*.json"))}
    log = read_log(root)
    if log.head is not None:
        files["log/log.jsonl"] = "".join(
            json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n"
            for e in log.entries).encode()
        files["log/head.json"] = (root / HEAD_FILE).read_bytes()
    return files, log.entries


def render(root: Path, *, strict: bool = False, now: datetime | None = None,
           verify_all: bool = False, links: bool | None = None, reporter=None
           ) -> tuple[Catalog, Output, Problems, list[Award]]:
    """Everything but writing: used by ``check``, tests and the dev server. Links between
    pages are checked when ``links`` (default: with ``strict``), as that parses every page."""
    now = now or now_utc()
    catalog, problems = load_site(root, strict=strict)
    keys = load_key_history(root)
    report = reporter or Reporter()
    with report.stage("credentials") as tick:
        awards = load_awards(catalog, problems, now, verify_all=verify_all, progress=tick)
    problems.raise_if_errors(strict)
    records, entries = published_records(root)
    jobs = plan_site(catalog, awards, identity_documents(catalog.config, keys),
                     records=records, log_entries=entries)
    files = {}
    with report.stage("pages") as tick:
        for n, (path, job) in enumerate(jobs.items(), 1):
            files[path] = job.make()
            tick(n, len(jobs))
    check_output(root, files, catalog)
    if strict if links is None else links:
        problems.items.extend(check_links(files, {p: j.source for p, j in jobs.items()}))
        problems.raise_if_errors(strict)
    return catalog, files, problems, awards


class Reporter:
    """Receives build progress (Lektor's reporter): silent here; the CLI's shows bars and
    timings, tests can record. ``stage`` yields a tick(done, total) callback."""

    @contextmanager
    def stage(self, name: str):
        yield lambda done, total: None


def build(root: Path, out_dir: Path | None = None, *, strict: bool = False,
          now: datetime | None = None, verify_all: bool = False,
          reporter: Reporter | None = None) -> BuildResult:
    """Build the site at ``root`` into its output folder (or ``out_dir``), atomically.
    ``now`` is the moment credentials' dates are judged at (tests pass it explicitly)."""
    start = time.perf_counter()
    root = root.resolve()
    catalog, files, problems, awards = render(root, strict=strict, now=now,
                                              verify_all=verify_all, reporter=reporter)
    target = out_dir or catalog.config.output_dir
    with (reporter or Reporter()).stage("write"):
        write_site(target, files)
    return BuildResult(catalog, files, tuple(problems.warnings), time.perf_counter() - start,
                       target, tuple(awards))


def config_only(root: Path) -> SiteConfig:
    problems = Problems(root)
    config = load_config(root, problems)
    problems.raise_if_errors()
    assert config is not None
    return config
