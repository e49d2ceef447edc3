"""Render stage: the frozen model in, ``{url path: bytes}`` out. The only module that
touches Jinja. Pure: it reads templates and assets but writes nothing, which is what lets
tests and the dev server use its result without a disk round trip (Eleventy)."""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import jinja2
from markupsafe import Markup

from . import ob
from .catalog import slugify
from .errors import BuildError, Problem
from .model import Award, Catalog
from .validate import parse_duration

Output = dict[str, bytes]


def script_json(data: Any) -> Markup:
    """JSON that is safe inside <script>: no '<', '>', '&', U+2028 or U+2029 left literal,
    so an earner name like '</script><script>…' cannot end the block."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
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
    rel = posixpath.relpath(target or ".", start)
    if target == "" or target.endswith("/"):
        rel = "./" if rel == "." else rel + "/"
    return rel + frag


class Assets:
    """Theme assets under one content-hashed folder, so they can be cached forever and ES
    module imports between them keep working unchanged."""

    def __init__(self, folder: Path):
        self.files: dict[str, bytes] = {}
        if folder.is_dir():
            for p in sorted(folder.rglob("*")):
                if p.is_file() and not p.name.startswith("."):
                    self.files[p.relative_to(folder).as_posix()] = p.read_bytes()
        digest = hashlib.sha256()
        for name, data in self.files.items():
            digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
        self.prefix = f"assets/{digest.hexdigest()[:10]}/"

    def path(self, name: str) -> str:
        if name not in self.files:
            raise KeyError(f"theme asset '{name}' does not exist")
        return self.prefix + name

    def output(self) -> Output:
        return {self.prefix + name: data for name, data in self.files.items()}


class Renderer:
    """Holds the Jinja environment for one build."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.config = catalog.config
        theme = self.config.theme_dir
        if not (theme / "templates").is_dir():
            theme = Path(__file__).resolve().parent.parent / "theme"
        self.assets = Assets(theme / "assets")
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(theme / "templates")),
            autoescape=True, undefined=jinja2.StrictUndefined,
            trim_blocks=True, lstrip_blocks=True)
        self.env.filters["script_json"] = script_json
        self.env.filters["date"] = _format_date
        self.env.filters["duration"] = human_duration
        self.env.filters["skill_slug"] = slugify
        self.env.filters["sort_by_level"] = self.sort_by_level
        self.site_path = urlsplit(self.config.base_url).path or "/"

    def sort_by_level(self, slugs: tuple[str, ...]) -> list[str]:
        """Badge slugs from the first level up, then by name (a pathway reads in order)."""
        order = {lvl: i for i, lvl in enumerate(self.config.levels)}
        return sorted(slugs, key=lambda s: (order.get(self.catalog.badge(s).level, 99),
                                            self.catalog.badge(s).name.casefold()))

    def page(self, template: str, path: str, **context: Any) -> bytes:
        """Render one template to the output path ``path`` (e.g. 'badges/x/index.html')."""
        def url(target: str) -> str:
            if path == "404.html":  # served at any depth: use the site's absolute path
                return self.site_path + target
            return relative_url(path, target)

        def asset(name: str) -> str:
            return url(self.assets.path(name))

        canonical = self.config.abs_url(path.removesuffix("index.html"))
        try:
            html = self.env.get_template(template).render(
                site=self.config, catalog=self.catalog, url=url, asset=asset,
                canonical=canonical, page_path=path, **context)
        except jinja2.TemplateError as exc:
            where = getattr(exc, "filename", None) or template
            line = getattr(exc, "lineno", None)
            raise BuildError([Problem(str(where), f"template error: {exc}", line,
                                      hint="fix the template in the theme")]) from exc
        return html.encode("utf-8")


