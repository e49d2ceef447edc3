"""Validate stage: raw front matter and bodies become model objects, every problem reported.

Per-file checks live here; checks across files (prerequisites, cycles, duplicate slugs) live
in ``catalog``. Each problem names the file, the line of the key, and the fix.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..core.dates import parse_duration
from ..core.errors import Problems
from ..core.files import UnsafeFile, read_regular
from ..core.svg import svg_problem
from ..core.text import (
    MarkdownError,
    check_nesting,
    hidden_characters,
    plain_text,
    render_markdown,
    split_sections,
    suggest,
)
from .config import SiteConfig
from .load import SourceFile
from .model import Alignment, Badge, Page
from .schema import BADGE_SCHEMA, PAGE_SCHEMA, Option, unknown_keys

# Open Badges 3.0 AchievementType vocabulary (1EdTech OB 3.0 spec, B.2.1); 'ext:' extends it.
ACHIEVEMENT_TYPES = (
    "Achievement", "ApprenticeshipCertificate", "Assessment", "Assignment", "AssociateDegree",
    "Award", "Badge", "BachelorDegree", "Certificate", "CertificateOfCompletion",
    "Certification", "CommunityService", "Competency", "Course", "CoCurricular", "Degree",
    "Diploma", "DoctoralDegree", "Fieldwork", "GeneralEducationDevelopment",
    "JourneymanCertificate", "LearningProgram", "License", "Membership",
    "ProfessionalDoctorate", "QualityAssuranceCredential", "MasterCertificate", "MasterDegree",
    "MicroCredential", "ResearchDoctorate", "SecondarySchoolDiploma",
)
STATUSES = ("active", "retired")
IMAGE_SUFFIXES = (".svg", ".png")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_IMAGE = 8 << 20
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class _Fields:
    """Typed access to one file's front matter that records problems at the key's line."""

    def __init__(self, src: SourceFile, problems: Problems):
        self.src, self.problems = src, problems

    def line(self, key: str) -> int:
        return self.src.key_lines.get(key, 1)

    def error(self, key: str, message: str, hint: str | None = None) -> None:
        self.problems.error(self.src.path, message, line=self.line(key), field=key, hint=hint)

    def string(self, key: str, default: str = "", required: bool = False) -> str:
        value = self.src.meta.get(key)
        if value is None:
            if required:
                self.problems.error(self.src.path, f"'{key}' is missing", line=1, field=key,
                                    hint=f"add a line '{key}: …' to the front matter")
            return default
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            self.error(key, f"'{key}' must be text, not {_kind(value)}")
            return default
        if required and not value.strip():
            self.error(key, f"'{key}' is empty", hint=f"give the badge a {key}")
        return value.strip()

    def title(self, key: str) -> str:
        """A required one-line name shown in titles and link previews: no invisible
        characters that could disguise it (bidi overrides, zero-width spaces)."""
        value = self.string(key, required=True)
        hidden = hidden_characters(value)
        if hidden:
            self.error(key, f"'{key}' contains the invisible character(s) "
                       f"{', '.join(hidden)}, which can disguise what it says",
                       hint=f"retype the {key} without them")
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.src.meta.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            if "," in value:  # 'skills: A, B' is one item named "A, B" in YAML
                first = value.split(",")[0].strip()
                self.problems.warn(self.src.path, f"'{key}' is one item named '{value}'",
                                   line=self.line(key), field=key,
                                   hint=f"for several, write '{key}: [{first}, …]'; to keep "
                                        f"one with a comma, write '{key}: [\"{value}\"]'")
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip()
                                                  for v in value):
            self.error(key, f"'{key}' must be a list of text items",
                       hint=f"write it as '{key}: [first, second]' or one '- item' per line")
            return ()
        seen: list[str] = []
        for v in (v.strip() for v in value):
            if v not in seen:
                seen.append(v)
        return tuple(seen)


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", bool: "true/false"}.get(type(value), "a value")


def _check_unknown(f: _Fields, schema: tuple[Option, ...]) -> None:
    for key, hint in unknown_keys(f.src.meta, schema):
        f.problems.warn(f.src.path, f"unknown front matter key '{key}' is ignored",
                        line=f.line(key), field=key, hint=hint)


def _alignments(f: _Fields) -> tuple[Alignment, ...]:
    value = f.src.meta.get("alignments")
    if value is None:
        return ()
    if not isinstance(value, list):
        f.error("alignments", "'alignments' must be a list of mappings with name and url")
        return ()
    out = []
    for i, item in enumerate(value, 1):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) \
                or not isinstance(item.get("url"), str):
            f.error("alignments", f"alignment {i} needs 'name' and 'url' text values",
                    hint="e.g. '- {name: Incident management, url: https://…}'")
            continue
        url = item["url"].strip()
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            f.error("alignments", f"alignment {i} 'url' must be an absolute http(s) URL, "
                    f"not '{url}'")
            continue
        extra = set(item) - {"name", "url", "framework", "code"}
        if extra:
            f.problems.warn(f.src.path, f"alignment {i} has unknown keys "
                            f"{', '.join(sorted(map(str, extra)))}", line=f.line("alignments"),
                            hint="known keys: name, url, framework, code")
        out.append(Alignment(item["name"].strip(), url, str(item.get("framework") or ""),
                             str(item.get("code") or "")))
    return tuple(out)


def _image(f: _Fields, slug: str) -> tuple[str | None, Path | None]:
    folder = f.src.path.parent
    name = f.string("image")
    if not name:
        found = [folder / (slug + s) for s in IMAGE_SUFFIXES if (folder / (slug + s)).is_file()]
        return _checked_image(f, found[0]) if found else (None, None)
    path = folder / name
    if Path(name).suffix.lower() not in IMAGE_SUFFIXES:
        f.error("image", f"'image' must be an .svg or .png file, not '{name}'",
                hint="Open Badges images are PNG or SVG")
        return None, None
    if "/" in name or "\\" in name or not path.is_file():
        f.error("image", f"image '{name}' not found next to the badge file",
                hint=f"put {name} in badges/ or fix the file name")
        return None, None
    return _checked_image(f, path)


def _checked_image(f: _Fields, path: Path) -> tuple[str | None, Path | None]:
    """(name, path) of an image that is what its name says: it is published and baked into
    every credential, so a key file or a text renamed '.png' must not pass."""
    try:
        data = read_regular(path, limit=MAX_IMAGE)
    except UnsafeFile as exc:
        f.problems.error(path, exc.message, hint=exc.hint)
        return None, None
    if path.suffix.lower() == ".png":
        ok = data.startswith(PNG_SIGNATURE)
    else:
        try:
            ok = "<svg" in data.decode("utf-8")
        except UnicodeDecodeError:
            ok = False
    if not ok:
        kind = "PNG" if path.suffix.lower() == ".png" else "SVG (UTF-8 text with an <svg> element)"
        f.problems.error(path, f"is not a {kind} image", hint="export the badge image "
                         "again as PNG or SVG; its name must say which it is")
        return None, None
    problem = svg_problem(data) if path.suffix.lower() == ".svg" else None
    if problem:
        f.problems.error(path, problem, hint="export the image again as plain UTF-8 SVG, "
                         "without scripts, event handlers or embedded HTML")
        return None, None
    return path.name, path


def _markdown(src: SourceFile, problems: Problems, parts: list[tuple[str, int]]
              ) -> list[str] | None:
    """Each (Markdown, line of the file where it starts) rendered; None, with the problem at
    its line, when one is nested too deeply. The body is checked whole, so a nesting error
    in it points at its own line."""
    try:
        check_nesting(src.body)
    except MarkdownError as exc:
        _markdown_problem(src, problems, exc, src.body_line + (exc.line or 1) - 1)
        return None
    out = []
    for text, line in parts:
        try:
            out.append(render_markdown(text) if text else "")
        except MarkdownError as exc:
            _markdown_problem(src, problems, exc, line + (exc.line or 1) - 1)
            return None
    return out


def _markdown_problem(src: SourceFile, problems: Problems, exc: MarkdownError,
                      line: int) -> None:
    problems.error(src.path, exc.message, line=line,
                   hint="nest quotes, lists and emphasis only a few levels deep")


def validate_badge(src: SourceFile, config: SiteConfig, problems: Problems) -> Badge | None:
    """One badge file -> Badge; None when it has errors (which are recorded)."""
    before = len(problems.errors)
    f = _Fields(src, problems)
    _check_unknown(f, BADGE_SCHEMA)
    slug = src.stem.lower()
    if not SLUG_RE.match(slug):
        problems.error(src.path, f"file name '{src.path.name}' is not a usable slug", hint=(
            "use lowercase letters, digits and single hyphens, e.g. 'incident-responder.md'"))
    name = f.title("name")
    summary = f.string("summary")
    btype = f.string("type", "Badge")
    if btype not in ACHIEVEMENT_TYPES and not btype.startswith("ext:"):
        f.error("type", f"'type' is '{btype}', which is no Open Badges achievement type",
                hint=suggest(btype, ACHIEVEMENT_TYPES) or
                "use one of " + ", ".join(ACHIEVEMENT_TYPES[:8]) + ", … or 'ext:YourType'")
    level = f.string("level")
    if level and level not in config.levels:
        f.error("level", f"'level' is '{level}', which is not one of the site's levels",
                hint=suggest(level, config.levels) or "use one of " + ", ".join(config.levels))
    skills = f.strings("skills")
    requires = tuple(r.lower() for r in f.strings("requires"))
    valid_for = f.string("valid_for") or None
    if valid_for and parse_duration(valid_for) is None:
        f.error("valid_for", f"'valid_for' is '{valid_for}', which is no ISO 8601 duration",
                hint="write e.g. P2Y (2 years), P18M (18 months) or P90D (90 days)")
    status = f.string("status", "active")
    if status not in STATUSES:
        f.error("status", f"'status' must be 'active' or 'retired', not '{status}'")
    image, image_path = _image(f, slug)
    description, criteria, _ = split_sections(src.body)
    criteria_key = f.string("criteria")
    if criteria_key:
        criteria = criteria_key
    if not criteria:
        problems.error(src.path, "no criteria: the badge does not say what it takes to earn it",
                       line=src.body_line,
                       hint="add a section '## What it takes to earn this badge' with the "
                            "requirements, or a 'criteria' key")
    claim = f.string("claim")
    alignments = _alignments(f)
    if len(problems.errors) > before:
        return None
    html = _markdown(src, problems, [(description, src.body_line),
                                     (criteria or "", f.line("criteria") if criteria_key
                                      else src.body_line), (claim, f.line("claim"))])
    if html is None:
        return None
    return Badge(
        slug=slug, source=problems.rel(src.path), name=name,
        summary=summary or plain_text(description)[:200], type=btype, level=level,
        skills=skills, requires=requires, valid_for=valid_for, status=status,
        issued_within=f.string("issued_within"), description_md=description or summary,
        criteria_md=criteria or "", claim_md=claim,
        description_html=html[0], criteria_html=html[1], claim_html=html[2],
        alignments=alignments,
        image=image, image_path=image_path)


def validate_page(src: SourceFile, problems: Problems) -> Page | None:
    """One extra page -> Page."""
    f = _Fields(src, problems)
    _check_unknown(f, PAGE_SCHEMA)
    slug = src.stem.lower()
    if not SLUG_RE.match(slug):
        problems.error(src.path, f"file name '{src.path.name}' is not a usable slug",
                       hint="use lowercase letters, digits and hyphens")
        return None
    title = f.title("title")
    if not title or hidden_characters(title):
        return None
    html = _markdown(src, problems, [(src.body, src.body_line)])
    if html is None:
        return None
    return Page(slug, problems.rel(src.path), title, f.string("summary"), html[0])
