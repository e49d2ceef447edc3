"""Theme lookup: a site's own theme folder overrides single files of the default theme that
ships inside the package, and everything it does not override comes from the default (MkDocs'
``custom_dir``, Hugo's theme lookup). ``pip install badgepress`` is all a site needs.

The search path is (site theme folder, packaged default); the first folder that has a file
at a relative path wins: ``templates/badge.html``, ``assets/style.css``, ``vendor/…``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import theme as _default_theme

DEFAULT_THEME = Path(_default_theme.__file__).resolve().parent


@dataclass(frozen=True)
class Theme:
    """Theme folders, most specific first; the packaged default is always last."""

    folders: tuple[Path, ...]

    @classmethod
    def for_site(cls, site_theme: Path | None) -> Theme:
        folders = [DEFAULT_THEME]
        if site_theme is not None and site_theme.is_dir() \
                and site_theme.resolve() != DEFAULT_THEME:
            folders.insert(0, site_theme.resolve())
        return cls(tuple(folders))

    def find(self, rel: str) -> Path | None:
        """The file at ``rel`` in the first folder that has it."""
        for folder in self.folders:
            path = folder / rel
            if path.is_file():
                return path
        return None

    def template_dirs(self) -> list[str]:
        return [str(f / "templates") for f in self.folders if (f / "templates").is_dir()]

    def files(self, sub: str) -> dict[str, Path]:
        """Every file under ``sub`` (e.g. 'assets') by its path relative to ``sub``, the
        site's override winning; hidden files are skipped."""
        found: dict[str, Path] = {}
        for folder in reversed(self.folders):
            base = folder / sub
            for p in sorted(base.rglob("*")) if base.is_dir() else []:
                rel = p.relative_to(base)
                if p.is_file() and not any(part.startswith(".") for part in rel.parts):
                    found[rel.as_posix()] = p
        return dict(sorted(found.items()))

    def vendor_dir(self) -> Path:
        """The pinned libraries' folder: a site may replace it whole (with its own
        versions.json), never mix two sets of pins."""
        for folder in self.folders:
            if (folder / "vendor" / "versions.json").is_file():
                return folder / "vendor"
        return DEFAULT_THEME / "vendor"
