"""Markdown to safe HTML, and splitting a badge body into description and criteria.

All Markdown goes through nh3 after Python-Markdown, badge text included: badge files are
written by maintainers, but evidence narratives come from earners, and one code path that is
always sanitized cannot be forgotten on the untrusted one.
"""

from __future__ import annotations

import difflib
import html
import re
import unicodedata

import markdown as md
import nh3

_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "strong", "sub", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "ul",
}
_ALLOWED_ATTRS = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align"},
    "th": {"align"},
    "ol": {"start"},
    **{h: {"id"} for h in ("h2", "h3", "h4", "h5", "h6")},
}
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
CRITERIA_HEADINGS = ("what it takes to earn this badge", "criteria", "earning criteria")


def render_markdown(source: str, *, shift_headings: bool = True) -> str:
    """Render Markdown to sanitized HTML; `#` becomes h2 because the page owns h1."""
    if shift_headings:
        source = re.sub(r"^(#{1,5})(?=\s)", r"\1#", source, flags=re.M) if re.search(
            r"^#\s", source, flags=re.M) else source
    html = md.markdown(source, extensions=["extra", "sane_lists", "toc"],
                       output_format="html")
    return nh3.clean(html, tags=_ALLOWED_TAGS, attributes=_ALLOWED_ATTRS,
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener nofollow")


def plain_text(source: str) -> str:
    """Markdown reduced to one line of plain text (meta descriptions, search index)."""
    html = md.markdown(source, extensions=["extra"])
    text = nh3.clean(html, tags=set())
    return re.sub(r"\s+", " ", text).strip()


_BLOCK_END = re.compile(r"</(?:p|h[1-6]|li|blockquote|pre|tr|dt|dd|div)>|<br\s*/?>", re.I)


def plain_paragraphs(source: str) -> str:
    """Markdown as plain text: no markup, each paragraph (heading, list item) on one line,
    paragraphs separated by a blank line. For fields that Open Badges 3.0 types as plain
    text, such as ``Achievement.description``."""
    rendered = _BLOCK_END.sub("\n\n", md.markdown(source, extensions=["extra"]))
    text = html.unescape(nh3.clean(rendered, tags=set()))
    paragraphs = (re.sub(r"\s+", " ", p).strip() for p in re.split(r"\n\s*\n", text))
    return "\n\n".join(p for p in paragraphs if p)


def split_sections(body: str) -> tuple[str, str | None, int | None]:
    """Return (description, criteria, criteria line offset) of a badge body.

    The criteria section is the one headed "What it takes to earn this badge" (any level),
    up to the next heading of the same or a higher level; fenced code is never a heading.
    """
    lines = body.splitlines()
    in_fence = False
    start = level = None
    end = len(lines)
    for i, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        m = None if in_fence else _HEADING.match(line)
        if not m:
            continue
        if start is None:
            if m.group(2).strip().rstrip(":").lower() in CRITERIA_HEADINGS:
                start, level = i, len(m.group(1))
        elif len(m.group(1)) <= level:
            end = i
            break
    if start is None:
        return body.strip(), None, None
    criteria = "\n".join(lines[start + 1:end]).strip()
    description = "\n".join(lines[:start] + lines[end:]).strip()
    return description, criteria, start


def suggest(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """' (did you mean 'x'?)' style hint, or '' when nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


def slugify(text: str) -> str:
    """ASCII slug of a skill or title: 'Client Advocacy' -> 'client-advocacy'."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"
