"""One error type for every problem a user can fix.

Each problem carries the file it is about, the line or field, what is wrong and how to fix it,
so the CLI can print ``badges/leader.md:3: 'requires' names 'membr', which is no badge (did you
mean 'member'?)``. Validation collects problems instead of stopping at the first one: a user
wants to see every mistake of every file in one run (Pelican, Zola).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, pointing at where it is and how to fix it."""

    path: str
    message: str
    line: int | None = None
    field: str | None = None
    hint: str | None = None
    warning: bool = False

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
        text = f"{where}: {self.message}" if where else self.message  # e.g. a no-change
        # build's warnings, kept as the text of the build that found them
        if self.hint:
            text += f" ({self.hint})"
        return text


class BadgepressError(Exception):
    """The one family of errors a user can act on. The CLI maps every member to
    ``error: <message>`` and ``exit_code`` in one place (cli.Cli.invoke); nothing else prints
    errors. Messages are sentences for people that say what to do."""

    exit_code = 1


class CannotRun(BadgepressError):
    """The command could not run at all (a port taken, …): exit code 2, as documented."""

    exit_code = 2


class BuildError(BadgepressError):
    """Raised when input is invalid; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class Problems:
    """Collects problems (errors and warnings) while a stage runs."""

    root: Path
    items: list[Problem] = field(default_factory=list)

    def rel(self, path: Path | str) -> str:
        """Show paths relative to the site root, as the user typed them (a symbolic link by
        its own name, not its target's)."""
        p = Path(path)
        try:
            return (p.parent.resolve() / p.name).relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(p)

    def error(self, path: Path | str, message: str, *, line: int | None = None,
              field: str | None = None, hint: str | None = None) -> None:
        self.items.append(Problem(self.rel(path), message, line, field, hint))

    def warn(self, path: Path | str, message: str, *, line: int | None = None,
             field: str | None = None, hint: str | None = None) -> None:
        self.items.append(Problem(self.rel(path), message, line, field, hint, warning=True))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if not p.warning]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.warning]

    def raise_if_errors(self, strict: bool = False) -> None:
        """Fail with every error (and, when strict, every warning) collected so far."""
        bad = self.items if strict else self.errors
        if bad:
            raise BuildError(bad)
