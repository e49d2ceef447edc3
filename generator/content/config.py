"""Site configuration: ``site_src/site.toml`` read against a declarative schema.

Every key has a type, a default and a docstring (MkDocs' config_options); all problems are
collected; unknown keys are warnings (a typo should not silently do nothing, but an older
config must still build), wrong types are errors naming the key.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..core.errors import Problems
from ..core.files import UnsafeFile, read_regular
from ..core.paths import CONFIG_PATH
from .load import not_utf8
from .schema import ISSUER_SCHEMA, SITE_SCHEMA, Option, names, type_word, unknown_keys

DEFAULT_LEVELS = tuple(next(o.default for o in SITE_SCHEMA if o.name == "levels"))


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


def _line_of(path: Path, prefix: str, key: str) -> int | None:
    """The line of ``key = …`` in the TOML file (in its [table] when ``prefix`` names one):
    tomllib gives values, not where they stand."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    table = prefix.rstrip(".")
    inside = not table
    for n, line in enumerate(lines, 1):
        head = re.match(r"\s*\[\s*([^\]]+?)\s*\]", line)
        if head:
            inside = head.group(1) == table
        elif inside and re.match(rf"\s*[\"']?{re.escape(key)}[\"']?\s*=", line):
            return n
    return None


def _check_table(table: dict, schema: tuple[Option, ...], problems: Problems, path: Path,
                 prefix: str = "") -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, hint in unknown_keys(table, schema):
        problems.warn(path, f"unknown key '{prefix}{key}' is ignored", field=prefix + key,
                      line=_line_of(path, prefix, key), hint=hint if hint.startswith("did")
                      else "known keys: " + ", ".join(sorted(names(schema))))
    for opt in schema:
        if opt.name not in table:
            if opt.required:
                problems.error(path, f"'{prefix}{opt.name}' is missing", field=prefix + opt.name,
                               hint=f"add it: {opt.doc}")
            values[opt.name] = opt.default
            continue
        value = table[opt.name]
        if not isinstance(value, opt.type):
            problems.error(path, f"'{prefix}{opt.name}' must be {type_word(opt.type)}, "
                           f"not {type_word(type(value))}", field=prefix + opt.name,
                           hint=opt.doc)
            values[opt.name] = opt.default
            continue
        values[opt.name] = value
    return values


def _https_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("https", "http") and bool(parts.netloc)


def read_toml(path: Path, problems: Problems, what: str) -> dict[str, Any] | None:
    """A TOML file of the site, or None with a problem that says how to fix it (syntax, not
    UTF-8, nested too deeply for the parser, a link or special file)."""
    data = b""
    try:
        data = read_regular(path, limit=4 << 20)
        return tomllib.loads(data.decode("utf-8"))
    except UnsafeFile as exc:
        problems.error(path, exc.message, hint=exc.hint)
    except UnicodeDecodeError as exc:
        problems.error(path, not_utf8(data, exc.start), line=data.count(b"\n", 0, exc.start)
                       + 1, hint=f"save {what} as UTF-8")
    except tomllib.TOMLDecodeError as exc:
        problems.error(path, f"TOML syntax error: {exc}", hint=f"fix the syntax of {what}")
    except RecursionError:
        problems.error(path, "TOML nested too deeply to read (arrays or tables inside "
                       "each other)", hint=f"flatten {what}: it needs only a few levels")
    return None


def load_config(root: Path, problems: Problems) -> SiteConfig | None:
    """Read and validate ``site_src/site.toml``; None when it cannot be used at all."""
    path = root / CONFIG_PATH
    if not path.is_file():
        problems.error(path, "no site configuration found",
                       hint="run 'badgepress init DIR' or create site_src/site.toml")
        return None
    data = read_toml(path, problems, "site.toml")
    if data is None:
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
    theme_dir = Path(os.path.abspath(root / top["theme"]))  # links are not followed
    if not theme_dir.is_relative_to(os.path.abspath(root)):
        problems.error(path, f"theme folder '{top['theme']}' is outside the site folder",
                       field="theme", hint="the build reads nothing from outside the site: "
                       "copy the theme into the site and name it relative to the site")
    elif "theme" in data and isinstance(data["theme"], str) \
            and not (root / top["theme"]).is_dir():
        problems.error(path, f"theme folder '{top['theme']}' not found", field="theme",
                       hint="create it with the templates/ or assets/ files you override, or "
                            "remove 'theme' to use the default theme")
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
        theme_dir=theme_dir,
        output_dir=(root / top["output"]).resolve(),
        levels=tuple(levels),
        issuer=IssuerConfig(issuer["name"], issuer["url"], issuer["email"],
                            issuer["description"], issuer["id"]),
    )
