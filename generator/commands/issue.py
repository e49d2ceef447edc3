"""Issuing Open Badges 3.0 credentials: one at a time or from a CSV, signed on the
maintainer's machine with the private key that never enters the site.

A credential names its earner only by a salted SHA-256 of their email (OB 3.0
IdentityObject) and, if they agreed, a display name; the plain email is never stored.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import re
import secrets
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from ..build.pipeline import load_site
from ..content.config import SiteConfig
from ..content.model import Badge, Catalog
from ..core.dates import DATE_HINT, MAX_YEAR, MIN_YEAR, add_duration, iso, now_utc, parse_date
from ..core.errors import BuildError, Problem, Problems
from ..core.files import read_regular
from ..core.paths import CREDENTIALS_DIR
from ..core.text import (
    MarkdownError,
    emails_in,
    render_markdown,
    suggest,
    valid_email,
)
from ..trust import ld, ob, proof
from ..trust.issuer import issuer_object, key_id
from ..trust.keys import KeyProblem, SigningKey, load_key_history
from ..trust.ledger import Log, Transaction, read_log, transaction
from ..trust.logs import log_names
from ..trust.status import (
    Allocator,
    empty_list,
    encode_list,
    entry_of,
    key_prefix,
    list_path,
    list_url,
    set_bit,
    status_entry,
    status_list_credential,
)
from ..trust.verify import email_hash
from .earners import FLAG_HINT, NAME_NEEDED, People, name_problems, parse_flag
from .issue_index import CredentialIndex, load_index
from .issue_workers import Signer

CSV_COLUMNS = ("badge", "email", "name", "evidence", "narrative", "date", "earner_page")
EMAIL_SHAPE = "name@domain"
MAX_CSV = 64 << 20
CSV_ENCODINGS = ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
                 (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16"))
SAVE_UTF8 = "save it as UTF-8 (in Excel: 'CSV UTF-8'; in LibreOffice: character set UTF-8)"


@dataclass(frozen=True)
class IssueRequest:
    """What a maintainer asks for: a badge for someone, with optional details."""

    badge: str
    email: str
    name: str = ""
    evidence: str = ""
    narrative: str = ""
    date: datetime | None = None
    earner_page: bool = False  # the earner agreed to a public page of all their badges


def normalize_email(email: str) -> str:
    return email.strip().lower()


def request_problems(req: IssueRequest, catalog: Catalog) -> list[str]:
    """What is wrong with a request, as sentences that say how to fix it. Everything that
    would make every later build fail is refused here, before it is signed: an email
    address in a published field, invisible characters in the name, Markdown nested too
    deeply to render."""
    out = []
    if req.badge not in catalog.by_slug:

        hint = suggest(req.badge, list(catalog.by_slug))
        out.append(f"badge '{req.badge}' does not exist" + (f" ({hint})" if hint else ""))
    elif not catalog.badge(req.badge).active:
        out.append(f"badge '{req.badge}' is retired and no longer awarded")
    if not valid_email(req.email):
        out.append(f"'{req.email}' is not an email address ({EMAIL_SHAPE})")
    if req.evidence and not req.evidence.startswith(("https://", "http://")):
        out.append(f"evidence '{req.evidence}' must be an absolute http(s) URL")
    elif req.evidence and ld.iri_problem(req.evidence):
        # verifiers would read it two ways (and refuse it): percent-encode it instead
        out.append(f"evidence {ld.iri_problem(req.evidence)}; percent-encode it "
                   "(a space is %20)")
    for what, value in (("name", req.name), ("evidence", req.evidence),
                        ("narrative", req.narrative)):
        if emails_in(value):
            out.append(f"the {what} contains the email address {sorted(emails_in(value))[0]}"
                       ", which would be published (only a salted hash of the earner's email "
                       "goes into the credential; leave the address out)")
    out.extend(name_problems(req.name))
    if req.date and not MIN_YEAR <= req.date.year <= MAX_YEAR:
        out.append(f"the date {req.date.date()} is outside the years {MIN_YEAR}-{MAX_YEAR}")
    if req.earner_page and not req.name.strip():
        out.append(NAME_NEEDED)
    if req.narrative:
        try:
            render_markdown(req.narrative)
        except MarkdownError as exc:
            out.append(f"the narrative cannot be shown: {exc.message}")
    return out


def build_credential(cfg: SiteConfig, badge: Badge, req: IssueRequest, now: datetime,
                     achievement: dict[str, Any] | None = None) -> dict[str, Any]:
    """The unsigned OpenBadgeCredential (DESIGN.md, "Credential"). ``achievement``: the
    badge's Achievement when the caller already made it (a bulk issue makes it once a badge;
    it is copied, never shared between credentials)."""
    valid_from = req.date or now
    salt = secrets.token_hex(16)
    identifiers: list[dict[str, Any]] = [{
        "type": "IdentityObject", "identityHash": email_hash(normalize_email(req.email), salt),
        "identityType": "emailAddress", "hashed": True, "salt": salt}]
    if req.name.strip():
        # AchievementSubject allows no extra properties in 1EdTech's JSON schema: a display
        # name travels as a plain-text IdentityObject of type "name".
        identifiers.append({"type": "IdentityObject", "identityHash": req.name.strip(),
                            "identityType": "name", "hashed": False})
    doc: dict[str, Any] = {
        "@context": list(ob.OB_CONTEXT),
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": issuer_object(cfg),
        "validFrom": iso(valid_from),
    }
    if badge.valid_for:
        doc["validUntil"] = iso(add_duration(valid_from, badge.valid_for))
    doc["name"] = badge.name
    doc["credentialSubject"] = {"type": ["AchievementSubject"], "identifier": identifiers,
                                "achievement": copy.deepcopy(achievement) if achievement
                                else ob.achievement(badge, cfg, context=False)}
    if req.evidence or req.narrative:
        evidence: dict[str, Any] = {"type": ["Evidence"]}
        if req.evidence:
            evidence["id"] = req.evidence
        if req.narrative:
            evidence["narrative"] = req.narrative
        doc["evidence"] = [evidence]
    return doc


def current_key(root: Path, cfg: SiteConfig, key: SigningKey) -> str:
    """The verification method id of ``key``, which must be a usable published key."""
    published = {k.public_key_multibase: k for k in load_key_history(root)}
    entry = published.get(key.public_multibase)
    if entry is None:
        raise KeyProblem(f"{key.path}: this key is not one of the site's published keys "
                         "(site_src/issuer/keys.json); run 'badgepress keygen' to make one")
    if not entry.usable:
        why = f"revoked on {entry.revoked}" if entry.revoked else f"retired on {entry.retired}"
        raise KeyProblem(f"{key.path}: this key was {why}; sign with the current key, or "
                         "make one with 'badgepress keygen --rotate'")
    return key_id(cfg, entry.public_key_multibase)


def sign_credential(doc: dict[str, Any], key: SigningKey, vm: str,
                    now: datetime) -> dict[str, Any]:
    return proof.sign(doc, key, vm, iso(now))


def credential_path(root: Path, doc: dict[str, Any]) -> Path:
    return root / CREDENTIALS_DIR / (doc["id"].removeprefix("urn:uuid:") + ".json")


def credential_bytes(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def existing_for(root: Path) -> list[tuple[Path, dict[str, Any]]]:
    folder = root / CREDENTIALS_DIR
    out = []
    for p in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            out.append((p, json.loads(read_regular(p))))
        except (ValueError, OSError):
            continue
    return out


def already_issued(existing: list[tuple[Path, dict[str, Any]]], cfg: SiteConfig, badge: Badge,
                   email: str) -> Path | None:
    """The file of a credential for the same badge and email, if there is one."""
    achievement_id = cfg.abs_url(badge.url)
    for path, doc in existing:
        subject = doc.get("credentialSubject", {})
        if subject.get("achievement", {}).get("id") != achievement_id:
            continue
        for ident in subject.get("identifier", []):
            if ident.get("identityType") == "emailAddress" and ident.get("identityHash") == \
                    email_hash(normalize_email(email), ident.get("salt", "")):
                return path
    return None


def csv_text(path: Path) -> str:
    """The CSV as text: UTF-8, with or without a byte order mark. Anything else (UTF-16 from
    Excel's "Unicode text", Latin-1) is refused with a BuildError naming the file, rather
    than read as garbage that would be signed."""
    def refuse(message: str, line: int | None = None) -> BuildError:
        return BuildError([Problem(str(path), message, line, hint=SAVE_UTF8)])

    with path.open("rb") as fh:
        data = fh.read(MAX_CSV + 1)
    if len(data) > MAX_CSV:
        raise BuildError([Problem(str(path), f"is bigger than {MAX_CSV >> 20} MB",
                                  hint="split it into several files")])
    for bom, name in CSV_ENCODINGS:
        if data.startswith(bom):
            raise refuse(f"is {name} text, not UTF-8")
    if b"\0" in data:
        raise refuse("contains NUL bytes (UTF-16 text without a byte order mark?)",
                     data.count(b"\n", 0, data.index(b"\0")) + 1)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise refuse(f"is not UTF-8 text (byte {exc.start}; Latin-1 or Windows-1252?)",
                     data.count(b"\n", 0, exc.start) + 1) from None


def read_csv(path: Path, problems: Problems) -> list[tuple[int, IssueRequest]]:
    """Rows of a bulk-issue CSV with their line numbers; every bad row is reported."""
    rows: list[tuple[int, IssueRequest]] = []
    reader = csv.DictReader(io.StringIO(csv_text(path), newline=""))
    try:
        # 'Badge', ' Email ', 'Earner Page' as a spreadsheet writes them are the columns
        # badge, email, earner_page
        reader.fieldnames = [re.sub(r"\s+", "_", h.strip().lower())
                             for h in (reader.fieldnames or [])]
        header = list(reader.fieldnames)
    except csv.Error as exc:
        problems.error(path, f"not a CSV file: {exc}", line=1)
        return []
    twice = sorted({h for h in header if header.count(h) > 1})
    if twice:
        problems.error(path, f"the header row names {', '.join(twice)} twice", line=1,
                       hint="keep one column of each name")
        return []
    missing = [c for c in ("badge", "email") if c not in header]
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if missing or unknown:
        semicolons = len(header) == 1 and ";" in header[0]
        problems.error(path, "the header row must name the columns "
                       f"({', '.join(CSV_COLUMNS)})", line=1,
                       hint="the values are separated by ';': save it with commas "
                            "(CSV, comma-delimited)" if semicolons else
                       f"missing: {', '.join(missing)}" if missing else
                       f"unknown: {', '.join(unknown)} (a column that is not read would be "
                       "lost without a word: remove it)")
        return []
    while True:
        line = reader.line_num + 1  # where the row starts (a quoted field may span lines)
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # e.g. a field over the csv module's 128 KB limit
            problems.error(path, f"this row cannot be read: {exc}", line=line,
                           hint="check the quotes of this row; fields are at most 128 KB")
            break
        values = {k.strip(): (v or "").strip() for k, v in row.items()
                  if isinstance(k, str) and isinstance(v, str)}
        if not any(values.values()):
            continue
        try:
            date = parse_date(values["date"]) if values.get("date") else None
        except ValueError as exc:
            problems.error(path, f"date: {exc}", line=line, field="date", hint=DATE_HINT)
            continue
        page = parse_flag(values.get("earner_page", ""))
        if page is None:
            problems.error(path, f"earner_page: '{values['earner_page']}' is neither yes nor "
                           "no", line=line, field="earner_page", hint=FLAG_HINT)
            continue
        rows.append((line, IssueRequest(values.get("badge", ""), values.get("email", ""),
                                        values.get("name", ""), values.get("evidence", ""),
                                        values.get("narrative", ""), date, page)))
    return rows


@dataclass(frozen=True)
class Issued:
    """What happened to one request: a new file, or the existing one it duplicates."""

    request: IssueRequest
    path: Path
    new: bool
    # prerequisites of its badge that the earner held no credential of when it was issued
    # (the earner index's view): issued anyway, said as a warning
    lacking: tuple[str, ...] = ()
    # its validUntil, when that had passed already at issue (a back-dated request): issued
    # as asked, said as a warning
    expired: str = ""


def signed_status_list(cfg: SiteConfig, key: SigningKey, vm: str, n: int | str,
                       revoked: set[int], when: str, since: str | None = None) -> bytes:
    """The bytes of status list ``n`` (a list name), every revoked index set, signed now with
    ``key`` (any usable key signs for the issuer, whichever key allocates from the list).
    ``since`` keeps the list's validFrom when it is re-signed: a re-signed list valid only
    from "now" is refused by verifiers whose clock runs a few seconds behind."""
    bits = empty_list()
    for index in revoked:
        set_bit(bits, index)
    doc = status_list_credential(list_url(cfg.base_url, n), cfg.issuer_id,
                                 encode_list(bits), since or when)
    return credential_bytes(proof.sign(doc, key, vm, when))


def key_allocator(cfg: SiteConfig, key: SigningKey,
                  existing: list[tuple[Path, dict[str, Any]]],
                  logs: Iterable[Log] = ()) -> Allocator:
    """Indexes from the signing key's own lists: no other key ever draws from them."""
    return Allocator(cfg.base_url, used_indexes(existing, logs),
                     key_prefix(key.public_multibase))


def used_indexes(existing: list[tuple[Path, dict[str, Any]]], logs: Iterable[Log] = ()
                 ) -> dict[str, set[int]]:
    """Status list entries taken: by the credentials there are, and reserved by those
    withdrawn, in any key's log (a revoked one's bit stays set; reusing it would revoke a
    new credential)."""
    used: dict[str, set[int]] = {}
    for _, doc in existing:
        entry = entry_of(doc)
        if entry:
            used.setdefault(entry[0], set()).add(entry[1])
    for e in (e for log in logs for e in log.withdrawn().values()):
        url, _, index = str(e.get("status", "")).rpartition("#")
        if url and index.isdigit():
            used.setdefault(url, set()).add(int(index))
    return used


COMMIT_EVERY = 1000  # credentials per commit: a crash costs at most this much signing
BATCH = 50  # credentials written per journal fsync


@dataclass
class _Planned:
    """A request that will be issued: its unsigned credential and its status list entry."""

    request: IssueRequest
    doc: dict[str, Any]
    url: str
    list_name: str
    done: int  # its position among all requests, for the progress callback


def issue_credentials(root: Path, requests: list[tuple[int | None, IssueRequest]],
                      key: SigningKey, *, source: str = "command line",
                      now: datetime | None = None,
                      progress: Callable[[int], None] | None = None) -> list[Issued]:
    """Check every request first, then sign and write each credential in transactions.

    Nothing is written when any request is wrong; a request whose earner already holds the
    badge is skipped (so rerunning a CSV issues no duplicates, and resumes an interrupted
    run). Each credential gets a random unused entry of a status list, so it can be revoked
    later; each is logged. What credentials exist comes from the index (``issue_index``), not
    from parsing every file; a large batch is signed on every core (``issue_workers``) while
    this process stays the one writer, committing every ``COMMIT_EVERY`` credentials.
    """

    now = now or now_utc()
    catalog, _ = load_site(root)
    cfg = catalog.config
    vm = current_key(root, cfg, key)
    problems = Problems(root)
    for line, req in requests:
        for message in request_problems(req, catalog):
            problems.error(source, message, line=line)
        _check_date(problems, source, line, req, now)
    problems.raise_if_errors()
    results: list[tuple[int, Issued]] = []  # with the request's position
    # the pool before the lock: a worker must never inherit the lock's file (issue_workers)
    with Signer(key, vm, now, len(requests), credential_bytes) as signer, \
            transaction(root, key, vm) as tx:  # logged when it takes the lock
        index = load_index(root)
        # every log, as read_logs reads them; the transaction has just read its own
        logs = [tx.log if name == tx.log.name else read_log(root, name)
                for name in log_names(root)]
        allocator = Allocator(cfg.base_url, index.used_indexes(logs),
                              key_prefix(key.public_multibase))
        planned = _plan(root, cfg, catalog, requests, index, allocator, now, results)
        people = People(root, key, catalog)
        writer = _Writer(root, tx, index, results, progress, people, now)
        opened: set[str] = set()
        for item, data in zip(planned, signer.sign_all(p.doc for p in planned), strict=True):
            n = item.list_name
            if n not in opened and not (root / list_path(n)).is_file():
                writer.flush()  # the list is logged before the credentials that use it
                listed = signed_status_list(cfg, key, vm, n, set(), iso(now))
                tx.write(list_path(n), listed)
                tx.record("status-list", item.url, {list_path(n): listed})
            opened.add(n)
            writer.add(item, data)
        writer.flush()
        for _, done in results:  # already issued: an earner_page "yes" still opts them in
            eid = people.index.earner_of_email(normalize_email(done.request.email)) \
                if done.request.earner_page and not done.new else None
            if eid is not None and not people.index.earners[eid].get("slug"):
                people.index.add_earner(normalize_email(done.request.email),
                                        done.request.name.strip())
                people.open_page(eid)
        people.finish(tx, now)
        results = _with_prerequisites(results, catalog, people)
    index.save()
    return [issued for _, issued in sorted(results, key=lambda r: r[0])]


def _with_prerequisites(results: list[tuple[int, Issued]], catalog: Catalog,
                        people: People) -> list[tuple[int, Issued]]:
    """Each new credential with the prerequisites of its badge its earner holds no
    credential of (this batch's included): a program may award out of order on purpose,
    so it is a warning, never a refusal."""
    requires = {b.slug: b.requires for b in catalog.badges if b.requires}
    index = people.index
    eids = {e for _, r in results if r.new and r.request.badge in requires
            if (e := index.earner_of_email(normalize_email(r.request.email))) is not None}
    if not eids:
        return results
    held: dict[str, set[str]] = {
        eid: {str(index.credentials[u].get("badge")) for u in uuids}
        for eid, uuids in index.credentials_of(eids).items()}
    out = []
    for n, r in results:
        eid = index.earner_of_email(normalize_email(r.request.email)) if r.new else None
        if eid in held:
            lacking = tuple(b for b in requires.get(r.request.badge, ()) if b not in held[eid])
            r = replace(r, lacking=lacking)
        out.append((n, r))
    return out


class _Writer:
    """Writes signed credentials in batches of ``BATCH`` (one journal fsync each, see
    ``Transaction.write_new``), logs them in order and commits every ``COMMIT_EVERY``."""

    def __init__(self, root: Path, tx: Transaction, index: CredentialIndex,
                 results: list[tuple[int, Issued]], progress: Callable[[int], None] | None,
                 people: People, now: datetime):
        self.root, self.tx, self.index, self.people = root, tx, index, people
        self.results, self.progress = results, progress
        self.now = iso(now)
        self.batch: list[tuple[_Planned, bytes]] = []
        self.since_commit = 0

    def add(self, item: _Planned, data: bytes) -> None:
        self.batch.append((item, data))
        if len(self.batch) >= BATCH or self.since_commit + len(self.batch) >= COMMIT_EVERY:
            self.flush()

    def flush(self) -> None:
        paths = [credential_path(self.root, item.doc) for item, _ in self.batch]
        self.tx.write_new([(path.relative_to(self.root), data)
                           for path, (_, data) in zip(paths, self.batch, strict=True)])
        for path, (item, data) in zip(paths, self.batch, strict=True):
            self.tx.record("issue", item.doc["id"], {path.relative_to(self.root): data})
            self.index.add(path, item.doc)
            req = item.request
            self.people.issued(path.stem, normalize_email(req.email), req.name, req.badge,
                               item.doc["validFrom"], req.earner_page)
            until = str(item.doc.get("validUntil") or "")
            self.results.append((item.done, Issued(item.request, path, True, expired=until
                                                   if until and until <= self.now else "")))
        self.since_commit += len(self.batch)
        if self.since_commit >= COMMIT_EVERY:
            self.tx.commit()
            self.since_commit = 0
        if self.progress and self.batch:
            self.progress(self.batch[-1][0].done)
        self.batch = []


def _plan(root: Path, cfg: SiteConfig, catalog: Catalog,
          requests: list[tuple[int | None, IssueRequest]], index: CredentialIndex,
          allocator: Allocator, now: datetime, skipped: list[tuple[int, Issued]]
          ) -> list[_Planned]:
    """Decide, in the order of the requests, which are duplicates (added to ``skipped``) and
    what the others will be: their unsigned credential and status list entry."""
    planned: list[_Planned] = []
    seen: dict[tuple[str, str], Path] = {}
    achievements: dict[str, dict[str, Any]] = {}
    for done, (_, req) in enumerate(requests, 1):
        badge = catalog.badge(req.badge)
        email = normalize_email(req.email)
        dup = index.duplicate(cfg.abs_url(badge.url), email) or seen.get((req.badge, email))
        if dup:
            skipped.append((done, Issued(req, dup, False)))
            continue
        url, status_index, n = allocator.next()
        if req.badge not in achievements:
            achievements[req.badge] = ob.achievement(badge, cfg, context=False)
        doc = build_credential(cfg, badge, req, now, achievements[req.badge])
        doc["credentialStatus"] = status_entry(url, status_index)
        seen[(req.badge, email)] = credential_path(root, doc)
        planned.append(_Planned(req, doc, url, n, done))
    return planned


def _check_date(problems: Problems, source: str | Path, line: int | None, req: IssueRequest,
                now: datetime) -> None:
    if req.date and req.date > now:
        problems.error(source, f"date {iso(req.date)} is in the future", line=line,
                       hint="credentials are dated when the badge was earned")


def requests_from_csv(path: Path, root: Path) -> list[tuple[int | None, IssueRequest]]:
    problems = Problems(root)
    rows = read_csv(path, problems)
    if problems.errors and rows:  # check the rows that could be read too: one run reports
        try:  # every bad row (issue_credentials checks them again)
            catalog, _ = load_site(root)
        except BuildError as exc:  # the site's own problems, with the CSV's
            problems.items.extend(exc.problems)
        else:
            for line, req in rows:
                for message in request_problems(req, catalog):
                    problems.error(path, message, line=line)
                _check_date(problems, path, line, req, now_utc())
            problems.items.sort(key=lambda p: p.line or 0)
    problems.raise_if_errors()
    if not rows:
        raise BuildError([Problem(problems.rel(path), "the CSV has no rows to issue", 2,
                                  hint="add one line per credential below the header")])
    return list(rows)
