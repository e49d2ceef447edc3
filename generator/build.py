"""The build as a list of steps you can read top to bottom (Zola's Site::build)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from .catalog import build_catalog
from .config import SiteConfig, load_config
from .errors import Problem, Problems
from .load import load_sources
from .model import Catalog
from .render import Output, render_site
from .write import write_site


@dataclass(frozen=True)
class BuildResult:
    catalog: Catalog
    files: Output
    warnings: tuple[Problem, ...]
    seconds: float
    out_dir: Path | None


def load_site(root: Path, *, strict: bool = False) -> tuple[Catalog, Problems]:
    """Config, load and validate: the whole model, or BuildError with every problem."""
    problems = Problems(root)
    config = load_config(root, problems)
    problems.raise_if_errors(strict)
    assert config is not None
    badge_sources, page_sources = load_sources(root, problems)
    catalog = build_catalog(config, badge_sources, page_sources, problems)
    problems.raise_if_errors(strict)
    assert catalog is not None
    return catalog, problems


def render(root: Path, *, strict: bool = False) -> tuple[Catalog, Output, Problems]:
    """Everything but writing: used by ``check``, tests and the dev server."""
    catalog, problems = load_site(root, strict=strict)
    files = render_site(catalog)
    return catalog, files, problems


def build(root: Path, out_dir: Path | None = None, *, strict: bool = False) -> BuildResult:
    """Build the site at ``root`` into its output folder (or ``out_dir``), atomically."""
    start = time.perf_counter()
    root = root.resolve()
    catalog, files, problems = render(root, strict=strict)
    target = out_dir or catalog.config.output_dir
    write_site(target, files)
    return BuildResult(catalog, files, tuple(problems.warnings), time.perf_counter() - start,
                       target)


def config_only(root: Path) -> SiteConfig:
    problems = Problems(root)
    config = load_config(root, problems)
    problems.raise_if_errors()
    assert config is not None
    return config
