"""A dev server's rebuilds when the file watcher's report is coarse (a folder moved out
whole) or was given to a build that failed early: each must refuse what a clean build
refuses. (Found by an attacker's review of the incremental caches.)"""
from __future__ import annotations

import json
import os
import shutil
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from badgepress.build.incremental import IncrementalBuilder
from badgepress.build.pipeline import build
from badgepress.commands.lifecycle import revoke
from badgepress.core.errors import BuildError
from conftest import NOW, REPO, free_port

sys.path.insert(0, str(REPO / "bench"))
from synthetic import make_site  # noqa: E402


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def clean_tree(site: Path, tmp: Path) -> dict[str, bytes]:
    clean = tmp / "clean"
    shutil.rmtree(clean, ignore_errors=True)
    build(site, clean, now=NOW)
    return tree(clean)


def test_credentials_folder_moved_out(tmp_path: Path) -> None:
    # watchdog (inotify) reports a watched sub-folder moved out of the tree as one
    # DirDeletedEvent for the folder, nothing for the files in it
    site = tmp_path / "site"
    make_site(site, badges=3, credentials=6)
    out = tmp_path / "out"
    builder = IncrementalBuilder(site, out)
    builder.build(now=NOW)
    creds = site / "site_src/credentials"
    shutil.move(creds, tmp_path / "creds-aside")
    with pytest.raises(BuildError):  # "listed in the issuance log but missing"
        build(site, tmp_path / "clean", now=NOW)
    with pytest.raises(BuildError):  # not the 6 old awards, reused and published
        builder.build(now=NOW, changed={creds})


def test_log_folder_moved_out_is_refused_like_a_clean_build(tmp_path: Path) -> None:
    site = tmp_path / "site"
    make_site(site, badges=3, credentials=6)
    builder = IncrementalBuilder(site, tmp_path / "out")
    builder.build(now=NOW)
    log = site / "site_src/log"
    shutil.move(log, tmp_path / "log-aside")
    with pytest.raises(BuildError):
        build(site, tmp_path / "clean", now=NOW)
    with pytest.raises(BuildError):
        builder.build(now=NOW, changed={log})


def test_credential_changed_during_a_failed_build_then_a_revocation(tmp_path: Path) -> None:
    """A checkout changes a badge (broken) and a credential at once: the build fails in
    load_site. The badge is fixed, then a revocation: the rebuild must see the credential."""
    site = tmp_path / "site"
    key = make_site(site, badges=3, credentials=6)
    out = tmp_path / "out"
    builder = IncrementalBuilder(site, out)
    first = builder.build(now=NOW)
    badge = site / "badges/badge-0001.md"
    good = badge.read_text()
    badge.write_text("---\nname: Broken\n---\n")  # no criteria
    victim = site / first.awards[0].source
    victim.write_bytes(victim.read_bytes().replace(b'"name"', b'"name" ', 1))  # new bytes
    with pytest.raises(BuildError):
        builder.build(now=NOW, changed={badge, victim})
    badge.write_text(good)
    with pytest.raises(BuildError):  # a clean build refuses the unvouched credential
        build(site, tmp_path / "clean", now=NOW)
    with pytest.raises(BuildError):  # told only of the badge, it still sees the credential
        builder.build(now=NOW, changed={badge})
    before = {p: p.stat().st_mtime_ns for p in (site / "site_src").rglob("*") if p.is_file()}
    revoke(site, first.awards[3].uuid, "test", key, public=True, now=NOW)
    after = {p for p in (site / "site_src").rglob("*") if p.is_file()
             and before.get(p) != p.stat().st_mtime_ns}
    assert victim not in after
    with pytest.raises(BuildError):  # not the file list of before the failed build
        builder.build(now=NOW, changed=after)


def test_theme_scan_skipped_after_config_failure(tmp_path: Path) -> None:
    site = tmp_path / "site"
    make_site(site, badges=3, credentials=3)
    theme = site / "theme"
    shutil.copytree(REPO / "theme", theme)
    builder = IncrementalBuilder(site, tmp_path / "out")
    builder.build(now=NOW)
    toml = site / "site_src/site.toml"
    good = toml.read_text()
    toml.write_text(good + "\nthis is not toml = = \n")
    secret = tmp_path / "secret.txt"
    secret.write_text("outside the site\n")
    link = theme / "assets/extra.css"
    link.symlink_to(secret)
    with pytest.raises(BuildError):
        builder.build(now=NOW, changed={toml, link})
    toml.write_text(good)
    with pytest.raises(BuildError):
        build(site, tmp_path / "clean", now=NOW)
    with pytest.raises(BuildError):  # the theme folder is not taken as clean
        builder.build(now=NOW, changed={toml})


