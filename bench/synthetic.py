"""Make a large synthetic badge site (default 1,000 badges, 10,000 credentials) for
benchmarks and scale tests.

Credentials are really signed, with eddsa-jcs-2022 (RFC 8785) because it signs in a fraction
of a millisecond where RDFC takes ~20 ms: the point here is site size, not the suite. With
``seed_cache`` the verification cache is filled as if a previous build had verified them,
so a test can start from a warm site without spending minutes verifying 10,000 proofs.

Making 100,000 credentials takes minutes, so ``cached_site`` keeps the pristine result under
``bench/.cache/<digest>/`` (gitignored), the digest covering everything that determines it;
the benchmark copies it before touching it. The signing key is kept beside the site there,
never inside it (``badgepress`` refuses a key inside the site folder, and rightly so).

    python bench/synthetic.py DEST --badges 1000 --credentials 10000   # a throwaway site
    python bench/synthetic.py --cached --credentials 100000            # fill the cache
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import random
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from badgepress import __version__
from badgepress.build.pipeline import load_site
from badgepress.commands.issue import (
    IssueRequest,
    build_credential,
    credential_bytes,
    signed_status_list,
)
from badgepress.content.config import SiteConfig
from badgepress.content.model import Badge
from badgepress.core.dates import iso
from badgepress.trust import ob, proof
from badgepress.trust.issuer import key_id
from badgepress.trust.keys import PublishedKey, SigningKey, save_key_history, save_new_key
from badgepress.trust.ledger import sha256_hex, transaction
from badgepress.trust.status import Allocator, key_prefix, list_path, list_url, status_entry

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
KEY_FILE = "issuer.key"  # matches the *.key line of .gitignore, a second safety
SITE_DIR = "site"
# sources whose change changes what make_site writes (the digest of a cached site covers them)
DETERMINING = ["bench/synthetic.py", "generator/trust/ledger.py", "generator/commands/issue.py"]

SKILLS = [f"Skill {chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(60)]
LEVELS = ["Foundation", "Intermediate", "Advanced", "Expert"]
TYPES = ["Badge", "Certification", "Competency", "Course", "Membership", "Award"]
SVG = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64" '
       'role="img"><title>{name}</title><circle cx="32" cy="32" r="30" fill="#{color}"/></svg>\n')
START = datetime(2026, 1, 1, 9, tzinfo=UTC)
PARALLEL_FROM = 2000  # below this, forking workers costs more than it saves
CHUNK = 500


@dataclass(frozen=True)
class _Job:
    """What a signing worker needs; inherited through fork, never pickled."""

    cfg: SiteConfig
    badges: list[Badge]
    key: SigningKey
    vm: str


_JOB: _Job | None = None


def _sign_range(work: list[tuple[int, str, int]]) -> list[tuple[str, bytes]]:
    """Build and sign the credentials numbered in ``work`` (number, status list URL, index):
    the CPU-bound part, run in worker processes; writing and logging stay in the parent so
    the log lists them in order."""
    job = _JOB
    assert job is not None, "set _JOB before signing"
    out = []
    for n, url, index in work:
        badge = job.badges[n % len(job.badges)]
        when = START + timedelta(minutes=n)
        req = IssueRequest(badge.slug, f"earner{n}@example.org",
                           f"Earner {n}" if n % 3 else "", date=when)
        doc = build_credential(job.cfg, badge, req, when)
        doc["credentialStatus"] = status_entry(url, index)
        signed = proof.sign(doc, job.key, job.vm, iso(when), suite="eddsa-jcs-2022")
        out.append((signed["id"], credential_bytes(signed)))
    return out


@contextmanager
def _achievement_once_per_badge() -> Iterator[None]:
    """``build_credential`` derives the badge's Achievement (its Markdown rendered to plain
    text) anew for every credential: 0.75 ms, half the cost of a credential. It depends only on
    the badge, so while we generate it is computed once per badge; ``proof.sign`` deep-copies
    the document, so sharing the dict changes no byte of the output."""
    original = ob.achievement
    memo: dict[tuple[str, bool], dict[str, Any]] = {}

    def once(badge: Badge, config: SiteConfig, *, context: bool = True) -> dict[str, Any]:
        key = (badge.slug, context)
        if key not in memo:
            memo[key] = original(badge, config, context=context)
        return memo[key]

    ob.achievement = once  # type: ignore[assignment]
    try:
        yield
    finally:
        ob.achievement = original  # type: ignore[assignment]


def _signed(job: _Job, work: list[tuple[int, str, int]], processes: int
            ) -> Iterator[tuple[str, bytes]]:
    """Signed credentials in order of number, over ``processes`` forked workers when it pays
    (fork: the workers inherit the loaded catalog instead of parsing 1,000 badges again)."""
    global _JOB
    _JOB = job
    try:
        for b in job.badges:  # fill the memo before forking, so each worker inherits it
            ob.achievement(b, job.cfg, context=False)
        if processes <= 1 or len(work) < PARALLEL_FROM:
            yield from _sign_range(work)
            return
        chunks = [work[i:i + CHUNK] for i in range(0, len(work), CHUNK)]
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            for signed in pool.imap(_sign_range, chunks):
                yield from signed
    finally:
        _JOB = None


def make_site(dest: Path, badges: int = 1000, credentials: int = 10000, *, seed: int = 7,
              seed_cache: bool = False, key_file: Path | None = None,
              processes: int | None = None) -> SigningKey:
    """Write the site into ``dest`` (created); returns the signing key (kept in memory, and
    also written to ``key_file``, which must be outside ``dest``, when given).

    Credential files are written plainly rather than through the ledger's journaled,
    fsynced writes (two fsyncs per file would be most of the time for 100,000 of them); their
    log entries, the status list and the signed log head go through the issuance log's own
    transaction, so the log is exactly what ``badgepress issue`` would have written. A half-
    made site is not a concern: ``cached_site`` renames the folder into place only when done.
    """
    rng = random.Random(seed)
    (dest / "badges").mkdir(parents=True)
    (dest / "site_src").mkdir(parents=True, exist_ok=True)
    (dest / "site_src/site.toml").write_text(
        'title = "Synthetic Badges"\nbase_url = "https://synthetic.example/"\n'
        '[issuer]\nname = "Synthetic Issuer"\nurl = "https://synthetic.example/about/"\n')
    for i in range(badges):
        slug = f"badge-{i:04d}"
        requires = f"requires: [badge-{i - 1:04d}]\n" if i % 5 else ""
        skills = ", ".join(rng.sample(SKILLS, 3))
        (dest / f"badges/{slug}.md").write_text(
            f"---\nname: Badge {i:04d}\nsummary: Synthetic badge number {i}.\n"
            f"type: {TYPES[i % len(TYPES)]}\nlevel: {LEVELS[i % 5 % 4]}\n"
            f"skills: [{skills}]\n{requires}---\nA badge about **{skills}**.\n\n"
            f"## What it takes to earn this badge\n\n- Do task {i}\n- Then task {i + 1}\n")
        (dest / f"badges/{slug}.svg").write_text(SVG.format(name=f"Badge {i:04d}",
                                                            color=f"{rng.randrange(16**6):06x}"))
    catalog, _ = load_site(dest)
    cfg = catalog.config
    key = SigningKey.generate()
    if key_file is not None:
        save_new_key(key, key_file, dest)
    save_key_history(dest, [PublishedKey(key.public_multibase, "2026-01-01T00:00:00Z")])
    vm = key_id(cfg, key.public_multibase)
    allocator = Allocator(cfg.base_url, {}, key_prefix(key.public_multibase))
    work = []
    for n in range(credentials):
        url, index, _ = allocator.next()
        work.append((n, url, index))
    prefix = key_prefix(key.public_multibase)
    names = [f"{prefix}-{i}" for i in range(1, allocator.n + 1)]  # every list it used
    digests = []
    job = _Job(cfg, list(catalog.badges), key, vm)
    workers = processes if processes is not None else min(2, os.cpu_count() or 1)
    with transaction(dest, key, vm, "2026-01-01T00:00:00Z") as tx:
        for name in names:
            data = signed_status_list(cfg, key, vm, name, set(), "2026-01-01T00:00:00Z")
            tx.write(list_path(name), data)
            tx.record("status-list", list_url(cfg.base_url, name), {list_path(name): data})
        folder = dest / "site_src/credentials"
        folder.mkdir(parents=True, exist_ok=True)
        with _achievement_once_per_badge():
            for cid, raw in _signed(job, work, workers):
                rel = Path("site_src/credentials") / (cid[9:] + ".json")
                (dest / rel).write_bytes(raw)
                tx.record("issue", cid, {rel: raw})
                digests.append(sha256_hex(raw))
    if seed_cache:
        write_verified_cache(dest, digests)
    return key


def write_verified_cache(dest: Path, digests: list[str]) -> None:
    """The build's verification cache, as if a build had verified every credential."""
    cache = dest / ".badgepress-cache"
    cache.mkdir(exist_ok=True)
    keys_digest = sha256_hex((dest / "site_src/issuer/keys.json").read_bytes())
    (cache / "verified.json").write_text(json.dumps({"keys": keys_digest, "ok": digests}))


