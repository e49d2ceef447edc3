"""Site configuration: ``site_src/site.toml`` read against a declarative schema.

Every key has a type, a default and a docstring (MkDocs' config_options); all problems are
collected; unknown keys are warnings (a typo should not silently do nothing, but an older
config must still build), wrong types are errors naming the key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import Problems

CONFIG_PATH = Path("site_src") / "site.toml"
DEFAULT_LEVELS = ("Foundation", "Intermediate", "Advanced", "Expert")


@dataclass(frozen=True)
class Option:
    """One configuration key: its type, default, and what it is for."""

    name: str
    type: type | tuple[type, ...]
    default: Any = None
    required: bool = False
    doc: str = ""


SITE_SCHEMA = (
    Option("title", str, required=True, doc="Name of the badge program, shown in every page."),
    Option("base_url", str, required=True,
           doc="Public https URL the site is published at; every id in JSON-LD derives from it."),
    Option("description", str, "", doc="One sentence about the program (catalog, meta tags)."),
    Option("language", str, "en", doc="BCP 47 language of the content (html lang, inLanguage)."),
    Option("theme", str, "theme", doc="Folder with templates/ and assets/, relative to the site."),
    Option("output", str, "_site", doc="Folder the build writes, relative to the site."),
    Option("levels", list, list(DEFAULT_LEVELS), doc="Allowed badge levels, in order."),
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


@dataclass(frozen=True)
class IssuerConfig:
    name: str
    url: str
    email: str
    description: str
    id_method: str


@dataclass(frozen=True)
class SiteConfig:
    """The validated configuration; paths are absolute."""

    root: Path
    title: str
    base_url: str
    description: str
    language: str
    theme_dir: Path
    output_dir: Path
    levels: tuple[str, ...]
    issuer: IssuerConfig

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc

    def abs_url(self, path: str) -> str:
        """Absolute URL of a site path such as ``badges/member/``."""
        return self.base_url + path.lstrip("/")

    @property
    def issuer_id(self) -> str:
        """The issuer's identifier: the profile URL, or did:web of the site host (and path)."""
        if self.issuer.id_method == "did:web":
            parts = urlsplit(self.base_url)
            segments = [s for s in parts.path.split("/") if s]
            return ":".join(["did:web", parts.netloc.replace(":", "%3A"), *segments])
        return self.abs_url("issuer.json")


def _check_table(table: dict, schema: tuple[Option, ...], problems: Problems, path: Path,
                 prefix: str = "") -> dict[str, Any]:
    known = {o.name for o in schema}
    values: dict[str, Any] = {}
    for key in table:
        if key not in known:
            problems.warn(path, f"unknown key '{prefix}{key}' is ignored",
                          field=prefix + key,
                          hint="known keys: " + ", ".join(sorted(known)))
    for opt in schema:
        if opt.name not in table:
            if opt.required:
                problems.error(path, f"'{prefix}{opt.name}' is missing", field=prefix + opt.name,
                               hint=f"add it: {opt.doc}")
            values[opt.name] = opt.default
            continue
        value = table[opt.name]
        if not isinstance(value, opt.type):
            want = opt.type.__name__ if isinstance(opt.type, type) else "/".join(
                t.__name__ for t in opt.type)
            problems.error(path, f"'{prefix}{opt.name}' must be {_type_word(want)}, "
                           f"not {_type_word(type(value).__name__)}", field=prefix + opt.name,
                           hint=opt.doc)
            values[opt.name] = opt.default
            continue
        values[opt.name] = value
    return values


def _type_word(name: str) -> str:
    return {"str": "a string", "list": "a list", "dict": "a table", "int": "a number",
            "bool": "true/false", "float": "a number"}.get(name, name)


def _https_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("https", "http") and bool(parts.netloc)


def load_config(root: Path, problems: Problems) -> SiteConfig | None:
    """Read and validate ``site_src/site.toml``; None when it cannot be used at all."""
    path = root / CONFIG_PATH
    if not path.is_file():
        problems.error(path, "no site configuration found",
                       hint="run 'badgepress init DIR' or create site_src/site.toml")
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        problems.error(path, f"TOML syntax error: {exc}", hint="fix the syntax of site.toml")
        return None
    top = _check_table(data, SITE_SCHEMA, problems, path)
    issuer = _check_table(top["issuer"] or {}, ISSUER_SCHEMA, problems, path, "issuer.")

    base_url = top["base_url"] or ""
    if base_url and not _https_url(base_url):
        problems.error(path, f"'base_url' must be an absolute http(s) URL, not '{base_url}'",
                       field="base_url", hint="e.g. base_url = \"https://badges.example.org/\"")
    if not base_url.endswith("/"):
        base_url += "/"
    if issuer["url"] and not _https_url(issuer["url"]):
        problems.error(path, f"'issuer.url' must be an absolute http(s) URL, not "
                       f"'{issuer['url']}'", field="issuer.url")
    if issuer["id"] not in ("https", "did:web"):
        problems.error(path, f"'issuer.id' must be \"https\" or \"did:web\", not "
                       f"'{issuer['id']}'", field="issuer.id")
    levels = top["levels"]
    if not all(isinstance(x, str) for x in levels):
        problems.error(path, "'levels' must be a list of strings", field="levels")
        levels = list(DEFAULT_LEVELS)
    if problems.errors:
        return None
    return SiteConfig(
        root=root,
        title=top["title"],
        base_url=base_url,
        description=top["description"],
        language=top["language"],
        theme_dir=(root / top["theme"]).resolve(),
        output_dir=(root / top["output"]).resolve(),
        levels=tuple(levels),
        issuer=IssuerConfig(issuer["name"], issuer["url"], issuer["email"],
                            issuer["description"], issuer["id"]),
    )
