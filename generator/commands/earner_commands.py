"""The earner commands: ``earner EMAIL --page on|off``, ``earners rebuild`` and
``insights``, each a logged transaction (or, for the rebuild, a write of the local index
only)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..build.pipeline import load_site
from ..core.dates import now_utc
from ..core.files import read_regular
from ..core.paths import CREDENTIALS_DIR, EARNERS_DIR
from ..trust.keys import SigningKey
from ..trust.ledger import transaction
from ..trust.verify import email_hash
from .earner_index import EarnerIndex, IndexProblem, index_path
from .earners import EarnerProblem, People, check_page_name, existing_uuids
from .issue import csv_text, current_key, normalize_email
from .issue_index import load_index


def _signing(root: Path, key: SigningKey):
    catalog = load_site(root)[0]
    return catalog, current_key(root, catalog.config, key)


def set_page(root: Path, email: str, on: bool, key: SigningKey, *, name: str = "",
             now: datetime | None = None) -> str | None:
    """Publish (``on``) or withdraw an earner's page; returns its slug."""
    now = now or now_utc()
    catalog, vm = _signing(root, key)
    with transaction(root, key, vm) as tx:
        people = People(root, key, catalog)
        eid = people.index.earner_of_email(normalize_email(email))
        if eid is None:
            raise EarnerProblem(f"no credential issued to {email} is in the earner index "
                                f"{people.index.path}; rebuild it with 'badgepress earners "
                                "rebuild --from FILE.csv' if it was lost")
        if name.strip():
            check_page_name(name.strip())
            people.index.earners[eid]["name"] = name.strip()
        earner = people.index.earners[eid]
        if on:
            slug = earner.get("slug") or people.open_page(eid)
            people.touched.add(eid)
        else:
            slug = people.close_page(eid, tx)
        people.finish(tx, now)
        if on:  # finish moves a page whose address another earner's page took meanwhile
            slug = earner.get("slug")
    return slug


def write_insights(root: Path, key: SigningKey, *, now: datetime | None = None,
                   partial: bool = False) -> bool:
    """``badgepress insights``: re-write site_src/insights.json from the index. Refused
    (unless ``partial``) when the index knows only some of the site's credentials: on a
    team each maintainer's index holds what they issued, and figures from a part would
    replace the program's with a fraction of them, without a word."""
    now = now or now_utc()
    catalog, vm = _signing(root, key)
    with transaction(root, key, vm) as tx:
        people = People(root, key, catalog)
        existing = existing_uuids(root)
        known = people.known(existing)
        if known < len(existing) and not partial:
            raise EarnerProblem(
                f"your earner index knows {known} of the site's {len(existing)} credentials "
                "(the others were issued with other keys, or before the index existed): the "
                "figures would count only those: rebuild the index from the records of "
                "every credential first ('badgepress earners rebuild --from A.csv B.csv …'), "
                "or write these figures anyway with --partial")
        written = people.write_insights(tx, now, existing, force=True)
        people.index.save()
    return written


@dataclass(frozen=True)
class Rebuilt:
    credentials: int  # credentials of the site matched to an email of the records
    unmatched: int
    earners: int
    pages: int
    kept: int = 0  # links of the index before that the records do not name, kept


def rebuild(root: Path, key: SigningKey, sources: list[Path], *,
            replace: bool = False) -> Rebuilt:
    """Make the earner index again from the maintainer's records (issue CSVs: badge, email,
    name, earner_page) by hashing each email with each credential's salt; the opted-in
    earners and their slugs come from the published earner files. What the index held
    before and the records do not name is kept (records of some earners, say another
    maintainer's, add to it), unless ``replace``: the records are then all there is."""

    catalog = load_site(root)[0]
    cfg = catalog.config
    rows = [row for src in sources for row in _record_rows(src)]
    by_badge: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for badge, email, name in rows:
        by_badge.setdefault(badge, []).append(email)
        if name:
            names[email] = name
    everyone = list(dict.fromkeys(e for _, e, _ in rows))
    slug_of = {cfg.abs_url(b.url): b.slug for b in catalog.badges}
    index = EarnerIndex(index_path(root, key, cfg.issuer_id))
    unmatched = 0
    for file, record in sorted(load_index(root).files.items()):
        badge = slug_of.get(record[3])
        found = None
        for email in (*by_badge.get(badge or "", []), *everyone):
            if any(isinstance(salt, str) and digest == email_hash(email, salt)
                   for salt, digest in record[4]):
                found = email
                break
        if found is None or badge is None:
            unmatched += 1
            continue
        try:
            valid_from = str(json.loads(read_regular(root / CREDENTIALS_DIR / file))
                             .get("validFrom", ""))
        except (ValueError, OSError):
            unmatched += 1
            continue
        eid = index.add_earner(normalize_email(found), names.get(found, ""))
        index.add_credential(file.removesuffix(".json"), eid, badge, valid_from)
    kept = 0 if replace else _keep_former(index, load_index(root).files)
    pages = 0
    for path in sorted((root / EARNERS_DIR).glob("*.json")) if (root / EARNERS_DIR).is_dir() \
            else []:
        try:
            doc = json.loads(read_regular(path))
        except ValueError:
            continue
        eid = next((index.earner_of(u) for u in doc.get("credentials", [])
                    if index.earner_of(u)), None)
        if eid is not None:
            index.earners[eid]["slug"] = path.stem
            index.earners[eid]["name"] = str(doc.get("name", "")) or \
                index.earners[eid]["name"]
            pages += 1
    index.save()
    return Rebuilt(len(index.credentials), unmatched, len(index.earners), pages, kept)


def _keep_former(index: EarnerIndex, files: dict) -> int:
    """Add to ``index`` what the index file held before for credentials the site still
    has and the records did not name; how many. A damaged file holds nothing to keep."""
    try:
        former = EarnerIndex.load(index.path) if index.path and index.path.is_file() else None
    except IndexProblem:
        return 0
    kept = 0
    for uuid, entry in (former.credentials.items() if former else ()):
        person = former.earners.get(str(entry.get("earner")), {})
        if uuid in index.credentials or f"{uuid}.json" not in files or not person.get("email"):
            continue
        eid = index.add_earner(str(person["email"]), str(person.get("name") or ""))
        index.add_credential(uuid, eid, str(entry.get("badge")), str(entry.get("from")))
        kept += 1
    return kept


def _record_rows(path: Path) -> list[tuple[str, str, str]]:
    """(badge, normalized email, name) of each row of a maintainer's CSV."""

    reader = csv.DictReader(io.StringIO(csv_text(path), newline=""))
    out = []
    for row in reader:
        values = {str(k).strip(): (v or "").strip() for k, v in row.items()
                  if isinstance(v, str)}
        if values.get("email"):
            out.append((values.get("badge", ""), normalize_email(values["email"]),
                        values.get("name", "")))
    if not out:
        raise EarnerProblem(f"{path}: no rows with an email column")
    return out

