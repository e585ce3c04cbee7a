"""A notebook's cells with every ``%run ./other`` cell replaced by the other notebook's cells.

As on Databricks, the included notebook runs inline, in the caller's namespace; a relative path is read
from the including notebook's folder; ``%run`` arguments and includes deeper than ten levels (a cycle)
are refused.
"""

from __future__ import annotations

import posixpath
import shlex
from typing import Any

from .model import TaskContext, UnsupportedTask
from .notebook import parse_notebook, runner_cells
from .sources import SourceMissing, read_source

__all__ = ["notebook_cells"]

_MAX_DEPTH = 10
_SUFFIXES = ("", ".py", ".ipynb")


def notebook_cells(path: str, ctx: TaskContext, depth: int = 0) -> list[dict[str, Any]]:
    """The runner cells of the notebook at `path`, each naming the notebook it comes from."""
    content = _read(path, ctx) if depth else read_source(path, ctx, "notebook_task.notebook_path")[0]
    cells: list[dict[str, Any]] = []
    for cell in runner_cells(parse_notebook(content)):
        if cell["language"] == "run":
            cells.extend(notebook_cells(_target(cell["source"], path, depth), ctx, depth + 1))
        else:
            cells.append({**cell, "path": path})
    return cells


def _target(source: str, including: str, depth: int) -> str:
    words = shlex.split(source.strip().splitlines()[0])[1:]
    if len(words) != 1:
        raise UnsupportedTask(
            f"{source.strip()!r} in {including}: the local workspace runs `%run <path>` without arguments"
        )
    if depth + 1 > _MAX_DEPTH:
        raise UnsupportedTask(f"%run nests deeper than {_MAX_DEPTH} notebooks from {including} (a cycle?)")
    target = words[0]
    if target.startswith("/"):
        return target
    return posixpath.normpath(posixpath.join(posixpath.dirname(including), target))


def _read(path: str, ctx: TaskContext) -> bytes:
    """An included notebook, as a workspace notebook or a local file (with or without its suffix)."""
    for suffix in _SUFFIXES:
        try:
            return read_source(path + suffix, ctx, "%run")[0]
        except SourceMissing:
            continue
    raise SourceMissing(f"%run {path!r}: no such notebook in the local workspace or on this machine")
