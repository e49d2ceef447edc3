"""Markdown to safe HTML, and splitting a badge body into description and criteria; the
text checks shared by issuing and building (emails, invisible characters).

All Markdown goes through nh3 after Python-Markdown, badge text included: badge files are
written by maintainers, but evidence narratives come from earners, and one code path that is
always sanitized cannot be forgotten on the untrusted one.

Python-Markdown recurses once per level of nesting: 3,000 nested list items take ten minutes
and then raise RecursionError, 3,000 nested ``*`` raise it at once. So block nesting (quotes,
list indentation) is capped before parsing, and a RecursionError from inline nesting becomes a
``MarkdownError`` that callers report at the file.
"""

from __future__ import annotations

import difflib
import html
import re
import unicodedata
from functools import lru_cache

import markdown as md
import nh3
from anyascii import anyascii

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
MAX_NESTING = 32  # quotes and list levels; real documents use a handful
_NEST_PREFIX = re.compile(r"^[ >]*")


class MarkdownError(ValueError):
    """Markdown that cannot be rendered in bounded time; ``line`` is 1-based in the source."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message, self.line = message, line


def check_nesting(source: str) -> None:
    """Raise MarkdownError at the first line nested deeper than MAX_NESTING (block quotes
    plus list indentation), outside fenced code."""
    in_fence = False
    for n, line in enumerate(source.splitlines(), 1):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        if in_fence:
            continue
        prefix = _NEST_PREFIX.match(line.expandtabs(4)).group(0)
        depth = prefix.count(">") + (len(prefix) - len(prefix.lstrip(" "))) // 4
        if depth > MAX_NESTING:
            raise MarkdownError(f"Markdown nested {depth} levels deep (block quotes or list "
                                f"indentation; at most {MAX_NESTING})", n)


_CONVERTERS: dict[tuple[str, ...], md.Markdown] = {}


def _converter(extensions: list[str]) -> md.Markdown:
    """One Python-Markdown instance per extension set, reset before each document: making
    one loads every extension again (most of the cost of a short badge text)."""
    key = tuple(extensions)
    if key not in _CONVERTERS:
        _CONVERTERS[key] = md.Markdown(extensions=extensions, output_format="html")
    return _CONVERTERS[key].reset()


def _to_html(source: str, extensions: list[str]) -> str:
    check_nesting(source)
    try:
        return _converter(extensions).convert(source)
    except RecursionError:
        raise MarkdownError("Markdown nested too deeply to render (emphasis, links or "
                            "quotes inside each other)") from None


def render_markdown(source: str, *, shift_headings: bool = True) -> str:
    """Render Markdown to sanitized HTML; `#` becomes h2 because the page owns h1.
    MarkdownError when it is nested too deeply to render."""
    if shift_headings:
        source = re.sub(r"^(#{1,5})(?=\s)", r"\1#", source, flags=re.M) if re.search(
            r"^#\s", source, flags=re.M) else source
    html = _to_html(source, ["extra", "sane_lists", "toc"])
    return nh3.clean(html, tags=_ALLOWED_TAGS, attributes=_ALLOWED_ATTRS,
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener nofollow")


@lru_cache(maxsize=8192)
def plain_text(source: str) -> str:
    """Markdown reduced to one line of plain text (meta descriptions, search index)."""
    text = nh3.clean(_to_html(source, ["extra"]), tags=set())
    return re.sub(r"\s+", " ", text).strip()


_BLOCK_END = re.compile(r"</(?:p|h[1-6]|li|blockquote|pre|tr|dt|dd|div)>|<br\s*/?>", re.I)


@lru_cache(maxsize=8192)
def plain_paragraphs(source: str) -> str:
    """Markdown as plain text: no markup, each paragraph (heading, list item) on one line,
    paragraphs separated by a blank line. For fields that Open Badges 3.0 types as plain
    text, such as ``Achievement.description``."""
    rendered = _BLOCK_END.sub("\n\n", _to_html(source, ["extra"]))
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


SLUG_MAX = 80  # '李'×60 transliterates to 240 characters
# scripts written without spaces between syllables (or words): one syllable a part
_SYLLABIC = ("CJK ", "HANGUL SYLLABLE", "HIRAGANA", "KATAKANA")


def _ascii(ch: str) -> str:
    if ch.isascii():
        return ch
    out = re.sub(r"['’ʼ]", "", anyascii(ch))  # Cyrillic 'ь' is "'": Ol'ga is one word
    return f" {out} " if unicodedata.name(ch, "").startswith(_SYLLABIC) else out


def slugify(text: str) -> str:
    """ASCII slug of a skill, title or name: 'Client Advocacy' -> 'client-advocacy',
    '李小龙' -> 'li-xiao-long', 'Ольга Петрова' -> 'olga-petrova', 'Straße' -> 'strasse'.
    Transliterated by anyascii (dropping every letter outside ASCII made 'x', 'x-2', …
    of all Chinese, Korean or Russian names, and one anchor of all such skills)."""
    text = "".join(map(_ascii, unicodedata.normalize("NFC", text)))
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(slug) > SLUG_MAX:  # a file name (earners/<slug>.json) has 255 bytes at most
        slug = slug[:SLUG_MAX + 1].rsplit("-", 1)[0] if "-" in slug[:SLUG_MAX + 1] else \
            slug[:SLUG_MAX]
    return slug or "x"


def unique_slug(text: str, taken: set[str]) -> str:
    """``slugify(text)``, made unique among ``taken`` with -2, -3 …"""
    base = slug = slugify(text)
    n = 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


# emails and invisible characters -----------------------------------------------------------

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.([A-Za-z]{2,24})")
NOT_TLDS = {"png", "svg", "jpg", "jpeg", "gif", "webp", "js", "mjs", "css", "json", "html"}
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


_LOCAL_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._%+-")


def emails_in(text: str) -> set[str]:
    """Every email address in a text (lower case); 'logo@2x.png' is none.

    Exactly what ``EMAIL_RE.finditer`` finds, in time linear in the text: every match holds
    one '@', so the regex is tried only from the start of the run of local-part characters
    before each '@' (finditer itself retries at every position of every long word, which
    is quadratic in the length of base58 signatures and the like)."""
    found: set[str] = set()
    pos = 0  # where finditer would resume: the end of the last match
    at = text.find("@")
    while at != -1:
        start = at
        while start > pos and text[start - 1] in _LOCAL_CHARS:
            start -= 1
        m = EMAIL_RE.match(text, start) if start < at else None
        if m is not None:
            if m.group(1).lower() not in NOT_TLDS:
                found.add(m.group(0).lower())
            pos = m.end()
            at = text.find("@", pos)
        else:
            at = text.find("@", at + 1)
    return found


def valid_email(email: str) -> bool:
    """One '@'; a local part without spaces or control characters, not starting or ending
    with a dot nor holding '..'; a domain of two or more valid labels (internationalised
    names through IDNA) whose last has two characters or more and is not all digits."""
    email = email.strip()
    if email.count("@") != 1 or len(email) > 254:
        return False
    local, domain = email.split("@")
    if not local or len(local) > 64 or local[0] == "." or local[-1] == "." \
            or ".." in local or any(c.isspace() or not c.isprintable() for c in local):
        return False
    try:
        labels = domain.encode("idna").decode("ascii").lower().split(".")
    except UnicodeError:
        return False
    return len(labels) >= 2 and all(_LABEL.match(x) for x in labels) \
        and len(labels[-1]) >= 2 and not labels[-1].isdigit()


# Characters that change how text around them is displayed without showing themselves:
# bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) can make "Ann"
# read as someone else's name; zero-width spaces, word joiners and BOMs hide inside names.
# ZWNJ and ZWJ (U+200C, U+200D) are kept between two visible characters, where scripts
# (Persian, Indic) and emoji sequences need them.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
ZERO_WIDTH = frozenset("\u200b\u2060\ufeff")
JOINERS = frozenset("\u200c\u200d")
_HIDDEN = BIDI_CONTROLS | ZERO_WIDTH | JOINERS


def _visible(ch: str | None) -> bool:
    return ch is not None and not ch.isspace() and ch not in _HIDDEN


def _hidden_at(text: str, i: int) -> bool:
    ch = text[i]
    if ch in JOINERS:
        return not (_visible(text[i - 1] if i else None)
                    and _visible(text[i + 1] if i + 1 < len(text) else None))
    return ch in BIDI_CONTROLS or ch in ZERO_WIDTH


def hidden_characters(text: str) -> list[str]:
    """The invisible characters ``visible_text`` would drop, as 'U+202E' codes."""
    found: list[str] = []
    for i, ch in enumerate(text):
        if _hidden_at(text, i) and f"U+{ord(ch):04X}" not in found:
            found.append(f"U+{ord(ch):04X}")
    return found


def visible_text(text: str) -> str:
    """``text`` without bidi controls, zero-width characters, and joiners that join
    nothing: what a title, a meta tag or an earner's name may show."""
    if text.isascii() or not any(ch in _HIDDEN for ch in text):
        return text
    return "".join(ch for i, ch in enumerate(text) if not _hidden_at(text, i))


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids (C0 controls but tab and line
    breaks, U+FFFE, U+FFFF): one of them in a name makes a whole Atom feed unreadable."""
    return _NOT_XML.sub("", text)
