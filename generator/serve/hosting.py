"""The production host's rules (netlify.toml headers), applied by the local server too, so a
preview behaves like the published site: same CSP, same CORS, same content types."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path


def header_rules(site_root: Path) -> list[tuple[str, dict[str, str]]]:
    """[(path pattern, headers)] from netlify.toml, in file order; [] without one."""
    path = site_root / "netlify.toml"
    if not path.is_file():
        return []
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [(rule["for"], dict(rule.get("values", {}))) for rule in data.get("headers", [])]


def headers_for(rules: list[tuple[str, dict[str, str]]], url_path: str) -> dict[str, str]:
    """Headers for one request path; later rules override earlier ones, as on Netlify.
    A '*' matches within and across path segments (Netlify's splat)."""
    out: dict[str, str] = {}
    for pattern, values in rules:
        if fnmatch.fnmatchcase(url_path, pattern):
            out.update(values)
    return out
