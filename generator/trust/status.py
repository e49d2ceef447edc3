"""W3C Bitstring Status List: the signed list a verifier reads to learn whether a credential
was revoked. Index 0 is the left-most bit of the first byte; the list is GZIP-compressed and
multibase base64url encoded ('u…'), at least 131,072 entries long (herd privacy)."""

from __future__ import annotations

import base64
import gzip
import json
import re
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.files import read_regular
from ..core.paths import REVOCATIONS, STATUS_DIR
from .ob import VC_V2
from .verify import decode_status_list

MIN_ENTRIES = 131_072


def encode_list(bits: bytes | bytearray) -> str:
    """'u' + base64url(gzip(bits)) without padding; deterministic (no gzip timestamp)."""
    return "u" + base64.urlsafe_b64encode(gzip.compress(bytes(bits), mtime=0)).decode(
        ).rstrip("=")


def set_bit(bits: bytearray, index: int) -> None:
    bits[index // 8] |= 0x80 >> (index % 8)


def empty_list(entries: int = MIN_ENTRIES) -> bytearray:
    return bytearray(max(entries, MIN_ENTRIES) // 8)


def status_list_credential(url: str, issuer: dict[str, Any] | str, encoded: str,
                           valid_from: str, purpose: str = "revocation") -> dict[str, Any]:
    """The unsigned BitstringStatusListCredential published at ``url``."""
    return {
        "@context": [VC_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": valid_from,
        "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList",
                              "statusPurpose": purpose, "encodedList": encoded},
    }


def status_entry(url: str, index: int, purpose: str = "revocation") -> dict[str, Any]:
    """The credentialStatus of one credential: its own id, the list, the index."""
    return {"id": f"{url}#{index}", "type": "BitstringStatusListEntry",
            "statusPurpose": purpose, "statusListIndex": str(index),
            "statusListCredential": url}


# the site's own lists ----------------------------------------------------------------------
# Each key allocates only from its own lists, status/<key prefix>-<n>.json, so two
# maintainers issuing on parallel branches never draw the same index. Sites from before
# per-key lists keep their status/<n>.json.

LIST_NAME = re.compile(r"^(?:(z[1-9A-HJ-NP-Za-km-z]{15})-)?([1-9][0-9]*)$")
PREFIX_LEN = 16  # "z6Mk" and 12 more characters of the key's multibase


def key_prefix(multibase: str) -> str:
    """The short key id in the names of the lists a key allocates from."""
    return multibase[:PREFIX_LEN]


def list_url(base_url: str, name: int | str) -> str:
    return f"{base_url}status/{name}.json"


def list_path(name: int | str) -> Path:
    return STATUS_DIR / f"{name}.json"


def list_name(base_url: str, url: str) -> str | None:
    """The name of ``<base_url>status/<name>.json`` ('3', 'z6Mk…-1'); None for any other
    address."""
    prefix = base_url + "status/"
    if url.startswith(prefix) and url.endswith(".json") and LIST_NAME.match(
            url[len(prefix):-5]):
        return url[len(prefix):-5]
    return None


def list_number(base_url: str, url: str) -> int | None:
    """n of ``<base_url>status/<n>.json`` or ``status/<key prefix>-<n>.json``."""
    name = list_name(base_url, url)
    return int(LIST_NAME.match(name).group(2)) if name else None  # type: ignore[union-attr]


def entry_of(doc: dict[str, Any]) -> tuple[str, int] | None:
    """(list URL, index) of a credential's BitstringStatusListEntry, if it has one."""
    status = doc.get("credentialStatus")
    for e in status if isinstance(status, list) else [status]:
        if isinstance(e, dict) and e.get("type") == "BitstringStatusListEntry":
            try:
                return str(e["statusListCredential"]), int(str(e["statusListIndex"]))
            except (KeyError, ValueError):
                return None
    return None


class Allocator:
    """Random unused indexes (herd privacy) from one key's own lists, a new list when the
    current one is full."""

    def __init__(self, base_url: str, used: dict[str, set[int]], prefix: str,
                 capacity: int = MIN_ENTRIES):
        self.base_url, self.prefix, self.capacity = base_url, prefix, capacity
        self.used = {k: set(v) for k, v in used.items()}
        # a nearly full list's free indexes, listed once: scanning all 131,072 entries for
        # every credential made a bulk issue into a list over ~94% full crawl
        self.free: dict[str, list[int]] = {}
        numbers = [LIST_NAME.match(name).group(2) for u in self.used  # type: ignore[union-attr]
                   if (name := list_name(base_url, u)) and name.startswith(prefix + "-")]
        self.n = max((int(n) for n in numbers), default=1)

    def next(self) -> tuple[str, int, str]:
        """(list URL, index, list name)."""
        name = f"{self.prefix}-{self.n}"
        url = list_url(self.base_url, name)
        taken = self.used.setdefault(url, set())
        if len(taken) >= self.capacity:
            self.n += 1
            return self.next()
        free = self.free.get(url)
        if free is None:
            for _ in range(64):
                index = secrets.randbelow(self.capacity)
                if index not in taken:
                    taken.add(index)
                    return url, index, name
            # a nearly full list: choose among what is left (from now on, for this list)
            free = self.free[url] = [i for i in range(self.capacity) if i not in taken]
        pick = secrets.randbelow(len(free))  # uniform among the free, as the probes are
        index = free[pick]
        free[pick] = free[-1]
        free.pop()
        taken.add(index)
        return url, index, name


@dataclass(frozen=True)
class Revocation:
    """One line of revocations.toml: the source of truth the signed lists must match."""

    id: str
    date: str
    reason: str = ""
    public: bool = False

    def to_json(self) -> dict[str, Any]:
        """The record as a log entry carries it."""
        return {"id": self.id, "date": self.date, "reason": self.reason, "public": self.public}


def read_revocations(root: Path) -> list[Revocation]:
    """The revocations; ValueError (with a sentence) when the file cannot be read."""
    path = root / REVOCATIONS
    if not path.is_file():
        return []
    try:
        data = tomllib.loads(read_regular(path).decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"is not UTF-8 text (byte {exc.start})") from None
    except RecursionError:
        raise ValueError("TOML nested too deeply to read") from None
    out = []
    for i, item in enumerate(data.get("revoked", []), 1):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) \
                or not isinstance(item.get("date"), str):
            raise ValueError(f"revoked entry {i} needs an 'id' and a 'date'")
        out.append(Revocation(item["id"], item["date"], str(item.get("reason", "")),
                              bool(item.get("public", False))))
    return out


def revocations_toml(items: list[Revocation]) -> bytes:
    """TOML text of the revocations, one a line (JSON string syntax is valid TOML
    basic-string syntax). Why one a line: git merges this file by union, line by line; the
    lines of multi-line [[revoked]] blocks of two branches would be interleaved into one
    block with duplicate keys. Files in the [[revoked]] form are still read."""
    lines = ["# Revoked credentials: the source of truth for the signed status lists in",
             "# site_src/status/. Managed by 'badgepress revoke'; the build fails if the",
             "# lists disagree. 'public = true' shows the reason on the credential page.",
             "# One revocation a line: git merges this file by union (.gitattributes).", "",
             "revoked = ["]
    for r in items:
        lines.append(f"  {{id = {json.dumps(r.id)}, date = {json.dumps(r.date)}, "
                     f"reason = {json.dumps(r.reason, ensure_ascii=False)}, "
                     f"public = {'true' if r.public else 'false'}}},")
    lines += ["]", ""]
    return "\n".join(lines).encode("utf-8")


def list_bits(doc: dict[str, Any]) -> bytes:

    return decode_status_list(doc["credentialSubject"]["encodedList"])


def set_bits(bits: bytes) -> set[int]:
    return {i * 8 + b for i, byte in enumerate(bits) if byte for b in range(8)
            if byte & (0x80 >> b)}
