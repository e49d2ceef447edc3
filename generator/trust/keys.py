"""Ed25519 issuer keys: Multikey encoding, the private key file, the published key history.

The private half lives in one file outside the site repository (mode 0600), named by
``--key`` or ``BADGEPRESS_KEY``; the site only ever holds public keys, in
``site_src/issuer/keys.json``. Keys are never deleted from that history: credentials signed
with an old key must keep verifying.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import base58
import nacl.exceptions
import nacl.signing

from ..core.dates import iso, now_utc
from ..core.errors import BadgepressError, BuildError, Problem
from ..core.files import atomic_write, parse_json, read_regular
from ..core.paths import KEYS_PATH

ED25519_PUB = b"\xed\x01"  # multicodec ed25519-pub
ED25519_PRIV = b"\x80\x26"  # multicodec ed25519-priv
KEY_ENV = "BADGEPRESS_KEY"


class KeyProblem(BadgepressError, ValueError):
    """A key file or key value that cannot be used; the message says how to fix it."""


def multibase_pub(raw: bytes) -> str:
    """'z6Mk…': base58btc multibase of the multicodec-prefixed Ed25519 public key."""
    return "z" + base58.b58encode(ED25519_PUB + raw).decode()


def multibase_priv(seed: bytes) -> str:
    return "z" + base58.b58encode(ED25519_PRIV + seed).decode()


@lru_cache(maxsize=256)  # the same few keys, looked up for 100,000 credentials
def decode_multibase_key(value: str, prefix: bytes = ED25519_PUB) -> bytes:
    """Raw 32-byte key from a 'z…' multibase Multikey value; ValueError when it is not one."""
    if not isinstance(value, str) or not value.startswith("z"):
        raise ValueError("not a base58btc multibase value (must start with 'z')")
    if len(value) > 60:  # 34 bytes are at most 47 characters; base58 decoding is quadratic
        raise ValueError("not an Ed25519 Multikey")
    try:
        data = base58.b58decode(value[1:])
    except ValueError as exc:
        raise ValueError("not valid base58btc") from exc
    if not data.startswith(prefix) or len(data) != len(prefix) + 32:
        raise ValueError("not an Ed25519 Multikey")
    return data[len(prefix):]


def verify_signature(public_key: bytes, signature: bytes, message: bytes) -> bool:
    try:
        nacl.signing.VerifyKey(public_key).verify(message, signature)
        return True
    except (nacl.exceptions.BadSignatureError, ValueError, TypeError):
        return False


@dataclass(frozen=True)
class SigningKey:
    """A private key loaded from its file."""

    seed: bytes
    path: Path | None = None

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(bytes(nacl.signing.SigningKey.generate()))

    @property
    def public_multibase(self) -> str:
        return multibase_pub(bytes(nacl.signing.SigningKey(self.seed).verify_key))

    def sign(self, message: bytes) -> bytes:
        return nacl.signing.SigningKey(self.seed).sign(message).signature

    def to_json(self) -> bytes:
        return (json.dumps({"type": "Multikey", "publicKeyMultibase": self.public_multibase,
                            "secretKeyMultibase": multibase_priv(self.seed)}, indent=2)
                + "\n").encode()


def key_path(option: str | Path | None) -> Path | None:
    value = option or os.environ.get(KEY_ENV)
    return Path(value).expanduser().resolve() if value else None


def check_outside(path: Path, site_root: Path) -> None:
    """A private key inside the site folder would be one `git add` away from publication."""
    root = site_root.resolve()
    if path == root or root in path.parents:
        raise KeyProblem(f"{path}: the private key must be kept outside the site folder {root} "
                        "(it would be committed and published); choose a path such as "
                        "~/.config/badgepress/issuer.key")


def save_new_key(key: SigningKey, path: Path, site_root: Path) -> None:
    check_outside(path, site_root)
    if path.exists():
        raise KeyProblem(f"{path} already exists: refusing to overwrite a key "
                        "(credentials signed with it would become unverifiable)")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    atomic_write(path, key.to_json(), mode=0o600)


def load_signing_key(path: Path | None, site_root: Path) -> SigningKey:
    """Read the private key file, refusing one that others can read or that sits in the site."""
    if path is None:
        raise KeyProblem(f"no private key given: pass --key PATH or set {KEY_ENV}")
    check_outside(path, site_root)
    if not path.is_file():
        raise KeyProblem(f"{path}: no such key file (make one with 'badgepress keygen --key "
                        f"{path}')")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise KeyProblem(f"{path}: the private key is readable by other users (mode "
                        f"{mode:o}); run 'chmod 600 {path}'")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        seed = decode_multibase_key(data["secretKeyMultibase"], ED25519_PRIV)
    except (ValueError, KeyError, TypeError) as exc:
        raise KeyProblem(f"{path}: not a badgepress key file ({exc})") from exc
    key = SigningKey(seed, path)
    if data.get("publicKeyMultibase") not in (None, key.public_multibase):
        raise KeyProblem(f"{path}: publicKeyMultibase does not match the secret key")
    return key


@dataclass(frozen=True)
class PublishedKey:
    """One entry of the public key history."""

    public_key_multibase: str
    created: str
    retired: str | None = None  # rotated out: no new signatures; old ones keep verifying
    revoked: str | None = None  # compromised: its signatures stop verifying
    fragment_id: bool = False  # also published as <issuer id>#<multibase> (0.1's key ids)
    name: str = ""  # the maintainer who holds it, if they chose to say (keys.json only)

    @property
    def label(self) -> str:
        """How messages and the log page name the key: 'Ada Lovelace z6MkhaXg…'."""
        short = self.public_key_multibase[:12] + "…"
        return f"{self.name} {short}" if self.name else short

    @property
    def usable(self) -> bool:
        """Whether this site may sign with it now (never published as ``expires``: the
        Controlled Identifiers spec tells verifiers to reject every proof of an expired
        method, which would break what the key signed before the rotation)."""
        return self.retired is None and self.revoked is None

    def to_json(self) -> dict[str, Any]:
        out = {"publicKeyMultibase": self.public_key_multibase, "created": self.created}
        if self.retired:
            out["retired"] = self.retired
        if self.revoked:
            out["revoked"] = self.revoked
        if self.fragment_id:
            out["fragmentId"] = True
        if self.name:
            out["name"] = self.name
        return out


KEYS_HINT = ("it lists the issuer's public keys, one object per key, and is written by "
             "'badgepress keygen': fix it, or restore it with git")
KEYS_CONFLICT_HINT = ("keep both sides' keys: the file lists one entry per maintainer key; "
                      "edit it to keep every key object of both sides, separated by commas, "
                      "delete the marker lines, then run 'badgepress build'")


def load_key_history(site_root: Path) -> list[PublishedKey]:
    """The published keys, oldest first; [] for a site without keys. A file that is not
    such a list is a BuildError naming it (every command reads it: none may end in a
    traceback, and a merge of two maintainers' keygen leaves conflict markers here)."""
    path = site_root / KEYS_PATH
    if not path.is_file():
        return []
    shown = KEYS_PATH.as_posix()
    data = parse_json(read_regular(path), shown, KEYS_HINT, KEYS_CONFLICT_HINT,
                      unique=True)
    items = data.get("keys", []) if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise BuildError([Problem(shown, "must be an object whose 'keys' is a list of keys",
                                  field="keys", hint=KEYS_HINT)])
    keys = []
    for n, item in enumerate(items):
        where = f"keys[{n}]"
        try:
            if not isinstance(item, dict):
                raise ValueError("is not an object {\"publicKeyMultibase\": …, \"created\": …}")
            for name in ("publicKeyMultibase", "created"):
                if not isinstance(item.get(name), str):
                    raise ValueError(f"needs '{name}' as a string")
            for name in ("retired", "expires", "revoked", "name"):
                if item.get(name) is not None and not isinstance(item[name], str):
                    raise ValueError(f"'{name}' must be "
                                     f"{'text' if name == 'name' else 'a date-time string'}")
            decode_multibase_key(item["publicKeyMultibase"])
            if any(k.public_key_multibase == item["publicKeyMultibase"] for k in keys):
                # verifiers read the first entry, the revocation check could read another:
                # a second, unrevoked copy would bring a revoked key back
                raise ValueError(f"lists the key {item['publicKeyMultibase'][:16]}… again "
                                 "(each key once: keep the first entry)")
        except ValueError as exc:
            raise BuildError([Problem(shown, f"{where}: {exc}", field=where,
                                      hint=KEYS_HINT)]) from exc
        # 'expires' is what badgepress 0.1 wrote on rotation: read it as retired
        keys.append(PublishedKey(item["publicKeyMultibase"], item["created"],
                                 item.get("retired") or item.get("expires"),
                                 item.get("revoked"), bool(item.get("fragmentId")),
                                 str(item.get("name", ""))))
    return keys


def save_key_history(site_root: Path, keys: list[PublishedKey]) -> None:
    doc = {"comment": "Public keys of this site's issuer, oldest first. Never put a private "
                      "key here. Managed by 'badgepress keygen'.",
           "keys": [k.to_json() for k in keys]}
    atomic_write(site_root / KEYS_PATH, (json.dumps(doc, indent=2) + "\n").encode())


def add_key(site_root: Path, key: SigningKey, *, rotate: bool = False, name: str = "",
            replaces: str = "", now: datetime | None = None) -> list[PublishedKey]:
    """Publish a new key (one per maintainer: adding one needs nobody's private key). With
    rotate, the maintainer's own previous key is retired now: nothing more is signed with it,
    and what it signed keeps verifying everywhere. Among several usable keys (a team),
    ``replaces`` (a prefix of its multibase) says which one is theirs."""
    when = iso(now or now_utc())
    keys = load_key_history(site_root)
    if rotate:
        old = retiring(keys, replaces)
        keys = [replace(k, retired=when) if k == old else k for k in keys]
        name = name or old.name
    keys.append(PublishedKey(key.public_multibase, when, name=name.strip()))
    save_key_history(site_root, keys)
    return keys


def retiring(keys: list[PublishedKey], replaces: str) -> PublishedKey:
    """The usable key a rotation retires: the only one, or the one ``replaces`` names."""
    usable = [k for k in keys if k.usable]
    found = [k for k in usable if replaces and k.public_key_multibase.startswith(replaces)]
    if len(usable) == 1 and not replaces:
        return usable[0]
    if len(found) == 1:
        return found[0]
    listed = ", ".join(k.label for k in usable) or "none"
    if not replaces:
        raise KeyProblem(f"{len(usable)} keys are in use ({listed}): say which one is yours "
                         "and is retired with --replaces KEYID-PREFIX")
    raise KeyProblem(f"--replaces {replaces} names {len(found)} of the keys in use ({listed}); "
                     "give a longer prefix of yours")
