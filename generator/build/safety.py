"""The last gate before writing: no private key, no secret of the build's environment and no
email address that the maintainer did not publish on purpose may leave in the output.

Every output file is checked, whatever its type: a badge image is bytes like any other, and
``badges/x.png`` could be the key file itself. Private keys are looked for as bytes in every
file: any Ed25519 secret Multikey ('z3u2…', checked by decoding it), PEM private key blocks,
private key members of JSON (with a value), and, when the key file is at hand (BADGEPRESS_KEY),
each spelling of that key (multibase, hex, base58, base64, the raw seed). Values of
environment variables named like secrets (…TOKEN, …SECRET, …PASSWORD) are looked for too.

Emails are looked for in every file that is text (by its name or its content); they are
allowed only when they already stand in the site's own public sources (site.toml, badge and
page Markdown, the theme's templates and assets), like the program's contact address. An
earner's address can therefore never slip out through a credential, a name or an evidence.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import base58

from ..core.errors import BuildError, Problem
from ..core.files import read_regular
from ..core.paths import (
    BADGES_DIR,
    CONFIG_PATH,
    CREDENTIALS_DIR,
    EARNERS_DIR,
    LOG_DIR,
    PAGES_DIR,
    SRC_DIR,
    STATUS_DIR,
)
from ..core.text import emails_in
from ..trust.keys import ED25519_PRIV, KEY_ENV, decode_multibase_key
from .theme import Theme

TEXT_SUFFIXES = (".html", ".json", ".xml", ".txt", ".svg", ".js", ".css", ".jsonld", ".jsonl",
                 ".md", ".csv", ".toml", ".yaml", ".yml", ".mjs", ".map")
# Private key members with a value (a JSON-LD context defines the terms, holding no key).
KEY_MEMBER = re.compile(rb'"(secretKeyMultibase|privateKeyMultibase)"\s*:\s*"'
                        rb'|"(privateKeyJwk)"\s*:\s*\{[^{}]*"d"\s*:')
PEM_PRIVATE = re.compile(rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
# base58btc of 0x8026 + seed: a token of exactly 48 characters, not any stretch of a longer
# base58 text (a signature's proofValue contains 'z3u2' + 44 characters now and then)
_B58 = rb"1-9A-HJ-NP-Za-km-z"
SECRET_MULTIKEY = re.compile(rb"(?<![%s])z3u2[%s]{44}(?![%s])" % (_B58, _B58, _B58))
SECRET_ENV = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|PRIVATE|CREDENTIAL", re.I)
KEY_HINT = "remove it from the site sources at once, and rotate the key"


def public_emails(root: Path, theme: Theme) -> set[str]:
    """Addresses the maintainer published on purpose, in the site's own sources."""
    found: set[str] = set()
    sources = [root / CONFIG_PATH, *(root / BADGES_DIR).glob("*.md"),
               *(root / PAGES_DIR).glob("*.md"),
               *(p for name, p in theme.files("templates").items() if name.endswith(".html")),
               *theme.files("assets").values()]
    for p in sources:
        if p.is_file():
            data = read_regular(p)
            if is_text(p.name, data):
                found |= emails_in(data.decode("utf-8", errors="replace"))
    return found


def is_text(name: str, data: bytes) -> bool:
    """Text by its name, or by its content: UTF-8 without NUL bytes."""
    if name.lower().endswith(TEXT_SUFFIXES):
        return True
    if b"\0" in data[:8192]:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def key_forms() -> list[bytes]:
    """Every spelling of the maintainer's private key, when the key file is at hand."""
    path = os.environ.get(KEY_ENV)
    if not path or not Path(path).is_file():
        return []
    try:
        secret = json.loads(Path(path).read_text())["secretKeyMultibase"]
        seed = decode_multibase_key(secret, ED25519_PRIV)
    except (ValueError, KeyError, TypeError, OSError):
        return []
    return [secret.encode(), seed.hex().encode(), seed.hex().upper().encode(),
            base58.b58encode(seed), base64.b64encode(seed).rstrip(b"="),
            base64.urlsafe_b64encode(seed).rstrip(b"="), seed]


