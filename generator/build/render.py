"""Render stage: the frozen model in, ``{url path: bytes}`` out. The only module that
touches Jinja. Pure: it reads templates and assets but writes nothing, which is what lets
tests and the dev server use its result without a disk round trip (Eleventy)."""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
import types
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, urlencode, urlsplit
from xml.sax.saxutils import escape

import jinja2
import jinja2.meta
import jinja2.runtime
from markupsafe import Markup
from markupsafe import escape as markupsafe_escape

from ..content.model import Award, Catalog
from ..content.people import UUID_RE
from ..core.dates import parse_duration
from ..core.errors import BuildError, Problem
from ..core.files import read_regular
from ..core.text import slugify, visible_text, xml_text
from ..trust.bake import bake_png, bake_svg
from ..trust.ld import context_document, known_contexts
from .cards import CARD_NAME, CARD_SIZE
from .theme import DEFAULT_THEME, Theme

Output = dict[str, bytes]


def script_json(data: Any) -> Markup:
    """JSON that is safe inside <script>: no '<', '>', '&', U+2028 or U+2029 left literal,
    so an earner name like '</script><script>…' cannot end the block."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return Markup(text)


def script_json_bytes(raw: bytes) -> Markup:
    """A signed JSON file's own text, made safe inside <script> as script_json does: it
    parses to the same document, and is not encoded again (json.dumps with an indent
    runs in pure Python: a few ms per credential page)."""
    text = raw.decode("utf-8").removeprefix("\ufeff").strip()
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return Markup(text)


def json_bytes(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def relative_url(from_path: str, target: str) -> str:
    """Link from the page at output path ``from_path`` to site path ``target``, relative, so
    the site works at any base path and from a local server alike."""
    frag = ""
    for sep in ("#", "?"):
        if sep in target:
            target, rest = target.split(sep, 1)
            frag = sep + rest + frag
    start = posixpath.dirname(from_path) or "."
    rel = _relpath(target or ".", start)
    if target == "" or target.endswith("/"):
        rel = "./" if rel == "." else rel + "/"
    return rel + frag


def _segments(path: str) -> list[str] | None:
    """A relative site path as segments ([] for the root), or None when it is not plain."""
    path = path.rstrip("/")
    if path in ("", "."):
        return []
    parts = path.split("/")
    return None if any(p in ("", ".", "..") for p in parts) else parts


def _relpath(target: str, start: str) -> str:
    """posixpath.relpath for two site paths, without its two os.getcwd() calls per link
    (a credential page has ~20 links; 100,000 pages): plain segments are compared as
    text, anything else (absolute, '.' or '..' inside) goes to posixpath.relpath."""
    t = None if target.startswith("/") else _segments(target)
    s = None if start.startswith("/") else _segments(start)
    if t is None or s is None:
        return posixpath.relpath(target, start)
    common = 0
    while common < min(len(t), len(s)) and t[common] == s[common]:
        common += 1
    return "/".join([".."] * (len(s) - common) + t[common:]) or "."


class Assets:
    """Theme assets, vendored libraries and generated modules under one content-hashed
    folder, so they can be cached forever and ES module imports between them keep working."""

    def __init__(self, theme: Theme, generated: dict[str, bytes] | None = None):
        self.files: dict[str, bytes] = {
            name: read_regular(p) for name, p in theme.files("assets").items()}
        self.files.update(vendored(theme.vendor_dir()))
        self.files.update(generated or {})
        digest = hashlib.sha256()
        for name, data in sorted(self.files.items()):
            digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
        self.prefix = f"assets/{digest.hexdigest()[:10]}/"

    def path(self, name: str) -> str:
        if name not in self.files:
            raise KeyError(f"theme asset '{name}' does not exist")
        return self.prefix + name

    def output(self) -> Output:
        return {self.prefix + name: data for name, data in self.files.items()}


def vendored(folder: Path) -> dict[str, bytes]:
    """The pinned browser libraries that pages load (per vendor/versions.json: the ES module
    form of each), with every licence text next to them."""
    manifest = folder / "versions.json"
    if not manifest.is_file():
        return {}
    files: dict[str, bytes] = {}
    for pkg in json.loads(manifest.read_text("utf-8")).values():
        derived = [d["file"] for d in pkg.get("derived", [])]
        for name in derived or [pkg["file"]]:
            files[f"vendor/{name}"] = (folder / name).read_bytes()
    for lic in sorted((folder / "LICENSES").rglob("*.txt")):
        files["vendor/" + lic.relative_to(folder).as_posix()] = lic.read_bytes()
    return files


def verifier_modules() -> dict[str, bytes]:
    """The browser verifier's shared data as ES modules: the messages of generator/
    messages.json (word for word the CLI's) and the pinned contexts (never fetched)."""


    pkg = resources.files("badgepress")
    messages = json.loads((pkg / "messages.json").read_text("utf-8"))
    messages.pop("_comment", None)
    contexts = {url: context_document(url) for url in known_contexts()}
    head = "// Generated by badgepress from generator/{}; do not edit.\n"
    return {
        "verify/messages.js": (head.format("messages.json") + "export default "
                               + json.dumps(messages, ensure_ascii=False, indent=1)
                               + ";\n").encode(),
        "verify/contexts.js": (head.format("contexts/") + "export default "
                               + json.dumps(contexts, ensure_ascii=False, separators=(",", ":"))
                               + ";\n").encode(),
    }


_ENVS: dict[str, tuple[frozenset[str], jinja2.Environment]] = {}
# template source digest -> the templates it names ({% extends/include/import/from %})
_REFERENCES: dict[str, list[str | None]] = {}
_ASSETS: dict[tuple, Assets] = {}


def _environment(theme: Theme) -> jinja2.Environment:
    """One Jinja environment per theme search path for the life of the process: templates
    are compiled once and recompiled only when their file changes (auto_reload). A new
    one when the site's theme gains or loses a template: Jinja would keep using the
    default theme's copy, whose file did not change, instead of the new override (a dev
    server would never show a template added while it runs)."""
    dirs = theme.template_dirs()
    key = "\0".join(dirs)
    overrides = frozenset(
        f"{d}/{p.relative_to(d).as_posix()}" for d in map(Path, dirs[:-1])
        for p in d.rglob("*") if p.is_file())
    if key not in _ENVS or _ENVS[key][0] != overrides:
        env = _Environment(
            loader=_OncePerBuildLoader(dirs), autoescape=True,
            undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
            auto_reload=True, finalize=_finalize)
        env.filters["script_json"] = script_json
        env.filters["script_json_bytes"] = script_json_bytes
        env.filters["date"] = _format_date
        env.filters["duration"] = human_duration
        env.filters["skill_slug"] = _skill_slug
        env.filters["sort_by_level"] = _sort_by_level
        env.filters["key_multibase"] = key_multibase
        env.filters["type_label"] = type_label
        env.filters["visible"] = visible_text
        env.filters["small_count"] = small_count
        env.globals["social_card"] = {"name": CARD_NAME, "width": CARD_SIZE[0],
                                      "height": CARD_SIZE[1]}
        _ENVS[key] = (overrides, env)
    return _ENVS[key][1]


# callables that never take Jinja's context: their ``__call__`` is a slot wrapper, which
# holds no ``jinja_pass_arg`` (what Context.call looks for on it)
_PLAIN_CALLABLES = frozenset({types.FunctionType, types.BuiltinFunctionType, types.MethodType})


class _Context(jinja2.runtime.Context):
    """Jinja's context, calling plain functions and methods (``url()``, ``once()``,
    ``dict.get``…: a dozen calls a credential page, six a /log/ row) the way
    ``Context.call`` does, without its two attribute probes and two dict pops each."""

    def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        if type(__obj) not in _PLAIN_CALLABLES or hasattr(__obj, "jinja_pass_arg"):
            return super().call(__obj, *args, **kwargs)
        if kwargs:
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:
            return __self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception")


class _Environment(jinja2.Environment):
    """Templates whose globals are a plain dict, not Jinja's ChainMap over the environment's:
    each page's context copies them (twice per template, and ``_macros.html`` is imported
    with the context on every page), and a ChainMap is copied key by key in Python (5 µs of
    each credential page). The environment's globals are all set before any template loads
    (``_environment``), so nothing is missed."""

    context_class = _Context

    def make_globals(self, d: Any = None) -> Any:
        return {**self.globals, **(d or {})}


class _OncePerBuildLoader(jinja2.FileSystemLoader):
    """Templates checked for changes on disk once per build (a new Renderer starts the next
    build), not at every page: with auto_reload, Jinja stats base.html and _macros.html
    again for each ``{% extends %}`` and ``{% from %}`` of each of 100,000 pages."""

    build = 0  # bumped by each Renderer

    def get_source(self, environment: jinja2.Environment, template: str
                   ) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        checked_in = _OncePerBuildLoader.build  # just read: current for the build reading it

        def still_current() -> bool:
            nonlocal checked_in
            if checked_in != _OncePerBuildLoader.build:
                if not uptodate():
                    return False
                checked_in = _OncePerBuildLoader.build
            return True

        return source, filename, still_current


def _finalize(value: Any) -> Any:
    """Every plain text a template prints ({{ award.earner_name }} in <title> and og:title,
    badge and page names) without bidi overrides or zero-width characters that could make
    it read as something else. Markup (rendered Markdown, script_json's signed JSON) is
    passed through untouched: changing signed bytes would break their verification."""
    if type(value) is not str or (value.isascii() and value.isprintable()):
        return value  # printable ASCII holds nothing either function would remove
    return xml_text(visible_text(value))


def forget_theme() -> None:
    """Compile every template and read every asset again at the next render: a dev server's
    file watcher reported a change in the theme, which a file's mtime and size may not
    show (an edit of the same length within one tick of the file system's clock)."""
    for _, env in _ENVS.values():
        if env.cache is not None:
            env.cache.clear()
    _ASSETS.clear()


def _assets(theme: Theme) -> Assets:
    """Theme assets, reread only when a file of assets/ or vendor/ changed."""
    stamp = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size)
                  for folder in theme.folders for sub in ("assets", "vendor")
                  if (folder / sub).is_dir()
                  for p in sorted((folder / sub).rglob("*")) if p.is_file())
    key = (theme.folders, stamp)
    if key not in _ASSETS:
        _ASSETS.clear()
        _ASSETS[key] = Assets(theme, verifier_modules())
    return _ASSETS[key]


