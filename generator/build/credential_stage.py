"""Credentials stage: check the issuance log, the status lists and every credential before
anything is rendered.

Order of trust: the log's chain and signed head; every credential and status file against
the SHA-256 the logs recorded (milliseconds for 100,000 files; log_stage.py); dates every
page can show; then the proofs. The signed log is the build's trust anchor: a file whose
SHA-256 matches an entry of logs whose chain and head signatures verify was written by the
holder of an issuer key, so its proof is not re-run (the README's "What the build trusts"
says what an attacker with write access but no key can and cannot do). Such a file still
has its shape checked and its proof's key looked up (published by the issuer, not revoked,
not used after its retirement). Full proof verification runs for every file with
``--verify-all``, for files no log vouches for (which the build refuses anyway), and for a
random sample of the rest on every build (size and seed reported; files a previous build on
this machine verified are not drawn again). Then the signed status lists against
revocations.toml. Any mismatch fails the build, naming the file. Expiry and revocation are
states, not errors: such credentials are published and say so.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
from collections import ChainMap
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from ..content.config import SiteConfig
from ..content.model import Award, Catalog, Evidence, Restated
from ..content.people import UUID_RE
from ..core.dates import timestamp_problem
from ..core.errors import Problems
from ..core.files import UnsafeFile, atomic_write, read_regular
from ..core.paths import (
    CREDENTIALS_DIR,
    EARNERS_DIR,
    INSIGHTS_PATH,
    KEYS_PATH,
    REVOCATIONS,
    STATUS_DIR,
)
from ..core.text import MarkdownError, render_markdown, visible_text
from ..trust.issuer import issuer_documents_by_url, key_for_method, outdated_form
from ..trust.keys import PublishedKey, load_key_history
from ..trust.ledger import Log, sha256_hex
from ..trust.logs import Expected, expected_files, log_facts, renewals
from ..trust.proof import proofs_of
from ..trust.resolve import LocalResolver, OfflineResolver, Resolver
from ..trust.status import entry_of, list_bits, list_name, read_revocations, set_bits
from ..trust.untrusted import JsonProblem, decode_utf8, loads
from ..trust.verify import (
    Check,
    check_dates,
    check_keys,
    check_proof,
    check_shape,
    parse_datetime,
)
from .fanout import fan_out
from .log_stage import (
    RESIGN_HINT,
    UnreadableLog,
    check_files,
    check_logs,
    check_revocation_records,
    withdrawn_entries,
)

CACHE_FILE = Path(".badgepress-cache") / "verified.json"
SAMPLE_SIZE = 32  # proofs re-verified in full per build besides what the log vouches for
WITHDRAW_HINT = ("withdraw it ('badgepress withdraw ID --reason …') and issue it again with "
                 "'badgepress issue'")


def site_documents(cfg: SiteConfig, keys: list[PublishedKey]) -> dict[str, Any]:
    """The site's own issuer documents and status lists by URL: verification inside a site
    needs no network."""
    docs = issuer_documents_by_url(cfg, keys)
    folder = cfg.root / STATUS_DIR
    for p in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            docs[cfg.abs_url(f"status/{p.name}")] = json.loads(read_regular(p))
        except (ValueError, OSError):
            continue
    return docs


def site_resolver(catalog: Catalog) -> LocalResolver:
    return LocalResolver(site_documents(catalog.config, load_key_history(catalog.config.root)),
                         not_this_site(catalog.config))


def not_this_site(cfg: SiteConfig) -> OfflineResolver:
    """What the build says of any other address: it reads only the site's own documents (a
    credential naming another was signed for another site, or before base_url changed)."""
    return OfflineResolver(
        f"it is not a document of this site: the build reads only its own, under its "
        f"base_url {cfg.base_url} (base_url is signed into every credential: it cannot "
        "change once credentials are issued)")


def subject_of(doc: dict[str, Any]) -> dict[str, Any]:
    subject = doc.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and subject else subject
    return subject if isinstance(subject, dict) else {}


def earner_name(doc: dict[str, Any]) -> str:
    """The display name the earner agreed to, without invisible characters that could
    disguise it in titles and link previews (the signed JSON keeps it as it is)."""
    for ident in subject_of(doc).get("identifier", []) or []:
        if isinstance(ident, dict) and ident.get("identityType") == "name" \
                and not ident.get("hashed"):
            return visible_text(str(ident.get("identityHash", ""))).strip()
    return ""


def _evidence(doc: dict[str, Any]) -> tuple[Evidence, ...]:
    """The evidence as shown; MarkdownError when a narrative is nested too deeply."""
    items = doc.get("evidence") or []
    out = []
    for e in items if isinstance(items, list) else [items]:
        if isinstance(e, dict):
            out.append(Evidence(str(e.get("id", "")), str(e.get("name", "")),
                                render_markdown(str(e.get("narrative", "")))
                                if e.get("narrative") else ""))
    return tuple(out)


# the verification cache -------------------------------------------------------------------

class VerifiedCache:
    """SHA-256 of credential bytes fully verified before, under the same published keys.
    Kept outside _site/ (Netlify's build cache may restore it); any key change clears it."""

    def __init__(self, root: Path, keys_digest: str, enabled: bool = True):
        self.path = root / CACHE_FILE
        self.keys_digest = keys_digest
        self.ok: set[str] = set()
        self.fresh: set[str] = set()
        if enabled and self.path.is_file():
            try:
                data = json.loads(read_regular(self.path))
                if data.get("keys") == keys_digest:
                    self.ok = set(data.get("ok", []))
            except (ValueError, OSError, AttributeError):
                self.ok = set()  # a damaged cache is simply rebuilt, never trusted

    def add(self, digest: str) -> None:
        self.fresh.add(digest)

    def save(self, live: set[str]) -> None:
        self.path.parent.mkdir(exist_ok=True)
        keep = sorted((self.ok | self.fresh) & live)

        atomic_write(self.path, json.dumps({"keys": self.keys_digest, "ok": keep}).encode())


# the stage -------------------------------------------------------------------------------

@dataclass
class _File:
    rel: str
    raw: bytes
    digest: str


def _read_files(root: Path, folder: Path, problems: Problems) -> list[_File]:
    out = []
    for p in sorted((root / folder).glob("*.json")) if (root / folder).is_dir() else []:
        try:
            raw = read_regular(p)
        except UnsafeFile as exc:  # swapped in after the scan of load_site
            problems.error(p, exc.message, hint=exc.hint)
            continue
        out.append(_File(p.relative_to(root).as_posix(), raw, sha256_hex(raw)))
    return out


@dataclass(frozen=True)
class Sampling:
    """How many proofs to re-verify in full besides the log's word, drawn how: ``seed``
    None draws a fresh one (printed, so a failing draw can be repeated)."""

    size: int = SAMPLE_SIZE
    seed: int | None = None


DEFAULT_SAMPLING = Sampling()


@dataclass
class ProofReport:
    """What the stage did about proofs, for the build's summary line."""

    credentials: int = 0
    vouched: int = 0  # by the signed log: proof not re-run
    verified: int = 0  # proofs verified in full in this run
    cached: int = 0  # verified in full by an earlier build on this machine
    sampled: int = 0
    seed: int | None = None
    verify_all: bool = False
    sample_paths: list[str] = field(default_factory=list)

    def sentence(self) -> str:
        if self.verify_all:
            return f"{self.credentials} credentials, every proof verified in full"
        return (f"{self.credentials} credentials: {self.vouched} vouched for by the signed "
                f"issuance log, {self.sampled} of them re-verified in full (random sample, "
                f"seed {self.seed}), {self.cached} verified by an earlier build; "
                "--verify-all checks every proof")


def load_awards(catalog: Catalog, problems: Problems, now: datetime, *,
                verify_all: bool = False, progress: Callable[[int, int], None] | None = None,
                resolver: Resolver | None = None, sampling: Sampling = DEFAULT_SAMPLING
                ) -> list[Award]:
    """Every credential of the site, checked against the log and verified; problems name the
    file and the failed step."""
    return CredentialStage(catalog, problems, now, verify_all, resolver, sampling).run(progress)


class CredentialStage:
    """One run of the stage: what every credential is checked against (keys, log, status
    lists, revocations, renewals), read once, then each credential in turn."""

    def __init__(self, catalog: Catalog, problems: Problems, now: datetime,
                 verify_all: bool = False, resolver: Resolver | None = None,
                 sampling: Sampling = DEFAULT_SAMPLING, memo: dict | None = None,
                 files_unchanged: bool = False, rehash: frozenset[str] = frozenset()):
        self.sampling = sampling
        self.memo = memo  # a dev server's: files loaded by earlier builds (load_all)
        # a dev server's file watcher reports no credential file added, removed or written
        # since the last run with this memo: their list and hashes are the last run's
        self.files_unchanged = files_unchanged and memo is not None
        # files the watcher saw written: hashed again even if their size and mtime are
        # the same (a replacement within the same clock tick)
        self.rehash = rehash
        self.verify_all = verify_all
        self.vouched: set[str] = set()  # digests the verified logs vouch for
        self.sample: set[str] = set()
        # a one-off build's single pass (run_once): the verified logs' files, which vouch
        # for each file as it is read, and the paths drawn for the sample
        self.vouching: Expected | None = None
        self.sample_rels: set[str] = set()
        self.report = ProofReport(verify_all=verify_all)
        self.cfg = cfg = catalog.config
        self.root = cfg.root
        self.problems = problems
        self.now = now
        self.keys = load_key_history(self.root)
        keys_file = self.root / KEYS_PATH
        self.keys_digest = sha256_hex(read_regular(keys_file)) if keys_file.is_file() else ""
        self.cache = VerifiedCache(self.root, self.keys_digest, enabled=not verify_all)
        self.resolver = resolver or LocalResolver(site_documents(cfg, self.keys),
                                                  not_this_site(cfg))
        # the key check reads, never changes, the issuer's documents: no copy per file
        self.key_resolver = LocalResolver(self.resolver.documents, self.resolver.fallback,
                                          shared=True) \
            if isinstance(self.resolver, LocalResolver) and resolver is None else self.resolver
        self.by_achievement = {cfg.abs_url(b.url): b.slug for b in catalog.badges}
        self.key_checks: dict[tuple, Check] = {}  # key_check's answers, for this run's keys
        self.owners: dict[tuple[str, int], str] = {}  # status entry -> credential file
        self.logs: list[Log] | None = None  # as checked, for the published records

    def run(self, progress: Callable[[int, int], None] | None = None) -> list[Award]:
        if self.memo is None:
            return self.run_once(progress)
        root, cfg, problems = self.root, self.cfg, self.problems
        # what every file was loaded under
        context = (self.keys_digest, cfg, tuple(sorted(self.by_achievement.items())))
        if self.memo.get("context") != context:
            self.memo.clear()
            self.memo["context"] = context
        credential_files = self.hash_credentials()
        status_files, people_files = _other_signed_files(root, problems)
        try:
            before = len(problems.errors)
            logs = check_logs(root, cfg, self.keys, problems, self.memo)
            expected = expected_files(logs, self.memo)
            others = {f.rel: f.digest for f in status_files + people_files}
            if len(problems.errors) == before:  # every chain and head signature verified
                self.check_files(expected, logs, credential_files, others)
            else:
                check_files(root, expected, {**self.digests(credential_files)[0], **others},
                            self.keys, problems, withdrawn=logs)
                self.memo.pop("checked", None)
        except UnreadableLog:
            logs = None
        self.logs = logs
        self.draw_sample(credential_files)
        self.withdrawn = withdrawn_entries(logs or [])
        self.lists = _check_status_lists(cfg, status_files, self.resolver, problems,
                                         self.now)
        self.revocations = _revocations(root, problems)
        if logs is not None:  # an unreadable log is one problem, not one per record
            check_revocation_records(root, logs, self.revocations, self.keys, problems,
                                     self.memo)
        self.renewals = renewals(logs or [], self.memo)
        self.renewed_from = _renewed_from(self.renewals)
        results = self.load_all(credential_files, progress)
        awards = self.restated(credential_files, results)
        if awards is None:
            awards = self.state_all(credential_files, results)
        return self.finish(awards, credential_files)

    def run_once(self, progress: Callable[[int, int], None] | None = None) -> list[Award]:
        """``run`` for a one-off build (no dev server's memo): the logs first, then each
        credential file read, hashed, vouched for (or not) and loaded in one pass on every
        core, where ``run`` reads and hashes every file before it loads them (which a dev
        server's rebuilds need: they load only files whose hash changed). Each file is
        judged as ``run`` judges it: vouched for when a verified log gives its path these
        bytes (``_logged``, the test ``check_files`` applies), in the sample when drawn
        (``draw_sample_from_logs``), then ``check_files`` over all the hashes."""
        root, cfg, problems = self.root, self.cfg, self.problems
        paths = self.credential_paths()
        status_files, people_files = _other_signed_files(root, problems)
        try:
            before = len(problems.errors)
            logs: list[Log] | None = check_logs(root, cfg, self.keys, problems)
            expected = expected_files(logs)
            if len(problems.errors) == before:  # every chain and head signature verified
                self.vouching = expected
        except UnreadableLog:
            logs = None
        self.logs = logs
        self.draw_sample_from_logs(paths)
        # what loading a credential states it by; its problems are reported where ``run``
        # reports them, after those of the files' hashes and of the status lists
        self.withdrawn = withdrawn_entries(logs or [])
        later = Problems(root)
        self.revocations = _revocations(root, later)
        self.renewals = renewals(logs or [])
        self.renewed_from = _renewed_from(self.renewals)
        credential_files, results = self.read_and_load(paths, progress)
        if logs is not None:
            others = {f.rel: f.digest for f in status_files + people_files}
            if self.vouching is not None:
                self.check_files(expected, logs, credential_files, others)
            else:
                check_files(root, expected, {**self.digests(credential_files)[0], **others},
                            self.keys, problems, withdrawn=logs)
        self.lists = _check_status_lists(cfg, status_files, self.resolver, problems,
                                         self.now)
        problems.items.extend(later.items)
        if logs is not None:
            check_revocation_records(root, logs, self.revocations, self.keys, problems)
        awards = self.state_all(credential_files, results)
        return self.finish(awards, credential_files)

    def finish(self, awards: list[Award], credential_files: list[_File]) -> list[Award]:
        """Both runs' end: status lists against revocations, the verification cache, the
        count."""
        _check_revocations_match(self.root, self.cfg, self.by_id(awards), self.lists,
                                 self.revocations, self.owners, self.withdrawn,
                                 self.problems)
        if not self.problems.errors:
            self.cache.save(self.digests(credential_files)[1])
        self.report.credentials = len(credential_files)
        return awards

    def credential_paths(self) -> list[str]:
        """The credential files' paths from the site folder, sorted, as text (the names
        glob("*.json") gives, without a Path per file)."""
        folder = self.root / CREDENTIALS_DIR
        prefix = CREDENTIALS_DIR.as_posix() + "/"
        if not folder.is_dir():
            return []
        with os.scandir(folder) as entries:
            return sorted(prefix + e.name for e in entries if e.name.endswith(".json"))

    def read_and_load(self, paths: list[str], progress
                      ) -> tuple[list[_File], dict[str, tuple]]:
        """Every file of ``paths`` read, hashed and loaded, on every core: (the files
        read, in path order, without their bytes; {path: load result})."""
        self.paths = paths
        files: dict[str, _File] = {}
        results: dict[str, tuple] = {}
        for done, (found, problems, loaded) in fan_out(_read_load_range, self, len(paths)):
            for f in found:
                files[f.rel] = f
            self.problems.items.extend(problems)
            self.take_counts(loaded)
            for rel, _, result in loaded.results:
                results[rel] = result
            if progress:
                progress(done, len(paths))
        self.loaded_now = set(results)
        return [files[rel] for rel in paths if rel in files], results

    def take_counts(self, loaded: _Loaded) -> None:
        """A range's report counts and fully verified digests, added to this stage's."""
        self.cache.fresh |= loaded.fresh
        for name, n in loaded.counts.items():
            setattr(self.report, name, getattr(self.report, name) + n)

    def draw_sample_from_logs(self, paths: list[str]) -> None:
        """``draw_sample`` before the files are read: among the credential paths a verified
        log gives bytes no earlier build verified. While every file has the bytes its log
        gives (else the build fails), that is the pool ``draw_sample`` draws from, in the
        same order: the same seed draws the same files."""
        seed = self.sample_seed()
        expected = self.vouching
        if self.sampling.size == 0 or expected is None:
            return
        ok = self.cache.ok

        def logged(rel: str) -> bool:
            digests = [s.entry.get("files", {}).get(rel) for s in expected.parallel.get(rel, [])]
            digests.append(expected.files.get(rel))
            return any(d is not None and d not in ok for d in digests)

        pool = [rel for rel in paths if logged(rel)]
        drawn = random.Random(seed).sample(pool, min(self.sampling.size, len(pool)))
        self.sample_rels = set(drawn)
        self.report.sampled = len(drawn)
        self.report.sample_paths = sorted(drawn)

    def by_id(self, awards: list[Award]) -> dict[str, Award]:
        """{credential id: award}; a dev server's is patched for the few awards a
        revocation restated (same ids, same places) instead of made again."""
        kept = self.memo.get("by-id") if self.memo is not None else None
        if kept is not None and isinstance(awards, Restated) and awards.before is kept[0] \
                and len(kept[1]) == len(awards):  # no id held by two credentials
            by_id = dict(kept[1])
            for i in awards.positions:
                by_id[awards[i].id] = awards[i]
        else:
            by_id = {a.id: a for a in awards}
        if self.memo is not None:
            self.memo["by-id"] = (awards, by_id)
        return by_id

    def digests(self, files: list[_File]) -> tuple[dict[str, str], set[str]]:
        """({path: SHA-256}, {SHA-256}) of the credential files; a dev server's are kept
        while the list of files is the same (a revocation changes none of them)."""
        kept = self.memo.get("credential-digests") if self.memo is not None else None
        if kept is None or kept[0] is not files:
            by_path = {f.rel: f.digest for f in files}
            kept = (files, by_path, set(by_path.values()))
            if self.memo is not None:
                self.memo["credential-digests"] = kept
        return kept[1], kept[2]

    def check_files(self, expected: Expected, logs: list[Log], credential_files: list[_File],
                    others: dict[str, str]) -> None:
        """log_stage.check_files over every signed file's SHA-256 (the credential files',
        and ``others``: path -> SHA-256 of the status lists and people files), and the
        digests of the credential files a log entry gives these exact bytes
        (``vouched``), when every log verified.

        A dev server's rebuild checks only the paths whose file or logged hash changed
        since the last run, when that run found no problem in the logs, neither run had
        parallel branches and the withdrawals are the same: each path's verdict depends
        on nothing else. It keeps that run's ``vouched`` when the credential files are
        that run's and no credential path changed."""
        memo = self.memo
        last = memo.pop("checked", None) if memo is not None else None
        withdrawn = [log_facts(log).withdrawn for log in logs]
        credentials = self.digests(credential_files)[0]
        only = None
        if (last is not None and not expected.parallel and not last.expected.parallel
                and last.withdrawn == withdrawn):
            since = expected.since
            logged = (since[1] if since is not None and since[0] is last.expected.files
                      else _changed_keys(last.expected.files, expected.files))
            only = (_changed_keys(last.credentials, credentials)
                    | _changed_keys(last.others, others) | logged)
        before = len(self.problems.errors)
        check_files(self.root, expected, ChainMap(others, credentials) if only is not None
                    else {**credentials, **others}, self.keys, self.problems,
                    withdrawn=logs, only=only)
        if len(self.problems.errors) != before:
            return
        prefix = CREDENTIALS_DIR.as_posix() + "/"
        if (only is not None and last.files is credential_files
                and not any(p.startswith(prefix) for p in only)):
            self.vouched = last.vouched
        else:
            self.vouched = {f.digest for f in credential_files
                            if _logged(expected, f.rel, f.digest)}
        if memo is not None:
            memo["checked"] = _Checked(credentials, others, expected, withdrawn,
                                       credential_files, self.vouched)

    def state_all(self, files: list[_File], results: dict[str, tuple]) -> list[Award]:
        """Each file's problems, the status list entry it claims, and its award with its
        state now. A dev server keeps the outcome when it raised no problem (``restated``
        starts from it)."""
        awards: list[Award] = []
        problems = self.problems
        before = len(problems.items)
        for f in files:
            award, entry, found, dates = results[f.rel]
            problems.items.extend(found)
            if entry is not None:
                self.claim_status_entry(f.rel, entry)
            if award is not None:  # loaded in this run: stated already, by its worker
                awards.append(award if f.rel in self.loaded_now else
                              self.restate(award, dates))
        if self.memo is not None:
            self.memo.pop("stated", None)
            if len(problems.items) == before:
                self.memo["stated"] = _Stated(
                    files, results, self.owners, awards, {a.id: i for i, a in
                                                          enumerate(awards)},
                    self.revocations, self.renewals, self.renewed_from, self.withdrawn,
                    self.now, _horizon(results, self.now))
        return awards

    def restated(self, files: list[_File], results: dict[str, tuple]) -> list[Award] | None:
        """The last run's awards, with only those whose revocation or renewal changed
        stated again: a dev server's rebuild after a revocation, when the credential files,
        the results of loading them and the withdrawn entries are the last run's, and no
        credential's validFrom or validUntil lies between the last run and now. None when
        that does not hold (then every award is stated)."""
        last = self.memo.get("stated") if self.memo is not None else None
        if (last is None or last.files is not files or self.loaded_now
                or (last.results is not results and (
                    last.results.keys() != results.keys()
                    or any(results[rel] is not r for rel, r in last.results.items())))
                or last.withdrawn != self.withdrawn
                or not last.now <= self.now < last.horizon):
            return None
        changed = (_changed_keys(last.revocations, self.revocations)
                   | _changed_keys(last.renewals, self.renewals)
                   | _changed_keys(last.renewed_from, self.renewed_from))
        awards = Restated(last.awards, last.awards, [])
        positions = []
        for cid in changed:
            i = last.position.get(cid)
            if i is not None:
                award, _, _, dates = results[awards[i].source]
                awards[i] = self.restate(award, dates)
                positions.append(i)
        awards.positions = sorted(set(positions))
        self.owners = last.owners
        self.memo["stated"] = replace(last, awards=awards, revocations=self.revocations,
                                      renewals=self.renewals, renewed_from=self.renewed_from,
                                      now=self.now)
        return awards

    def load_all(self, files: list[_File], progress) -> dict[str, tuple]:
        """{path: (award, status entry, problems, what its dates are judged by)} of every
        file; with a ``memo`` (a dev server's), only files not loaded before with these
        bytes, keys, badges and log standing are loaded again."""
        memo = self.memo if self.memo is not None else {}
        last = memo.get("loaded")
        if (last is not None and last[0] is files and last[1] is self.vouched
                and not self.sample):  # every file a hit: the very same results
            self.files, self.loaded_now = [], set()
            self.report.cached += len(files)
            return last[2]
        results: dict[str, tuple] = {}
        self.files = []
        for f in files:
            hit = memo.get((f.rel, f.digest, f.digest in self.vouched))
            if hit is not None and f.digest not in self.sample:
                results[f.rel] = hit
            else:
                self.files.append(f)
        self.loaded_now = {f.rel for f in self.files}
        for done, loaded in fan_out(_load_range, self, len(self.files)):
            self.take_counts(loaded)
            for rel, digest, result in loaded.results:
                results[rel] = memo[(rel, digest, digest in self.vouched)] = result
            if progress:
                progress(done, len(self.files))
        self.report.cached += len(files) - len(self.files)
        if self.memo is not None:
            memo["loaded"] = (files, self.vouched, results)
        return results

    def hash_credentials(self) -> list[_File]:
        """(path, SHA-256) of every credential file, read on every core; the bytes are
        not kept (each worker reads its files again, from the page cache, to load them)."""
        if self.files_unchanged and "files" in self.memo:
            return self.memo["files"]
        files = self._hash_credentials()
        if self.memo is not None:
            self.memo["files"] = files
        return files

    def _hash_credentials(self) -> list[_File]:
        paths = self.credential_paths()
        root = str(self.root)
        # a dev server's: the digest of each file whose size and mtime did not change
        known: dict[str, tuple[int, int, str]] = (
            self.memo.setdefault("digests", {}) if self.memo is not None else {})
        files: dict[str, _File] = {}
        self.paths = []
        for rel in paths:
            hit = known.get(rel)
            if hit is not None and rel not in self.rehash:
                try:
                    st = os.stat(os.path.join(root, rel), follow_symlinks=False)
                except OSError:
                    st = None
                if st is not None and (st.st_size, st.st_mtime_ns) == hit[:2]:
                    files[rel] = _File(rel, b"", hit[2])
                    continue
            self.paths.append(rel)
        for _, (found, problems) in fan_out(_hash_range, self, len(self.paths), chunk=1000):
            for f, stamp in found:
                files[f.rel] = f
                if self.memo is not None and stamp is not None:
                    known[f.rel] = (*stamp, f.digest)
            self.problems.items.extend(problems)
        return [files[rel] for rel in paths if rel in files]

    def sample_seed(self) -> int:
        """The sample's seed: the one asked for, else a fresh one (reported either way, so
        a failing draw can be repeated)."""
        seed = self.sampling.seed
        if seed is None:
            seed = random.SystemRandom().randrange(2**32)
        self.report.seed = seed
        return seed

    def draw_sample(self, files: list[_File]) -> None:
        """The files whose proofs are re-verified in full although the log vouches for
        them: drawn among those no earlier build on this machine verified."""
        seed = self.sample_seed()
        if self.sampling.size == 0:  # a dev server's rebuild: no draw, no pool to sort
            self.sample, self.report.sampled, self.report.sample_paths = set(), 0, []
            return
        pool = sorted((f.rel, f.digest) for f in files
                      if f.digest in self.vouched and f.digest not in self.cache.ok)
        drawn = random.Random(seed).sample(pool, min(self.sampling.size, len(pool)))
        self.sample = {digest for _, digest in drawn}
        self.report.seed = seed
        self.report.sampled = len(drawn)
        self.report.sample_paths = sorted(rel for rel, _ in drawn)

    def load_one(self, f: _File
                 ) -> tuple[Award | None, tuple[str, int] | None, dict[str, Any]]:
        """One credential file: authentic, of this site, for one of its badges; with the
        status list entry it claims (claimed by the caller, in file order) and what its
        dates are judged by."""
        path = self.root / f.rel
        try:
            raw = read_regular(path)
        except (UnsafeFile, OSError) as exc:
            self.problems.error(path, getattr(exc, "message", str(exc)))
            return None, None, {}
        if sha256_hex(raw) != f.digest:
            self.problems.error(path, "changed while the site was being built",
                                hint="build again")
            return None, None, {}
        return self.load_read(path, _File(f.rel, raw, f.digest))

    def load_read(self, path: Path | str, f: _File
                  ) -> tuple[Award | None, tuple[str, int] | None, dict[str, Any]]:
        """``load_one`` of a file read already (``f.raw``, hashed as ``f.digest``)."""
        doc, unreadable = read_document(f.raw)
        if unreadable:
            self.problems.error(path, unreadable, hint="restore the file from git; a signed "
                                "credential must not be edited by hand")
            return None, None, {}
        if not self.authentic(path, f, doc):
            return None, None, {}
        slug = self.badge_of(path, f, doc)
        if slug is None:
            return None, None, {}
        if not self.dates_readable(path, doc):
            return None, None, {}
        entry = entry_of(doc)
        try:
            evidence = _evidence(doc)
        except MarkdownError as exc:
            self.problems.error(path, f"its evidence narrative cannot be shown: {exc.message}",
                                hint=WITHDRAW_HINT)
            return None, entry, {}
        return self.award(path, f, doc, slug, evidence), entry, _dates_of(doc)

    def dates_readable(self, path: Path | str, doc: dict[str, Any]) -> bool:
        """validFrom and validUntil in the form every verifier and page can read: a signed
        credential from before issue checked its --date could carry '202-03-01…'."""
        ok = True
        for key in ("validFrom", "validUntil"):
            if key in doc or key == "validFrom":
                why = timestamp_problem(doc.get(key))
                if why:
                    self.problems.error(path, f"its {key} is unusable: {why}", field=key,
                                        hint=WITHDRAW_HINT)
                    ok = False
        return ok

    def authentic(self, path: Path | str, f: _File, doc: dict[str, Any]) -> bool:
        """Format, issuer key and signature in full, unless these exact bytes verified
        before (the local cache) or the signed log vouches for them (shape and key only)."""
        if f.digest in self.cache.ok and not self.verify_all:
            self.report.cached += 1
            return True
        if self.vouching is not None:  # run_once: judged as the file is read
            vouched = _logged(self.vouching, f.rel, f.digest)
            sampled = f.rel in self.sample_rels
        else:
            vouched, sampled = f.digest in self.vouched, f.digest in self.sample
        if vouched and not sampled and not self.verify_all:
            self.report.vouched += 1
            found = check_shape(doc, f.raw) or self.key_check(doc)  # the key if in shape
            bad = [] if found.status == "pass" else [found]
            for c in bad:
                self.problems.error(path, f"{c.check} check failed: {c.message}",
                                    hint=self.hint_for(c, doc))
            return not bad and not self.signed_after_retirement(path, doc)
        if vouched:
            self.report.vouched += 1
        self.report.verified += 1
        fmt, key, sig = check_proof(doc, self.resolver)
        bad = [c for c in (fmt, key.check, sig) if c.status != "pass"]
        for c in bad:
            self.problems.error(path, f"{c.check} check failed: {c.message}",
                                hint=self.hint_for(c, doc))
        if bad:
            return False
        if self.signed_after_retirement(path, doc):
            return False
        self.cache.add(f.digest)
        return True

    def signed_after_retirement(self, path: Path | str, doc: dict[str, Any]) -> bool:
        """A retired key stays valid for what it signed before its rotation, never after."""
        for p in proofs_of(doc):
            key = key_for_method(self.cfg, self.keys, p.get("verificationMethod"))
            if key and key.retired and str(p.get("created", "")) > key.retired:
                self.problems.error(path, f"signed on {p.get('created')} with key "
                                    f"{key.public_key_multibase}, retired on {key.retired}",
                                    hint="a retired key signs nothing new: remove this file "
                                         "and issue it again with the current key")
                return True
        return False

    def hint_for(self, check: Check, doc: dict[str, Any]) -> str:
        """How to fix a failed proof: re-sign what a revoked key or badgepress 0.1 signed."""
        if check.code in ("issuer.revoked", "issuer.expired"):
            return RESIGN_HINT
        if check.code == "issuer.not_listed" and outdated_form(self.cfg, self.keys, doc) - {""}:
            return ("signed with a key id of badgepress 0.1, which HTTP document loaders "
                    "cannot resolve: run 'badgepress resign --key PATH' once to move the site "
                    "to per-key documents (README: Upgrading from 0.1)")
        return "a signed credential must not be edited; reissue it with 'badgepress issue'"

    def key_check(self, doc: dict[str, Any]) -> Check:
        """``check_keys`` of a logged file: the same answer for each credential whose
        issuer and proofs name the same key the same way (100,000 credentials, a handful
        of keys), so it is remembered by what it reads of them, when that is plain text."""
        memo_key = _key_check_key(doc)
        found = self.key_checks.get(memo_key) if memo_key is not None else None
        if found is None:
            found = check_keys(doc, self.key_resolver).check
            if memo_key is not None:
                self.key_checks[memo_key] = found
        return found

    def badge_of(self, path: Path | str, f: _File, doc: dict[str, Any]) -> str | None:
        """The slug of the site's badge the credential is for; None (and a problem) when
        its file name, issuer or achievement do not belong to this site."""
        uuid = str(doc.get("id", "")).removeprefix("urn:uuid:")
        if not UUID_RE.match(uuid) or f.rel.rsplit("/", 1)[-1].removesuffix(".json") != uuid:
            self.problems.error(path, f"the file name must be the credential's urn:uuid id "
                                f"({uuid}.json)", hint="rename the file")
            return None
        issuer = doc["issuer"]["id"] if isinstance(doc["issuer"], dict) else doc["issuer"]
        if issuer != self.cfg.issuer_id:
            self.problems.error(path, f"issued by {issuer}, not by this site's issuer "
                                f"{self.cfg.issuer_id}",
                                hint="only this site's own credentials can be published here")
            return None
        achievement_id = subject_of(doc).get("achievement", {}).get("id")
        slug = self.by_achievement.get(achievement_id)
        if slug is None:
            self.problems.error(path, f"its achievement {achievement_id} is no badge of this "
                                "site", hint="keep the badge file (mark it 'status: retired' "
                                "instead of deleting it)")
        return slug

    def claim_status_entry(self, rel: str, entry: tuple[str, int]) -> None:
        """A status list entry belongs to one credential only (the file's Path made only
        for a problem: 100,000 of them cost the build's serial part 0.25 s)."""
        if list_name(self.cfg.base_url, entry[0]) is None:
            self.problems.error(self.root / rel, f"its status list {entry[0]} is not one of "
                                "this site's lists")
        elif entry in self.withdrawn:
            self.problems.error(self.root / rel, f"uses status list entry {entry[1]} of "
                                f"{entry[0]}, reserved for the withdrawn credential "
                                f"{self.withdrawn[entry]}",
                                hint="reissue it with 'badgepress issue'")
        elif entry in self.owners:
            self.problems.error(self.root / rel, f"shares status list entry {entry[1]} of "
                                f"{entry[0]} with {self.owners[entry]}", hint="two credentials "
                                "issued on parallel branches: revoke one and reissue it")
        else:
            self.owners[entry] = rel

    def award(self, path: Path | str, f: _File, doc: dict[str, Any], slug: str,
              evidence: tuple[Evidence, ...]) -> Award:
        """The model of the credential at ``path`` that passed every check, with its
        current state (made once: a frozen dataclass made again by ``replace`` costs as
        much again)."""
        cid = doc["id"]
        return Award(uuid=f.rel.rsplit("/", 1)[-1].removesuffix(".json"), source=f.rel,
                     file=str(path),
                     digest=f.digest, id=cid,
                     badge_slug=slug, earner_name=earner_name(doc),
                     valid_from=str(doc.get("validFrom", "")),
                     valid_until=str(doc.get("validUntil", "")), evidence=evidence,
                     **self.state_of(cid, doc))

    def restate(self, award: Award, dates_doc: dict[str, Any]) -> Award:
        """``award`` with its state now: dates, revocation, renewals."""
        return replace(award, **self.state_of(award.id, dates_doc))

    def state_of(self, cid: str, dates_doc: dict[str, Any]) -> dict[str, str]:
        """The fields of an award that say its state now."""
        revoked = self.revocations.get(cid)
        dates = check_dates(dates_doc, self.now)
        state = {"dates.expired": "expired", "dates.not_yet": "not-yet-valid"}.get(
            dates.code, "valid")
        if revoked:
            state = "revoked"
        renewed_by = self.renewals.get(cid, "")
        renews = self.renewed_from.get(cid, "")
        return {"state": state, "revoked_on": revoked.date if revoked else "",
                "revoked_reason": revoked.reason if revoked and revoked.public else "",
                "renews": renews.removeprefix("urn:uuid:"),
                "renewed_by": renewed_by.removeprefix("urn:uuid:")}


@dataclass(frozen=True)
class _Stated:
    """A run's outcome for the credential files, as ``CredentialStage.restated`` needs it
    to state the next run's awards without going through all of them."""

    files: list[_File]
    results: dict[str, tuple]
    owners: dict[tuple[str, int], str]
    awards: list[Award]
    position: dict[str, int]  # credential id -> its index in ``awards``
    revocations: dict[str, Any]
    renewals: dict[str, str]
    renewed_from: dict[str, str]
    withdrawn: dict[tuple[str, int], str]
    now: datetime
    horizon: datetime  # the first validFrom or validUntil after ``now``


@dataclass(frozen=True)
class _Checked:
    """What the last run's file check was given, when it found no problem in the logs or
    the files: path -> SHA-256 of the credential files and of the other signed files, the
    logged hashes, the withdrawals, the credential files; and the digests it found vouched
    for."""

    credentials: dict[str, str]
    others: dict[str, str]
    expected: Expected
    withdrawn: list[dict[str, Any]]
    files: list[_File]
    vouched: set[str]


def _changed_keys(old: dict, new: dict) -> set:
    """Keys whose value differs between two dicts (added, removed or changed); one pass
    over ``new`` (100,000 paths after a revocation), and over ``old`` only when it has a
    key ``new`` lacks."""
    if old is new or old == new:
        return set()
    out = set()
    shared = 0
    for k, v in new.items():
        was = old.get(k, _GONE)
        if was is not _GONE:
            shared += 1
        if was != v:
            out.add(k)
    if shared != len(old):
        out.update(k for k in old if k not in new)
    return out


_GONE = object()


def _horizon(results: dict[str, tuple], now: datetime) -> datetime:
    """The first moment after ``now`` at which a credential's dates make it valid or
    expired: until then no credential's state moves with time."""
    first = datetime.max.replace(tzinfo=now.tzinfo)
    for award, _, _, dates in results.values():
        if award is None:
            continue
        for key in ("validFrom", "validUntil", "issuanceDate", "expirationDate"):
            value = dates.get(key)
            if value is None:
                continue
            try:
                when = parse_datetime(value)
                if now < when < first:
                    first = when
            except (ValueError, TypeError):
                return now  # unreadable: judge every credential again next time
    return first


def _dates_of(doc: dict[str, Any]) -> dict[str, Any]:
    """What check_dates reads of a credential, kept with a loaded award so that its state
    can be judged again without its file (a dev server's rebuilds)."""
    return {k: doc[k] for k in ("@context", "validFrom", "validUntil", "issuanceDate",
                                "expirationDate") if k in doc}


@dataclass
class _Loaded:
    """A worker's share of the credentials: (file, digest, (award or None, status entry
    it claims, its problems, its dates)), its counts for the report, and the digests it
    verified in full."""

    results: list[tuple[str, str, tuple]]
    counts: dict[str, int]
    fresh: set[str]


_COUNTS = ("cached", "vouched", "verified")


def _load_range(stage: CredentialStage, start: int, end: int) -> _Loaded:
    """Load files ``start:end`` of the stage (``run``'s files, hashed before)."""
    return _load_files(stage, stage.files[start:end], stage.load_one)


def _read_load_range(stage: CredentialStage, start: int, end: int
                     ) -> tuple[list[_File], list, _Loaded]:
    """``run_once``'s pass over paths ``start:end``: each file read once, hashed and
    loaded; (the files read, without their bytes; the problems of those that could not be
    read; what ``_load_range`` returns for the others)."""
    root = str(stage.root)
    unreadable = Problems(stage.root)
    read: list[_File] = []
    paths: dict[str, str] = {}  # rel -> the path as text, joined once per file
    for rel in stage.paths[start:end]:
        # text: a Path per file costs more than its hash (problems take either)
        path = paths[rel] = os.path.join(root, rel)
        try:
            raw = read_regular(path)
        except UnsafeFile as exc:  # swapped in after the scan of load_site
            unreadable.error(stage.root / rel, exc.message, hint=exc.hint)
            continue
        read.append(_File(rel, raw, sha256_hex(raw)))
    loaded = _load_files(stage, read, lambda f: stage.load_read(paths[f.rel], f))
    return [_File(f.rel, b"", f.digest) for f in read], unreadable.items, loaded


def _load_files(stage: CredentialStage, files: list[_File],
                load: Callable[[_File], tuple]) -> _Loaded:
    """``load`` of each file; everything it changes on the stage is handed back and reset,
    so a worker process and this process behave the same."""
    problems, stage.problems = stage.problems, Problems(stage.root)
    before = {name: getattr(stage.report, name) for name in _COUNTS}
    fresh_before = set(stage.cache.fresh)
    try:
        loaded = []
        for f in files:
            stage.problems = Problems(stage.root)
            award, entry, dates = load(f)
            loaded.append((f.rel, f.digest, (award, entry, stage.problems.items, dates)))
        return _Loaded(loaded, {n: getattr(stage.report, n) - before[n] for n in _COUNTS},
                       stage.cache.fresh - fresh_before)
    finally:
        stage.problems = problems
        for name, value in before.items():
            setattr(stage.report, name, value)
        stage.cache.fresh = fresh_before


def _hash_range(stage: CredentialStage, start: int, end: int
                ) -> tuple[list[tuple[_File, tuple[int, int] | None]], list]:
    """(file, its size and mtime taken before it was read) for ``start:end``: a file
    changed after the stat has a newer stamp next time, so it is hashed again."""
    problems = Problems(stage.root)
    files = []
    root = str(stage.root)
    stamps = stage.memo is not None  # a one-off build keeps no stamps: no stat
    for rel in stage.paths[start:end]:
        path = os.path.join(root, rel)  # text: a Path per file costs more than its hash
        stamp: tuple[int, int] | None = None
        if stamps:
            with contextlib.suppress(OSError):  # gone: no stamp, hashed again next time
                st = os.stat(path, follow_symlinks=False)
                stamp = (st.st_size, st.st_mtime_ns)
        try:
            raw = read_regular(path)
        except UnsafeFile as exc:  # swapped in after the scan of load_site
            problems.error(stage.root / rel, exc.message, hint=exc.hint)
            continue
        files.append((_File(rel, b"", sha256_hex(raw)), stamp))
    return files, problems.items


def _other_signed_files(root: Path, problems: Problems) -> tuple[list[_File], list[_File]]:
    """The status lists, and the earner pages and program figures (vouched for by the logs
    like the credentials), read and hashed."""
    status = _read_files(root, STATUS_DIR, problems)
    people = _read_files(root, EARNERS_DIR, problems) + [
        f for f in _read_files(root, INSIGHTS_PATH.parent, problems)
        if f.rel == INSIGHTS_PATH.as_posix()]
    return status, people


def _renewed_from(renewed: dict[str, str]) -> dict[str, str]:
    """{successor id: the credential it renewed} (the first, if a log named two)."""
    out: dict[str, str] = {}
    for old, new in renewed.items():
        out.setdefault(new, old)
    return out


def _key_check_key(doc: dict[str, Any]) -> tuple | None:
    """Everything ``check_keys`` reads of a document (the issuer's id and name, each proof's
    type, key and creation time), or None when any of it is not plain text or absent."""
    issuer = doc.get("issuer")
    who = (issuer.get("id"), issuer.get("name")) if isinstance(issuer, dict) else (issuer,)
    proofs = proofs_of(doc)
    if not proofs or any(not isinstance(p, dict) for p in proofs):
        return None
    keys = tuple((p.get("type"), p.get("verificationMethod"), p.get("created"))
                 for p in proofs)
    plain = all(type(v) is str for v in who) and all(type(v) is str for k in keys for v in k)
    return (who, keys) if plain else None


def _logged(expected: Expected, rel: str, digest: str) -> bool:
    """Whether a log entry gives this file these exact bytes."""
    return expected.files.get(rel) == digest or any(
        s.entry.get("files", {}).get(rel) == digest for s in expected.parallel.get(rel, []))


def read_document(raw: bytes) -> tuple[Any, str]:
    """A credential or status list file read as both verifiers read it (strict JSON,
    bounded depth and size), or the sentence saying why it cannot be."""
    try:
        return loads(decode_utf8(raw)), ""
    except JsonProblem as exc:
        return None, Check("format", "fail", exc.code, exc.params).message
    except ValueError as exc:
        return None, str(exc)


def _check_status_lists(cfg: SiteConfig, files: list[_File], resolver: Resolver,
                        problems: Problems, now: datetime) -> dict[str, set[int]]:
    """{list URL: revoked indexes} of the lists that verify."""
    lists: dict[str, set[int]] = {}
    for f in files:
        url = cfg.abs_url(f"status/{Path(f.rel).name}")
        doc, unreadable = read_document(f.raw)
        if unreadable:
            problems.error(cfg.root / f.rel, unreadable)
            continue
        fmt, key, sig = check_proof(doc, resolver)
        bad = [c for c in (fmt, key.check, sig) if c.status != "pass"]
        for c in bad:
            problems.error(cfg.root / f.rel, f"{c.check} check failed: {c.message}",
                           hint=RESIGN_HINT if c.code == "issuer.revoked" else None)
        if bad:
            continue
        if doc.get("id") != url:
            problems.error(cfg.root / f.rel, f"its id is {doc.get('id')}, but it is published "
                           f"at {url}", hint="status lists are named status/<name>.json")
            continue
        try:
            lists[url] = set_bits(list_bits(doc))
        except (ValueError, KeyError, OSError) as exc:
            problems.error(cfg.root / f.rel, f"its encodedList cannot be read: {exc}")
    return lists


def _revocations(root: Path, problems: Problems) -> dict[str, Any]:
    try:
        return {r.id: r for r in read_revocations(root)}
    except ValueError as exc:
        problems.error(root / REVOCATIONS, str(exc), hint="fix the TOML, or restore it with git")
        return {}


def _check_revocations_match(root: Path, cfg: SiteConfig, by_id: dict[str, Award],
                             lists: dict[str, set[int]], revocations: dict[str, Any],
                             owners: dict[tuple[str, int], str],
                             withdrawn: dict[tuple[str, int], str], problems: Problems) -> None:
    """revocations.toml is the source of truth; the signed lists must say exactly the same.
    ``by_id``: every award by credential id."""
    entry_of_withdrawn = {cid: entry for entry, cid in withdrawn.items()}
    for rid in revocations:
        award = by_id.get(rid)
        if award is None and rid in entry_of_withdrawn:
            url, index = entry_of_withdrawn[rid]  # its copies handed out must stay revoked
            if url in lists and index not in lists[url]:
                problems.error(root / REVOCATIONS, f"revokes the withdrawn {rid}, but its "
                               f"entry {index} is not set in the signed list {url}",
                               hint="run 'badgepress reconcile --key PATH' to re-sign the "
                                    "list")
            continue
        if award is None:
            uid = rid.removeprefix("urn:uuid:")
            if not (root / CREDENTIALS_DIR / f"{uid}.json").is_file():
                problems.error(root / REVOCATIONS, f"revokes {rid}, which is no credential "
                               "of this site", hint="remove the entry")
            continue  # a credential that failed its own checks is reported on its own
        entry = entry_of(award.doc)
        if entry is None:
            problems.error(root / award.source, "is revoked in revocations.toml but has no "
                           "status list entry, so verifiers cannot learn it",
                           hint="reissue it, then revoke the old one")
        elif entry[0] in lists and entry[1] not in lists[entry[0]]:
            problems.error(root / REVOCATIONS, f"revokes {rid}, but its entry {entry[1]} is "
                           f"not set in the signed list {entry[0]}",
                           hint="after a merge: run 'badgepress reconcile --key PATH' to "
                                "re-sign the list")
    for url, bits in lists.items():
        for index in sorted(bits):
            owner = owners.get((url, index))
            owner_id = json.loads(read_regular(root / owner))["id"] if owner else \
                withdrawn.get((url, index))
            if owner_id not in revocations:
                what = (f"revocations.toml does not revoke the credential {owner}" if owner
                        else "no credential of this site holds that entry")
                problems.error(cfg.root / STATUS_DIR / url.rsplit("/", 1)[1],
                               f"entry {index} is set (revoked) but {what}",
                               hint="revoke only with 'badgepress revoke'; after a merge, "
                                    "'badgepress reconcile --key PATH' re-signs the list "
                                    "from revocations.toml")


__all__ = ["load_awards", "Sampling", "ProofReport", "site_resolver", "subject_of", "earner_name"]
