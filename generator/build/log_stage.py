"""The build's check of the issuance logs: every log's chain and signed head, every signed
file against the hash the logs give it, and revocations.toml against the records the logs
carry. The credentials stage runs it first: nothing the logs do not vouch for is published.

Messages say who can fix what: a contributor without a key learns that only a maintainer
(named, with their key) can issue, and what to take out of the pull request.
"""

from __future__ import annotations

from pathlib import Path

from ..content.config import SiteConfig
from ..core.errors import Problems
from ..core.files import file_conflict, read_regular
from ..core.paths import (
    CREDENTIALS_DIR,
    EARNERS_DIR,
    INSIGHTS_PATH,
    JOURNAL,
    KEYS_PATH,
    LEGACY_LOG,
    REVOCATIONS,
    STATUS_DIR,
)
from ..trust.issuer import key_for_method
from ..trust.keys import PublishedKey, decode_multibase_key
from ..trust.ledger import (
    LedgerError,
    Log,
    entry_hash,
    head_problems,
    head_signature_ok,
    read_log,
    sha256_hex,
    walk_chain,
)
from ..trust.logs import (
    Expected,
    Step,
    extends,
    log_facts,
    log_names,
    logged_revocations,
    parallel_revoke_and_renew,
)
from ..trust.status import Revocation
from .fanout import fan_out

RESIGN_HINT = "re-sign with the current key: badgepress resign --key PATH"
RECONCILE_HINT = ("keep either side, then run 'badgepress reconcile --key PATH' to re-sign it "
                  "from revocations.toml (needs a maintainer's key)")
RESTORE_HINT = ("the logs are append-only: restore it with git (after a merge, take both "
                "branches' versions of the logs unchanged)")
SIGNED_CONFLICT_HINT = ("a signed file must be one branch's version, unchanged: keep one "
                        "side whole (while merging: 'git checkout --theirs FILE', or --ours), "
                        "then build")


def maintainers(keys: list[PublishedKey]) -> str:
    """'Ada Lovelace z6MkhaXg…, z6Mkf5rG…': who can sign, for messages."""
    return ", ".join(k.label for k in keys if k.usable) or "none published yet"


TORN_HINT = "run any badgepress issue/revoke command to recover, or restore it with git"


class UnreadableLog(Exception):
    """A log cannot be read (one problem says so); files are then not checked against the
    logs, which would only repeat that problem for each of them."""


def check_logs(root: Path, cfg: SiteConfig, keys: list[PublishedKey],
               problems: Problems, memo: dict | None = None) -> list[Log]:
    """Every log's chain and signed head (by a published key the issuer has not revoked).
    ``memo`` (a dev server's) keeps each entry's hash by the exact text of its line, so a
    rebuild after one revocation hashes the new entries, not 100,000 old ones: the same
    line parses to the same entry, whose JCS hash is the same."""
    if (root / JOURNAL).is_file():
        problems.error(root / JOURNAL, "an interrupted issue/revoke left a journal",
                       hint="run any badgepress issue/revoke command to roll it back, or "
                            "delete the journal if you restored the files with git")
    published = {k.public_key_multibase for k in keys}
    logs: list[Log] = []
    good: list[Log] = []
    for name in log_names(root):
        try:
            log = read_log(root, name, memo=memo)
        except LedgerError as exc:
            where, _, text = str(exc).partition(": ")
            file, _, line = where.partition(":")
            problems.error(root / file, text, line=int(line) if line.isdigit() else None,
                           hint=RESTORE_HINT)
            raise UnreadableLog from exc
        conflict = file_conflict(root / log.path, log.path.as_posix()) if log.torn else None
        if conflict:  # not torn by a power cut: recovering would cut a branch's entries
            problems.error(root / log.path, conflict[0], line=conflict[1], hint=RESTORE_HINT)
        elif log.torn:
            problems.error(root / log.path, "the log ends in a torn line (an append was cut "
                           "off, e.g. by a power cut or a full disk)", line=log.torn,
                           hint=TORN_HINT)
        if name != LEGACY_LOG and name not in published:
            problems.error(root / log.path, f"a log of {name}, which is not a published key "
                           "of this site", hint="only a maintainer's key writes a log: remove "
                           "this file from the pull request")
            continue
        before = len(problems.errors)
        _check_one(root, cfg, keys, log, problems, memo)
        logs.append(log)
        if len(problems.errors) == before:
            good.append(log)
    check_key_revocations(root, good, keys, problems)  # a forged log revokes nothing
    return logs


