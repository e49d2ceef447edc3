"""The ``badgepress`` command: a thin layer that parses options and calls one function per
command. Exit codes: 0 success, 1 invalid input or failed verification, 2 usage error."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

import click

from .core.errors import BadgepressError, BuildError, Problem


def _show_progress() -> bool:
    """Bars only for a person at a terminal: never in CI logs or pipes."""
    return sys.stderr.isatty() and not os.environ.get("CI")


class CliReporter:
    """Progress bars on a terminal; with -v, how long each stage took."""

    def __init__(self, verbose: bool = False):
        self.verbose = verbose

    @contextlib.contextmanager
    def stage(self, name: str):
        start = time.perf_counter()
        bar = None

        def tick(done: int, total: int) -> None:
            nonlocal bar
            if bar is None and _show_progress() and total >= 200:
                bar = click.progressbar(length=total, label=f"{name:<12}", file=sys.stderr)
                bar.__enter__()
            if bar is not None:
                bar.update(done - bar.pos)

        try:
            yield tick
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)
            if self.verbose:
                click.echo(f"  {name}: {time.perf_counter() - start:.2f} s", err=True)


def _print_problems(problems: list[Problem] | tuple[Problem, ...]) -> None:
    for p in problems:
        label = "warning" if p.warning else "error"
        click.echo(f"{label}: {p}", err=True)


# Commands that never write into the site or its output: their failure line must not
# promise that nothing was written, as if writing had been on the cards.
READ_ONLY = frozenset({"check", "verify", "audit"})


class Cli(click.Group):
    """The one place errors become output and exit codes: every command lets the
    BadgepressError family rise; a BuildError prints each problem with its file and line,
    any other member prints ``error: <message>``. Usage errors are click's (exit 2)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BuildError as exc:
            _print_problems(exc.problems)
            n = len(exc.problems)
            what = ctx.invoked_subcommand or "command"
            written = "" if what in READ_ONLY else "; nothing was written"
            click.echo(f"{what} failed: {n} problem{'s' if n != 1 else ''}{written}",
                       err=True)
            ctx.exit(exc.exit_code)
        except BadgepressError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-C", "--site", "site", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder of the badge site (default: the folder holding "
              "site_src/site.toml, the current one or the nearest above it, as git finds "
              "its repository).")
@click.version_option(package_name="badgepress")
@click.pass_context
def main(ctx: click.Context, site: Path | None) -> None:
    """badgepress: build a verifiable Open Badges 3.0 badge site from Markdown."""
    ctx.obj = site.resolve() if site is not None else _site_around(Path.cwd())
    if site is None and ctx.obj != Path.cwd().resolve() and ctx.invoked_subcommand != "init":
        click.echo(f"(the site at {ctx.obj})", err=True)


def _site_around(here: Path) -> Path:
    """The nearest folder, ``here`` or above, that is a site (so that `badgepress build`
    works from badges/ too): one with site_src/site.toml, or the first with a site_src/ or
    badges/ folder (a site whose configuration is missing gets that error, not the site of
    a folder above it); ``here`` when there is none."""
    from .core.paths import BADGES_DIR, CONFIG_PATH, SRC_DIR

    here = here.resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_PATH).is_file() or (folder / SRC_DIR).is_dir() or \
                (folder / BADGES_DIR).is_dir():
            return folder
    return here


@main.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: 'output' in site.toml, usually _site).")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--verify-all", is_flag=True,
              help="Verify every credential's proof in full, instead of trusting the signed "
                   "issuance log for the bytes it vouches for (and ignore the local cache).")
@click.option("--sample", "sample", type=click.IntRange(min=0), default=None,
              help="How many proofs the log vouches for to re-verify in full anyway "
                   "(default 32).")
@click.option("--sample-seed", type=int, default=None,
              help="Seed of that random sample (printed by every build), to repeat a draw.")