def test_theme_template_link_published_after_config_failure(tmp_path: Path) -> None:
    site = tmp_path / "site"
    make_site(site, badges=3, credentials=3)
    (site / "theme/templates").mkdir(parents=True)  # a theme overriding one template
    shutil.copy(REPO / "theme/templates/badges.atom", site / "theme/templates")
    out = tmp_path / "out"
    builder = IncrementalBuilder(site, out)
    builder.build(now=NOW)
    toml = site / "site_src/site.toml"
    good = toml.read_text()
    toml.write_text(good + "\nthis is not toml = = \n")
    secret = tmp_path / "outside.html"
    secret.write_text("OUTSIDE-THE-SITE-FOLDER\n")
    link = site / "theme/templates/badges.atom"
    link.unlink()
    link.symlink_to(secret)
    with pytest.raises(BuildError):  # the config fails before the theme folder is scanned
        builder.build(now=NOW, changed={toml, link})
    toml.write_text(good)
    with pytest.raises(BuildError):
        build(site, tmp_path / "clean", now=NOW)
    with pytest.raises(BuildError):  # not the outside file, published
        builder.build(now=NOW, changed={toml})
    assert "OUTSIDE-THE-SITE-FOLDER" not in (out / "feeds/badges.atom").read_text()


def test_time_passing_an_expiry_restates_without_any_record_change(tmp_path: Path) -> None:
    """A dev server left running while a credential's validUntil passes: the next rebuild
    (a badge edit, no record changed) shows it expired, as a clean build does."""
    from badgepress.commands.issue import IssueRequest, issue_credentials

    site = tmp_path / "site"
    key = make_site(site, badges=3, credentials=3)
    badge = site / "badges/badge-0001.md"
    badge.write_text(badge.read_text().replace("name: Badge 0001",
                                               "name: Badge 0001\nvalid_for: P30D"))
    [new] = issue_credentials(site, [(None, IssueRequest("badge-0001", "a@example.org", "A"))],
                              key, now=NOW)
    out = tmp_path / "out"
    builder = IncrementalBuilder(site, out)
    assert {a.uuid: a.state for a in builder.build(now=NOW).awards}[new.path.stem] == "valid"
    later = NOW + timedelta(days=31)
    other = site / "badges/badge-0002.md"
    other.write_text(other.read_text().replace("- Do task 2", "- Do task two"))
    result = builder.build(now=later, changed={other})
    assert {a.uuid: a.state for a in result.awards}[new.path.stem] == "expired"
    clean = tmp_path / "clean"
    build(site, clean, now=later)
    assert tree(out) == tree(clean)


