"""A task's `environment_variables_key` entry: its `.env` files and inline variables, merged as on Databricks.

Per the jobs docs ("Configure environment variables for serverless jobs" and the API's
JobEnvironmentVariablesSpec): files are read at task execution, each line `KEY=VALUE` (blank lines and
`#` lines skipped, anything else fails the run), a later file wins, inline variables win over files,
and the runtime's own variables win over both.
"""

from __future__ import annotations

import re
from pathlib import Path

from .model import TaskContext, UnsupportedTask
from .sources import read_source

__all__ = ["task_variables"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MAX_FILE_BYTES = 32768
_MAX_LINE_BYTES = 1024


def task_variables(ctx: TaskContext) -> dict[str, str]:
    """The variables the task's entry gives its process (before the runtime's own are laid over)."""
    spec = ctx.variables or {}
    merged: dict[str, str] = {}
    for path in spec.get("files") or []:
        merged.update(_read_env_file(str(path), ctx))
    merged.update({str(key): str(value) for key, value in (spec.get("variables") or {}).items()})
    return merged


def _read_env_file(path: str, ctx: TaskContext) -> dict[str, str]:
    field = "environment_variables.spec.files"
    root = ctx.env.get("DATABRICKS_LOCAL_DBFS_ROOT")
    location = (Path(root) / path.lstrip("/")).as_uri() if root and path.startswith("/Volumes/") else path
    content = read_source(location, ctx, field)[0]
    if len(content) > _MAX_FILE_BYTES:
        raise UnsupportedTask(f"{field} {path!r} is larger than {_MAX_FILE_BYTES} bytes")
    found: dict[str, str] = {}
    for number, line in enumerate(content.decode("utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        key, equals, value = line.partition("=")
        if not equals or not _NAME.match(key) or len(line.encode()) > _MAX_LINE_BYTES:
            raise UnsupportedTask(f"{field} {path!r} line {number}: expected KEY=VALUE (at most "
                                  f"{_MAX_LINE_BYTES} bytes, KEY matching {_NAME.pattern})")
        found[key] = value
    return found