def digest(badges: int, credentials: int, seed: int) -> str:
    """What determines a synthetic site: the code that writes it (and the formats of the
    log and credentials it uses), the parameters and the badgepress version. Credential ids
    and salts are random, so equal digests mean equivalent sites, not equal bytes."""
    h = hashlib.sha256()
    h.update(json.dumps({"badges": badges, "credentials": credentials, "seed": seed,
                         "version": __version__}, sort_keys=True).encode())
    for rel in DETERMINING:
        h.update(rel.encode() + b"\0" + (ROOT / rel).read_bytes() + b"\0")
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class CachedSite:
    """A pristine synthetic site in the cache and its private key, kept beside it."""

    folder: Path
    made_s: float  # seconds spent making it now; 0.0 when it came from the cache

    @property
    def site(self) -> Path:
        return self.folder / SITE_DIR

    @property
    def key_file(self) -> Path:
        return self.folder / KEY_FILE


def cached_site(badges: int = 1000, credentials: int = 10000, *, seed: int = 7,
                cache: Path = CACHE) -> CachedSite:
    """The cached pristine site for these parameters, made first if it is not there. Made in
    a temporary folder renamed into place at the end, so an interrupted run leaves no half
    site behind under the final name."""
    folder = cache / digest(badges, credentials, seed)
    if (folder / SITE_DIR).is_dir() and (folder / KEY_FILE).is_file():
        return CachedSite(folder, 0.0)
    start = time.perf_counter()
    tmp = cache / f"{folder.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    make_site(tmp / SITE_DIR, badges, credentials, seed=seed, key_file=tmp / KEY_FILE)
    (tmp / "params.json").write_text(json.dumps({
        "badges": badges, "credentials": credentials, "seed": seed, "version": __version__,
        "made": datetime.now(UTC).isoformat(timespec="seconds")}) + "\n")
    shutil.rmtree(folder, ignore_errors=True)  # a half one left by a crash (no key file)
    os.rename(tmp, folder)
    return CachedSite(folder, time.perf_counter() - start)


def copy_site(pristine: Path, dest: Path) -> Path:
    """A fresh copy to measure on, without any build cache (the pristine site has none, but
    a caller may have built in it by mistake)."""
    shutil.copytree(pristine, dest, symlinks=True,
                    ignore=shutil.ignore_patterns(".badgepress-cache"))
    return dest


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path, nargs="?")
    parser.add_argument("--badges", type=int, default=1000)
    parser.add_argument("--credentials", type=int, default=10000)
    parser.add_argument("--cached", action="store_true",
                        help="make (or find) the cached pristine site under bench/.cache/")
    args = parser.parse_args()
    if args.cached:
        made = cached_site(args.badges, args.credentials)
        print(f"{args.badges} badges and {args.credentials} credentials in {made.site} "
              f"(key {made.key_file}; "
              f"{f'made in {made.made_s:.1f} s' if made.made_s else 'from the cache'})")
    elif args.dest is None:
        sys.exit("give DEST or --cached")
    else:
        start = time.perf_counter()
        make_site(args.dest, args.badges, args.credentials)
        print(f"made {args.badges} badges and {args.credentials} credentials in {args.dest} "
              f"in {time.perf_counter() - start:.1f} s")