def verified_logs(root: Path, cfg: SiteConfig, keys: list[PublishedKey]) -> list[Log]:
    """The logs whose chain and head signature verify (by a published key the issuer has
    not revoked): what a command that signs may rely on. A log someone added or edited
    without a key is left out, so nothing it claims reaches a signature."""
    problems = Problems(root)
    try:
        logs = check_logs(root, cfg, keys, problems)
    except UnreadableLog:
        return []
    bad = {str(p.path) for p in problems.errors}
    return [log for log in logs if not {str(log.path), str(log.head_path)} & bad]


def check_key_revocations(root: Path, logs: list[Log], keys: list[PublishedKey],
                          problems: Problems) -> None:
    """A key revocation is final: once a log records one ('key-revoke', written by
    ``badgepress resign`` with another key), keys.json must still mark that key revoked,
    from that moment or earlier. Without this, removing one line of keys.json (no key
    needed) would bring the compromised key and everything it signed back. A revocation
    keys.json states but no log records yet is a warning: ``resign`` records it."""
    logged: dict[str, tuple[str, str, Log]] = {}  # multibase -> (since, entry seq, log)
    for log in logs:
        for e in log.entries:
            if e.get("action") == "key-revoke" and isinstance(e.get("revoked"), str):
                subject = str(e.get("subject", ""))
                if subject not in logged or e["revoked"] < logged[subject][0]:
                    logged[subject] = (e["revoked"], str(e.get("seq")), log)
    by_mb = {k.public_key_multibase: k for k in keys}
    for mb, (since, seq, log) in sorted(logged.items()):
        key = by_mb.get(mb)
        if key is None or not key.revoked or key.revoked > since:
            said = "does not list it" if key is None else \
                "does not mark it revoked" if not key.revoked else \
                f"marks it revoked only from {key.revoked}"
            problems.error(root / KEYS_PATH, f"the key {mb[:16]}… was revoked from {since} "
                           f"({log.path.name}, entry {seq}), but keys.json {said}: a key's "
                           "revocation cannot be undone", hint="restore keys.json with git "
                           f"(git checkout HEAD -- {KEYS_PATH.as_posix()}); a key that was "
                           "not compromised after all is still replaced by a new one")
    for key in keys:
        if key.revoked and key.public_key_multibase not in logged and logs:
            problems.warn(root / KEYS_PATH, f"the key {key.label} is revoked here, but no "
                          "issuance log records it yet, so an edit of this file could undo it",
                          hint="a maintainer runs 'badgepress resign --key PATH', which "
                               "records it")


def _check_one(root: Path, cfg: SiteConfig, keys: list[PublishedKey], log: Log,
               problems: Problems, memo: dict | None = None) -> None:
    if log.head is None:
        problems.error(root / log.head_path, f"missing, so the {log.uncommitted} entries of "
                       f"{log.path} are signed by no one (a merge or rebase that lost it?)",
                       hint=RESTORE_HINT)
        return
    if log.uncommitted and not log.torn and not (root / JOURNAL).is_file():
        problems.error(root / log.path, f"{log.uncommitted} entries past its signed head "
                       f"{log.head_path.name} (a bad merge resolution?)", hint=RESTORE_HINT)
    for message in _chain_problems(log, memo):
        where, _, text = message.partition(": ")
        file, _, line = where.partition(":")
        problems.error(root / file, text, line=int(line) if line.isdigit() else None,
                       hint=RESTORE_HINT)
    vm = log.head.get("verificationMethod")
    key = key_for_method(cfg, keys, vm)
    if key is None:
        problems.error(root / log.head_path, f"signed with {vm}, which is not a published "
                       "key", hint=RESIGN_HINT)
    elif key.revoked:
        problems.error(root / log.head_path, f"signed with key {vm}, revoked on "
                       f"{key.revoked}", hint=RESIGN_HINT)
    elif not head_signature_ok(log.head, decode_multibase_key(key.public_key_multibase)):
        problems.error(root / log.head_path, "the signature of the log head does not verify",
                       hint=f"the log or its head was edited: restore them with git; only a "
                            f"maintainer's key signs a head ({maintainers(keys)})")


