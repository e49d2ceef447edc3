"""A credential's life after issue: revocation, withdrawal, renewal, key compromise and
re-signing, and the public audit of a site's log. Every change goes through a logged
transaction.

Revoke and withdraw answer different mistakes. A revoked credential stays published and
says so; its status bit tells every verifier, also of copies handed out. A withdrawn one is
taken off the site for good (it must never be published: an email address in its name,
personal data in its evidence); the log records who took it off, when and why, so the build
and ``audit`` accept the missing file, and its status list entry stays reserved. Copies
already handed out keep verifying unless the credential is revoked first."""

from __future__ import annotations

import copy
import json
import re
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from ..build.log_stage import verified_logs, withdrawal_status, withdrawn_entries
from ..build.pipeline import config_only, load_site
from ..core.dates import add_duration, iso, now_utc
from ..core.errors import BadgepressError
from ..core.files import read_regular
from ..core.paths import CREDENTIALS_DIR, REVOCATIONS, STATUS_DIR
from ..core.text import emails_in
from ..trust import ob, proof
from ..trust.issuer import issuer_object, key_for_method, key_id, outdated_form
from ..trust.keys import (
    KeyProblem,
    SigningKey,
    decode_multibase_key,
    load_key_history,
    save_key_history,
)
from ..trust.ledger import Log, check_chain, head_signature_ok, sha256_hex, transaction
from ..trust.logs import expected_files, logged_revocations, read_logs, renewals
from ..trust.resolve import FetchError, controller_document_url
from ..trust.status import (
    Revocation,
    entry_of,
    list_bits,
    list_name,
    list_path,
    read_revocations,
    revocations_toml,
    set_bits,
    status_entry,
)
from .earners import People
from .issue import credential_bytes, current_key, existing_for, key_allocator, signed_status_list


class LifecycleError(BadgepressError, ValueError):
    """A request that cannot be carried out; the message says why and what to do."""


class AmbiguousRef(LifecycleError):
    """A reference (the start of a uuid) that names several credentials."""


def _uid_of(ref: str) -> str:
    """The uuid (or its start) a reference names: 'urn:uuid:…', a page URL, a file name."""
    return ref.rstrip("/").rsplit("/", 1)[-1].removeprefix("urn:uuid:").removesuffix(".json")


def _named(root: Path, ref: str, accept: Callable[[Path], bool]) -> Path:
    """The first file ``ref`` names that ``accept`` takes: itself (a .json path), the
    credential of that uuid, else the one credential whose uuid starts with it (at least 8
    characters, as 'key revoke' takes a prefix of a key); the folder is listed only when
    the exact names miss. LifecycleError when none is taken, or the start is that of
    several uuids."""
    uid = _uid_of(ref)
    exact = ([Path(ref)] if ref.endswith(".json") else []) + [
        root / CREDENTIALS_DIR / f"{uid}.json"]
    hit = next((p for p in exact if accept(p)), None)
    if hit is not None:
        return hit
    folder = root / CREDENTIALS_DIR
    found = sorted(folder.glob(f"{uid}*.json")) if len(uid) >= 8 and re.fullmatch(
        r"[0-9a-f-]+", uid) and folder.is_dir() else []
    if len(found) > 1:
        raise AmbiguousRef(f"'{ref}' starts the uuids of {len(found)} credentials "
                             f"({', '.join(p.stem for p in found[:3])}…): give more of it")
    if not found or not accept(found[0]):
        raise LifecycleError(f"no credential '{ref}' in {CREDENTIALS_DIR}/ (give its uuid, "
                             "the start of it, its urn:uuid id or file)")
    return found[0]


def find_credential(root: Path, ref: str) -> tuple[Path, dict[str, Any]]:
    """A credential by uuid (or its first 8+ characters), urn:uuid, URL of its page, or file
    path."""
    path = _named(root, ref, Path.is_file)
    return path.resolve(), json.loads(read_regular(path))


def _site(root: Path):

    return load_site(root)[0]


