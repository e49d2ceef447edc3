"""Write stage: the whole site goes to a fresh temporary folder next to the output, which
then replaces the old output in two renames. A failed or interrupted build therefore never
leaves a half-written site, and the previous one stays until the new one is complete."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def write_site(out_dir: Path, files: dict[str, bytes]) -> None:
    """Replace ``out_dir`` with exactly ``files`` (paths relative to it)."""
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent))
    try:
        for rel, data in files.items():
            target = (staging / rel).resolve()
            if staging not in target.parents:
                raise ValueError(f"output path escapes the site folder: {rel}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        replace_folder(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def replace_folder(staging: Path, out_dir: Path) -> None:
    """Put the complete ``staging`` folder in place of ``out_dir`` in two renames."""
    os.chmod(staging, 0o755)
    old = None
    if out_dir.exists():
        old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
        os.replace(out_dir, old)
    os.replace(staging, out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def remove_stale(out_dir: Path, paths: list[str]) -> None:
    """Delete files a build no longer makes, and the folders they leave empty."""
    for rel in paths:
        (out_dir / rel).unlink(missing_ok=True)
    for folder in sorted({(out_dir / rel).parent for rel in paths}, reverse=True):
        while folder != out_dir and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent
