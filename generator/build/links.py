"""Links between the site's own pages: every relative href and src of every HTML page must
name a file the build writes (and an anchor on it, when it names one). A broken link is a
warning (an error with --strict), reported at the source the page was made from."""

from __future__ import annotations

import posixpath
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

from ..core.errors import Problem

SKIP_SCHEMES = ("http", "https", "mailto", "tel", "data", "javascript")


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            elif name in ("href", "src") and value:
                self.refs.append(value)


def page_refs(html: bytes) -> _Refs:
    """The href/src references and element ids of one HTML page."""
    parser = _Refs()
    parser.feed(html.decode("utf-8", errors="replace"))
    return parser


def link_target(path: str, ref: str) -> tuple[str, str] | None:
    """(the output path a reference on page ``path`` names, its fragment), or None for a
    link out of the site (another scheme or host, the dev server's own files)."""
    parts = urlsplit(ref)
    if parts.scheme in SKIP_SCHEMES or parts.netloc or ref.startswith("/__badgepress/"):
        return None
    target = posixpath.normpath(posixpath.join(posixpath.dirname(path),
                                               unquote(parts.path))) if parts.path else path
    if ref.startswith("/"):
        target = unquote(parts.path).lstrip("/")
    if parts.path.endswith("/") or target in ("", "."):
        target = posixpath.join(target, "index.html").lstrip("./") if target not in (
            "", ".") else "index.html"
    return target, parts.fragment


def broken_link(path: str, ref: str, source: str, files
                ) -> tuple[Problem | None, str | None, str]:
    """(a warning when ``ref`` on page ``path`` names no file of ``files``, the target,
    the fragment)."""
    found = link_target(path, ref)
    if found is None:
        return None, None, ""
    target, fragment = found
    if target not in files:
        return (Problem(source, f"{path} links to '{ref}', which the site does not have",
                        warning=True, hint="fix the link or add the page"), target, fragment)
    return None, target, fragment


def fragment_problem(path: str, ref: str, source: str, target: str, fragment: str,
                     ids) -> Problem | None:
    """A warning when the page ``target`` has no element with the id ``fragment``."""
    if fragment in ids:
        return None
    return Problem(source, f"{path} links to '{ref}', but {target} has no anchor "
                   f"'{fragment}'", warning=True, hint="fix the anchor")


def check_links(files: dict[str, bytes], sources: dict[str, str]) -> list[Problem]:
    """Broken internal links of the rendered site, as warnings naming the page's source."""
    pages = {p: page_refs(d) for p, d in files.items()
             if p.endswith(".html") and p != "404.html"}
    problems: list[Problem] = []
    for path, parsed in sorted(pages.items()):
        source = sources.get(path, path)
        for ref in parsed.refs:
            problem, target, fragment = broken_link(path, ref, source, files)
            if problem is not None:
                problems.append(problem)
            elif fragment and target in pages:
                found = fragment_problem(path, ref, source, target, fragment,
                                         pages[target].ids)
                if found:
                    problems.append(found)
    return problems