def revoke(root: Path, ref: str, reason: str, key: SigningKey, *, public: bool = False,
           now: datetime | None = None) -> Revocation:
    """Record the revocation and re-sign the credential's status list."""
    now = now or now_utc()
    catalog = _site(root)
    cfg = catalog.config
    vm = current_key(root, cfg, key)
    with transaction(root, key, vm) as tx:  # logged when it takes the lock
        # withdrawn: its file is gone, but copies handed out still verify until its
        # status bit (kept in the withdrawal's log entry) is set
        live, gone = _live_or_withdrawn(root, ref, verified_logs(root, cfg,
                                                                 load_key_history(root)))
        if live is not None:
            path, doc = live
            cid, entry, name = doc["id"], entry_of(doc), path.name
        else:
            assert gone is not None
            cid, entry, name = gone[0], gone[1], gone[0]
        revocations = read_revocations(root)
        previous = next((r for r in revocations if r.id == cid), None)
        if previous:
            raise LifecycleError(f"{cid} was already revoked on {previous.date}")
        n = list_name(cfg.base_url, entry[0]) if entry else None
        if entry is None or n is None or not (root / list_path(n)).is_file():
            raise LifecycleError(f"{name} has no status list entry of this site, so "
                                 "verifiers cannot learn that it is revoked; reissue it")
        record = Revocation(cid, iso(now), reason.strip(), public)
        toml = revocations_toml([*revocations, record])
        current = json.loads((root / list_path(n)).read_bytes())
        data = signed_status_list(cfg, key, vm, n, set_bits(list_bits(current)) | {entry[1]},
                                  iso(now), since=current.get("validFrom"))
        tx.write(REVOCATIONS, toml)
        tx.write(list_path(n), data)
        # the record itself, not revocations.toml's hash: git merges that file by union
        tx.record("revoke", cid, {list_path(n): data}, revocation=record.to_json())
        People(root, key, catalog).finish(tx, now)
    return record


