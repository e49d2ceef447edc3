"""Load stage: read badge and page files into raw records, remembering line numbers.

Nothing is interpreted here beyond YAML syntax; the validate stage turns raw records into the
model. Line numbers of front-matter keys are kept so that every later error can point at the
exact line of the file the user has to edit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..core.errors import Problems
from ..core.paths import BADGES_DIR, PAGES_DIR

MARKDOWN_SUFFIXES = (".md", ".markdown")
_FENCE = re.compile(r"^---[ \t]*$")


@dataclass(frozen=True)
class SourceFile:
    """A Markdown file with YAML front matter, split but not yet validated."""

    path: Path
    stem: str
    meta: dict[str, Any]
    key_lines: dict[str, int]  # front-matter key -> 1-based line in the file
    body: str
    body_line: int  # 1-based line where the body starts


def _key_lines(text: str, first_line: int) -> dict[str, int]:
    """Line of each top-level key, from the YAML node tree (safe: compose builds no objects)."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                lines[str(key_node.value)] = key_node.start_mark.line + first_line
    return lines


def read_source(path: Path, problems: Problems) -> SourceFile | None:
    """Split front matter from body and parse it; report syntax problems with their line."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        problems.error(path, f"is not UTF-8 text (byte {exc.start})",
                       hint="save the file as UTF-8")
        return None
    text = text.lstrip("\ufeff")
    lines = text.splitlines(keepends=True)
    if not lines or not _FENCE.match(lines[0].rstrip("\r\n")):
        problems.error(path, "no front matter found", line=1,
                       hint="start the file with a line '---', the YAML keys, then '---'")
        return None
    end = next((i for i in range(1, len(lines)) if _FENCE.match(lines[i].rstrip("\r\n"))), None)
    if end is None:
        problems.error(path, "front matter is not closed", line=1,
                       hint="add a line '---' after the last YAML key")
        return None
    fm = "".join(lines[1:end])
    try:
        meta = yaml.safe_load(fm) or {}
        key_lines = _key_lines(fm, first_line=2)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 2 if mark is not None else None
        what = getattr(exc, "problem", None) or str(exc)
        problems.error(path, f"YAML syntax error in front matter: {what}", line=line,
                       hint="check indentation, and quote values that contain ': ' or start "
                            "with a special character")
        return None
    if not isinstance(meta, dict):
        problems.error(path, "front matter must be a set of 'key: value' lines", line=2)
        return None
    return SourceFile(path, path.stem, meta, key_lines, "".join(lines[end + 1:]), end + 2)


def markdown_files(folder: Path) -> list[Path]:
    """Markdown files of a folder in a stable order (so output and errors are repeatable)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix.lower() in MARKDOWN_SUFFIXES
                  and not p.name.startswith((".", "_")))


def load_sources(root: Path, problems: Problems, read=read_source
                 ) -> tuple[list[SourceFile], list[SourceFile]]:
    """Read every badge and page file; syntax problems are collected, never raised.
    ``read`` may be a caching reader (the dev server's incremental builds)."""
    badges = [s for p in markdown_files(root / BADGES_DIR) if (s := read(p, problems))]
    pages = [s for p in markdown_files(root / PAGES_DIR) if (s := read(p, problems))]
    if not badges and not (root / BADGES_DIR).is_dir():
        problems.error(root / BADGES_DIR, "folder not found",
                       hint="create badges/ with one Markdown file per badge")
    return badges, pages
