"""Reading and writing the site's files safely.

Writes are atomic: every file badgepress writes is either the old or the new content, never
a part, so a crash or a full disk cannot leave a half-written credential or log.

Reads never leave the site folder: a symbolic link (``badges/x.png -> ~/.config/…/issuer.key``,
``x.svg -> /proc/self/environ``) or a special file (FIFO, device, socket) would put whatever
it points at into the published site, or hang the build. So every folder the build reads is
first scanned for them (``refuse_unsafe``: one clear error per file, before anything is read),
and every file is then opened with O_NOFOLLOW and checked to be a regular file on the open
descriptor (``read_regular``), so a link swapped in after the scan is refused too.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .errors import BadgepressError, BuildError, Problem, Problems

SYMLINK_HINT = ("replace the link with a copy of the file it points to: the build never "
                "follows links, so no file from outside the site folder can be published")
SPECIAL_HINT = "remove it: the build reads only regular files"
_KINDS = ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))


class UnsafeFile(BadgepressError, OSError):
    """A file the build refuses to read: a link, a special file, or one far too big."""

    def __init__(self, path: Path | str, message: str, hint: str):
        self.path, self.message, self.hint = Path(path), message, hint
        super().__init__(f"{path}: {message} ({hint})")


def kind_of(mode: int) -> str | None:
    """'a symbolic link', 'a named pipe (FIFO)', …; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((word for test, word in _KINDS if test(mode)), "a special file")


def _refusal(path: Path | str, kind: str) -> UnsafeFile:
    hint = SYMLINK_HINT if kind == "a symbolic link" else SPECIAL_HINT
    return UnsafeFile(path, f"is {kind}, not a regular file", hint)


def size_text(n: int) -> str:
    """'3.0 MB', '300 KB', '6 bytes'."""
    if n >= 1 << 20:
        return f"{n >> 20} MB" if n % (1 << 20) == 0 else f"{n / (1 << 20):.1f} MB"
    return f"{n >> 10} KB" if n >= 1 << 10 else f"{n} bytes"


def read_regular(path: Path | str, limit: int | None = None) -> bytes:
    """The bytes of a regular file, never through a symbolic link nor from a special file
    (O_NONBLOCK: opening a FIFO does not wait for a writer). ``limit`` (bytes) refuses a
    file that is bigger. FileNotFoundError as usual when there is no file."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENXIO, errno.EMLINK):
            raise _refusal(path, kind_of(os.lstat(path).st_mode) or "a special file") from exc
        raise
    try:
        st = os.fstat(fd)
        kind = kind_of(st.st_mode)
        if kind:
            raise _refusal(path, kind)
        if limit is not None and st.st_size > limit:
            raise UnsafeFile(path, f"is {size_text(st.st_size)}, more than the "
                             f"{size_text(limit)} a file of this kind may have",
                             "split it, or check that it is the file you meant")
        # one read for a file that keeps its size (a regular file's read comes back short
        # only at its end); a file still growing is read to its end
        data = os.read(fd, st.st_size + 1)
        if len(data) <= st.st_size:
            return data
        chunks = [data]
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_regular_text(path: Path, limit: int | None = None) -> str:
    """``read_regular`` decoded as UTF-8 (UnicodeDecodeError when it is not)."""
    return read_regular(path, limit).decode("utf-8")


# git's conflict markers, each at the start of a line: <<<<<<< ours, ||||||| base (diff3),
# =======, >>>>>>> theirs
_CONFLICT_MARKER = re.compile(rb"^(?:(?:<{7}|\|{7}|>{7})(?:[ \t][^\n]*)?|={7})\r?$", re.M)


def conflict_lines(data: bytes) -> list[int]:
    """The numbers of the lines (from 1) that are git conflict markers: a file a merge left
    half-done must be named as that, since its fix (keep both sides) differs from that of a
    typo or of an edited signed file."""
    return [data.count(b"\n", 0, m.start()) + 1 for m in _CONFLICT_MARKER.finditer(data)]


def merge_conflict(shown: str, lines: list[int]) -> str:
    """'a merge conflict left in FILE (git's markers on lines 9, 13 and 17)'."""
    numbers = [str(n) for n in lines[:6]] + (["…"] if len(lines) > 6 else [])
    listed = ", ".join(numbers[:-1]) + " and " + numbers[-1] if len(numbers) > 1 \
        else numbers[0]
    return (f"a merge conflict left in {shown} (git's <<<<<<< ======= >>>>>>> markers on "
            f"line{'s' if len(lines) > 1 else ''} {listed})")