def renew(root: Path, ref: str, key: SigningKey, *, now: datetime | None = None) -> Path:
    """Issue the successor of a credential: same earner and evidence, the badge as it is
    now, valid from now; the log links the two."""
    now = now or now_utc()
    catalog = _site(root)
    cfg = catalog.config
    vm = current_key(root, cfg, key)
    with transaction(root, key, vm) as tx:  # logged when it takes the lock
        logs = verified_logs(root, cfg, load_key_history(root))
        live, gone = _live_or_withdrawn(root, ref, logs)
        if gone is not None:
            raise LifecycleError(f"{gone[0]} was withdrawn on {gone[2]}: its file is gone, "
                                 "so there is nothing to renew; issue the badge again with "
                                 "'badgepress issue'")
        assert live is not None
        path, old = live
        revoked = next((r for r in read_revocations(root) if r.id == old.get("id")), None)
        if revoked is not None:
            raise LifecycleError(f"{path.name} was revoked on {revoked.date}: a successor "
                                 "would be valid, undoing the revocation; if the badge was "
                                 "earned again, issue it with 'badgepress issue'")
        successor = renewals(logs).get(str(old.get("id")))
        if successor is not None:
            gone = not (root / CREDENTIALS_DIR / f"{_uid_of(successor)}.json").is_file()
            raise LifecycleError(f"{path.name} was renewed already, by {successor}" + (
                ", which was withdrawn since: issue the badge again with 'badgepress "
                "issue'" if gone else ": renew that one instead"))
        achievement_id = old.get("credentialSubject", {}).get("achievement", {}).get("id")
        badge = next((b for b in catalog.badges if cfg.abs_url(b.url) == achievement_id), None)
        if badge is None or not badge.active:
            raise LifecycleError(f"{path.name}: its badge is retired or gone; it cannot be "
                                 "renewed")
        doc: dict[str, Any] = {
            "@context": list(ob.OB_CONTEXT), "id": f"urn:uuid:{uuidlib.uuid4()}",
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": issuer_object(cfg), "validFrom": iso(now)}
        if badge.valid_for:
            doc["validUntil"] = iso(add_duration(now, badge.valid_for))
        doc["name"] = badge.name
        doc["credentialSubject"] = {
            "type": ["AchievementSubject"],
            "identifier": copy.deepcopy(old["credentialSubject"]["identifier"]),
            "achievement": ob.achievement(badge, cfg, context=False)}
        if old.get("evidence"):
            doc["evidence"] = copy.deepcopy(old["evidence"])
        url, index, n = key_allocator(cfg, key, existing_for(root), read_logs(root)).next()
        if not (root / list_path(n)).is_file():
            data = signed_status_list(cfg, key, vm, n, set(), iso(now))
            tx.write(list_path(n), data)
            tx.record("status-list", url, {list_path(n): data})
        doc["credentialStatus"] = status_entry(url, index)
        signed = proof.sign(doc, key, vm, iso(now))
        rel = CREDENTIALS_DIR / f"{signed['id'].removeprefix('urn:uuid:')}.json"
        data = credential_bytes(signed)
        tx.write(rel, data)
        tx.record("renew", signed["id"], {rel: data}, renews=old["id"])
        people = People(root, key, catalog)
        people.renewed(old["id"].removeprefix("urn:uuid:"),
                       signed["id"].removeprefix("urn:uuid:"), badge.slug, signed["validFrom"])
        people.finish(tx, now)
    return root / rel


def withdraw(root: Path, ref: str, reason: str, key: SigningKey, *,
             now: datetime | None = None) -> str:
    """Remove a credential file from the site for good, logged with its reason (published
    in the log, so it must not hold personal data); returns the credential's id. Its status
    list entry stays reserved; a revocation of it stays recorded."""
    reason = " ".join(reason.split())
    if not reason:
        raise LifecycleError("say why with --reason (it is published in the issuance log)")
    if emails_in(reason):
        raise LifecycleError("the reason is published in the issuance log: leave the email "
                             "address out of it")
    now = now or now_utc()
    catalog = _site(root)
    vm = current_key(root, catalog.config, key)
    with transaction(root, key, vm) as tx:  # logged when it takes the lock
        path = _credential_file(root, ref)
        rel = path.relative_to(root.resolve())
        # any maintainer's log: a credential another key (or this key before a rotation)
        # issued is withdrawn in this key's log, which had that entry when writing (seen).
        # Only logs that verify, and only the bytes they logged: the status entry recorded
        # here stays reserved for good, so it must be the one the issuer signed.
        logged = expected_files(verified_logs(root, catalog.config, load_key_history(root))
                                ).files.get(rel.as_posix())
        if not logged:
            raise LifecycleError(f"{rel} is in no issuance log, so it was never issued "
                                 "here: just delete the file")
        raw = read_regular(path)
        if sha256_hex(raw) != logged:
            raise LifecycleError(f"{rel} differs from what the issuance log recorded (edited "
                                 "after issue?): restore it with 'git checkout' first, then "
                                 "withdraw it")
        try:
            doc = json.loads(raw)
        except ValueError:
            doc = {}  # a damaged file is withdrawn all the same
        cid = doc.get("id") if isinstance(doc, dict) and isinstance(doc.get("id"), str) \
            else f"urn:uuid:{path.stem}"
        extra: dict[str, Any] = {"reason": reason}
        entry = entry_of(doc) if isinstance(doc, dict) else None
        if entry:
            extra["status"] = f"{entry[0]}#{entry[1]}"
        tx.remove(rel)
        tx.record("withdraw", cid, {rel: None}, **extra)
        people = People(root, key, catalog)
        people.withdrawn(path.stem)
        people.finish(tx, now)
    return cid


def withdrawn_credential(root: Path, ref: str, logs: list[Log]
                         ) -> tuple[str, tuple[str, int] | None, str] | None:
    """(id, the status list entry its withdrawal recorded or None, when it was withdrawn)
    of the withdrawn credential ``ref`` names (uuid, the start of it, urn:uuid, page URL)
    in ``logs`` (verified ones: a forged entry must not choose a status bit this key
    signs); None when it names none; LifecycleError when it names several, or logs
    disagree on its entry."""
    uid = _uid_of(ref)
    found: dict[str, list[dict[str, Any]]] = {}
    for log in logs:
        for cid, e in log.withdrawn().items():
            own = str(cid).removeprefix("urn:uuid:")
            if own == uid or (len(uid) >= 8 and own.startswith(uid)):
                found.setdefault(str(cid), []).append(e)
    if not found:
        return None
    if len(found) > 1:
        raise AmbiguousRef(f"'{ref}' starts the uuids of {len(found)} withdrawn "
                             f"credentials ({', '.join(sorted(found)[:3])}…): give more of it")
    (cid, entries), = found.items()
    if len({str(e.get("status", "")) for e in entries}) > 1:
        raise LifecycleError(f"the logs record different status entries for the withdrawn "
                             f"{cid}: run 'badgepress build' and settle what it reports first")
    return cid, withdrawal_status(entries[0]), str(entries[0].get("time", ""))


def _live_or_withdrawn(root: Path, ref: str, logs: list[Log]
                       ) -> tuple[tuple[Path, dict[str, Any]] | None,
                                  tuple[str, tuple[str, int] | None, str] | None]:
    """The credential file ``ref`` names, or the withdrawn credential it names (one of
    the two is None); LifecycleError when it names neither, several, or one of each."""
    try:
        live = find_credential(root, ref)
        missing = None
    except AmbiguousRef:
        raise
    except LifecycleError as exc:
        live, missing = None, exc
    gone = withdrawn_credential(root, ref, logs)
    if live is not None and gone is not None and gone[0] != live[1].get("id"):
        raise AmbiguousRef(f"'{ref}' starts the uuids of {live[0].stem} and of the "
                           f"withdrawn {gone[0]}: give more of it")
    if live is None and gone is None:
        assert missing is not None
        raise missing
    return (live, None) if live is not None else (None, gone)


def _credential_file(root: Path, ref: str) -> Path:
    """A credential file of the site by uuid, urn:uuid, page URL or path, parsed or not."""
    folder = (root / CREDENTIALS_DIR).resolve()
    return _named(root, ref, lambda p: p.is_file() and p.resolve().parent == folder
                  ).resolve()


def match_key(root: Path, ref: str):
    """A published key by full id, multibase value or unique prefix of it."""
    keys = load_key_history(root)
    frag = ref.rsplit("#", 1)[-1]
    found = [k for k in keys if k.public_key_multibase.startswith(frag)]
    if len(found) != 1:
        listed = ", ".join(k.public_key_multibase[:14] + "…" for k in keys) or "none"
        raise KeyProblem(f"'{ref}' names {len(found)} of the published keys ({listed}); "
                         "give more of it")
    return keys, found[0]


def revoke_key(root: Path, ref: str, since: datetime) -> tuple[str, list[str]]:
    """Mark a key compromised; returns its multibase and the files signed with it."""
    keys, key = match_key(root, ref)
    if key.revoked:
        raise KeyProblem(f"key {key.public_key_multibase} was already revoked on {key.revoked}")
    save_key_history(root, [replace(k, revoked=iso(since)) if k == key else k for k in keys])
    return key.public_key_multibase, affected_files(root, key.public_key_multibase)


def _methods(doc: dict[str, Any]) -> list[str]:
    return [str(p.get("verificationMethod", "")) for p in proof.proofs_of(doc)
            if isinstance(p, dict)]


def _signed_by(doc: dict[str, Any], multibase: str) -> bool:
    """Whether a proof of ``doc`` names this key, in any id form it was published under."""
    return any(vm.endswith(("#" + multibase, f"/{multibase}.json")) for vm in _methods(doc))


def signed_files(root: Path) -> list[tuple[str, dict[str, Any]]]:
    """Every signed file of the site: credentials and status lists."""
    out = []
    for folder in (CREDENTIALS_DIR, STATUS_DIR):
        for p in sorted((root / folder).glob("*.json")) if (root / folder).is_dir() else []:
            out.append((p.relative_to(root).as_posix(), json.loads(read_regular(p))))
    return out


def affected_files(root: Path, multibase: str) -> list[str]:
    return [rel for rel, doc in signed_files(root) if _signed_by(doc, multibase)]


def unrecorded_revocations(root: Path, cfg=None, keys=None) -> list:
    """The keys keys.json marks revoked that no verified log records yet (what resign is
    about to make final)."""
    cfg = cfg or config_only(root)
    keys = load_key_history(root) if keys is None else keys
    recorded = {str(e.get("subject")) for log in verified_logs(root, cfg, keys)
                for e in log.entries if e.get("action") == "key-revoke"}
    return [k for k in keys if k.revoked and k.public_key_multibase not in recorded]


def resign(root: Path, key: SigningKey, *, now: datetime | None = None) -> list[str]:
    """Re-sign, with the current key, every credential and status list whose proof uses a
    revoked key, or the form badgepress 0.1 wrote (a fragment key id, a single proof
    object): contents unchanged, the log head re-signed too. Keys that signed in the 0.1
    form stay published under their old ids as well, so copies earners already hold keep
    verifying."""
    now = now or now_utc()
    cfg = _site(root).config
    vm = current_key(root, cfg, key)
    keys = load_key_history(root)
    revoked = {k.public_key_multibase for k in keys if k.revoked}
    done, legacy = [], set()
    with transaction(root, key, vm) as tx:  # logged when it takes the lock
        # each revocation in a log, so that no edit of keys.json can undo it (the build
        # checks keys.json against these entries)
        for k in unrecorded_revocations(root, cfg, keys):
            tx.record("key-revoke", k.public_key_multibase, {}, revoked=k.revoked)
        for rel, doc in signed_files(root):
            old_form = outdated_form(cfg, keys, doc)
            if not old_form and not any(_signed_by(doc, mb) for mb in revoked):
                continue
            legacy |= old_form - {""} - revoked
            unsigned = {k: v for k, v in doc.items() if k != "proof"}
            data = credential_bytes(proof.sign(unsigned, key, vm, iso(now)))
            tx.write(rel, data)
            tx.record("resign", doc["id"], {rel: data})
            done.append(rel)
        if legacy:
            save_key_history(root, [replace(k, fragment_id=True)
                                    if k.public_key_multibase in legacy else k for k in keys])
        for log in read_logs(root):  # heads the revoked or 0.1-form keys signed
            vm_of_head = str((log.head or {}).get("verificationMethod", ""))
            signer = key_for_method(cfg, keys, vm_of_head)
            if log.name != tx.log.name and log.head is not None and (
                    signer is None or signer.revoked or vm_of_head != key_id(cfg, signer)):
                tx.resign_head(log)
    return done


# audit ------------------------------------------------------------------------------------

def _fetched(url: str, fetch_bytes) -> bytes:
    """``fetch_bytes(url)``, a failure naming the URL: an audit fetches from the site and
    from the issuer's documents, and "network error" alone says neither which nor where."""
    try:
        return fetch_bytes(url)
    except FetchError as exc:
        raise FetchError(f"could not fetch {url} ({exc})") from exc


def _json_at(url: str, fetch_bytes) -> Any:
    """The JSON document at ``url``; a ValueError naming the URL when it is not one."""
    data = _fetched(url, fetch_bytes)
    try:
        return json.loads(data)
    except ValueError as exc:
        raise ValueError(f"{url} is not a JSON document ({exc})") from exc


def _controller_of(vm: str, fetch_bytes) -> str:
    """The identifier that claims a key: the part before '#', or, for a key that is its own
    document, the controller it names (which must then list it, checked by the caller)."""
    if "#" in vm:
        return vm.split("#", 1)[0]
    controller = _json_at(vm, fetch_bytes).get("controller")
    if not isinstance(controller, str):
        raise ValueError(f"the key document {vm} names no controller")
    return controller

@dataclass
class AuditReport:
    checked: int
    problems: list[str]


def public_path(rel: str) -> str | None:
    """Where a logged source file is published (None: not published, e.g. revocations)."""
    p = Path(rel)
    if p.parent == CREDENTIALS_DIR:
        return f"credentials/{p.stem}/credential.json"
    if p.parent == STATUS_DIR:
        return f"status/{p.name}"
    return None


def _withdrawn_still_served(base: str, logs: list[Log], fetch_bytes) -> dict[str, str]:
    """{public path: problem} of withdrawn credentials the site still serves."""
    out = {}
    for e in (e for log in logs for e in log.withdrawn().values()):
        for rel in e.get("files", {}):
            public = public_path(rel)
            if not public:
                continue
            try:
                fetch_bytes(base + public)
            except Exception:  # noqa: BLE001 - not served, as it should be
                continue
            out[public] = (f"{public}: withdrawn on {e.get('time')} (log entry "
                           f"{e.get('seq')}) but still served")
    return out



def published_logs(base: str, fetch_bytes) -> list[Log]:
    """The logs a site publishes, as its /log/index.json lists them (a site from before
    per-key logs has only /log/log.jsonl and /log/head.json)."""
    no_index = None
    try:
        index = _json_at(base + "log/index.json", fetch_bytes)
        listed = [(str(i["name"]), str(i["log"]), str(i["head"])) for i in index["logs"]]
    except Exception as exc:  # noqa: BLE001 - no index: the one log of an older site
        listed, no_index = [("log", "log.jsonl", "head.json")], exc
    logs = []
    for name, log_file, head_file in listed:
        url = base + "log/" + log_file
        try:
            raw = _fetched(url, fetch_bytes)
        except FetchError as exc:  # neither kind of site: the index's failure says why
            if isinstance(no_index, FetchError):
                raise no_index from exc
            raise
        try:
            entries = [json.loads(line) for line in raw.decode("utf-8").splitlines()
                       if line.strip()]
        except ValueError as exc:
            raise ValueError(f"{url} is not a JSON log ({exc})") from exc
        logs.append(Log(entries, _json_at(base + "log/" + head_file, fetch_bytes), name))
    return logs


def _check_head(log: Log, fetch_bytes) -> list[str]:
    """The head's signature, by a key the issuer's own published documents list and have
    not revoked."""
    head = log.head or {}
    where = f"{log.head_path.name}: " if log.name != "log" else ""
    vm = str(head.get("verificationMethod", ""))
    try:
        issuer = _controller_of(vm, fetch_bytes)
        url = controller_document_url(issuer)
        if url is None:
            raise ValueError(f"{issuer} publishes no document to check it against")
        doc = _json_at(url, fetch_bytes)
        method = next((m for m in doc.get("verificationMethod", []) if m.get("id") == vm), None)
        if doc.get("id") != issuer or method is None:
            return [f"{where}the log head's key {vm} is not published by {issuer}"]
        if method.get("revoked"):
            return [f"{where}the log head is signed by a revoked key ({vm})"]
        if not head_signature_ok(head, decode_multibase_key(method["publicKeyMultibase"])):
            return [f"{where}the log head's signature does not verify"]
    except Exception as exc:  # noqa: BLE001 - any fetch or parse failure is reported
        return [f"{where}could not check the log head's key: {exc}"]
    return []


class _EmbeddedCredential(HTMLParser):
    """The text of a credential page's <script id="credential-data">, the JSON its
    in-browser check verifies and its visitors read."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.inside = False
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and ("id", "credential-data") in attrs:
            self.inside = True
            self.found.append("")

    def handle_endtag(self, tag: str) -> None:
        self.inside = self.inside and tag != "script"

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.found[-1] += data


def _page_problem(base: str, public: str, served: bytes, fetch_bytes) -> str | None:
    """Whether the page of a credential whose JSON matches the log shows that credential:
    the page is what people see and what the browser check verifies, so a page whose
    embedded credential was edited (or swapped for another) would mislead them while the
    JSON next to it still matches the log."""
    page = public.removesuffix("credential.json")
    try:
        html = fetch_bytes(base + page)
    except Exception as exc:  # noqa: BLE001
        return f"{page}: logged but its page is not served ({exc})"
    parser = _EmbeddedCredential()
    parser.feed(html.decode("utf-8", errors="replace"))
    if len(parser.found) != 1:
        return f"{page}: the page does not embed exactly one credential (found " \
               f"{len(parser.found)})"
    try:
        same = json.loads(parser.found[0]) == json.loads(served)
    except ValueError:
        same = False
    return None if same else f"{page}: the page shows a credential that differs from " \
                             "the logged credential.json"


def audit(base_url: str, fetch_bytes) -> AuditReport:
    """Check a published site: every log's chain and signed head against the issuer's own
    published keys, every logged file's SHA-256 against what the site serves now, and every
    logged credential's page against its logged JSON.

    The credentials to check come from the signed logs (``/log/index.json`` names each
    log), never from the sitemap: the sitemap lists the pages meant for search engines, and
    credential pages, noindex, are not among them. The logs are the complete list a third
    party can check: a static site cannot be listed from outside, so a file someone
    placed on the server without a log entry is not found here; the build refuses to
    publish one, and the log is what makes a credential this issuer's."""
    base = base_url if base_url.endswith("/") else base_url + "/"
    problems: list[str] = []
    logs = published_logs(base, fetch_bytes)
    for log in logs:
        problems += check_chain(log)
        problems += _check_head(log, fetch_bytes)
    expected = expected_files(logs)
    problems += [f"{path}: written on parallel branches by the logs " + ", ".join(
        s.log for s in steps) for path, steps in expected.parallel.items()
        if path.startswith(str(STATUS_DIR) + "/")]
    checked = 0
    entries: dict[str, tuple[str, int]] = {}  # credential id -> its status list entry
    lists: dict[str, set[int]] = {}  # status list URL -> the bits the site serves
    for rel, digest in expected.files.items():
        public = public_path(rel)
        if not public or not digest:
            continue
        checked += 1
        try:
            served = fetch_bytes(base + public)
        except Exception as exc:  # noqa: BLE001
            problems.append(f"{public}: logged but not served ({exc})")
            continue
        if sha256_hex(served) != digest:
            problems.append(f"{public}: differs from the logged SHA-256")
            continue
        try:
            doc = json.loads(served)
            if public.startswith("status/"):
                lists[str(doc.get("id", base + public))] = set_bits(list_bits(doc))
            elif isinstance(doc, dict) and (entry := entry_of(doc)):
                entries[str(doc.get("id"))] = entry
        except (ValueError, KeyError, TypeError, AttributeError):
            pass  # the build refuses such a file; nothing more to read from it here
        if public.startswith("credentials/"):
            problem = _page_problem(base, public, served, fetch_bytes)
            if problem:
                problems.append(problem)
    problems += _withdrawn_still_served(base, logs, fetch_bytes).values()
    problems += _revocations_not_served(logs, entries, lists)
    return AuditReport(checked, problems)


def _revocations_not_served(logs: list[Log], entries: dict[str, tuple[str, int]],
                            lists: dict[str, set[int]]) -> list[str]:
    """Each revocation the logs record whose bit the served status list does not set:
    verifiers would call the credential (or copies of a withdrawn one) valid."""
    entries = {**{str(cid): entry for entry, cid in withdrawn_entries(logs).items()},
               **entries}  # withdrawn credentials: their entry is in the withdrawal
    records, legacy = logged_revocations(logs)
    out = []
    for cid in sorted(set(records) | legacy):
        entry = entries.get(cid)
        if entry is not None and entry[0] in lists and entry[1] not in lists[entry[0]]:
            out.append(f"{cid}: revoked in the log, but entry {entry[1]} of {entry[0]} is "
                       "not set: verifiers would call it valid")
    return out
