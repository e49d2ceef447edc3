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


def _parse(html: bytes) -> _Refs:
    parser = _Refs()
    parser.feed(html.decode("utf-8", errors="replace"))
    return parser


def check_links(files: dict[str, bytes], sources: dict[str, str]) -> list[Problem]:
    """Broken internal links of the rendered site, as warnings naming the page's source."""
    pages = {p: _parse(d) for p, d in files.items() if p.endswith(".html") and p != "404.html"}
    problems: list[Problem] = []
    for path, parsed in sorted(pages.items()):
        for ref in parsed.refs:
            parts = urlsplit(ref)
            if parts.scheme in SKIP_SCHEMES or parts.netloc or ref.startswith("/__badgepress/"):
                continue
            target = posixpath.normpath(posixpath.join(posixpath.dirname(path),
                                                       unquote(parts.path))) if parts.path \
                else path
            if ref.startswith("/"):
                target = unquote(parts.path).lstrip("/")
            if parts.path.endswith("/") or target in ("", "."):
                target = posixpath.join(target, "index.html").lstrip("./") if target not in (
                    "", ".") else "index.html"
            if target not in files:
                problems.append(Problem(sources.get(path, path), f"{path} links to '{ref}', "
                                        "which the site does not have", warning=True,
                                        hint="fix the link or add the page"))
            elif parts.fragment and target in pages and parts.fragment not in pages[
                    target].ids:
                problems.append(Problem(sources.get(path, path), f"{path} links to '{ref}', "
                                        f"but {target} has no anchor '{parts.fragment}'",
                                        warning=True, hint="fix the anchor"))
    return problems
