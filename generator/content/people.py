"""Published data about earners as a group: ``site_src/insights.json``, the aggregates that
need to know which credentials belong to the same earner (return rate, pathway
progression). The file is written from the maintainer's private earner index; the build
only reads it, so nothing here can link two credentials itself."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..core.errors import BuildError, Problem
from ..core.files import UnsafeFile, read_regular
from ..core.paths import SRC_DIR
from .model import ProgramFigures

INSIGHTS_PATH = SRC_DIR / "insights.json"
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")
_SUPPRESSED = "a count of 5 or more, or null (counts below 5 are never published)"


def load_program_figures(root: Path) -> ProgramFigures | None:
    """The figures of ``site_src/insights.json``, or None when the site publishes none.
    A file that is there but wrong fails the build naming the file and the field: showing
    half of it, or nothing without a word, would misreport the program."""
    path = root / INSIGHTS_PATH
    if not path.exists():
        return None
    where = INSIGHTS_PATH.as_posix()
    try:
        data = json.loads(read_regular(path, limit=16 << 20))
    except UnsafeFile as exc:
        raise BuildError([Problem(where, exc.message, hint=exc.hint)]) from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise BuildError([Problem(where, f"not valid JSON: {exc}",
                                  hint="write it again with 'badgepress insights'")]) from exc
    problems: list[Problem] = []

    def bad(field: str, what: str) -> None:
        problems.append(Problem(where, f"'{field}' must be {what}", field=field,
                                hint="write it again with 'badgepress insights'"))

    if not isinstance(data, dict):
        raise BuildError([Problem(where, "must be a JSON object",
                                  hint="write it again with 'badgepress insights'")])
    if data.get("version") != 1:
        bad("version", "1")
    as_of = data.get("asOf")
    if not isinstance(as_of, str) or not _DATE_TIME.fullmatch(as_of):
        bad("asOf", "a date-time such as 2026-06-01T12:00:00Z")
    credentials = data.get("credentials")
    if not _count(credentials, nullable=False):
        bad("credentials", "a count (a whole number of 0 or more)")
    for key in ("earners", "returning"):
        if not _count(data.get(key)):
            bad(key, _SUPPRESSED)
    progression = _progression(data.get("progression", {}), bad)
    if problems:
        raise BuildError(problems)
    return ProgramFigures(as_of, credentials, data.get("earners"), data.get("returning"),
                          progression)


def _count(value: Any, nullable: bool = True) -> bool:
    """A count as the file may hold it: a suppressible one is null or 5 and more (a small
    count in the file would be published by git even though no page shows it)."""
    if value is None:
        return nullable
    return type(value) is int and value >= (5 if nullable else 0)


def _progression(value: Any, bad) -> tuple:
    """{from: {"earners": n|null, "to": {to: n|null}}} as sorted tuples (a stable input)."""
    if not isinstance(value, dict):
        bad("progression", "an object of badge slugs")
        return ()
    out = []
    for source, item in sorted(value.items()):
        field = f"progression.{source}"
        if not isinstance(item, dict) or not isinstance(item.get("to", {}), dict):
            bad(field, 'an object {"earners": …, "to": {…}}')
            continue
        if not _count(item.get("earners")):
            bad(field + ".earners", _SUPPRESSED)
            continue
        targets = []
        for target, n in sorted(item.get("to", {}).items()):
            if not _count(n):
                bad(f"{field}.to.{target}", _SUPPRESSED)
            targets.append((target, n))
        out.append((source, item.get("earners"), tuple(targets)))
    return tuple(out)