def file_conflict(path: Path, shown: str) -> tuple[str, int] | None:
    """(the merge-conflict sentence, its first line) when the file holds git's conflict
    markers; None otherwise, and for a file that cannot be read (reported elsewhere)."""
    try:
        lines = conflict_lines(read_regular(path))
    except OSError:
        return None
    return (merge_conflict(shown, lines), lines[0]) if lines else None


class _Twice(ValueError):
    """A name written twice in one JSON object (json.loads keeps the last silently)."""


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    names = [k for k, _ in pairs]
    for k in names:
        if names.count(k) > 1:
            raise _Twice(k)
    return dict(pairs)


def parse_json(data: bytes, shown: str, hint: str, conflict_hint: str | None = None, *,
               unique: bool = False) -> Any:
    """``data`` (the file ``shown``, as the user names it) parsed as JSON, or a BuildError
    naming the file, the line and the fix instead of a Python traceback. ``conflict_hint``:
    the fix when git left conflict markers in it (default: ``hint``). ``unique`` refuses a
    name written twice in an object: what a merge conflict resolved by deleting only the
    marker lines leaves, and json.loads would keep one side of it without a word."""
    try:
        return json.loads(data, object_pairs_hook=_unique if unique else None)
    except _Twice as exc:
        raise BuildError([Problem(shown, f"an object names '{exc}' twice, so one of its "
                                  "values would be lost (a merge conflict resolved by "
                                  "deleting only the marker lines?)",
                                  hint=conflict_hint or hint)]) from exc
    except UnicodeDecodeError as exc:
        raise BuildError([Problem(shown, f"not UTF-8 text (byte {exc.start + 1})",
                                  hint=hint)]) from exc
    except json.JSONDecodeError as exc:
        lines = conflict_lines(data)
        if lines:
            raise BuildError([Problem(shown, "not valid JSON: " + merge_conflict(shown, lines),
                                      line=lines[0], hint=conflict_hint or hint)]) from exc
        raise BuildError([Problem(shown, f"not valid JSON ({exc.msg}, column {exc.colno})",
                                  line=exc.lineno, hint=hint)]) from exc


def unsafe_entries(folder: Path) -> Iterator[tuple[Path, str]]:
    """Every symbolic link and special file at or below ``folder``, links not followed.
    Emacs' lock links ('.#name', dangling by design, never read) are left alone."""
    try:
        mode = os.lstat(folder).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(mode):
        kind = kind_of(mode)
        if kind:
            yield folder, kind
        return
    stack = [folder]
    while stack:
        with os.scandir(stack.pop()) as it:
            entries = sorted(it, key=lambda e: e.name)
        for e in entries:
            if e.name.startswith(".#"):
                continue
            try:
                if e.is_dir(follow_symlinks=False):
                    stack.append(Path(e.path))
                    continue
                # the directory listing's own file type (d_type): a regular file costs no
                # lstat (100,000 credentials); an unknown type is looked up by is_file
                if e.is_file(follow_symlinks=False):
                    continue
                kind = kind_of(e.stat(follow_symlinks=False).st_mode)
            except FileNotFoundError:  # removed while we looked: nothing to read
                continue
            if kind:
                yield Path(e.path), kind


def refuse_unsafe(folders: list[Path], problems: Problems,
                  only: Iterable[Path] | None = None) -> None:
    """One error per symbolic link or special file in the folders the build reads.

    ``only`` (a dev server's rebuild, from its file watcher) limits the scan to those
    paths that lie in the folders, each scanned whole when it is a folder: the caller
    vouches that an earlier scan found the rest clean and that every path created, moved
    or written since is among them."""
    for folder in folders:
        if only is None:
            found = unsafe_entries(folder)
        else:
            found = (hit for path in sorted(within(only, folder))
                     for hit in unsafe_entries(path))
        for path, kind in sorted(found):
            err = _refusal(path, kind)
            problems.error(path, err.message, hint=err.hint)


def within(paths: Iterable[Path], folder: Path) -> set[Path]:
    """The paths at or below ``folder``, compared with their folders resolved but not the
    paths themselves (resolving a symbolic link would follow it elsewhere)."""
    base = folder.resolve()
    out = set()
    for path in paths:
        path = Path(path)
        where = path.parent.resolve() / path.name if path.name else path.resolve()
        if where == base or where.is_relative_to(base):
            out.add(where)
    return out


def append_line(path: Path, line: str) -> None:
    """Append one line and fsync it; never through a link (it would write outside)."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, 0o644)
    try:
        data = memoryview(line.encode("utf-8"))
        while data:
            data = data[os.write(fd, data):]
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, mode: int | None = None, *,
                 sync: bool = True) -> None:
    """Write one file so readers see either the old or the new content, never a part.
    ``sync=False`` leaves out the fsync: for a cache, or when the caller makes many files
    durable at once later."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if sync:
                fh.flush()
                os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