def _chain_problems(log: Log, memo: dict | None) -> list[str]:
    """ledger.check_chain's problems; with a ``memo`` (a dev server's), a log that is the
    last run's entries (the very same objects: ``read_log`` keeps them) plus new ones at
    its end has only those walked on from where the last run stopped."""
    kept = memo.get(("chain", log.name)) if memo is not None else None
    if kept is not None and extends(kept[0], log.entries):
        chain = kept[1]
        tail = log.entries[chain.checked:]
        chain = walk_chain(log, _hashes(tail), chain)
    else:
        chain = walk_chain(log, _entry_hashes(log, memo))
    if memo is not None:
        memo[("chain", log.name)] = (list(log.entries), chain)
    return [*chain.problems, *head_problems(log, chain)]


def _hashes(entries: list[dict]) -> list[str]:
    """entry_hash of each entry, on every core."""
    return [h for _, part in fan_out(_hash_entries, entries, len(entries), chunk=2000)
            for h in part]


def _entry_hashes(log: Log, memo: dict | None) -> list[str]:
    """entry_hash of each entry, on every core; with a ``memo``, only of lines it has not
    hashed before (it then keeps this log's current lines only: bounded by the log)."""
    known: dict[str, str] = memo.get(("entry-hashes", log.name), {}) if memo else {}
    lines: list[str | None] = list(log.lines) if len(log.lines) == len(log.entries) \
        else [None] * len(log.entries)
    hashes = [known.get(line) if line is not None else None for line in lines]
    todo = [i for i, h in enumerate(hashes) if h is None]
    for i, h in zip(todo, _hashes([log.entries[i] for i in todo]), strict=True):
        hashes[i] = h
    if memo is not None and len(log.lines) == len(hashes):
        memo[("entry-hashes", log.name)] = dict(zip(log.lines, hashes, strict=True))
    return [h or "" for h in hashes]


def _hash_entries(entries: list[dict], start: int, end: int) -> list[str]:
    return [entry_hash(e) for e in entries[start:end]]


def withdrawn_entries(logs: list[Log]) -> dict[tuple[str, int], str]:
    """{(status list URL, index): credential id} of withdrawn credentials, in any log: their
    entries stay reserved, and a revoked one's bit stays set."""
    out = {}
    for log in logs:
        for cid, e in log_facts(log).withdrawn.items():
            if (entry := withdrawal_status(e)) is not None:
                out[entry] = cid
    return out


def withdrawal_status(entry: dict) -> tuple[str, int] | None:
    """(status list URL, index) a 'withdraw' log entry recorded ('<url>#<index>'), or None
    when it recorded none."""
    url, _, index = str(entry.get("status", "")).rpartition("#")
    return (url, int(index)) if url and index.isdigit() else None


