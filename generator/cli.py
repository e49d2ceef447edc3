"""The ``badgepress`` command: a thin layer that parses options and calls one function per
command. Exit codes: 0 success, 1 invalid input or failed verification, 2 usage error."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .errors import BuildError, Problem


def _print_problems(problems: list[Problem] | tuple[Problem, ...]) -> None:
    for p in problems:
        label = "warning" if p.warning else "error"
        click.echo(f"{label}: {p}", err=True)


def _fail(exc: BuildError, what: str = "build") -> None:
    _print_problems(exc.problems)
    n = len(exc.problems)
    click.echo(f"{what} failed: {n} problem{'s' if n != 1 else ''}; nothing was written",
               err=True)
    sys.exit(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-C", "--site", "site", type=click.Path(file_okay=False, path_type=Path),
              default=".", show_default=True, help="Folder of the badge site.")
@click.version_option(package_name="badgepress")
@click.pass_context
def main(ctx: click.Context, site: Path) -> None:
    """badgepress: build a verifiable Open Badges 3.0 badge site from Markdown."""
    ctx.obj = site.resolve()


@main.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: 'output' in site.toml, usually _site).")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.pass_obj
def build(site: Path, out: Path | None, strict: bool) -> None:
    """Build the site into _site/ (replaced whole, only when the build succeeds).

    \b
    Example:
        badgepress build --strict
    """
    from .build import build as run_build

    try:
        result = run_build(site, out, strict=strict)
    except BuildError as exc:
        _fail(exc)
    _print_problems(result.warnings)
    pages = sum(1 for p in result.files if p.endswith(".html"))
    click.echo(f"built {pages} pages, {len(result.files)} files into "
               f"{_show(result.out_dir, site)} in {result.seconds:.2f} s")


@main.command()
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.pass_obj
def check(site: Path, strict: bool) -> None:
    """Validate everything without writing any output."""
    from .build import render

    try:
        catalog, files, problems = render(site, strict=strict)
    except BuildError as exc:
        _fail(exc, "check")
    _print_problems(problems.warnings)
    click.echo(f"ok: {len(catalog.badges)} badges, {len(catalog.pages)} pages, "
               f"{len(files)} files would be written")


@main.command()
@click.option("--port", default=8000, show_default=True, help="Port on 127.0.0.1.")
@click.option("-v", "--verbose", is_flag=True, help="Log every request.")
@click.pass_obj
def serve(site: Path, port: int, verbose: bool) -> None:
    """Build, then serve the site on http://127.0.0.1:PORT/."""
    from .build import build as run_build
    from .serve import make_server

    try:
        result = run_build(site)
    except BuildError as exc:
        _fail(exc)
    _print_problems(result.warnings)
    server = make_server(result.out_dir, port, verbose=verbose)
    click.echo(f"serving {_show(result.out_dir, site)} at http://127.0.0.1:{port}/ "
               "(Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped")
    finally:
        server.server_close()


def _show(path: Path | None, site: Path) -> str:
    if path is None:
        return "?"
    try:
        return path.resolve().relative_to(site).as_posix() + "/"
    except ValueError:
        return str(path)
