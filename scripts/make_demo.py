"""Regenerate the demo site's signed credentials with a throwaway key.

The private key lives only in memory while this runs and is never written anywhere, so no
one (including us) can issue more credentials under the demo's key: exactly what the demo
must show. Earner emails are made up (<name>@example.org) and only their salted hashes end
up in the credentials. Usage: python scripts/make_demo.py  (replaces site_src/credentials/).
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from badgepress.build.pipeline import load_site
from badgepress.commands.earners import People
from badgepress.commands.issue import (
    IssueRequest,
    build_credential,
    credential_bytes,
    credential_path,
    normalize_email,
    sign_credential,
    signed_status_list,
)
from badgepress.commands.lifecycle import revoke
from badgepress.core.dates import iso
from badgepress.core.paths import (
    CREDENTIALS_DIR,
    EARNERS_DIR,
    INSIGHTS_PATH,
    KEYS_PATH,
    LOG_DIR,
    REVOCATIONS,
    STATUS_DIR,
)
from badgepress.core.text import slugify
from badgepress.trust.issuer import key_id
from badgepress.trust.keys import PublishedKey, SigningKey, save_key_history
from badgepress.trust.ledger import transaction
from badgepress.trust.status import Allocator, key_prefix, list_path, list_url, status_entry

ROOT = Path(__file__).resolve().parent.parent

KEY_CREATED = datetime(2025, 9, 1, tzinfo=UTC)

# (badge, earner display name or "" when withheld, date earned, evidence URL, narrative)
EARNERS = [
    ("client-support-council-member", "Amara Okafor", "2025-10-02", "", ""),
    ("client-support-council-member", "Lukas Becker", "2025-10-02", "", ""),
    ("client-support-council-member", "", "2025-11-14", "", ""),
    ("client-support-council-member", "Mei Lin Tan", "2026-01-20", "", ""),
    ("client-support-council-member", "Sofía Herrera", "2026-02-11", "", ""),
    ("client-support-council-leader", "Amara Okafor", "2026-06-30",
     "https://example.org/council/2026-q2-report",
     "Chaired two council meetings, hosted a Sponsor User design session and presented the "
     "council's findings at the spring user group."),
    ("client-support-council-leader", "Lukas Becker", "2026-07-15", "", ""),
    ("experienced-product-services-professional", "Priya Raman", "2025-12-05", "", ""),
    ("experienced-product-services-professional", "Jonas Lindqvist", "2026-03-18", "", ""),
    ("support-foundations", "Noah Williams", "2025-09-22", "", ""),
    ("support-foundations", "", "2025-10-13", "", ""),
    ("support-foundations", "Fatima Zahra El Idrissi", "2025-11-03", "", ""),
    ("support-foundations", "Kenji Sato", "2026-01-08", "", ""),
    ("incident-responder", "Noah Williams", "2026-02-26",
     "https://example.org/incidents/review-4471",
     "Led the response to **three Severity 2 incidents**; post-incident reviews attached."),
    ("incident-responder", "Kenji Sato", "2026-05-04", "", ""),
    ("major-incident-manager", "Noah Williams", "2026-09-10", "", ""),
    ("crisis-communication-essentials", "Noah Williams", "2026-01-16", "", ""),
    ("crisis-communication-essentials", "Grace Mensah", "2026-04-22", "", ""),
    ("problem-management-practitioner", "Kenji Sato", "2026-08-19", "", ""),
    ("service-level-analyst", "Fatima Zahra El Idrissi", "2026-03-30", "", ""),
    ("knowledge-contributor", "Grace Mensah", "2025-10-28", "", ""),
    ("knowledge-contributor", "", "2026-02-02", "", ""),
    ("knowledge-curator", "Grace Mensah", "2026-06-12",
     "https://example.org/kb/curation-log", ""),
    ("customer-success-associate", "Sofía Herrera", "2025-11-20", "", ""),
    ("customer-success-manager", "Sofía Herrera", "2026-05-27", "", ""),
    ("client-advocate", "Sofía Herrera", "2026-10-01", "", ""),
    ("support-mentor", "Priya Raman", "2026-04-09", "",
     "Mentored four new support engineers through their first 90 days."),
    ("community-forum-contributor", "Mei Lin Tan", "2025-12-18", "", ""),
    ("community-forum-contributor", "", "2026-03-05", "", ""),
    ("community-speaker", "Mei Lin Tan", "2026-07-23",
     "https://example.org/talks/support-at-scale", ""),
    ("distinguished-support-engineer", "Priya Raman", "2026-10-20", "", ""),
]


REVOKED = ("community-forum-contributor", "2026-03-05")

# Earners who agreed to a public page listing all their badges (issue --earner-page).
OPTED_IN = {"Noah Williams", "Sofía Herrera", "Priya Raman", "Mei Lin Tan"}


def cohort_name(i: int) -> str:
    first = ["Ana", "Bilal", "Chloé", "Dmitri", "Esi", "Farid", "Gwen", "Hiro", "Ines",
             "Jamal", "Kaia", "Luca", "Marta", "Nikhil", "Oona", "Pedro", "Qi", "Rosa"]
    last = ["Abara", "Brandt", "Costa", "Duarte", "Eklund", "Fofana"]
    return f"{first[i % len(first)]} {last[i // 6]}"


def cohort() -> list[tuple[str, str, str, str, str]]:
    """A made-up cohort on the support track, so the program figures (heat map, monthly
    chart, return rate, progression) show counts of 5 and more rather than only "fewer than
    5": everyone starts with Support Foundations, and some go on along its pathways. The
    names are combinations of two fixed lists; every third cohort member opts in."""
    start = datetime(2025, 9, 15, tzinfo=UTC)
    out = []
    for i in range(36):
        name = cohort_name(i)
        day = start + timedelta(days=9 * i)
        out.append(("support-foundations", name, day.date().isoformat(), "", ""))
        steps = []
        if i % 3 != 2:
            steps.append(("incident-responder", 70 + 3 * (i % 5)))
            if i % 4 == 0:
                steps.append(("problem-management-practitioner", 150))
        if i % 5 == 0:
            steps.append(("service-level-analyst", 45))
        if i % 6 == 1:
            steps.append(("crisis-communication-essentials", 30))
        if i % 2 == 0:
            steps.append(("support-mentor", 120))
        for badge, after in steps:
            when = day + timedelta(days=after)
            if when < datetime(2026, 10, 25, tzinfo=UTC):
                out.append((badge, name, when.date().isoformat(), "", ""))
    return out


EARNERS += cohort()
OPTED_IN |= {cohort_name(i) for i in range(0, 36, 3)}


def demo_email(index: int, name: str) -> str:
    """The made-up address of an earner (tests use it to prove none is published)."""
    return f"{slugify(name) if name else f'earner-{index}'}@example.org"


def main() -> None:
    catalog, _ = load_site(ROOT)
    cfg = catalog.config
    # never written to disk: the key object only points into a temporary folder, where the
    # commands keep the earner index that links the made-up emails to the credentials
    scratch = Path(tempfile.mkdtemp(prefix="badgepress-demo-"))
    key = SigningKey(SigningKey.generate().seed, scratch / "issuer.key")
    for path in (INSIGHTS_PATH, REVOCATIONS):
        (ROOT / path).unlink(missing_ok=True)
    for folder in (CREDENTIALS_DIR, STATUS_DIR, EARNERS_DIR):
        shutil.rmtree(ROOT / folder, ignore_errors=True)
        (ROOT / folder).mkdir(parents=True)
    for f in (ROOT / LOG_DIR).glob("*.json*"):
        f.unlink()
    save_key_history(ROOT, [PublishedKey(key.public_multibase, iso(KEY_CREATED))])
    vm = key_id(cfg, key.public_multibase)
    allocator = Allocator(cfg.base_url, {}, key_prefix(key.public_multibase))
    name = f"{key_prefix(key.public_multibase)}-1"
    first = iso(KEY_CREATED + timedelta(days=1))
    with transaction(ROOT, key, vm, first) as tx:
        data = signed_status_list(cfg, key, vm, name, set(), first)
        tx.write(list_path(name), data)
        tx.record("status-list", list_url(cfg.base_url, name), {list_path(name): data})
    # issued in the order they were earned: the log's times only ever go forward
    order = sorted(range(len(EARNERS)), key=lambda i: EARNERS[i][2])
    for i in order:
        slug, name, day, evidence, narrative = EARNERS[i]
        when = datetime.fromisoformat(day).replace(hour=9, tzinfo=UTC)
        req = IssueRequest(slug, demo_email(i, name), name, evidence, narrative, when)
        doc = build_credential(cfg, catalog.badge(slug), req, when)
        url, index, _ = allocator.next()
        doc["credentialStatus"] = status_entry(url, index)
        signed = sign_credential(doc, key, vm, when + timedelta(hours=1))
        rel = credential_path(ROOT, signed).relative_to(ROOT)
        with transaction(ROOT, key, vm, iso(when + timedelta(hours=1))) as tx:
            tx.write(rel, credential_bytes(signed))
            tx.record("issue", signed["id"], {rel: credential_bytes(signed)})
            people = People(ROOT, key, catalog)
            people.issued(rel.stem, normalize_email(req.email), name, slug, signed["validFrom"],
                          earner_page=name in OPTED_IN)
            people.finish(tx, when + timedelta(hours=1))
        if (slug, day) == REVOKED:
            revoked_id = signed["id"]
    # one credential withdrawn, so visitors and verifiers can see what revoked looks like
    revoke(ROOT, revoked_id, "Issued in error: the contribution was counted twice", key,
           public=True, now=datetime(2026, 10, 22, 9, tzinfo=UTC))
    shutil.rmtree(scratch)
    print(f"{len(EARNERS)} demo credentials signed with a throwaway key (one revoked), "
          f"{len(OPTED_IN)} earner pages; public key in {KEYS_PATH}")


if __name__ == "__main__":
    main()
