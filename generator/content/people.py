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

from ..core.errors import Problems
from ..core.files import read_regular
from ..core.paths import EARNERS_DIR, INSIGHTS_PATH
from .model import Earner, ProgramFigures

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
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


def _count(value: Any) -> int | None:
    """A published count: a whole number of at least 5, or None (suppressed)."""
    return value if type(value) is int and value >= 5 else None


def load_program_figures(root: Path) -> ProgramFigures | None:
    """``site_src/insights.json`` as the model; None when there is none (or it cannot be
    read: the build's log check reports a tampered file). Counts below 5 are None even if
    a hand-edited file says otherwise."""
    path = root / INSIGHTS_PATH
    try:
        doc = json.loads(read_regular(path)) if path.is_file() else None
    except (ValueError, OSError):
        return None
    if not isinstance(doc, dict) or doc.get("version") != 1:
        return None
    progression = doc.get("progression") if isinstance(doc.get("progression"), dict) else {}
    steps = []
    for a, entry in sorted(progression.items()):
        entry = entry if isinstance(entry, dict) else {}
        to = entry.get("to") if isinstance(entry.get("to"), dict) else {}
        steps.append((str(a), _count(entry.get("earners")),
                      tuple((str(b), _count(n)) for b, n in sorted(to.items()))))
    credentials = doc.get("credentials")
    return ProgramFigures(str(doc.get("asOf", "")),
                          credentials if type(credentials) is int else 0,
                          _count(doc.get("earners")), _count(doc.get("returning")),
                          tuple(steps))