@click.option("-v", "--verbose", is_flag=True, help="Show how long each stage took.")
@click.pass_obj
def build(site: Path, out: Path | None, strict: bool, verify_all: bool, sample: int | None,
          sample_seed: int | None, verbose: bool) -> None:
    """Build the site into _site/ (replaced whole, only when the build succeeds).

    \b
    Example:
        badgepress build --strict
    """
    from .build.credential_stage import SAMPLE_SIZE, Sampling
    from .build.pipeline import build as run_build

    sampling = Sampling(SAMPLE_SIZE if sample is None else sample, sample_seed)
    result = run_build(site, out, strict=strict, verify_all=verify_all,
                       reporter=CliReporter(verbose), sampling=sampling, incremental=True)
    _print_problems(result.warnings)
    pages = result.files.pages
    if result.unchanged:
        click.echo(f"nothing changed since the last build: {_show(result.out_dir, site)} "
                   f"({pages} pages, {len(result.files)} files) is up to date "
                   f"({result.seconds:.2f} s)")
        return
    if result.proofs is not None:
        click.echo(result.proofs.sentence())
    click.echo(f"built {pages} pages, {len(result.files)} files into "
               f"{_show(result.out_dir, site)} ({result.written} written, {result.removed} "
               f"removed) in {result.seconds:.2f} s")
    _done()


# set by the console script (``entry``), never by tests that call ``main`` in-process
_EXIT_WHEN_DONE = False


def entry() -> None:
    """The console script and ``python -m badgepress``: ``main``, in a process of its own."""
    global _EXIT_WHEN_DONE
    _EXIT_WHEN_DONE = True
    main()


def _done() -> None:
    """End a one-off build's process once its output is written and reported, without
    freeing what it holds one object at a time (a second at 100,000 credentials; the
    system takes the memory back at once). Only in a process of its own (``entry``)."""
    if _EXIT_WHEN_DONE:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


@main.command()
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.pass_obj
def check(site: Path, strict: bool) -> None:
    """Validate everything without writing any output.

    Badges, pages and configuration; every credential, status list and the issuance log;
    the links between pages and the images they use. Warnings become errors with --strict.
    """
    from .build.pipeline import render

    catalog, files, problems, awards = render(site, strict=strict, links=True)
    _print_problems(problems.warnings)
    click.echo(f"ok: {len(catalog.badges)} badges, {len(catalog.pages)} pages, "
               f"{len(awards)} credentials verified, {len(files)} files would be written")


@main.command()
@click.option("--port", default=8000, show_default=True, help="Port on 127.0.0.1.")
@click.option("-v", "--verbose", is_flag=True, help="Log every request.")
@click.pass_obj
def serve(site: Path, port: int, verbose: bool) -> None:
    """Build, serve on http://127.0.0.1:PORT/ and rebuild on every change.

    Open pages reload by themselves after a rebuild (stylesheets are swapped in place); a
    build error is shown on every open page, and the last good site stays up until it is
    fixed. Stop with Ctrl-C.
    """
    from .serve.devserver import DevServer

    server = DevServer(site, port, verbose=verbose,  # CannotRun when the port is taken
                       report=lambda m: click.echo(m, err=m.startswith(("build failed",
                                                                         "warning:"))))
    click.echo(f"serving {site.name} at {server.url} (watching badges/, site_src/, theme/; "
               "Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped")


def _show(path: Path | None, site: Path) -> str:
    if path is None:
        return "?"
    try:
        return path.resolve().relative_to(site).as_posix() + "/"
    except ValueError:
        return str(path)


# keys, issuing, verifying ----------------------------------------------------------------

KEY_OPTION = click.option(
    "--key", "key", type=click.Path(dir_okay=False, path_type=Path),
    help="Private key file, outside the site folder (default: $BADGEPRESS_KEY).")


@main.command()
@KEY_OPTION
@click.option("--name", default="",
              help="Your public name, shown with the key (keys.json and the /log/ page).")
@click.option("--rotate", is_flag=True,
              help="Retire your current key: no new signatures with it; what it signed "
                   "keeps verifying everywhere.")
@click.option("--replaces", default="",
              help="With --rotate among several keys in use: a prefix of your old key's id "
                   "(default: the key $BADGEPRESS_KEY names, when --key names the new one).")
