"""The site layout: every path inside a site folder, spelled once.

A site is ``badges/`` (one Markdown file per badge) and ``site_src/`` (configuration, pages,
the issuer's public keys, signed credentials, status lists, revocations and the issuance
log). All paths are relative to the site root."""

from __future__ import annotations

from pathlib import Path

BADGES_DIR = Path("badges")
SRC_DIR = Path("site_src")
CONFIG_PATH = SRC_DIR / "site.toml"
PAGES_DIR = SRC_DIR / "pages"
ISSUER_DIR = SRC_DIR / "issuer"
KEYS_PATH = ISSUER_DIR / "keys.json"
CREDENTIALS_DIR = SRC_DIR / "credentials"
STATUS_DIR = SRC_DIR / "status"
REVOCATIONS = SRC_DIR / "revocations.toml"
LOG_DIR = SRC_DIR / "log"
LOG_FILE = LOG_DIR / "log.jsonl"
HEAD_FILE = LOG_DIR / "head.json"
JOURNAL = LOG_DIR / ".journal.jsonl"
LOCK = LOG_DIR / ".lock"
CACHE_DIR = Path(".badgepress-cache")

# What the credentials stage reads: a change here invalidates its cached result.
RECORD_PATHS = (CREDENTIALS_DIR, STATUS_DIR, LOG_DIR, REVOCATIONS, ISSUER_DIR)