def test_a_credential_replaced_with_the_same_size_and_time_is_read_again(
        tmp_path: Path) -> None:
    """A file the watcher reports is hashed again even when its size and mtime are what
    they were (a replacement within one clock tick, or a tool that keeps mtimes)."""
    import os

    site = tmp_path / "site"
    make_site(site, badges=3, credentials=4)
    builder = IncrementalBuilder(site, tmp_path / "out")
    first = builder.build(now=NOW)
    victim = site / first.awards[0].source
    st = victim.stat()
    data = victim.read_bytes()
    at = data.index(b'"name"')
    victim.write_bytes(data[:at] + b'"nAme"' + data[at + 6:])  # same size
    os.utime(victim, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (victim.stat().st_size, victim.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    with pytest.raises(BuildError):
        builder.build(now=NOW, changed={victim})


def test_serve_rebuilds_everything_when_a_watched_folder_is_replaced(tmp_path: Path) -> None:
    """A watched folder moved away and another moved in (a checkout, a sync tool): the file
    watcher reports the folder, never the files inside the new one. serve watches the new
    folder and rebuilds looking at everything, so a link inside it is refused."""
    import time

    from badgepress.serve.devserver import DevServer

    site = tmp_path / "site"
    make_site(site, badges=3, credentials=3)
    port = free_port()
    said: list[str] = []
    server = DevServer(site, port, out_dir=tmp_path / "out", report=said.append)
    try:
        badges = site / "badges"
        shutil.copytree(badges, tmp_path / "new-badges")
        (tmp_path / "secret.txt").write_text("outside\n")
        (tmp_path / "new-badges/notes.txt").symlink_to(tmp_path / "secret.txt")
        shutil.move(badges, tmp_path / "old-badges")
        shutil.move(tmp_path / "new-badges", badges)
        server.rebuild({badges})
        assert "build failed" in said[-1] and "notes.txt" in said[-1], said[-1]
        (badges / "notes.txt").unlink()
        server.rebuild({badges / "notes.txt"})
        assert said[-1].startswith("rebuilt in"), said[-1]
        # the new folder is the one watched: a save in it is seen and rebuilt
        server.observer.start()
        time.sleep(1.0)  # the observer's own start; any burst settled
        before = len(said)
        edit = badges / "badge-0001.md"
        edit.write_text(edit.read_text().replace("- Do task 1", "- Do task one"))
        for _ in range(100):
            if len(said) > before:
                break
            time.sleep(0.1)
        assert said[before:] and said[-1].startswith("rebuilt in"), said[before:]
    finally:
        server.stop()


def test_a_theme_template_added_while_serving_overrides_the_default(tmp_path: Path) -> None:
    """A template the site's theme gains while `serve` runs overrides the default theme's
    copy from the next rebuild on (Jinja had kept the default's, whose file did not
    change); editing it and deleting it show too. Each time: a clean build's bytes."""
    site = tmp_path / "site"
    make_site(site, badges=3, credentials=4)
    (site / "theme/templates").mkdir(parents=True)
    out = tmp_path / "out"
    builder = IncrementalBuilder(site, out)
    builder.build(now=NOW)
    default = (REPO / "theme/templates/badge.html").read_text()
    assert "About this badge" in default
    page = out / "badges/badge-0001/index.html"
    override = site / "theme/templates/badge.html"
    for text in ("About the override", "About the edited override"):
        override.write_text(default.replace("About this badge", text))
        builder.build(now=NOW, changed={override})
        assert text in page.read_text()
        assert tree(out) == clean_tree(site, tmp_path)
    override.unlink()
    builder.build(now=NOW, changed={override})
    assert "About this badge" in page.read_text()
    assert tree(out) == clean_tree(site, tmp_path)


@pytest.mark.parametrize("where", ["site_src/site.toml", "badges/badge-0001.md",
                                   "theme/templates/404.html"])
def test_an_address_no_longer_public_is_found_in_the_unchanged_published_log(
        tmp_path: Path, where: str) -> None:
    """A signed log entry names the program's contact address, which site.toml (or a badge
    file, or a template of the site's theme) publishes: allowed. The address is taken out
    of that file: a clean build refuses the log (it would publish an address no longer
    public); the dev server's rebuild must too, although the log's output bytes did not
    change (check_output scans only re-rendered files), and although it keeps the public
    addresses while the watcher reports no file they come from."""
    from badgepress.trust.ledger import Log, entry_hash, read_log, sign_head

    site = tmp_path / "site"
    key = make_site(site, badges=3, credentials=4)
    toml = site / where
    if where.startswith("theme/"):
        toml.parent.mkdir(parents=True)
        shutil.copy(REPO / "theme/templates/404.html", toml)
    plain = toml.read_text()
    toml.write_text(plain + ("# write to contact@synthetic.example\n" if where.endswith(
        ".toml") else "\n<!-- write to contact@synthetic.example -->\n"))
    [log_path] = sorted((site / "site_src/log").glob("*.jsonl"))
    [head_path] = sorted((site / "site_src/log").glob("*.head.json"))
    log = read_log(site, log_path.stem)
    entry = {"seq": len(log.entries) + 1, "time": "2026-05-01T00:00:00Z",
             "action": "reconcile", "subject": "urn:uuid:x", "files": {},
             "note": "questions: contact@synthetic.example",
             "prev": entry_hash(log.entries[-1])}
    with log_path.open("a") as f:
        f.write(json.dumps(entry, sort_keys=True) + "\n")
    head = sign_head(Log(log.entries + [entry], name=log.name), key,
                     log.head["verificationMethod"], entry["time"])
    head_path.write_text(json.dumps(head, indent=2) + "\n")
    builder = IncrementalBuilder(site, tmp_path / "out")
    builder.build(now=NOW)  # the address is public: allowed
    # a rebuild for a record only: the public addresses are kept
    builder.build(now=NOW, changed={site / "site_src/revocations.toml"})
    toml.write_text(plain)
    with pytest.raises(BuildError, match="contact@synthetic.example"):
        build(site, tmp_path / "clean", now=NOW)
    with pytest.raises(BuildError, match="contact@synthetic.example"):
        builder.build(now=NOW, changed={toml})


def test_a_badge_image_deleted_while_serving_is_no_crash(tmp_path: Path) -> None:
    """A badge's image (found by its slug, badges/<slug>.svg) is deleted and reported: the
    rebuild must do what a clean build does, not raise FileNotFoundError."""
    site = tmp_path / "site"
    make_site(site, badges=3, credentials=3)
    out = tmp_path / "out"
    builder = IncrementalBuilder(site, out)
    builder.build(now=NOW)
    svg = site / "badges/badge-0002.svg"
    svg.unlink()
    expected = clean_tree(site, tmp_path)  # a clean build passes: a badge without image
    builder.build(now=NOW, changed={svg})
    assert tree(out) == expected


def test_a_badge_image_added_while_serving_is_shown(tmp_path: Path) -> None:
    """A badge without an image gains badges/<slug>.svg: a clean build shows it."""
    site = tmp_path / "site"
    make_site(site, badges=3, credentials=3)
    svg = site / "badges/badge-0002.svg"
    svg.rename(tmp_path / "aside.svg")
    out = tmp_path / "out"
    builder = IncrementalBuilder(site, out)
    builder.build(now=NOW)
    (tmp_path / "aside.svg").rename(svg)
    builder.build(now=NOW, changed={svg})
    assert tree(out) == clean_tree(site, tmp_path)


def test_a_badge_image_replaced_while_serving_is_shown_everywhere(tmp_path: Path) -> None:
    """A badge's SVG is replaced (same size, same mtime): its page, its social card and
    its credentials' baked images show the new one, as a clean build does (the plan keeps
    images and cards per Badge object, which the report of the file makes anew)."""
    import os

    site = tmp_path / "site"
    make_site(site, badges=3, credentials=6)
    svg = site / "badges/badge-0001.svg"
    out = tmp_path / "out"
    builder = IncrementalBuilder(site, out)
    builder.build(now=NOW)
    before = svg.stat()
    text = svg.read_text()
    swapped = text.replace('fill="#', 'fill="#0', 1)[:len(text)]
    assert swapped != text and len(swapped.encode()) == len(text.encode())
    svg.write_text(swapped)
    os.utime(svg, ns=(before.st_atime_ns, before.st_mtime_ns))
    builder.build(now=NOW, changed={svg})
    assert tree(out) == clean_tree(site, tmp_path)


def test_figures_macro_override_rerenders_insights_and_skills(tmp_path: Path) -> None:
    """_figures.html (imported by insights.html and skills.html) is overridden while
    serving: the pages that import it show the override, as a clean build does."""
    site = tmp_path / "site"
    make_site(site, badges=3, credentials=4)
    (site / "theme/templates").mkdir(parents=True)
    out = tmp_path / "out"
    builder = IncrementalBuilder(site, out)
    builder.build(now=NOW)
    override = site / "theme/templates/_figures.html"
    text = (REPO / "theme/templates/_figures.html").read_text()
    override.write_text("{# override #}<!-- OVERRIDDEN -->\n"
                        + text.replace("fewer than 5", "under five"))
    builder.build(now=NOW, changed={override})
    assert tree(out) == clean_tree(site, tmp_path)


def test_time_passing_after_a_failed_credentials_stage_restates(tmp_path: Path) -> None:
    """The credentials stage fails once (base_url edited: every credential's issuer is
    another), the edit is undone; later a credential's validUntil passes: the rebuild
    shows it expired, as a clean build does."""
    from datetime import timedelta

    from badgepress.commands.issue import IssueRequest, issue_credentials

    site = tmp_path / "site"
    key = make_site(site, badges=3, credentials=3)
    badge = site / "badges/badge-0001.md"
    badge.write_text(badge.read_text().replace("name: Badge 0001",
                                               "name: Badge 0001\nvalid_for: P30D"))
    [new] = issue_credentials(site, [(None, IssueRequest("badge-0001", "a@example.org", "A"))],
                              key, now=NOW)
    out = tmp_path / "out"
    builder = IncrementalBuilder(site, out)
    builder.build(now=NOW)
    toml = site / "site_src/site.toml"
    good = toml.read_text()
    toml.write_text(good.replace("https://synthetic.example/\"", "https://other.example/\""))
    with pytest.raises(BuildError):
        builder.build(now=NOW, changed={toml})
    toml.write_text(good)
    builder.build(now=NOW, changed={toml})
    later = NOW + timedelta(days=31)
    result = builder.build(now=later, changed=set())
    clean = tmp_path / "clean"
    build(site, clean, now=later)
    assert {a.uuid: a.state for a in result.awards}[new.path.stem] == "expired"
    assert tree(out) == tree(clean)


def problems_of(run) -> list[tuple]:
    with pytest.raises(BuildError) as caught:
        run()
    return sorted((Path(p.path).name, p.line, p.message) for p in caught.value.problems)


def test_template_errors_while_serving_are_the_clean_builds(tmp_path: Path) -> None:
    """Two theme templates broken at once: the rebuild reports what a clean build
    reports (each page's error), not only the first page's."""
    site = tmp_path / "site"
    make_site(site, badges=3, credentials=3)
    (site / "theme/templates").mkdir(parents=True)
    builder = IncrementalBuilder(site, tmp_path / "out")
    builder.build(now=NOW)
    broken = {site / "theme/templates/badge.html", site / "theme/templates/page.html"}
    for path in broken:
        path.write_text("{% extends 'base.html' %}{% block main %}{{ unclosed {% endblock %}\n")
    clean = problems_of(lambda: build(site, tmp_path / "clean", now=NOW))
    mine = problems_of(lambda: builder.build(now=NOW, changed=broken))
    assert mine == clean


def test_badge_edits_never_bring_back_an_older_parse(tmp_path: Path) -> None:
    """SourceCache.validate keys validated badges by id() of the parsed file: once an
    older parse is freed, a new parse allocated at its address gets its badge back."""
    from badgepress.build.caches import SourceCache
    from badgepress.build.pipeline import load_site
    from badgepress.core.errors import Problems

    site = tmp_path / "site"
    make_site(site, badges=2, credentials=1)
    config = load_site(site)[0].config
    cache = SourceCache()
    path = site / "badges/badge-0001.md"
    text = path.read_text()
    for i in range(500):
        path.write_text(text.replace("name: Badge 0001", f"name: Badge v{i}" + "x" * (i % 7)))
        problems = Problems(site)
        src = cache.read(path, problems)
        assert cache.validate(src, config, problems).name == src.meta["name"], i


def test_badge_edits_while_serving_never_show_an_older_version(tmp_path: Path) -> None:
    site = tmp_path / "site"
    make_site(site, badges=2, credentials=1)
    out = tmp_path / "out"
    builder = IncrementalBuilder(site, out)
    builder.build(now=NOW)
    badge = site / "badges/badge-0001.md"
    text = badge.read_text()
    for i in range(300):
        name = f"Badge v{i}" + "x" * (i % 7)
        badge.write_text(text.replace("name: Badge 0001", f"name: {name}"))
        builder.build(now=NOW, changed={badge})
        shown = json.loads((out / "badges/badge-0001/achievement.json").read_text())["name"]
        assert shown == name, (i, shown)


def test_an_address_no_longer_public_names_the_source_like_a_clean_build(
        tmp_path: Path) -> None:
    """site.toml stops publishing an address a credential carries: the rebuild scans every
    file again (check_output), and each problem must name the file it is made from, as a
    clean build's does, not only those of the pages rendered afresh."""
    from badgepress.commands.issue import IssueRequest, issue_credentials

    site = tmp_path / "site"
    key = make_site(site, badges=3, credentials=3)
    toml = site / "site_src/site.toml"
    plain = toml.read_text()
    toml.write_text(plain + 'email = "contact@synthetic.example"\n')  # [issuer] email
    # the credential's issuer profile carries the program's contact address
    issue_credentials(site, [(None, IssueRequest("badge-0001", "x@example.org", "X"))],
                      key, now=NOW)
    builder = IncrementalBuilder(site, tmp_path / "out")
    builder.build(now=NOW)
    toml.write_text(plain)
    clean = problems_of(lambda: build(site, tmp_path / "clean", now=NOW))
    mine = problems_of(lambda: builder.build(now=NOW, changed={toml}))
    assert mine == clean


def test_a_failing_credential_reports_the_earner_page_naming_it_like_a_clean_build(
        tmp_path: Path) -> None:
    """An opted-in earner's credential stops verifying (its key is revoked): a clean
    build reports the credential and the earner page that names it; the dev server's
    credentials stage raises before earners are loaded and reports only the first."""
    from badgepress.commands.issue import IssueRequest, issue_credentials
    from badgepress.trust.keys import load_signing_key

    site = tmp_path / "site"
    key_file = tmp_path / "secret/issuer.key"
    make_site(site, badges=3, credentials=3, key_file=key_file)
    key = load_signing_key(key_file, site)
    [mine_] = issue_credentials(site, [(None, IssueRequest(
        "badge-0001", "ada@example.org", "Ada Lovelace", earner_page=True))], key, now=NOW)
    builder = IncrementalBuilder(site, tmp_path / "out")
    builder.build(now=NOW)
    from datetime import UTC, datetime

    from badgepress.commands.lifecycle import revoke_key
    keys = site / "site_src/issuer/keys.json"
    revoke_key(site, key.public_multibase[:12], datetime(2026, 1, 2, tzinfo=UTC))
    clean = problems_of(lambda: build(site, tmp_path / "clean", now=NOW))
    assert any("does not publish" in p[2] for p in clean)
    mine = problems_of(lambda: builder.build(now=NOW, changed={keys}))
    assert mine == clean


def test_same_length_edits_within_one_clock_tick_are_seen_when_reported(
        tmp_path: Path) -> None:
    """An edit that keeps a file's length and mtime (two saves within one tick of the file
    system's clock) of a badge, its image, a theme template and a theme asset: the rebuild
    told about each shows it, as a clean build does."""
    import os

    site = tmp_path / "site"
    make_site(site, badges=3, credentials=3)
    for rel in ("templates/badge.html", "assets/style.css"):
        (site / "theme" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "theme" / rel, site / "theme" / rel)
    out = tmp_path / "out"
    builder = IncrementalBuilder(site, out)
    builder.build(now=NOW)

    def same_tick(path: Path, old: str, new: str) -> Path:
        assert len(old) == len(new)
        st = path.stat()
        text = path.read_text()
        assert old in text, old
        path.write_text(text.replace(old, new, 1))
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
        return path

    for path, old, new in (
            (site / "badges/badge-0001.md", "Badge 0001", "Badge 000X"),
            (site / "badges/badge-0002.svg", "Badge 0002", "Badge 000Y"),
            (site / "theme/templates/badge.html", "About this badge", "About that badge"),
            (site / "theme/assets/style.css", "color", "COLOR")):
        builder.build(now=NOW, changed={same_tick(path, old, new)})
        assert tree(out) == clean_tree(site, tmp_path), path.name


def test_progression_part_is_kept_across_a_revocation_and_made_again_when_overridden(
        tmp_path: Path) -> None:
    """/insights/ shows its progression table through the part _progression.html, which a
    dev server keeps while the signed program figures and the catalog stay the same: after
    a revocation and after the part is overridden in the site's theme, the output is a
    clean build's."""
    from badgepress.build.pipeline import load_site
    from badgepress.commands.issue import current_key
    from badgepress.trust.ledger import transaction

    site = tmp_path / "site"
    key = make_site(site, badges=3, credentials=6)
    program = json.dumps({"version": 1, "asOf": "2026-05-31T00:00:00Z", "credentials": 40,
                          "earners": 20, "returning": 9, "progression": {
                              "badge-0000": {"earners": 12, "to": {"badge-0001": 6}}}})
    vm = current_key(site, load_site(site)[0].config, key)
    with transaction(site, key, vm) as tx:
        tx.write("site_src/insights.json", program.encode())
        tx.record("insights", "insights", {"site_src/insights.json": program.encode()})
    out = tmp_path / "out"
    builder = IncrementalBuilder(site, out)
    first = builder.build(now=NOW)
    assert b'id="progression"' in first.files["insights/index.html"]
    revoke(site, first.awards[0].uuid, "test", key, public=True, now=NOW)
    builder.build(now=NOW, changed={site / "site_src/revocations.toml",
                                    *(site / "site_src/log").iterdir()})
    assert tree(out) == clean_tree(site, tmp_path)
    (site / "theme/templates").mkdir(parents=True)
    part = site / "theme/templates/_progression.html"
    part.write_text((REPO / "theme/templates/_progression.html").read_text()
                    .replace("went on to a badge", "went on to the badge"))
    builder.build(now=NOW, changed={part, part.parent, part.parent.parent})
    assert b"went on to the badge" in (out / "insights/index.html").read_bytes()
    assert tree(out) == clean_tree(site, tmp_path)


def test_one_build_renders_every_page_from_one_version_of_a_template(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Templates are checked for edits once per build, not at every page (with Jinja's
    auto_reload that was two stat calls per page, for the {% extends %} and the macros): a
    base.html edited while a build renders leaves that build's pages all of one version,
    and the next build, in the same process and told of no change, shows the edit."""
    from badgepress.build import render

    site = tmp_path / "site"
    make_site(site, badges=3, credentials=4)
    (site / "theme/templates").mkdir(parents=True)
    base = site / "theme/templates/base.html"
    default = (REPO / "theme/templates/base.html").read_text()
    assert "Skip to content" in default
    base.write_text(default.replace("Skip to content", "Version A"))
    real_page = render.Renderer.page
    rendered = []

    def edit_after_first_page(self, template, path, **context):
        data = real_page(self, template, path, **context)
        rendered.append(path)
        if len(rendered) == 1:
            base.write_text(default.replace("Skip to content", "Version B"))
            later = base.stat().st_mtime + 5  # a new mtime, whatever the clock's tick
            os.utime(base, (later, later))
        return data

    monkeypatch.setattr(render.Renderer, "page", edit_after_first_page)
    out = build(site, tmp_path / "out", now=NOW).out_dir
    pages = [p.read_text() for p in out.rglob("*.html")]
    assert len(rendered) > 10 and len(pages) > 10
    assert all("Version A" in p and "Version B" not in p for p in pages)
    monkeypatch.setattr(render.Renderer, "page", real_page)
    out = build(site, tmp_path / "out", now=NOW).out_dir
    assert all("Version B" in p.read_text() for p in out.rglob("*.html"))


def test_serve_reports_warnings_answers_head_like_get_and_fails_fast_on_a_taken_port(
        tmp_path: Path, basic_site: Path) -> None:
    """What a maintainer sees in serve: the warnings `build` prints (a misspelt key is
    otherwise silently ignored), the same Content-Length for HEAD as for GET, and a port
    that is taken refused at once (exit 2, nothing built), not after a whole build."""
    import urllib.request

    from badgepress.cli import main
    from badgepress.serve.devserver import DevServer
    from click.testing import CliRunner

    badge = basic_site / "badges/analyst.md"
    badge.write_text(badge.read_text().replace("level: Intermediate",
                                               "level: Intermediate\nlevle: Expert"))
    port = free_port()
    said: list[str] = []
    server = DevServer(basic_site, port, out_dir=tmp_path / "out", report=said.append)
    try:
        assert any(m.startswith("warning: badges/analyst.md:") and "'levle'" in m
                   for m in said), said
        import threading
        threading.Thread(target=server.server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{port}/badges/analyst/"
        with urllib.request.urlopen(url) as got:
            body = got.read()
        assert b"/__badgepress/livereload.js" in body
        head = urllib.request.Request(url, method="HEAD")
        with urllib.request.urlopen(head) as got:
            assert int(got.headers["Content-Length"]) == len(body) and got.read() == b""
        with urllib.request.urlopen(urllib.request.Request(
                f"http://127.0.0.1:{port}/issuer.json", method="HEAD")) as got:
            assert int(got.headers["Content-Length"]) == len(
                (tmp_path / "out/issuer.json").read_bytes())
        # the port is taken now: refused before anything is built
        taken = CliRunner().invoke(main, ["-C", str(basic_site), "serve", "--port",
                                          str(port)])
        assert taken.exit_code == 2, taken.output
        assert f"cannot listen on 127.0.0.1:{port}" in taken.output
        assert not (basic_site / "_site").exists()
    finally:
        server.server.shutdown()
        server.stop()
