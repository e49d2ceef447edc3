"""Make a large synthetic badge site (default 1,000 badges, 10,000 credentials) for
benchmarks and scale tests.

Credentials are really signed, with eddsa-jcs-2022 (RFC 8785) because it signs in a fraction
of a millisecond where RDFC takes ~20 ms: the point here is site size, not the suite. With
``seed_cache`` the verification cache is filled as if a previous build had verified them,
so a test can start from a warm site without spending minutes verifying 10,000 proofs.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from badgepress.build.pipeline import load_site
from badgepress.commands.issue import (
    IssueRequest,
    build_credential,
    credential_bytes,
    signed_status_list,
)
from badgepress.core.dates import iso
from badgepress.trust import proof
from badgepress.trust.issuer import key_id
from badgepress.trust.keys import PublishedKey, SigningKey, save_key_history
from badgepress.trust.ledger import sha256_hex, transaction
from badgepress.trust.status import Allocator, key_prefix, list_path, list_url, status_entry

ROOT = Path(__file__).resolve().parent.parent

SKILLS = [f"Skill {chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(60)]
LEVELS = ["Foundation", "Intermediate", "Advanced", "Expert"]
TYPES = ["Badge", "Certification", "Competency", "Course", "Membership", "Award"]
SVG = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64" '
       'role="img"><title>{name}</title><circle cx="32" cy="32" r="30" fill="#{color}"/></svg>\n')


def make_site(dest: Path, badges: int = 1000, credentials: int = 10000, *, seed: int = 7,
              seed_cache: bool = False) -> SigningKey:
    """Write the site into ``dest`` (created); returns the signing key (kept in memory)."""
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
    save_key_history(dest, [PublishedKey(key.public_multibase, "2026-01-01T00:00:00Z")])
    vm = key_id(cfg, key.public_multibase)
    allocator = Allocator(cfg.base_url, {}, key_prefix(key.public_multibase))
    first = f"{key_prefix(key.public_multibase)}-1"
    start = datetime(2026, 1, 1, 9, tzinfo=UTC)
    digests = []
    with transaction(dest, key, vm, "2026-01-01T00:00:00Z") as tx:
        data = signed_status_list(cfg, key, vm, first, set(), "2026-01-01T00:00:00Z")
        tx.write(list_path(first), data)
        tx.record("status-list", list_url(cfg.base_url, first), {list_path(first): data})
        for n in range(credentials):
            badge = catalog.badges[n % badges]
            when = start + timedelta(minutes=n)
            req = IssueRequest(badge.slug, f"earner{n}@example.org",
                               f"Earner {n}" if n % 3 else "", date=when)
            doc = build_credential(cfg, badge, req, when)
            url, index, _ = allocator.next()
            doc["credentialStatus"] = status_entry(url, index)
            signed = proof.sign(doc, key, vm, iso(when), suite="eddsa-jcs-2022")
            rel = Path("site_src/credentials") / (signed["id"][9:] + ".json")
            raw = credential_bytes(signed)
            tx.write(rel, raw)
            tx.record("issue", signed["id"], {rel: raw})
            digests.append(sha256_hex(raw))
    if seed_cache:
        cache = dest / ".badgepress-cache"
        cache.mkdir(exist_ok=True)
        keys_digest = sha256_hex((dest / "site_src/issuer/keys.json").read_bytes())
        (cache / "verified.json").write_text(json.dumps({"keys": keys_digest, "ok": digests}))
    return key


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--badges", type=int, default=1000)
    parser.add_argument("--credentials", type=int, default=10000)
    args = parser.parse_args()
    make_site(args.dest, args.badges, args.credentials)
    print(f"made {args.badges} badges and {args.credentials} credentials in {args.dest}")