def check_files(root: Path, expected: Expected, files: dict[str, str],
                keys: list[PublishedKey], problems: Problems,
                withdrawn: list[Log] = (), only: set[str] | None = None) -> None:
    """Every signed file ({path: SHA-256}) against the hash the logs give it; a file a log
    withdrew must not come back. ``only``: just these paths (the others are known good)."""
    removed = {rel: e for log in withdrawn for e in log_facts(log).withdrawn.values()
               for rel in e.get("files", {})}
    for rel, digest in (files.items() if only is None else
                        [(rel, files[rel]) for rel in sorted(only) if rel in files]):
        want = expected.files.get(rel)
        steps = expected.parallel.get(rel, [])
        if want == "" and rel in removed:
            problems.error(root / rel, f"was withdrawn (issuance log entry "
                           f"{removed[rel].get('seq')}) and must not be published",
                           hint="delete the file; to award the badge again, issue a new "
                                "credential")
        elif steps and rel.startswith(str(STATUS_DIR) + "/"):
            sides = " and ".join(f"by {_who(keys, s.log)} at {s.time}" for s in steps)
            conflict = file_conflict(root / rel, rel)
            if conflict:
                problems.error(root / rel, f"{conflict[0]}: it was re-signed on two branches "
                               f"({sides})", line=conflict[1], hint=RECONCILE_HINT)
            else:
                problems.error(root / rel, f"was re-signed on two branches ({sides}); git "
                               "kept at most one side", hint=RECONCILE_HINT)
        elif steps and digest in {s.entry["files"][rel] for s in steps}:
            continue  # a credential both branches re-signed: either signature is the issuer's
        elif want != digest and (conflict := file_conflict(root / rel, rel)):
            # before 'changed since it was logged': the fix is the merge's, not a restore
            problems.error(root / rel, conflict[0], line=conflict[1],
                           hint=_conflict_hint(rel))
        elif want and want != digest and _converted_line_endings(root / rel, want):
            problems.error(root / rel, "has Windows line endings (CRLF) where it was signed "
                           "with LF: git converted it on checkout (core.autocrlf)",
                           hint=LINE_ENDINGS_HINT)
        elif want != digest and _people_file(rel):
            _people_problem(root, rel, want, keys, problems)
        elif want is None:
            problems.error(root / rel, "is not in any issuance log: only a maintainer with an "
                           f"issuer key can issue (keys: {maintainers(keys)})",
                           hint="ask one of them to run 'badgepress issue', and remove this "
                                "file from the pull request")
        elif want != digest:
            problems.error(root / rel, "changed since it was logged (its SHA-256 differs "
                           "from the issuance log)", hint="signed files must not be "
                           "edited: restore it with 'git checkout'" + (
                               "; revocations are made with 'badgepress revoke' (after a "
                               "merge: 'badgepress reconcile --key PATH')"
                               if rel.startswith(str(STATUS_DIR) + "/") else
                               " (to take it off the site, 'badgepress withdraw' it then)"))
    for rel, want in (expected.files.items() if only is None else
                      [(rel, expected.files[rel]) for rel in sorted(only)
                       if rel in expected.files]):
        if want and rel not in files and rel.startswith((str(CREDENTIALS_DIR) + "/",
                                                         str(STATUS_DIR) + "/")):
            problems.error(root / rel, "is listed in the issuance log but missing",
                           hint="restore it with git; to take a credential off the site "
                                "use 'badgepress withdraw' (or 'revoke'), never delete it")


LINE_ENDINGS_HINT = ("signed files must stay byte for byte as signed: add the lines "
                     "'badgepress init' writes to .gitattributes (site_src/credentials/** "
                     "-text, and the same for status/, log/, earners/, issuer/ and "
                     "insights.json), then check them out again: git rm -r -q --cached "
                     "site_src && git checkout HEAD -- site_src")


def _converted_line_endings(path: Path, want: str) -> bool:
    """Whether the file is the logged one with each LF turned into CRLF: what Git for
    Windows' default (core.autocrlf=true) does on checkout to a file it takes for text."""
    try:
        raw = read_regular(path)
    except OSError:
        return False
    return b"\r\n" in raw and sha256_hex(raw.replace(b"\r\n", b"\n")) == want


