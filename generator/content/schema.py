"""The one schema mechanism for everything a maintainer writes by hand: the keys of
``site.toml`` (and its ``[issuer]`` table) and of a badge's or page's front matter.

Each key is an ``Option`` with its kind, default, whether it is required, and a sentence
that says what it is for (MkDocs' config_options). The README's key tables are checked
against these schemas by a test, so the documentation cannot drift from the code."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..core.text import suggest


@dataclass(frozen=True)
class Option:
    """One key: its type, default, and what it is for."""

    name: str
    type: type | tuple[type, ...]
    default: Any = None
    required: bool = False
    doc: str = ""


def names(schema: Iterable[Option]) -> tuple[str, ...]:
    return tuple(o.name for o in schema)


def unknown_keys(keys: Iterable[Any], schema: tuple[Option, ...]) -> list[tuple[str, str]]:
    """(key, hint) for every key the schema does not know: a typo should not silently do
    nothing, but an older file must still build, so callers report these as warnings."""
    known = names(schema)
    return [(str(k), suggest(str(k), known) or "known keys: " + ", ".join(known))
            for k in keys if str(k) not in known]


def type_word(t: type | tuple[type, ...]) -> str:
    """'a string', 'a list', … for messages."""
    name = t.__name__ if isinstance(t, type) else "/".join(x.__name__ for x in t)
    return {"str": "a string", "list": "a list", "dict": "a table", "int": "a number",
            "bool": "true/false", "float": "a number"}.get(name, name)


SITE_SCHEMA = (
    Option("title", str, required=True, doc="Name of the badge program, shown in every page."),
    Option("base_url", str, required=True,
           doc="Public https URL the site is published at; every id in JSON-LD derives from it."),
    Option("description", str, "", doc="One sentence about the program (catalog, meta tags)."),
    Option("language", str, "en", doc="BCP 47 language of the content (html lang, inLanguage)."),
    Option("theme", str, "theme",
           doc="Folder whose templates/ and assets/ override the default theme file by file."),
    Option("output", str, "_site", doc="Folder the build writes, relative to the site."),
    Option("levels", list, ["Foundation", "Intermediate", "Advanced", "Expert"],
           doc="Allowed badge levels, in order."),
    Option("issuer", dict, required=True, doc="The organisation that issues the badges."),
)

ISSUER_SCHEMA = (
    Option("name", str, required=True, doc="Issuer name, as shown in credentials."),
    Option("url", str, required=True, doc="Issuer home page (https)."),
    Option("email", str, "", doc="Public contact address of the program (never an earner's)."),
    Option("description", str, "", doc="One sentence about the issuer."),
    Option("id", str, "https",
           doc="How the issuer is identified: 'https' (the /issuer.json URL) or 'did:web'."),
)

BADGE_SCHEMA = (
    Option("name", str, required=True, doc="badge name"),
    Option("summary", str, "", doc="one or two sentences for cards and link previews"),
    Option("image", str, "", doc="`.svg` or `.png` next to the file"),
    Option("type", str, "Badge", doc="Open Badges 3.0 `achievementType`"),
    Option("level", str, "", doc="one of `levels` in site.toml"),
    Option("skills", list, [], doc="list of skill names"),
    Option("requires", list, [], doc="prerequisite badge slugs"),
    Option("valid_for", str, "", doc="ISO 8601 duration"),
    Option("claim", str, "", doc="Markdown: how to apply or claim"),
    Option("alignments", list, [], doc="list of `{name, url, framework, code}`"),
    Option("status", str, "active", doc="`active` or `retired`"),
    Option("issued_within", str, "", doc="free text"),
    Option("criteria", str, "", doc="criteria as Markdown, instead of the body section"),
)

PAGE_SCHEMA = (
    Option("title", str, required=True, doc="page title"),
    Option("summary", str, "", doc="one sentence for link previews"),
)
