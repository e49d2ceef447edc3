"""What in an SVG badge image would run as code on the site that publishes it.

A badge image is published as it is (``/badges/<slug>/<slug>.svg``) and inside every baked
``badge.svg``: opened on its own, an SVG is a document of the site's origin, and a script in
it runs there (a host without a Content-Security-Policy header, such as GitHub Pages, does
not stop it). A badge never needs one, so the build refuses images that carry any: script
elements, ``foreignObject``, HTML or XSLT elements anywhere, an ``xml-stylesheet``
instruction, event handler attributes (``onload=``…), and links, bases or animations to
``javascript:`` URLs.

Read with expat, the parser bake.py uses. What expat reads otherwise than a browser is
refused rather than guessed at: a file that is not well-formed, a declared encoding other
than UTF-8, and parameter entities (expat skips what follows one; libxml2 expands it). The
internal entities of a DTD are expanded before elements are reported, so markup hidden in one
is seen; an export's plain ``<!DOCTYPE svg PUBLIC …>`` is fine.
"""

from __future__ import annotations

from xml.parsers import expat

_CODE_ELEMENTS = {"script", "foreignobject", "handler"}
_ANIMATIONS = {"set", "animate"}
_FOREIGN = {"http://www.w3.org/1999/xhtml": "HTML", "http://www.w3.org/1999/XSL/Transform":
            "XSLT"}


class _Found(Exception):
    """Raised by a parser callback with what it found, to stop the parse there."""


def _local(name: str) -> str:
    """'http://www.w3.org/2000/svg script' (expat's namespaced form) -> 'script', lower."""
    return name.rsplit(" ", 1)[-1].lower()


def _is_javascript(value: str) -> bool:
    # browsers drop ASCII whitespace and control characters inside the scheme
    scheme = "".join(c for c in value.split(":", 1)[0] if c > " ").lower()
    return ":" in value and scheme in ("javascript", "vbscript")


def svg_problem(data: bytes) -> str | None:
    """Why the SVG cannot be published, as the end of a sentence about the file (it
    'contains a <script> element, which would run …'), or None."""
    what = active_content(data)
    if what is None:
        return None
    if what.startswith("not well-formed"):
        return f"is {what}, so browsers show nothing of it"
    return f"contains {what}, which would run as code on your site when the image is " \
           "opened on its own (and in every baked badge)"


def active_content(data: bytes) -> str | None:
    """What the SVG carries that would run as code ('a <script> element', …), what expat
    and a browser would read differently ('not well-formed XML …'), or None."""
    parser = expat.ParserCreate(None, " ")  # the file's own encoding declaration is read

    def found(what: str) -> None:
        raise _Found(what)

    def start(name: str, attrs: dict[str, str]) -> None:
        namespace = name.rsplit(" ", 1)[0] if " " in name else ""
        tag = _local(name)
        if namespace in _FOREIGN:
            found(f"an {_FOREIGN[namespace]} <{tag}> element")
        if tag in _CODE_ELEMENTS:
            found(f"a <{name.rsplit(' ', 1)[-1]}> element")
        for attr, value in attrs.items():
            local = _local(attr)
            if local.startswith("on"):
                found(f"an event handler attribute ({local}=)")
            if local in ("href", "base") and _is_javascript(value):
                found("a javascript: link")
            if tag in _ANIMATIONS and local in ("to", "values", "from", "by") and any(
                    _is_javascript(v) for v in value.split(";")):
                found("an animation to a javascript: link")

    def declaration(version, encoding, standalone) -> None:
        if encoding and encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
            found(f"text declared as {encoding} (badge images are UTF-8)")

    def instruction(target: str, _data: str) -> None:
        if target.lower() == "xml-stylesheet":
            found("an xml-stylesheet instruction")

    def entity(name, is_parameter, *_rest) -> None:
        if is_parameter:
            found("a parameter entity in its DTD")

    def skipped(name: str, is_parameter: bool) -> None:
        found("an entity that cannot be read")

    parser.StartElementHandler = start
    parser.XmlDeclHandler = declaration
    parser.ProcessingInstructionHandler = instruction
    parser.EntityDeclHandler = entity
    parser.SkippedEntityHandler = skipped
    try:
        parser.Parse(data, True)
    except _Found as what:
        return str(what)
    except expat.ExpatError as exc:
        return f"not well-formed XML ({expat.errors.messages[exc.code]}, line {exc.lineno})"
    return None