def _conflict_hint(rel: str) -> str:
    """How to end a merge conflict in a file the logs vouch for, by the command that
    writes it."""
    if rel.startswith(str(STATUS_DIR) + "/"):
        return RECONCILE_HINT
    if rel == INSIGHTS_PATH.as_posix():
        return ("keep one side whole (while merging: 'git checkout --theirs FILE'); a "
                "maintainer can write and log it again with 'badgepress insights'")
    if rel.startswith(EARNERS_DIR.as_posix() + "/"):
        return ("keep one side whole (while merging: 'git checkout --theirs FILE'); a "
                "maintainer can write and log it again with 'badgepress earner EMAIL --page "
                "on'")
    return SIGNED_CONFLICT_HINT


def _people_file(rel: str) -> bool:
    """An earner page file or insights.json: written from the maintainer's earner index."""
    return rel == INSIGHTS_PATH.as_posix() or rel.startswith(EARNERS_DIR.as_posix() + "/")


def _people_problem(root: Path, rel: str, want: str | None, keys: list[PublishedKey],
                    problems: Problems) -> None:
    how = ("'badgepress insights'" if rel == INSIGHTS_PATH.as_posix() else
           "'badgepress earner EMAIL --page on|off'")
    if want is None:
        problems.error(root / rel, "is not in any issuance log: it names earners or their "
                       "figures, which only a maintainer with an issuer key publishes (keys: "
                       f"{maintainers(keys)})", hint=f"remove it; a maintainer runs {how}")
    elif want == "":
        problems.error(root / rel, "was removed by an issuance log entry and must not be "
                       "published again", hint=f"delete it; a maintainer runs {how}")
    else:
        problems.error(root / rel, "changed since it was logged (its SHA-256 differs from "
                       "the issuance log)", hint=f"restore it with 'git checkout', or a "
                       f"maintainer runs {how} again")


def _who(keys: list[PublishedKey], log: str) -> str:
    key = next((k for k in keys if k.public_key_multibase == log), None)
    return key.label if key else log


def check_revocation_records(root: Path, logs: list[Log], revocations: dict[str, Revocation],
                             keys: list[PublishedKey], problems: Problems,
                             memo: dict | None = None) -> None:
    """revocations.toml holds exactly the records the logs carry (legacy entries: by id),
    and no credential was revoked on one branch while renewed on another, unsettled."""
    records, legacy = logged_revocations(logs, memo)
    for rid, r in revocations.items():
        logged = records.get(rid)
        if logged is None and rid not in legacy:
            problems.error(root / REVOCATIONS, f"revokes {rid}, which no issuance log "
                           f"records: only a maintainer can revoke (keys: {maintainers(keys)})",
                           hint="revoke only with 'badgepress revoke'; remove the entry")
        elif logged is not None and logged != r.to_json():
            problems.error(root / REVOCATIONS, f"its record of {rid} differs from the one "
                           "logged", hint="record revocations only with 'badgepress "
                           "revoke'; restore it with git")
    for rid in (set(records) | legacy) - set(revocations):
        problems.error(root / REVOCATIONS, f"lacks the revocation of {rid} that the issuance "
                       "log records (a merge that dropped it?)",
                       hint="restore it with git: .gitattributes should say "
                            "'site_src/revocations.toml merge=union'")
    for r, n in parallel_revoke_and_renew(logs):
        problems.error(root / REVOCATIONS, _parallel_message(keys, r, n), hint=(
            f"decide: if the renewal must go too, run 'badgepress revoke "
            f"{str(n.entry.get('subject')).removeprefix('urn:uuid:')} --reason …'; if it "
            "stands, run 'badgepress reconcile --key PATH' to record that both were seen"))


def _parallel_message(keys: list[PublishedKey], r: Step, n: Step) -> str:
    return (f"{r.entry.get('subject')} was revoked by {_who(keys, r.log)} on {r.time} and, "
            f"on a parallel branch, renewed by {_who(keys, n.log)} on {n.time} as "
            f"{n.entry.get('subject')}")

