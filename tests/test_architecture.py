"""The package's shape: subpackages import only those below them, no module imports itself
back through others (lazy imports inside functions included), and the README's layout and
key tables say what the code does."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from badgepress.content.schema import BADGE_SCHEMA, ISSUER_SCHEMA, SITE_SCHEMA
from conftest import REPO

PKG = REPO / "generator"
# Each subpackage and what it may import (besides itself); see each __init__ docstring.
LAYERS = {
    "core": set(),
    "content": {"core"},
    "trust": {"core", "content"},
    "build": {"core", "content", "trust", "theme"},
    "commands": {"core", "content", "trust", "build"},
    "serve": {"core", "build"},
}


def module_name(path: Path) -> str:
    rel = path.relative_to(PKG).with_suffix("")
    parts = [p for p in rel.parts if p != "__init__"]
    return ".".join(["badgepress", *parts])


def imports_of(path: Path) -> set[str]:
    """Every badgepress module a file imports, at the top or inside a function."""
    mod = module_name(path)
    package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("badgepress"):
                continue
            for alias in node.names:  # `from . import ob` names a module
                sub = f"{target}.{alias.name}"
                found.add(sub if module_file(sub) else target)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("badgepress")}
    return {m for m in found if module_file(m)} - {mod}


def module_file(name: str) -> Path | None:
    parts = name.split(".")[1:]
    for candidate in (PKG.joinpath(*parts).with_suffix(".py"),
                      PKG.joinpath(*parts, "__init__.py")):
        if parts and candidate.is_file():
            return candidate
    if parts[:1] == ["theme"] and len(parts) == 1:
        return REPO / "theme" / "__init__.py"
    return None


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in sorted(PKG.rglob("*.py"))}


def layer(mod: str) -> str:
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 and (parts[1] in LAYERS or parts[1] == "theme") else ""


def test_the_package_has_the_documented_subpackages() -> None:
    subpackages = {p.parent.name for p in PKG.glob("*/__init__.py")}
    assert subpackages == set(LAYERS)
    for name in LAYERS:
        doc = ast.get_docstring(ast.parse((PKG / name / "__init__.py").read_text()))
        assert doc and "May import" in doc, f"{name}/__init__.py must say what it may import"


def test_subpackages_import_only_the_layers_below_them() -> None:
    wrong = []
    for mod, deps in graph().items():
        here = layer(mod)
        if here not in LAYERS:
            continue  # cli, __main__ and the package root sit on top
        for dep in deps:
            there = layer(dep) or "root"
            if there != here and there not in LAYERS[here]:
                wrong.append(f"{mod} imports {dep}")
    assert wrong == []


def test_no_import_cycle_lazy_imports_included() -> None:
    g = graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in sorted(g.get(node, ())):
            if state.get(dep) == 1:
                cycles.append(path[path.index(dep):] + [dep] if dep in path else [node, dep])
            elif dep not in state:
                visit(dep, path + [dep])
        state[node] = 2

    for node in sorted(g):
        if node not in state:
            visit(node, [node])
    assert cycles == []
    # the check sees lazy imports: the CLI's commands are all imported inside functions
    assert "badgepress.build.pipeline" in g["badgepress.cli"]


def test_readme_layout_names_every_subpackage_and_module() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Repository layout", 1)[1].split("\n## ", 1)[0]
    section = section.split("\ngenerator/", 1)[1].split("\ntheme/", 1)[0]
    listed = set(re.findall(r"\b([a-z_]+)\.py\b", section))
    actual = {p.stem for p in PKG.rglob("*.py") if p.stem not in ("__init__", "__main__")}
    assert listed == actual
    for name in LAYERS:
        assert f"{name}/" in section


def _table_keys(section: str) -> dict[str, str]:
    """First column `key` -> second column, for every row of a Markdown table."""
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2:
            for key in re.findall(r"`([a-z_]+)`", cells[0]):
                rows[key if "[issuer]" not in cells[0] else "issuer." + key] = cells[1]
    return rows


def test_readme_key_tables_match_the_schemas() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    badge = _table_keys(readme.split("| key | required | meaning |", 1)[1].split("\n\n", 1)[0])
    assert set(badge) == {o.name for o in BADGE_SCHEMA}
    assert {k for k, v in badge.items() if v == "yes"} == \
        {o.name for o in BADGE_SCHEMA if o.required}
    config = _table_keys(readme.split("## Configuration", 1)[1].split("\n## ", 1)[0])
    expected = {o.name for o in SITE_SCHEMA if o.type is not dict} | {
        "issuer." + o.name for o in ISSUER_SCHEMA}
    assert set(config) == expected
    assert {k for k, v in config.items() if v == "(required)"} == (
        {o.name for o in SITE_SCHEMA if o.required and o.type is not dict}
        | {"issuer." + o.name for o in ISSUER_SCHEMA if o.required})