def environment_secrets() -> list[bytes]:
    """Values of environment variables named like secrets (CI tokens and the like)."""
    return [v.encode() for k, v in os.environ.items()
            if SECRET_ENV.search(k) and k != KEY_ENV and len(v) >= 16]


def _secret_multikey(data: bytes) -> bool:
    if b"z3u2" not in data:  # a plain search first: the regex's lookbehind defeats it
        return False
    for m in SECRET_MULTIKEY.finditer(data):
        try:
            decode_multibase_key(m.group(0).decode(), ED25519_PRIV)
            return True
        except ValueError:
            continue
    return False


def key_problems(path: str, data: bytes, forms: list[bytes], env: list[bytes]
                 ) -> list[Problem]:
    """Private key material or environment secrets in one output file."""
    out = []
    # plain searches first (each a necessary part of a match): the regex is tried at every
    # '"' of the file, a quarter of a credential page's whole check
    if b'KeyMultibase"' in data or b'privateKeyJwk"' in data:
        for m in KEY_MEMBER.finditer(data):
            out.append(Problem(path, f"contains '{(m.group(1) or m.group(2)).decode()}': "
                               "private key material must never be published",
                               hint="remove it"))
            break
    if b"-----BEGIN " in data and PEM_PRIVATE.search(data):
        out.append(Problem(path, "contains a PEM private key block: private key material "
                           "must never be published", hint="remove it"))
    if any(f in data for f in forms):
        out.append(Problem(path, "contains the issuer's private key", hint=KEY_HINT))
    elif _secret_multikey(data):
        out.append(Problem(path, "contains an Ed25519 private key (z3u2…)", hint=KEY_HINT))
    if any(v in data for v in env):
        out.append(Problem(path, "contains the value of a secret environment variable of "
                           "the build", hint="remove it, and change that secret"))
    return out


class SecretScanner:
    """The check of one output file, prepared once per build (the public addresses, the
    key's spellings, the environment's secrets) so that worker processes can run it."""

    def __init__(self, root: Path, catalog, allowed: set[str] | None = None) -> None:
        self.allowed = allowed if allowed is not None else public_emails(
            root, Theme.for_site(catalog.config.theme_dir))
        self.forms, self.env = key_forms(), environment_secrets()

    def scan(self, path: str, data: bytes, source: str | None = None) -> list[Problem]:
        found = key_problems(path, data, self.forms, self.env)
        if is_text(path, data):
            found += _email_problems(path, data, self.allowed)
        if source and "/" in source:
            found = [replace(p, message=f"{p.message} (made from {source})") for p in found]
        return found


class ScanMemo:
    """A dev server's: the ``.jsonl`` files (the published issuance logs, 35 MB at 100,000
    credentials) found clean by the last scan under the same addresses, key and
    environment. A log only grows at its end, so the next scan reads its new lines and
    a margin before them.

    Why that finds what a whole scan finds: each line of a published log is one JSON
    value (``json.dumps`` escapes every newline in it), so no email address, key member
    or PEM header runs across a line end, and a key's or a secret's spelling that ends in
    the new part starts less than ``margin`` bytes before the old end.

    It also keeps what the last scan that passed looked for: when that changes, every
    file is scanned again (``check_output``)."""

    def __init__(self) -> None:
        self.context: tuple | None = None  # what the last scan that passed looked for
        self.clean: dict[str, bytes] = {}
        self.allowed: set[str] | None = None  # the public addresses the last scan found

    @staticmethod
    def context_of(scanner: SecretScanner) -> tuple:
        return frozenset(scanner.allowed), tuple(scanner.forms), tuple(scanner.env)

    def margin(self, scanner: SecretScanner) -> int:
        return 4096 + max(map(len, (*scanner.forms, *scanner.env)), default=0)

    def unseen(self, path: str, data: bytes, margin: int) -> int:
        """Where the part of ``data`` not yet found clean starts (0: all of it)."""
        last = self.clean.get(path)
        if last is None or len(last) > len(data) or not data.startswith(last):
            return 0
        return data.rfind(b"\n", 0, max(0, len(last) - margin)) + 1