@click.pass_obj
def keygen(site: Path, key: Path | None, name: str, rotate: bool, replaces: str) -> None:
    """Make a new Ed25519 issuer key: one per maintainer, nobody shares a private key.

    The private half is written to --key (or $BADGEPRESS_KEY), mode 0600, outside the site;
    the public half is added to site_src/issuer/keys.json and published in the issuer
    profile. Existing keys stay published, so credentials signed with them keep verifying.

    \b
    Examples:
        badgepress keygen --key ~/.config/badgepress/issuer.key --name "Ada Lovelace"
        badgepress keygen --rotate --replaces z6MkhaXg --key ~/.config/badgepress/new.key
    """
    from .build.pipeline import config_only
    from .trust.keys import SigningKey, add_key, key_path, save_new_key

    path = key_path(key)
    if path is None:
        raise click.UsageError("say where the private key goes: --key PATH or "
                               "BADGEPRESS_KEY=PATH")
    from .trust.keys import load_key_history, retiring

    cfg = config_only(site)
    new = SigningKey.generate()
    published = load_key_history(site)  # a broken keys.json before a key file is written
    if rotate and not replaces:  # yours: the key $BADGEPRESS_KEY names, when it is in use
        replaces = _current_key(site, path, published)
    if rotate:  # refuse an ambiguous rotation before writing anything
        retiring(published, replaces)
    save_new_key(new, path, site)
    keys = add_key(site, new, rotate=rotate, name=name, replaces=replaces)
    click.echo(f"private key written to {path} (mode 0600): keep it safe, never commit it")
    click.echo(f"public key {new.public_multibase} added to site_src/issuer/keys.json "
               f"({len(keys)} key{'s' if len(keys) != 1 else ''} published)")
    from .trust.issuer import key_id

    click.echo(f"key id: {key_id(cfg, new.public_multibase)} (what its proofs name)")


def _current_key(site: Path, new_path: Path, published: list) -> str:
    """The multibase of the usable key $BADGEPRESS_KEY names (the maintainer's current one,
    when --key names the new file), else ''."""
    from .trust.keys import KEY_ENV, KeyProblem, load_signing_key

    value = os.environ.get(KEY_ENV)
    if not value or Path(value).expanduser().resolve() == new_path:
        return ""
    try:
        mine = load_signing_key(Path(value).expanduser().resolve(), site).public_multibase
    except (KeyProblem, OSError):
        return ""
    return mine if mine in {k.public_key_multibase for k in published if k.usable} else ""


@main.command()
@click.option("--badge", help="Badge slug (the badge's file name without .md).")
@click.option("--email", help="Earner's email: only its salted hash goes into the credential.")
@click.option("--name", default="", help="Display name, only if the earner agreed to it.")
@click.option("--evidence", default="", help="URL of evidence.")
@click.option("--narrative", default="", help="Evidence narrative (Markdown).")
@click.option("--date", "date_", default="", help="Date earned (ISO 8601; default now).")
@click.option("--earner-page", is_flag=True,
              help="The earner agreed to a public page of all their badges (needs --name).")
@click.option("--csv", "csv_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Bulk: a CSV with columns "
                   "badge,email[,name,evidence,narrative,date,earner_page].")
@KEY_OPTION
@click.pass_obj
def issue(site: Path, badge: str | None, email: str | None, name: str, evidence: str,
          narrative: str, date_: str, earner_page: bool, csv_path: Path | None,
          key: Path | None) -> None:
    """Sign Open Badges 3.0 credentials into site_src/credentials/.

    \b
    Examples:
        badgepress issue --badge incident-responder --email ada@example.org --name "Ada L."
        badgepress issue --csv earners.csv
    """
    from .commands.issue import IssueRequest, issue_credentials, requests_from_csv
    from .core.dates import DATE_HINT, parse_date
    from .trust.keys import key_path, load_signing_key

    if csv_path and (badge or email or earner_page):
        raise click.UsageError("use either --csv or --badge/--email[/--earner-page], not "
                               "both (the CSV's earner_page column opts in)")
    if not csv_path and not (badge and email):
        raise click.UsageError("--badge and --email are required (or --csv FILE)")
    signing = load_signing_key(key_path(key), site)
    if csv_path:
        requests = requests_from_csv(csv_path, site)
        source = str(csv_path)
    else:
        try:
            when = parse_date(date_) if date_ else None
        except ValueError as exc:
            raise click.BadParameter(f"{exc} ({DATE_HINT})", param_hint="--date") from exc
        requests = [(None, IssueRequest(badge or "", email or "", name, evidence,
                                        narrative, when, earner_page))]
        source = "issue"
    from .build.fanout import collector_paused

    with collector_paused(), CliReporter().stage("signing") as tick:
        results = issue_credentials(site, requests, signing, source=source,
                                    progress=lambda n: tick(n, len(requests)))
    new = [r for r in results if r.new]
    made = {r.path for r in new}
    for (line, _), r in zip(requests, results, strict=True):  # one result per request
        rel = _show_file(r.path, site)
        if r.new:
            click.echo(f"issued {r.request.badge} -> {rel}")
            if r.lacking:
                click.echo(f"warning: {source}{f':{line}' if line else ''}: the earner "
                           f"holds no credential of {', '.join(r.lacking)}, which "
                           f"{r.request.badge} requires (issued anyway)", err=True)
            if r.expired:
                click.echo(f"warning: {source}{f':{line}' if line else ''}: dated "
                           f"{r.request.date:%Y-%m-%d}, it expired on {r.expired[:10]} already "
                           f"(the badge is valid for a limited time): it is published as "
                           f"expired; if it was renewed since, use 'badgepress renew "
                           f"{r.path.stem[:8]}'", err=True)
        else:
            where = f"{source}:{line}: " if line else ""
            why = ("the same badge and email as a row above, issued in this run"
                   if r.path in made else "already issued to that email")
            click.echo(f"skipped {where}{r.request.badge}: {why} ({rel})")
    click.echo(f"{len(new)} credential{'s' if len(new) != 1 else ''} issued, "
               f"{len(results) - len(new)} skipped")


