"""What in an SVG badge image would run as code on the site that publishes it.

A badge image is published as it is (``/badges/<slug>/<slug>.svg``) and inside every baked
``badge.svg``: opened on its own, an SVG is a document of the site's origin, and a script in
it runs there (a host without a Content-Security-Policy header, such as GitHub Pages, does
not stop it). A badge never needs one, so the build refuses images that carry any: script
elements, ``foreignObject`` (HTML inside SVG), event handler attributes (``onload=``…), and
links or animations to ``javascript:`` URLs. Read with expat, the parser bake.py uses
(which expands a DTD's internal entities before reporting elements, so markup hidden in one
is seen; an export's plain ``<!DOCTYPE svg PUBLIC …>`` is fine).
"""

from __future__ import annotations

from xml.parsers import expat

_CODE_ELEMENTS = {"script", "foreignobject", "handler"}
_ANIMATIONS = {"set", "animate"}


def _local(name: str) -> str:
    """'http://www.w3.org/2000/svg script' (expat's namespaced form) or 'svg:script' ->
    'script', lower case."""
    return name.rsplit(" ", 1)[-1].rsplit(":", 1)[-1].lower()


def _is_javascript(value: str) -> bool:
    # browsers drop ASCII whitespace and control characters inside the scheme
    scheme = "".join(c for c in value.split(":", 1)[0] if c > " ").lower()
    return ":" in value and scheme in ("javascript", "vbscript")


def active_content(data: bytes) -> str | None:
    """What the SVG carries that would run as code ('a <script> element', …), or None."""
    found: list[str] = []
    parser = expat.ParserCreate("UTF-8", " ")

    def start(name: str, attrs: dict[str, str]) -> None:
        tag = _local(name)
        if tag in _CODE_ELEMENTS:
            found.append(f"a <{name.rsplit(' ', 1)[-1]}> element")
        for attr, value in attrs.items():
            local = _local(attr)
            if local.startswith("on"):
                found.append(f"an event handler attribute ({local}=)")
            elif local == "href" and _is_javascript(value):
                found.append("a javascript: link")
            elif tag in _ANIMATIONS and local in ("to", "values", "from") and \
                    _is_javascript(value.split(";", 1)[0]):
                found.append("an animation to a javascript: link")
        if found:
            raise StopIteration

    parser.StartElementHandler = start  # entities of a DTD are expanded before it: seen too
    try:
        parser.Parse(data, True)
    except StopIteration:
        pass
    except expat.ExpatError:  # browsers show no malformed SVG, and run nothing in it
        return None
    return found[0] if found else None