def check_output(root: Path, files: dict[str, bytes], catalog,
                 sources: Any = None, memo: ScanMemo | None = None,
                 everything: dict[str, bytes] | None = None,
                 changed: set[Path] | None = None) -> None:
    """Raise BuildError when a file to be published carries a secret; ``sources`` (output
    path -> what it is made from, anything with ``get``) lets each problem name the file
    to fix.

    A dev server passes the files it rendered again (``files``), all of them
    (``everything``) and its ``memo``: when what the scan looks for changed since the last
    scan that passed (an address no longer public in site.toml, another key or secret),
    every file is scanned, not only the new ones, until such a scan passes. The public
    addresses are searched for again only when the file watcher's report (``changed``)
    names a file they come from (site.toml, a badge or page file, the site's theme)."""
    reuse = memo is not None and memo.allowed is not None and changed is not None and \
        not _names_a_source(root, catalog.config.theme_dir, changed)
    scanner = SecretScanner(root, catalog, memo.allowed if reuse else None)  # type: ignore[union-attr]
    if memo is not None:
        memo.allowed = scanner.allowed
    context = ScanMemo.context_of(scanner)
    margin = 0
    if memo is not None:
        margin = memo.margin(scanner)
        if context != memo.context:
            memo.context, memo.clean = None, {}
            files = everything if everything is not None else files
    problems = []
    for path, data in sorted(files.items()):
        grows = memo is not None and path.endswith(".jsonl")
        start = memo.unseen(path, data, margin) if grows else 0
        found = scanner.scan(path, data[start:] if start else data, (sources or {}).get(path))
        problems += found
        if grows:
            if found:
                memo.clean.pop(path, None)
            else:
                memo.clean[path] = data
    if problems:
        raise BuildError(problems)
    if memo is not None:
        memo.context = context


def _names_a_source(root: Path, theme_dir: Path, changed: set[Path]) -> bool:
    """Whether a changed path is, holds or lies in a file public_emails reads."""
    sources = (root / CONFIG_PATH, root / BADGES_DIR, root / PAGES_DIR, theme_dir)
    return any(p == s or s in p.parents or p in s.parents for p in changed for s in sources)


def _email_problems(path: str, data: bytes, allowed: set[str]) -> list[Problem]:
    leaked = sorted(emails_in(data.decode("utf-8", errors="replace")) - allowed)
    if not leaked:
        return []
    more = f" and {len(leaked) - 1} more" if len(leaked) > 1 else ""
    return [Problem(path, f"would publish the email address {leaked[0]}{more}",
                    hint="credentials carry only a salted hash of the earner's email; remove "
                    "the address from names and evidence, or withdraw the credential "
                    "('badgepress withdraw') and issue it again")]


# The source check: the site's own files that `git add -A` would commit. The signed files
# (.json and .jsonl of the signed folders) are published as they are (each is checked as
# output) and anything there that no log names fails the build, so they are not read twice.
_SIGNED = tuple(p.as_posix() + "/" for p in (CREDENTIALS_DIR, STATUS_DIR, LOG_DIR,
                                               EARNERS_DIR))
_SIGNED_GLOBS = [f":(exclude,glob){d}{pattern}" for d in _SIGNED
                 for pattern in ("*.json", "*.jsonl")]
SOURCE_LIMIT = 8 * 1024 * 1024  # the cap of a badge image: nothing bigger is a site input
SOURCE_HINT = ("move it out of the site folder (for a key: ~/.config/badgepress/, then "
               "export BADGEPRESS_KEY=that path); if it was ever committed or pushed, treat "
               "it as known to others: make a new key with 'badgepress keygen --rotate' "
               "(and 'badgepress key revoke' the old one)")
# a whole PEM private key (a README may quote the first line as an example)
PEM_BLOCK = re.compile(rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----\s+[A-Za-z0-9+/=\s]{40,}"
                       rb"-----END [A-Z0-9 ]*PRIVATE KEY-----")