@main.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the machine-readable result.")
@click.option("--email", default=None, help="Also check that the credential is for this email.")
@click.option("--offline", is_flag=True, help="Fetch nothing: other issuers' keys are unknown.")
@click.option("--now", "now_", default=None,
              help="Judge dates at this moment (ISO 8601: 2030-01-01, which means 00:00 UTC, "
                   "or 2030-01-01T09:00:00Z).")
@click.pass_obj
def verify(site: Path, sources: tuple[str, ...], as_json: bool, email: str | None,
           offline: bool, now_: str | None) -> None:
    """Verify credentials: files (JSON, baked PNG or SVG) or https URLs.

    Each credential gets a one-line answer first (genuine and current; genuine, but revoked
    or expired, with the date; or NOT AUTHENTIC, with the reason), then every check as pass,
    fail or unknown (could not check) with its reason. Inside a badgepress site, that site's
    own issuer keys and revocation records are read from its files. Every source is checked,
    whatever the others do. Exit 0 when every credential is valid, 1 when one is not, 2 when
    a source could not be read at all (missing, a directory or device, too large, a URL that
    cannot be fetched).

    \b
    Example:
        badgepress verify site_src/credentials/*.json
    """
    import json as jsonlib

    from .commands.verify_sources import exit_code, verify_sources
    from .core.dates import DATE_HINT, parse_date

    try:  # only the option's own value: a broken site file is named by its own error
        when = parse_date(now_) if now_ is not None else None  # as issue --date reads it
    except ValueError as exc:
        raise click.BadParameter(f"{exc} ({DATE_HINT})", param_hint="--now") from exc
    results = verify_sources(site, sources, email=email, offline=offline, now=when)
    if as_json:
        out = [v.result.to_json() | {"summary": v.summary.to_json(), "source": v.source}
               for v in results]
        click.echo(jsonlib.dumps(out[0] if len(out) == 1 else out, indent=2))
    else:
        for v in results:
            click.echo(f"{v.source}: {v.result.verdict.upper()}")
            click.echo(f"  {v.summary.message}")
            for c in v.result.checks:
                click.echo(f"  {c.status:<7} {c.check:<10} {c.message}")
    sys.exit(exit_code(results))


def _show_file(path: Path, site: Path) -> str:
    try:
        return path.resolve().relative_to(site).as_posix()
    except ValueError:
        return str(path)


@main.command()
@click.argument("credential")
@click.option("--reason", required=True, help="Why it is revoked (kept in revocations.toml).")
@click.option("--public", "public", is_flag=True,
              help="Show the reason on the credential page (default: only the date).")