@jinja2.pass_context
def _skill_slug(context, name: str) -> str:
    """The skill's anchor on /skills/, as the catalog made it unique."""
    catalog = context.get("catalog")
    return catalog.skill_slug(name) if catalog is not None else slugify(name)


@jinja2.pass_context
def _sort_by_level(context, slugs: tuple[str, ...]) -> list[str]:
    """Badge slugs from the first level up, then by name (a pathway reads in order)."""
    catalog = context["catalog"]
    order = {lvl: i for i, lvl in enumerate(catalog.config.levels)}
    return sorted(slugs, key=lambda s: (order.get(catalog.badge(s).level, 99),
                                        catalog.badge(s).name.casefold()))


# Folders of the many pages no menu item leads to: their header is the same on each page
# (base.html keys it by ``nav_current``, the page's own path everywhere else).
UNLISTED = ("credentials/", "badges/", "earners/")


class Renderer:
    """Renders pages of one build (the Jinja environment itself is shared)."""

    share_parts = True  # False: once() makes every part on every page (tests compare)

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.config = catalog.config
        _OncePerBuildLoader.build += 1
        self.theme = Theme.for_site(self.config.theme_dir)
        self.assets = _assets(self.theme)
        self.env = _environment(self.theme)
        self.site_path = urlsplit(self.config.base_url).path or "/"
        self._digests: dict[str, str] = {}
        self._closures: dict[str, tuple[tuple[str, str], ...]] = {}
        # (top folder, depth) of a page -> {target: relative link}; see page()
        self._urls: dict[tuple[str, int], dict[str, str]] = {}
        self._templates: dict[str, jinja2.Template] = {}
        self._parts: dict[tuple, dict[tuple, str]] = {}  # see page(): once()
        # A site's own _macros.html may read the page (award, canonical…) inside a macro
        # that a shared part calls: its parts are then made on every page.
        macros = self.theme.find("templates/_macros.html")
        self.shares_parts = self.share_parts and (
            macros is None or macros.resolve().is_relative_to(DEFAULT_THEME))

    def template_digest(self, name: str) -> tuple[str, ...]:
        """Digests of a page's template and of every template it extends, includes or
        imports, however deep (base.html, _macros.html, _figures.html…): a page's job
        inputs, so an edit of any of them makes the page again, and of no other. A
        template that names another by an expression could use any: then all count."""
        found = self._closures.get(name)
        if found is None:
            found = self._closures[name] = tuple(
                (t, self._digest(t)) for t in sorted(self._referenced(name)))
        return tuple(digest for _, digest in found)

    def _digest(self, name: str) -> str:
        if name not in self._digests:
            path = self.theme.find(f"templates/{name}")
            self._digests[name] = hashlib.sha256(path.read_bytes()).hexdigest() \
                if path is not None else ""
        return self._digests[name]

    def _referenced(self, name: str) -> set[str]:
        """``name`` and the templates it refers to, directly or not (base.html and
        _macros.html always: every page's parts may come from them)."""
        seen = {"base.html", "_macros.html"}
        todo = [name, "base.html", "_macros.html"]
        while todo:
            current = todo.pop()
            seen.add(current)
            path = self.theme.find(f"templates/{current}")
            if path is None:
                continue
            digest = self._digest(current)
            refs = _REFERENCES.get(digest)
            if refs is None:  # parsed once per content for the life of the process
                try:
                    refs = _REFERENCES[digest] = list(jinja2.meta.find_referenced_templates(
                        self.env.parse(path.read_text(encoding="utf-8"))))
                except (jinja2.TemplateSyntaxError, UnicodeDecodeError):
                    continue  # rendering the page reports it, naming the template
            if None in refs:  # {% include some_variable %}: any template may be used
                return seen | set(self.env.list_templates())
            todo += [r for r in refs if r not in seen]
        return seen

    def page(self, template: str, path: str, **context: Any) -> bytes:
        """Render one template to the output path ``path`` (e.g. 'badges/x/index.html')."""
        folder = posixpath.dirname(path)
        top = folder.split("/", 1)[0]
        depth = folder.count("/") + 1 if folder else 0
        up = "../" * depth
        same = self._urls.setdefault((top, depth), {})
        # 404.html links by absolute path: its parts are its own
        parts = self._parts.setdefault(("404",) if path == "404.html" else (top, depth), {})
        local = [0]  # links made that depend on more than (top, depth): see once()

        def url(target: str) -> str:
            if path == "404.html":  # served at any depth: use the site's absolute path
                return self.site_path + target
            # A link out of this page's top folder depends only on the page's depth: made
            # once for all pages alike (100,000 credential pages share ~20 such links).
            found = same.get(target)
            if found is None:
                if target.split("/", 1)[0] != top and not target.startswith((".", "/")):
                    # out of this page's folder: as many '..' as the page is deep, then the
                    # target as it is, when it is a plain path (relative_url's answer then;
                    # 100,000 links to credentials from /log/ pages, each made once)
                    plain = "#" not in target and "?" not in target and \
                        _segments(target) is not None
                    found = up + target if plain else relative_url(path, target)
                    same[target] = found
                else:
                    found = relative_url(path, target)
                    local[0] += 1
            return found

        def asset(name: str) -> str:
            return url(self.assets.path(name))

        def once(*key: Any, caller: Callable[[], str]) -> str:
            """``{% call once(key…) %}…{% endcall %}``: a part of the page made once per
            build for every page of its top folder and depth, e.g. the header of 100,000
            credential pages. The key must hold whatever else the part shows that differs
            between those pages. A part that links inside the page's own top folder (where
            links differ from page to page) is made again on every page, never reused."""
            try:
                found = parts.get(key)
            except TypeError as exc:  # a list or a dict in the key
                raise jinja2.TemplateRuntimeError(
                    f"once(): a key is made of strings, numbers, None and tuples ({exc})"
                ) from exc
            if found is None:
                before = local[0]
                found = caller()
                if local[0] == before and self.shares_parts:
                    parts[key] = found
            return found

        canonical = self.config.abs_url(path.removesuffix("index.html"))
        try:
            compiled = self._templates.get(template)
            if compiled is None:  # looked up (3 stats: auto_reload) once per build
                compiled = self._templates[template] = self.env.get_template(template)
            html = compiled.render(
                site=self.config, catalog=self.catalog, url=url, asset=asset,
                canonical=canonical, page_path=path, once=once,
                nav_current="" if path.startswith(UNLISTED) and path.count("/") > 1
                else path, **context)
        except jinja2.TemplateError as exc:
            where = getattr(exc, "filename", None) or template
            line = getattr(exc, "lineno", None)
            raise BuildError([Problem(str(where), f"template error: {exc}", line,
                                      hint="fix the template in the theme")]) from exc
        return html.encode("utf-8")


