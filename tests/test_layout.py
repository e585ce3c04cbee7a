"""The layout's house rules: one-way imports inside the local workspace, module sizes, the top level."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "src" / "prefect_databricks"
LOCAL = PACKAGE / "local"
# `LocalWorkspace.credentials()` hands out a Block pointing at itself: the one way out, imported lazily.
OUTSIDE_LOCAL = {"server": {"prefect_databricks.credentials"}}
GENERATED = {PACKAGE / "models" / "_generated.py", LOCAL / "jobs" / "schema.py"}
_LOCAL_MODULE = "prefect_databricks.local"
_BASE = {"state", "store", "errors", "paging"}
ALLOWED = {
    "server": {"api", "engine", "tls"} | _BASE,
    "serve": {"server", "api", "tls"} | _BASE,
    "tls": set(),
    "__init__": {"server"},
    "api": {"ui", "runs", "jobs", "files", "secrets", "spark"} | _BASE,
    "ui": {"runs", "jobs", "files"} | _BASE,
    "engine": {"runs", "jobs", "files", "executor"} | _BASE,
    "runs": {"jobs", "files", "executor"} | _BASE,
    "jobs": _BASE,
    "files": {"executor"} | _BASE,
    "secrets": _BASE,
    "spark": set(),
    "executor": set(),
    "paging": {"errors", "store"},
    "state": {"store"},
    "store": set(),
    "errors": set(),
}


def _unit(path: Path) -> str:
    """The package (or top-level module) of local/ a file belongs to."""
    return path.relative_to(LOCAL).with_suffix("").parts[0]


def _imported_units(path: Path) -> set[str]:
    """The units of local/ that `path` imports (relative imports)."""
    units = set()
    here = list(path.relative_to(LOCAL).parent.parts)
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            target = [*here[: len(here) - (node.level - 1)], *(node.module or "").split(".")]
            target = [part for part in target if part]
            units |= {target[0]} if target else {alias.name for alias in node.names}
    return units


def _outside_imports(path: Path) -> set[str]:
    """The modules of prefect_databricks outside local/ that `path` imports."""
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level:
            modules.add(node.module or "")
    return {m for m in modules if m.startswith("prefect_databricks") and not m.startswith(_LOCAL_MODULE)}


@pytest.mark.parametrize("path", sorted(LOCAL.rglob("*.py")), ids=lambda p: str(p.relative_to(LOCAL)))
def test_local_imports_point_one_way(path: Path) -> None:
    unit = _unit(path)
    imported = _imported_units(path) - {unit}
    assert imported <= ALLOWED[unit], f"{path.relative_to(LOCAL)} imports {sorted(imported - ALLOWED[unit])}"
    assert _outside_imports(path) <= OUTSIDE_LOCAL.get(unit, set()), "local/ imports nothing from the rest"


def test_local_top_level_holds_at_most_eight_modules() -> None:
    assert len(list(LOCAL.glob("*.py"))) <= 8


def test_no_hand_written_module_over_400_lines() -> None:
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if p not in GENERATED and (n := len(p.read_text().splitlines())) > 400}
    assert long == {}
