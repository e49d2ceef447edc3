"""The people side of the model, read from files the signed log vouches for: opted-in
earners (``site_src/earners/<slug>.json``) and the program figures
(``site_src/insights.json``). The credentials stage has checked both against the logs'
hashes; this module checks what they say (shape, and that every credential an earner file
names is published on this site)."""

from __future__ import annotations

import json
import re
from collections.abc import Container
from pathlib import Path
from typing import Any

from ..core.errors import BuildError, Problem, Problems
from ..core.files import UnsafeFile, read_regular
from ..core.paths import EARNERS_DIR, INSIGHTS_PATH
from .model import Earner, ProgramFigures

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")
_SUPPRESSED = "a count of 5 or more, or null (counts below 5 are never published)"
REWRITE_HINT = ("earner files are written only by 'badgepress issue --earner-page' and "
                "'badgepress earner EMAIL --page on|off'; restore it with git or run that "
                "command again")


def load_earners(root: Path, published: Container[str], problems: Problems
                 ) -> tuple[Earner, ...]:
    """Every opted-in earner, by slug. ``published``: the uuids of the credentials this
    build publishes; an earner file naming any other (withdrawn, never issued) is an
    error, as is a credential claimed by two earner files."""
    folder = root / EARNERS_DIR
    out: list[Earner] = []
    owner: dict[str, str] = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            doc = json.loads(read_regular(path))
        except (ValueError, OSError) as exc:
            problems.error(path, f"not a JSON earner file ({exc})", hint=REWRITE_HINT)
            continue
        earner = _earner(path, doc, problems)
        if earner is None:
            continue
        for uuid in earner.credentials:
            if uuid not in published:
                problems.error(path, f"names the credential {uuid}, which this site does "
                               "not publish (withdrawn, or never issued)", field="credentials",
                               hint=REWRITE_HINT)
            elif uuid in owner:
                problems.error(path, f"names the credential {uuid}, which the earner file "
                               f"of '{owner[uuid]}' names too", field="credentials",
                               hint=REWRITE_HINT)
            else:
                owner[uuid] = earner.slug
        out.append(earner)
    return tuple(out)


def _earner(path: Path, doc: Any, problems: Problems) -> Earner | None:
    if not isinstance(doc, dict):
        problems.error(path, "not an earner file (a JSON object with slug, name and "
                       "credentials)", hint=REWRITE_HINT)
        return None
    slug, name, creds = doc.get("slug"), doc.get("name"), doc.get("credentials")
    if slug != path.stem or not isinstance(slug, str) or not SLUG_RE.match(slug):
        problems.error(path, f"its slug {slug!r} must be the file's name ({path.stem}), "
                       "made of a-z, 0-9 and -", field="slug", hint=REWRITE_HINT)
        return None
    if not isinstance(name, str) or not name.strip():
        problems.error(path, "has no name", field="name", hint=REWRITE_HINT)
        return None
    if not isinstance(creds, list) or not creds or not all(
            isinstance(u, str) and UUID_RE.match(u) for u in creds):
        problems.error(path, "its credentials must be a list of credential uuids",
                       field="credentials", hint=REWRITE_HINT)
        return None
    return Earner(slug, name.strip(), tuple(creds))


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
    for key in ("credentials", "earners", "returning"):
        if not _count(data.get(key)):
            bad(key, _SUPPRESSED)
    progression = _progression(data.get("progression", {}), bad)
    if problems:
        raise BuildError(problems)
    return ProgramFigures(as_of, credentials, data.get("earners"), data.get("returning"),
                          progression)


def _count(value: Any) -> bool:
    """A count as the file may hold it: a suppressible one is null or 5 and more (a small
    count in the file would be published by git even though no page shows it)."""
    if value is None:
        return True
    return type(value) is int and value >= 5


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
