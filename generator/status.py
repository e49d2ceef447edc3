"""W3C Bitstring Status List: the signed list a verifier reads to learn whether a credential
was revoked. Index 0 is the left-most bit of the first byte; the list is GZIP-compressed and
multibase base64url encoded ('u…'), at least 131,072 entries long (herd privacy)."""

from __future__ import annotations

import base64
import gzip
from typing import Any

from .ob import VC_V2

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
