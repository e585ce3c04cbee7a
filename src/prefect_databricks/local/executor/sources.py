"""Where a task's code comes from: the local workspace, a ``file:`` URI or an absolute local path.

Workspace paths are tried first (``ctx.read_object``), then the same absolute path on this machine,
so a job can point at a file in a checkout without importing it. Remote URIs and Git sources are
refused with an ``UnsupportedTask`` naming the field.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlparse

from .model import TaskContext, UnsupportedTask

__all__ = ["SourceMissing", "local_path", "read_source", "source_file"]

_SOURCES_DIR = "sources"


class SourceMissing(Exception):
    """The task's code is not in the local workspace nor on this machine (the task run fails)."""


def read_source(location: str, ctx: TaskContext, field: str) -> tuple[bytes, Path | None]:
    """The content at ``location``, and its local path when it came from this machine's disk."""
    content, local = _find(location, ctx, field)
    return (content, None) if content is not None else (local.read_bytes(), local)


def source_file(location: str, ctx: TaskContext, field: str) -> Path:
    """A local file holding the code at ``location``; workspace content is copied into the workdir (a
    local file is not read here: the task reads it)."""
    content, local = _find(location, ctx, field)
    if content is None:
        return local
    target = ctx.workdir / _SOURCES_DIR / PurePosixPath(location).name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    return target


def _find(location: str, ctx: TaskContext, field: str) -> tuple[bytes | None, Path]:
    """The workspace object's content at ``location`` (with the path), else the existing local file's path."""
    local = local_path(location, field)
    if local is None:
        content = ctx.read_object(location)
        if content is not None:
            return content, Path(location)
        local = Path(location)
    if not local.is_file():
        raise SourceMissing(f"{field} {location!r} does not exist in the local workspace or on this machine")
    return None, local


def local_path(location: str, field: str) -> Path | None:
    """The path of a ``file:`` URI, ``None`` for a workspace path; other schemes and relative paths fail."""
    if location.startswith("file:"):
        return Path(unquote(urlparse(location).path))
    if location.startswith("/"):
        return None
    scheme = location.split(":", 1)[0] if ":" in location else None
    where = f"{scheme}: URIs" if scheme else "relative (Git) paths"
    raise UnsupportedTask(
        f"{field} {location!r}: the local workspace cannot read {where}; use a workspace path, "
        "a file: URI or an absolute local path"
    )