def small_count(n: int | None) -> str:
    """A published count: below 5 (0 included) it could single someone out."""
    return str(n) if isinstance(n, int) and n >= 5 else "fewer than 5"


def key_multibase(vm: str) -> str:
    """The multibase key a verification method id names: 'did:web:x#z6Mk…',
    '…/issuer.json#z6Mk…' or '…/issuer/keys/z6Mk….json' -> 'z6Mk…'."""
    return str(vm).rsplit("#", 1)[-1].rsplit("/", 1)[-1].removesuffix(".json")


def type_label(value: str) -> str:
    """An Open Badges achievementType for people: 'CertificateOfCompletion' -> 'Certificate
    of completion'. Extension types ('ext:…') and other spellings are shown as they are."""
    try:
        return _type_label(value)
    except TypeError:  # not a string (a template may pass anything): as it is
        return value


@lru_cache(maxsize=256)  # a handful of types, shown on every credential page
def _type_label(value: str) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"(?:[A-Z][a-z]+)+", value):
        return value
    words = re.findall(r"[A-Z][a-z]+", value)
    return " ".join([words[0], *(w.lower() for w in words[1:])])


def human_duration(value: str) -> str:
    """'P2Y' -> '2 years', 'P1Y6M' -> '1 year, 6 months'."""
    parsed = parse_duration(value)
    if parsed is None:
        return value
    years, months, days, seconds = parsed
    parts = [(years, "year"), (months, "month"), (days, "day"), (seconds // 3600, "hour")]
    words = [f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n]
    return ", ".join(words) or value


DATE_FORMAT = "%-d %B %Y"
# a timestamp whose time and offset datetime.fromisoformat reads (so only its day decides)
_TIMESTAMP = re.compile(r"[1-9]\d{3}-\d{2}-\d{2}T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,6})?"
                        r"(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)")


def _format_date(value: datetime | str, fmt: str = DATE_FORMAT) -> str:
    """A date for people; any string that is no readable date is shown as it is (templates
    never crash on a date: the credentials stage reports unusable ones at their file).
    Remembered: a credential page shows its dates four times over, and strftime is slow;
    a timestamp shown as a date alone is remembered by its date (100,000 credentials are
    issued on far fewer days than seconds)."""
    if isinstance(value, str) and fmt == DATE_FORMAT and _TIMESTAMP.fullmatch(value):
        shown = _formatted_date(value[:10], fmt)  # the date the text names, as fromisoformat
        if shown != value[:10]:  # reads it in the timestamp's own offset
            return shown
    try:
        return _formatted_date(value, fmt)
    except TypeError:  # a value that cannot be a dict key
        return _formatted_date.__wrapped__(value, fmt)


@lru_cache(maxsize=4096)
def _formatted_date(value: datetime | str, fmt: str) -> str:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if not 1000 <= value.year <= 9999:
        return value.isoformat()
    return value.strftime(fmt)


class Lazy:
    """A value computed only if a template prints it (pages not re-rendered skip it)."""

    def __init__(self, fn: Callable[..., str], *args: Any):
        self.fn, self.args = fn, args

    def __str__(self) -> str:
        return self.fn(*self.args)

    def __html__(self) -> str:
        return str(markupsafe_escape(str(self)))


def linkedin_url(award: Award, badge_name: str, cfg) -> str:
    """LinkedIn's documented add-to-profile link for a certification: what urlencode would
    write, but quoting only what can hold a character to quote (urlencode quotes each name
    and number too: a tenth of the time of a credential page)."""
    def year_month(prefix: str, value: str) -> list[str]:
        # the date's own year and month, as datetime.fromisoformat reads them (every
        # credential's dates passed dates_readable: the slice is that reading)
        if len(value) >= 7 and value[4] == "-" and value[:4].isdigit() and value[5:7].isdigit():
            return [f"{prefix}Year={int(value[:4])}", f"{prefix}Month={int(value[5:7])}"]
        try:  # no date, or none readable: LinkedIn asks the earner for it
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return []
        return [f"{prefix}Year={when.year}", f"{prefix}Month={when.month}"]

    uuid = award.uuid
    if UUID_RE.fullmatch(uuid):  # nothing in it to quote: the quoted prefix, the uuid, '%2F'
        cert = f"certUrl={_quoted(cfg.abs_url(award.url.removesuffix(uuid + '/')))}{uuid}" \
               f"%2F&certId={uuid}"
    else:
        cert = f"certUrl={quote_plus(cfg.abs_url(award.url))}&certId={quote_plus(uuid)}"
    parts = [_linkedin_start(badge_name, cfg.issuer.name), *year_month("issue", award.valid_from),
             cert]
    if award.valid_until:
        parts += year_month("expiration", award.valid_until)
    return "&".join(parts)


@lru_cache(maxsize=8)
def _quoted(url: str) -> str:
    """quote_plus of a URL every credential's link starts with."""
    return quote_plus(url)


@lru_cache(maxsize=256)
def _linkedin_start(badge_name: str, issuer_name: str) -> str:
    """The link up to its credential's own parameters, the same for each of a badge's."""
    return "https://www.linkedin.com/profile/add?" + urlencode(
        {"startTask": "CERTIFICATION_NAME", "name": badge_name,
         "organizationName": issuer_name})


def baked_name(badge) -> str | None:
    if not badge.image_path:
        return None
    return "badge.png" if badge.image_path.suffix.lower() == ".png" else "badge.svg"


def baked_image(badge, award: Award, data: bytes | None = None
                ) -> tuple[str, bytes] | None:
    """('badge.png' | 'badge.svg', bytes) with the signed credential inside (OB 3.0 §5.3);
    ``data``: the badge image's bytes, when already read."""
    if not badge.image_path:
        return None
    if data is None:
        data = read_regular(badge.image_path)
    if badge.image_path.suffix.lower() == ".png":
        return "badge.png", bake_png(data, award.raw.strip())
    return "badge.svg", bake_svg(data, award.raw.strip())


SITEMAPS_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
# The sitemaps.org protocol's limits for one file: 50,000 URLs and 50 MB uncompressed.
SITEMAP_MAX_URLS = 50_000
SITEMAP_MAX_BYTES = 50 * 1024 * 1024
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'


def sitemap_chunks(locs: list[str] | tuple[str, ...], max_urls: int = SITEMAP_MAX_URLS,
                   max_bytes: int = SITEMAP_MAX_BYTES) -> list[tuple[str, ...]]:
    """Absolute page URLs, sorted, cut into runs that each fit one sitemap file (at most
    ``max_urls`` URLs and ``max_bytes`` bytes): the protocol refuses bigger files, and a
    search engine then ignores the whole file, not just its tail."""
    overhead = len((_XML_HEAD + f'<urlset xmlns="{SITEMAPS_NS}">\n</urlset>\n').encode())
    chunks: list[tuple[str, ...]] = []
    run: list[str] = []
    size = overhead
    for loc in sorted(locs):
        line = len(_url_line(loc).encode())
        if run and (len(run) >= max_urls or size + line > max_bytes):
            chunks.append(tuple(run))
            run, size = [], overhead
        run.append(loc)
        size += line
    if run or not chunks:
        chunks.append(tuple(run))
    return chunks


def _url_line(loc: str) -> str:
    return f"  <url><loc>{escape(loc)}</loc></url>\n"


def sitemap_urlset(locs: tuple[str, ...]) -> bytes:
    """One sitemap file: a <urlset> of the given absolute URLs. No <lastmod>, so the same
    site builds to the same bytes (a build date would change every file every time)."""
    body = "".join(_url_line(loc) for loc in locs)
    return (f'{_XML_HEAD}<urlset xmlns="{SITEMAPS_NS}">\n{body}</urlset>\n').encode()


def sitemap_index(parts: tuple[str, ...]) -> bytes:
    """A sitemap index: a <sitemapindex> naming each sitemap file by its absolute URL."""
    body = "".join(f"  <sitemap><loc>{escape(loc)}</loc></sitemap>\n" for loc in parts)
    return (f'{_XML_HEAD}<sitemapindex xmlns="{SITEMAPS_NS}">\n{body}'
            "</sitemapindex>\n").encode()