def source_files(root: Path, theme_dir: Path) -> list[Path]:
    """What git would commit that may hold a key: every file of the site root, badges/,
    site_src/ (but the signed files) and the theme that is tracked or new and not ignored,
    and every new, not ignored file anywhere below the root (a key saved as keys/ada.key);
    ``git ls-files``. Without git (or outside a work tree), every file of the site root,
    badges/, site_src/ and the theme. Tracked files elsewhere (a repository's tests and
    their published test vectors) are the project's, reviewed when they were committed."""
    def listed(*args: str) -> list[Path] | None:
        try:
            out = subprocess.run(["git", "-C", str(root), "ls-files", "-z", *args, "--",
                                  ".", *_SIGNED_GLOBS], capture_output=True, timeout=60,
                                 check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        if out.returncode != 0:
            return None
        return [root / n for n in out.stdout.decode("utf-8", "surrogateescape").split("\0")
                if n]

    tracked = listed("--cached")
    new = listed("--others", "--exclude-standard") if tracked is not None else None
    if tracked is not None and new is not None:
        return sorted({p for p in tracked if in_source_scope(root, theme_dir, p)}
                      | {p for p in new if not _signed_file(root, p)})
    files = [p for p in root.iterdir() if p.is_file()]
    signed = {str(root / d) for d in _SIGNED}
    for folder in (root / BADGES_DIR, root / SRC_DIR, theme_dir):
        for d, _, names in os.walk(folder):
            if d in signed:  # 100,000 names: only what is not a signed file
                names = [n for n in names if not n.endswith((".json", ".jsonl"))]
            files += [Path(d) / n for n in names]
    return sorted({p for p in files if in_source_scope(root, theme_dir, p)})


def _signed_file(root: Path, path: Path) -> bool:
    rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else ""
    return rel.startswith(_SIGNED) and rel.endswith((".json", ".jsonl"))


def in_source_scope(root: Path, theme_dir: Path, path: Path) -> bool:
    """A file of the site root, badges/, site_src/ (but a signed file) or the theme."""
    if not path.is_relative_to(root) or _signed_file(root, path):
        return False
    return path.parent == root or any(
        path.is_relative_to(d) for d in (root / BADGES_DIR, root / SRC_DIR, theme_dir))


def source_problem(data: bytes, forms: list[bytes], env: list[bytes]) -> str | None:
    """What makes a source file a secret's carrier: a private key that decodes as one (not
    a key member's name or a PEM header a document quotes), the maintainer's key in any
    spelling, or a secret of the build's environment."""
    if any(f in data for f in forms):
        return "contains the issuer's private key"
    if _secret_multikey(data):
        return "contains an Ed25519 private key (z3u2…)"
    if b"-----BEGIN " in data and PEM_BLOCK.search(data):
        return "contains a PEM private key block"
    if any(v in data for v in env):
        return "contains the value of a secret environment variable of the build"
    return None


def source_secrets(root: Path, theme_dir: Path, changed: Iterable[Path] | None = None
                   ) -> list[Problem]:
    """Private keys and build secrets in the site's own files (every source file, or the
    ``changed`` ones a dev server's watcher reports): a key saved as
    site_src/issuer/ada.json is never published, but one `git add -A` puts it in the
    repository, and with it in every clone and fork."""
    root = root.resolve()
    forms, env = key_forms(), environment_secrets()
    problems = []
    paths = source_files(root, theme_dir) if changed is None else sorted(
        p for p in changed if in_source_scope(root, theme_dir, p))
    for path in paths:
        try:
            if path.stat().st_size > SOURCE_LIMIT:
                continue
            data = read_regular(path)
        except OSError:  # gone, a link or a special file: refuse_unsafe reports those
            continue
        rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        found = source_problem(data, forms, env)
        if found:
            problems.append(Problem(rel, f"{found}; it is a file of the site folder, which "
                                    "'git add' would commit", hint="move it out of the site "
                                    "folder, and change that secret" if "environment" in found
                                    else SOURCE_HINT))
    return problems