@KEY_OPTION
@click.pass_obj
def revoke(site: Path, credential: str, reason: str, public: bool, key: Path | None) -> None:
    """Revoke a credential: record it in site_src/revocations.toml and re-sign its status list.

    \b
    Example:
        badgepress revoke 3f2c…-uuid --reason "Issued in error"
    """
    from .commands.lifecycle import revoke as do_revoke
    from .trust.keys import key_path, load_signing_key

    signing = load_signing_key(key_path(key), site)
    record = do_revoke(site, credential, reason, signing, public=public)
    click.echo(f"revoked {record.id} on {record.date}; status list re-signed "
               f"(reason {'public' if public else 'kept private'})")


@main.command()
@click.argument("credential")
@click.option("--reason", required=True,
              help="Why it is withdrawn: published in the issuance log, so name no person.")
@KEY_OPTION
@click.pass_obj
def withdraw(site: Path, credential: str, reason: str, key: Path | None) -> None:
    """Take a credential off the site for good: delete its file and log why.

    For a credential that must never be published (an email address in the name, personal
    data in the evidence). The build then accepts the missing file; its status list entry
    stays reserved. Copies already handed out keep verifying until it is revoked: revoke
    it, before or after, if any were.

    \b
    Example:
        badgepress withdraw 3f2c…-uuid --reason "Personal data in the name; reissued"
    """
    from .commands.lifecycle import withdraw as do_withdraw
    from .trust.keys import key_path, load_signing_key

    signing = load_signing_key(key_path(key), site)
    cid = do_withdraw(site, credential, reason, signing)
    click.echo(f"withdrew {cid}: its file is deleted and the withdrawal logged; issue the "
               "badge again with 'badgepress issue' if it was earned")
    from .trust.status import read_revocations

    if not any(r.id == cid for r in read_revocations(site)):
        click.echo(f"note: it is not revoked, so copies already handed out (a download, a "
                   f"wallet) still verify as valid; if any were, revoke it too: "
                   f"badgepress revoke {cid.removeprefix('urn:uuid:')} --reason …", err=True)


@main.command()
@click.argument("credential")
@KEY_OPTION
@click.pass_obj
def renew(site: Path, credential: str, key: Path | None) -> None:
    """Issue the successor of a credential (same earner, valid from now) and link the two."""
    from .commands.lifecycle import renew as do_renew
    from .trust.keys import key_path, load_signing_key

    signing = load_signing_key(key_path(key), site)
    path = do_renew(site, credential, signing)
    click.echo(f"renewed {credential} -> {_show_file(path, site)}")


@main.command()
@click.argument("email")
@click.option("--page", type=click.Choice(["on", "off"]), required=True,
              help="on: publish a page of all this earner's badges; off: withdraw it.")
@click.option("--name", default="", help="The name the page shows (default: the last one "
              "given at issue).")
@KEY_OPTION
@click.pass_obj
def earner(site: Path, email: str, page: str, name: str, key: Path | None) -> None:
    """Publish or withdraw an earner's page /earners/<slug>/ (logged and signed).

    Only with the earner's agreement: the page names them and lists every credential of
    theirs. The link between their credentials comes from the local earner index beside
    your key.

    \b
    Example:
        badgepress earner ada@example.org --page on
    """
    from .commands.earner_commands import set_page
    from .trust.keys import key_path, load_signing_key

    signing = load_signing_key(key_path(key), site)
    slug = set_page(site, email, page == "on", signing, name=name)
    if page == "on":
        click.echo(f"earner page published: site_src/earners/{slug}.json (/earners/{slug}/)")
    elif slug:
        click.echo(f"earner page /earners/{slug}/ withdrawn")
    else:
        click.echo("this earner had no page")


@main.group("earners")
def earners_group() -> None:
    """The local earner index beside your key (never published)."""


