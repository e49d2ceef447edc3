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
LOG_FILE = LOG_DIR / "log.jsonl"  # the one log of sites before per-key logs (now frozen)
HEAD_FILE = LOG_DIR / "head.json"
LEGACY_LOG = "log"  # the name of that log; every other log is named by its key's multibase
JOURNAL = LOG_DIR / ".journal.jsonl"
LOCK = LOG_DIR / ".lock"
EARNERS_DIR = SRC_DIR / "earners"  # one signed-log-recorded file per opted-in earner
INSIGHTS_PATH = SRC_DIR / "insights.json"  # earner-linked aggregates, suppressed below 5
GITATTRIBUTES = Path(".gitattributes")
CACHE_DIR = Path(".badgepress-cache")

# What the credentials stage reads: a change here invalidates its cached result.
RECORD_PATHS = (CREDENTIALS_DIR, STATUS_DIR, LOG_DIR, REVOCATIONS, ISSUER_DIR, EARNERS_DIR,
                INSIGHTS_PATH)


def log_file(name: str) -> Path:
    """The entries of one issuance log: ``<key multibase>.jsonl`` (legacy: ``log.jsonl``)."""
    return LOG_DIR / f"{name}.jsonl"


def head_file(name: str) -> Path:
    """The signed head of one issuance log: ``<key multibase>.head.json`` (legacy:
    ``head.json``)."""
    return HEAD_FILE if name == LEGACY_LOG else LOG_DIR / f"{name}.head.json"
