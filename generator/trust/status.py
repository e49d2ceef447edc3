"""W3C Bitstring Status List: the signed list a verifier reads to learn whether a credential
was revoked. Index 0 is the left-most bit of the first byte; the list is GZIP-compressed and
multibase base64url encoded ('u…'), at least 131,072 entries long (herd privacy)."""

from __future__ import annotations

import base64
import gzip
import json
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



def list_url(base_url: str, n: int) -> str:
    return f"{base_url}status/{n}.json"


def list_path(n: int) -> Path:
    return STATUS_DIR / f"{n}.json"


def list_number(base_url: str, url: str) -> int | None:
    """n of ``<base_url>status/<n>.json``; None for any other address."""
    prefix = base_url + "status/"
    if url.startswith(prefix) and url.endswith(".json") and url[len(prefix):-5].isdigit():
        return int(url[len(prefix):-5])
    return None


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
    """Random unused indexes (herd privacy), a new list when the current one is full."""

    def __init__(self, base_url: str, used: dict[str, set[int]], capacity: int = MIN_ENTRIES):
        self.base_url, self.capacity = base_url, capacity
        self.used = {k: set(v) for k, v in used.items()}
        numbers = [n for u in self.used if (n := list_number(base_url, u))]
        self.n = max(numbers, default=1)

    def next(self) -> tuple[str, int, int]:
        url = list_url(self.base_url, self.n)
        taken = self.used.setdefault(url, set())
        if len(taken) >= self.capacity:
            self.n += 1
            return self.next()
        for _ in range(64):
            index = secrets.randbelow(self.capacity)
            if index not in taken:
                break
        else:  # a nearly full list: choose among what is left
            free = [i for i in range(self.capacity) if i not in taken]
            index = free[secrets.randbelow(len(free))]
        taken.add(index)
        return url, index, self.n


@dataclass(frozen=True)
class Revocation:
    """One line of revocations.toml: the source of truth the signed lists must match."""

    id: str
    date: str
    reason: str = ""
    public: bool = False


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
    """TOML text of the revocations (JSON string syntax is valid TOML basic-string syntax)."""
    lines = ["# Revoked credentials: the source of truth for the signed status lists in",
             "# site_src/status/. Managed by 'badgepress revoke'; the build fails if the",
             "# lists disagree. 'public = true' shows the reason on the credential page.", ""]
    for r in items:
        lines += ["[[revoked]]", f"id = {json.dumps(r.id)}", f"date = {json.dumps(r.date)}",
                  f"reason = {json.dumps(r.reason, ensure_ascii=False)}",
                  f"public = {'true' if r.public else 'false'}", ""]
    return "\n".join(lines).encode("utf-8")


def list_bits(doc: dict[str, Any]) -> bytes:

    return decode_status_list(doc["credentialSubject"]["encodedList"])


def set_bits(bits: bytes) -> set[int]:
    return {i * 8 + b for i, byte in enumerate(bits) if byte for b in range(8)
            if byte & (0x80 >> b)}