@earners_group.command("rebuild")
@click.option("--from", "sources", multiple=True, required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A CSV of your records (columns badge, email[, name]); repeatable.")
@click.option("--replace", is_flag=True,
              help="Start from the records alone: drop what your index held that they do "
                   "not name (default: keep it).")
@KEY_OPTION
@click.pass_obj
def earners_rebuild(site: Path, sources: tuple[Path, ...], replace: bool,
                    key: Path | None) -> None:
    """Make the earner index again from your records: each email is hashed with each
    credential's salt. Earner pages come back from site_src/earners/. What your index held
    and the records do not name is kept, unless --replace.

    \b
    Example:
        badgepress earners rebuild --from 2025.csv --from 2026.csv
    """
    from .commands.earner_commands import rebuild
    from .trust.keys import key_path, load_signing_key

    signing = load_signing_key(key_path(key), site)
    done = rebuild(site, signing, list(sources), replace=replace)
    click.echo(f"earner index rebuilt: {done.credentials} credentials of {done.earners} "
               f"earners ({done.pages} with a page); {done.unmatched} credentials matched no "
               "email of the records"
               + (f", {done.kept} of them kept from your index as it was" if done.kept else ""))


@main.command()
@KEY_OPTION
@click.option("--partial", is_flag=True,
              help="Write the figures even when your earner index knows only some of the "
                   "site's credentials (they then count only those).")
@click.pass_obj
def insights(site: Path, key: Path | None, partial: bool) -> None:
    """Re-write site_src/insights.json (program figures) from the earner index."""
    from .commands.earner_commands import write_insights
    from .trust.keys import key_path, load_signing_key

    write_insights(site, load_signing_key(key_path(key), site), partial=partial)
    click.echo("site_src/insights.json re-written and logged")


@main.group("key")
def key_group() -> None:
    """Manage issuer keys (see also: badgepress keygen)."""


@key_group.command("revoke")
@click.argument("keyid")
@click.option("--since", required=True, help="When the key may have been compromised (ISO).")
@click.pass_obj
def key_revoke(site: Path, keyid: str, since: str) -> None:
    """Mark a key compromised: its signatures stop verifying until 'badgepress resign'."""
    from .commands.lifecycle import revoke_key
    from .core.dates import DATE_HINT, parse_date

    try:
        when = parse_date(since)
    except ValueError as exc:
        raise click.BadParameter(f"{exc} ({DATE_HINT})", param_hint="--since") from exc
    multibase, files = revoke_key(site, keyid, when)
    click.echo(f"key {multibase} revoked since {since}; {len(files)} file(s) signed with it "
               "no longer verify")
    click.echo("make a new key if you have none ('badgepress keygen --key NEW'), then run "
               "'badgepress resign --key NEW': it re-signs what the revoked key signed and "
               "records the revocation in your log, so that no edit of keys.json undoes it")


@main.command()
@KEY_OPTION
@click.option("-y", "--yes", is_flag=True,
              help="Record the key revocations it lists without asking.")
@click.pass_obj
def resign(site: Path, key: Path | None, yes: bool) -> None:
    """Re-sign everything signed with a revoked key, with the current key, and record each
    key revocation in your log, where no edit of keys.json can undo it."""
    from .commands.lifecycle import resign as do_resign
    from .commands.lifecycle import unrecorded_revocations
    from .trust.keys import key_path, load_signing_key

    signing = load_signing_key(key_path(key), site)
    new = unrecorded_revocations(site)
    for k in new:  # final once logged: a keyless edit of keys.json could have made it
        click.echo(f"the key {k.label} is revoked in site_src/issuer/keys.json (since "
                   f"{k.revoked}); recording it makes it final")
    if new and not yes:
        if not sys.stdin.isatty():
            raise click.UsageError("check who revoked it (git log -p "
                                   "site_src/issuer/keys.json), then run again with --yes")
        click.confirm("Check who revoked it (git log -p site_src/issuer/keys.json). "
                      "Record it", abort=True)
    done = do_resign(site, signing)
    click.echo(f"re-signed {len(done)} file(s) and the log head with the current key")


@main.command()
@KEY_OPTION
@click.pass_obj
def reconcile(site: Path, key: Path | None) -> None:
    """After a merge: re-sign every status list that disagrees with revocations.toml.

    Git keeps both branches' revocations (revocations.toml merges by union) but only one
    side of a status list both re-signed. The lists are signed, so this needs your issuer
    key; it is recorded in your key's log.

    \b
    Example:
        git merge ada/revocations && badgepress reconcile --key ~/.config/badgepress/issuer.key
    """
    from .commands.reconcile import reconcile as do_reconcile
    from .trust.keys import KeyProblem, key_path, load_signing_key

    path = key_path(key)
    if path is None:
        raise KeyProblem("reconcile re-signs status lists, which only an issuer key can do: "
                         "pass your key with --key PATH (or BADGEPRESS_KEY)")
    done = do_reconcile(site, load_signing_key(path, site))
    for name, bits in done.lists.items():
        click.echo(f"re-signed site_src/status/{name}.json from revocations.toml "
                   f"({len(bits)} revoked)")
    for cid in done.settled:
        click.echo(f"recorded that {cid} is both revoked and renewed (seen both branches)")
    if not done.lists and not done.settled:
        click.echo("nothing to reconcile: every status list matches revocations.toml")


@main.command()
@click.argument("url")
@click.pass_obj
def audit(site: Path, url: str) -> None:
    """Audit a published site at its https URL: its issuance log, signed head, and every
    logged file.

    \b
    Example:
        badgepress audit https://badges.example.org/
    """
    from .commands.lifecycle import audit as do_audit
    from .commands.verify_sources import only_https
    from .core.errors import CannotRun
    from .trust import resolve

    if why := only_https(url):  # verify's rule, before anything is fetched
        raise CannotRun(f"could not audit {url}: {why} (give the site's https address)")
    try:
        report = do_audit(url, resolve.fetch_bytes)
    except (OSError, ValueError, resolve.FetchError) as exc:  # unreachable, malformed log
        raise BadgepressError(f"could not audit {url}: {exc}") from exc
    for p in report.problems:
        click.echo(f"problem: {p}")
    click.echo(f"{report.checked} logged files checked, {len(report.problems)} problem(s)")
    sys.exit(1 if report.problems else 0)


@main.command()
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", help="Name of the badge program.")
@click.option("--base-url", help="Public https URL the site will be published at.")
@click.option("--issuer-name", help="The issuing organisation.")
@click.option("--issuer-url", help="The organisation's https home page.")
@click.option("--issuer-email", help="Public contact address of the program.")
@KEY_OPTION
@click.option("--name", default="",
              help="Your public name, shown with your key (keys.json and the /log/ page).")
@click.option("-y", "--yes", is_flag=True, help="Take the defaults; ask nothing.")
def init(dest: Path, title, base_url, issuer_name, issuer_url, issuer_email, key, name,
         yes) -> None:
    """Start a new badge site in DEST: configuration, an example badge, the theme, hosting
    files, and an issuer key whose private half is kept outside the site.

    \b
    Example:
        badgepress init my-badges && cd my-badges && badgepress serve
    """
    from .commands.scaffold import (
        SiteAnswers,
        default_key_path,
        defaults,
        init_site,
        requirement_note,
    )
    from .trust.keys import KeyProblem, SigningKey, add_key, key_path, save_new_key

    base = defaults(dest)

    def value(given, prompt, default):
        """The option, else the answer (typed, or a line piped in), else the default."""
        if given is not None:
            return given
        if yes:
            return default
        try:
            answer = click.prompt(prompt, default=default)
            if not sys.stdin.isatty():  # piped: no echo of the answer ends the line
                click.echo(answer)
            return answer
        except click.Abort:  # no more input (piped or closed): the rest takes defaults
            raise click.UsageError(f"no answer for '{prompt}': give it as an option, or "
                                   "--yes to take the defaults") from None

    answers = SiteAnswers(
        title=value(title, "Program title", base.title),
        base_url=value(base_url, "Public URL of the site", base.base_url),
        issuer_name=value(issuer_name, "Issuing organisation", base.issuer_name),
        issuer_url=value(issuer_url, "Organisation's home page", base.issuer_url),
        issuer_email=value(issuer_email, "Public contact email (optional)", ""))
    key_file = key_path(key) or default_key_path(answers)
    if key_file.exists():
        raise KeyProblem(f"{key_file} already exists: give another --key for the new "
                         "site's issuer key")
    files = init_site(dest, answers)
    new = SigningKey.generate()
    save_new_key(new, key_file, dest.resolve())
    add_key(dest.resolve(), new, name=name.strip())
    click.echo(f"created {dest}/ ({len(files)} files and folders) with one example badge")
    click.echo(f"issuer key: private half in {key_file} (mode 0600, keep it safe, never "
               "commit it); public half in site_src/issuer/keys.json")
    note = requirement_note()
    if note:
        click.echo(f"note: {note}")
    click.echo(f"next: cd {dest} && badgepress serve")
    click.echo(f"to issue: export BADGEPRESS_KEY={key_file}  (or give --key {key_file})")