def human_duration(value: str) -> str:
    """'P2Y' -> '2 years', 'P1Y6M' -> '1 year, 6 months'."""
    parsed = parse_duration(value)
    if parsed is None:
        return value
    years, months, days, seconds = parsed
    parts = [(years, "year"), (months, "month"), (days, "day"), (seconds // 3600, "hour")]
    words = [f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n]
    return ", ".join(words) or value


def _format_date(value: datetime | str, fmt: str = "%-d %B %Y") -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.strftime(fmt)


def linkedin_url(award: Award, badge_name: str, cfg) -> str:
    """LinkedIn's documented add-to-profile link for a certification."""
    start = datetime.fromisoformat(award.valid_from.replace("Z", "+00:00"))
    params = {"startTask": "CERTIFICATION_NAME", "name": badge_name,
              "organizationName": cfg.issuer.name, "issueYear": start.year,
              "issueMonth": start.month, "certUrl": cfg.abs_url(award.url),
              "certId": award.uuid}
    if award.valid_until:
        end = datetime.fromisoformat(award.valid_until.replace("Z", "+00:00"))
        params |= {"expirationYear": end.year, "expirationMonth": end.month}
    return "https://www.linkedin.com/profile/add?" + urlencode(params)


def render_site(catalog: Catalog, awards: list[Award] | tuple[Award, ...] = (),
                identity: dict[str, Any] | None = None,
                extra: list[Callable[[Renderer], Output]] = ()) -> Output:
    """Every output file of the site, keyed by its path below the output folder.

    ``identity`` holds the issuer documents ({site path: JSON}); ``awards`` the verified
    credentials."""
    r = Renderer(catalog)
    cfg = catalog.config
    out: Output = {}
    by_badge: dict[str, list[Award]] = {}
    for a in awards:
        by_badge.setdefault(a.badge_slug, []).append(a)

    def add(path: str, data: bytes, source: str) -> None:
        if path in out:
            raise BuildError([Problem(source, f"two sources write '{path}'",
                                      hint="rename one of them")])
        out[path] = data

    for path, data in r.assets.output().items():
        add(path, data, "theme/assets")
    add("index.html", r.page("catalog.html", "index.html"), "catalog")
    for badge in catalog.badges:
        base = f"badges/{badge.slug}/"
        achievement = ob.achievement(badge, cfg)
        earned = [a for a in by_badge.get(badge.slug, []) if a.state != "revoked"]
        named = sorted((a for a in earned if a.earner_name),
                       key=lambda a: (a.valid_from, a.earner_name.casefold()))
        add(base + "index.html", r.page("badge.html", base + "index.html", badge=badge,
                                         achievement=achievement, named_earners=named,
                                         earner_count=len(earned)), badge.source)
        add(base + "achievement.json", json_bytes(achievement), badge.source)
        if badge.image_path:
            add(base + badge.image, badge.image_path.read_bytes(), badge.source)
    add("skills/index.html", r.page("skills.html", "skills/index.html"), "skills")
    for page in catalog.pages:
        add(page.url + "index.html", r.page("page.html", page.url + "index.html", page=page),
            page.source)
    for award in awards:
        badge = catalog.badge(award.badge_slug)
        base = award.url
        add(base + "index.html", r.page(
            "credential.html", base + "index.html", award=award, badge=badge, baked=None,
            linkedin_url=linkedin_url(award, badge.name, cfg)), award.source)
        add(base + "credential.json", award.raw, award.source)
    for path, doc in (identity or {}).items():
        add(path, json_bytes(doc), "site_src/issuer/keys.json")
    for fn in extra:
        for path, data in fn(r).items():
            add(path, data, fn.__name__)
    add("404.html", r.page("404.html", "404.html"), "404")
    add("robots.txt", f"User-agent: *\nAllow: /\nSitemap: {cfg.abs_url('sitemap.xml')}\n"
        .encode(), "robots")
    add("sitemap.xml", sitemap(cfg.abs_url, out), "sitemap")
    return out


def sitemap(abs_url: Callable[[str], str], out: Output) -> bytes:
    """sitemap.xml of every HTML page but 404; no lastmod, so builds stay reproducible."""
    from xml.sax.saxutils import escape

    urls = sorted(p.removesuffix("index.html") for p in out
                  if p.endswith("index.html") and not p.startswith("assets/"))
    body = "".join(f"  <url><loc>{escape(abs_url(u))}</loc></url>\n" for u in urls)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{body}</urlset>\n").encode()
