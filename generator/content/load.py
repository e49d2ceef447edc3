"""Load stage: read badge and page files into raw records, remembering line numbers.

Nothing is interpreted here beyond YAML syntax; the validate stage turns raw records into the
model. Line numbers of front-matter keys are kept so that every later error can point at the
exact line of the file the user has to edit.

Hostile input stays bounded: files are read without following links (core.files), a badge
file may have at most 2 MB and its front matter 256 KB, YAML nested too deeply for the parser
is reported instead of crashing, and aliases may not expand to more than 100,000 values (the
"billion laughs": nine lines of anchors that expand to a billion strings).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..core.errors import Problems
from ..core.files import UnsafeFile, read_regular
from ..core.paths import BADGES_DIR, PAGES_DIR

MARKDOWN_SUFFIXES = (".md", ".markdown")
_FENCE = re.compile(r"^---[ \t]*$")
MAX_FILE = 2 << 20
MAX_FRONT_MATTER = 256 << 10
MAX_YAML_VALUES = 100_000


class _Duplicate(Exception):
    """A top-level front matter key written twice."""

    def __init__(self, key: str, first: int, line: int):
        self.key, self.first, self.line = key, first, line


class _TooBig(ValueError):
    """Front matter that expands (through aliases) beyond MAX_YAML_VALUES."""


@dataclass(frozen=True)
class SourceFile:
    """A Markdown file with YAML front matter, split but not yet validated."""

    path: Path
    stem: str
    meta: dict[str, Any]
    key_lines: dict[str, int]  # front-matter key -> 1-based line in the file
    body: str
    body_line: int  # 1-based line where the body starts


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    """How many values the node stands for once every alias is expanded (linear time: each
    node is sized once, however often it is referred to)."""
    if id(node) in memo:
        return memo[id(node)]
    memo[id(node)] = 1  # a recursive alias counts once
    size = 1
    if isinstance(node, yaml.SequenceNode):
        size += sum(_expanded_size(n, memo) for n in node.value)
    elif isinstance(node, yaml.MappingNode):
        size += sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    memo[id(node)] = min(size, MAX_YAML_VALUES + 1)
    return memo[id(node)]


# libyaml's parser where PyYAML has it (ten times faster for 1,000 badges); the pure Python
# one reads any front matter libyaml refuses, so errors keep PyYAML's own words and lines.
_FAST_LOADER = getattr(yaml, "CSafeLoader", None)


def _front_matter(text: str, first_line: int) -> tuple[dict[str, int], Any]:
    """(line of each top-level key, the parsed front matter)."""
    if _FAST_LOADER is not None:
        try:
            return (_key_lines(text, first_line, _FAST_LOADER),
                    yaml.load(text, Loader=_FAST_LOADER))  # noqa: S506 (a safe loader)
        except (yaml.YAMLError, RecursionError):
            pass
    return _key_lines(text, first_line), yaml.safe_load(text)


def _key_lines(text: str, first_line: int, loader: type = yaml.SafeLoader) -> dict[str, int]:
    """Line of each top-level key, from the YAML node tree (safe: compose builds no objects);
    _TooBig when aliases expand it beyond MAX_YAML_VALUES."""
    node = yaml.compose(text, Loader=loader)  # noqa: S506 (compose constructs nothing)
    if node is not None and _expanded_size(node, {}) > MAX_YAML_VALUES:
        raise _TooBig
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key, line = str(key_node.value), key_node.start_mark.line + first_line
                if key in lines:  # YAML loaders keep the last one without a word
                    raise _Duplicate(key, lines[key], line)
                lines[key] = line
    return lines


def read_source(path: Path, problems: Problems) -> SourceFile | None:
    """Split front matter from body and parse it; report syntax problems with their line."""
    try:
        data = read_regular(path, limit=MAX_FILE)
        text = data.decode("utf-8")
    except UnsafeFile as exc:
        problems.error(path, exc.message, hint=exc.hint)
        return None
    except UnicodeDecodeError as exc:
        problems.error(path, not_utf8(data, exc.start), line=data.count(b"\n", 0, exc.start)
                       + 1, hint="save the file as UTF-8")
        return None
    if "\0" in text:
        problems.error(path, not_utf8(data, data.index(b"\0")),
                       line=text.count("\n", 0, text.index("\0")) + 1,
                       hint="save the file as UTF-8")
        return None
    text = text.removeprefix("\ufeff")
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
    if len(fm) > MAX_FRONT_MATTER:
        problems.error(path, f"front matter is {len(fm) // 1024} KB, more than "
                       f"{MAX_FRONT_MATTER // 1024} KB", line=2,
                       hint="keep long text in the Markdown body below the front matter")
        return None
    try:
        key_lines, meta = _front_matter(fm, first_line=2)  # key lines first: alias bombs
        meta = meta or {}
    except _TooBig:
        problems.error(path, f"front matter expands to more than {MAX_YAML_VALUES:,} values "
                       "through YAML aliases", line=2,
                       hint="write the values out instead of repeating anchors (*name)")
        return None
    except _Duplicate as dup:
        problems.error(path, f"'{dup.key}' is given twice (first on line {dup.first})",
                       line=dup.line, field=dup.key,
                       hint="keep one of them: only the last one would count")
        return None
    except RecursionError:
        problems.error(path, "front matter nested too deeply to read", line=2,
                       hint="front matter needs only a few levels of lists and mappings")
        return None
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


def not_utf8(data: bytes, at: int) -> str:
    """What is wrong with text that is not UTF-8 (bad byte or NUL at ``at``): UTF-16, what
    Windows editors save as "Unicode", is named."""
    head = data[:400]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head.count(0) > len(head) // 4:
        return "is UTF-16 text, not UTF-8"
    if data[at:at + 1] == b"\0":
        return f"contains a NUL byte (byte {at}), so it is no text file"
    return f"is not UTF-8 text (byte {at})"


def markdown_files(folder: Path) -> list[Path]:
    """Markdown files of a folder in a stable order (so output and errors are repeatable)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix.lower() in MARKDOWN_SUFFIXES
                  and not p.name.startswith((".", "_")))


def load_sources(root: Path, problems: Problems, read=read_source, listing=markdown_files
                 ) -> tuple[list[SourceFile], list[SourceFile]]:
    """Read every badge and page file; syntax problems are collected, never raised.
    ``read`` and ``listing`` may be caching ones (the dev server's incremental builds)."""
    badges = [s for p in listing(root / BADGES_DIR) if (s := read(p, problems))]
    pages = [s for p in listing(root / PAGES_DIR) if (s := read(p, problems))]
    if not badges and not (root / BADGES_DIR).is_dir():
        problems.error(root / BADGES_DIR, "folder not found",
                       hint="create badges/ with one Markdown file per badge")
    return badges, pages
