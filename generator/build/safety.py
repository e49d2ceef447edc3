"""The last gate before writing: no private key and no email address that the maintainer
did not publish on purpose may leave in the output.

Emails are allowed only when they already stand in the site's own public sources (site.toml,
badge and page Markdown, templates), like the program's contact address. An earner's address
can therefore never slip out through a credential, an earner name or an evidence text.
"""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path

import base58

from ..core.errors import BuildError, Problem
from ..core.paths import BADGES_DIR, CONFIG_PATH, PAGES_DIR
from ..trust.keys import ED25519_PRIV, KEY_ENV, decode_multibase_key
from .theme import Theme

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.([A-Za-z]{2,24})")
NOT_TLDS = {"png", "svg", "jpg", "jpeg", "gif", "webp", "js", "mjs", "css", "json", "html"}
TEXT_SUFFIXES = (".html", ".json", ".xml", ".txt", ".svg", ".js", ".css", ".jsonld")
KEY_MARKERS = ("secretKeyMultibase", "privateKeyMultibase", "-----BEGIN", "privateKeyJwk")


def emails_in(text: str) -> set[str]:
    return {m.group(0).lower() for m in EMAIL_RE.finditer(text)
            if m.group(1).lower() not in NOT_TLDS}


def public_emails(root: Path, theme: Theme) -> set[str]:
    """Addresses the maintainer published on purpose, in the site's own sources."""
    found: set[str] = set()
    sources = [root / CONFIG_PATH, *(root / BADGES_DIR).glob("*.md"),
               *(root / PAGES_DIR).glob("*.md"),
               *(p for name, p in theme.files("templates").items() if name.endswith(".html"))]
    for p in sources:
        if p.is_file():
            found |= emails_in(p.read_text(encoding="utf-8", errors="replace"))
    return found


def _key_forms() -> list[str]:
    """Every spelling of the maintainer's private key, when the key file is at hand."""
    path = os.environ.get(KEY_ENV)
    if not path or not Path(path).is_file():
        return []
    try:

        secret = json.loads(Path(path).read_text())["secretKeyMultibase"]
        seed = decode_multibase_key(secret, ED25519_PRIV)
    except (ValueError, KeyError, OSError):
        return []

    return [secret, seed.hex(), base58.b58encode(seed).decode(),
            base64.b64encode(seed).decode().rstrip("="),
            base64.urlsafe_b64encode(seed).decode().rstrip("=")]


def check_output(root: Path, files: dict[str, bytes], catalog) -> None:
    """Raise BuildError when a file to be published carries a secret."""
    allowed = public_emails(root, Theme.for_site(catalog.config.theme_dir))
    secrets = _key_forms()
    problems = []
    for path, data in sorted(files.items()):
        if not path.endswith(TEXT_SUFFIXES) or path.startswith("assets/"):
            continue
        text = data.decode("utf-8", errors="replace")
        for marker in KEY_MARKERS:
            if marker in text:
                problems.append(Problem(path, f"contains '{marker}': private key material "
                                        "must never be published", hint="remove it"))
        for s in secrets:
            if s and s in text:
                problems.append(Problem(path, "contains the issuer's private key",
                                        hint="remove it from the site sources at once, and "
                                        "rotate the key"))
        leaked = sorted(emails_in(text) - allowed)
        if leaked:
            problems.append(Problem(path, f"would publish the email address {leaked[0]}"
                                    + (f" and {len(leaked) - 1} more" if len(leaked) > 1
                                       else ""),
                                    hint="credentials carry only a salted hash of the "
                                    "earner's email; remove the address from names and "
                                    "evidence, or reissue the credential"))
    if problems:
        raise BuildError(problems)
