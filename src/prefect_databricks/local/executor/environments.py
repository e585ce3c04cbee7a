"""Which packages a task needs: its `environment_key` spec's dependencies and its Python `libraries`.

The result is one requirements file (paths made local, `-r` files inlined) and the hash that names
the virtual environment it builds (`venvs.py`); wheel and requirements contents are part of the hash.
Library kinds that cannot be installed here raise ``UnsupportedTask`` naming the kind.
"""

from __future__ import annotations

import hashlib
import posixpath
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .model import TaskContext, UnsupportedTask
from .sources import read_source, source_file

__all__ = ["EnvironmentSpec", "environment_spec"]

_JVM_KINDS = frozenset({"spark_jar_task", "spark_submit_task"})
"""Kinds whose `jar`/`maven` libraries are the JVM task's own (not a Python environment's)."""
_NOT_INSTALLED = {
    "java_dependencies": "JVM dependencies (it builds Python environments only)",
    "base_environment": "a base environment file; list the packages in dependencies instead",
    "project_environment": "a project environment; list the packages in dependencies instead",
}
_ARCHIVES = (".whl", ".tar.gz", ".zip")
_MAX_INCLUDE_DEPTH = 5


@dataclass(frozen=True)
class EnvironmentSpec:
    """A task's resolved packages: requirements-file lines (local paths only) and their hash."""

    lines: tuple[str, ...]
    key: str


def environment_spec(task: dict[str, Any], kind: str | None, ctx: TaskContext) -> EnvironmentSpec | None:
    """The packages `task` needs beyond the workspace's own environment, or ``None`` if none."""
    resolver = _Resolver(ctx, _task_dir(task, kind))
    environment = ctx.environment or {}
    for field, what in _NOT_INSTALLED.items():
        if environment.get(field):
            raise UnsupportedTask(
                f"environments.spec.{field} of task {ctx.task_key!r}: the local workspace cannot install "
                f"{what}"
            )
    for dependency in environment.get("dependencies") or []:
        resolver.line(str(dependency), "environments.spec.dependencies", resolver.base, 0)
    for library in task.get("libraries") or []:
        resolver.library(library, kind)
    if not resolver.lines:
        return None
    identity = [sys.executable, sys.version, *resolver.keyed]
    key = hashlib.sha256("\n".join(identity).encode()).hexdigest()[:24]
    return EnvironmentSpec(tuple(resolver.lines), key)


class _Resolver:
    """Collects requirement lines, copying each file they name into the task's workdir."""

    def __init__(self, ctx: TaskContext, base: str | None) -> None:
        self.ctx = ctx
        self.base = base
        self.lines: list[str] = []
        self.keyed: list[str] = []
        """The lines as the hash sees them: files by name and content, not by their copy's path."""
        self._indexes = 0

    def library(self, library: dict[str, Any], kind: str | None) -> None:
        """One entry of `libraries`: whl, pypi and requirements are installed; others refused."""
        if library.get("whl"):
            self._file(str(library["whl"]), "libraries.whl", None)
        elif isinstance(library.get("pypi"), dict):
            self._pypi(library["pypi"])
        elif library.get("requirements"):
            self._include(str(library["requirements"]), "libraries.requirements", None, 0)
        elif library.get("egg"):
            raise UnsupportedTask(
                f"libraries.egg of task {self.ctx.task_key!r}: installing Python egg files is deprecated and "
                "is not supported in Databricks Runtime 14.0 and above; use a wheel"
            )
        else:
            named = next((name for name in ("jar", "maven", "cran") if library.get(name)), None)
            if named is None or (named != "cran" and kind in _JVM_KINDS):
                return
            raise UnsupportedTask(
                f"libraries.{named} of task {self.ctx.task_key!r}: the local workspace cannot install "
                f"{named} libraries (it installs whl, pypi and requirements libraries)"
            )

    def _pypi(self, pypi: dict[str, Any]) -> None:
        package = pypi.get("package")
        if not isinstance(package, str) or not package:
            raise UnsupportedTask("libraries.pypi.package is required and must be a non-empty string")
        if pypi.get("repo"):
            option = "--index-url" if self._indexes == 0 else "--extra-index-url"
            self._indexes += 1
            self._add(f"{option} {pypi['repo']}", first=True)
        self._add(package)

    def line(self, text: str, field: str, base: str | None, depth: int) -> None:
        """One requirements line: `-r file` is inlined, a path becomes a local file, the rest is kept."""
        text = text.strip()
        if not text or text.startswith("#"):
            return
        words = shlex.split(text)
        if words[0] in ("-r", "--requirement") and len(words) == 2:
            self._include(words[1], field, base, depth)
        elif words[0].startswith("--requirement="):
            self._include(words[0].split("=", 1)[1], field, base, depth)
        elif len(words) == 1 and _is_path(words[0]):
            self._file(words[0], field, base)
        else:
            self._add(text)

    def _include(self, location: str, field: str, base: str | None, depth: int) -> None:
        if depth >= _MAX_INCLUDE_DEPTH:
            raise UnsupportedTask(
                f"{field} {location!r}: requirements files nest more than {_MAX_INCLUDE_DEPTH} deep"
            )
        path = _absolute(location, base, field, self.ctx.task_key)
        content, _local = read_source(self._volume(path), self.ctx, field)
        for text in content.decode("utf-8-sig").splitlines():
            self.line(text, field, posixpath.dirname(path), depth + 1)

    def _add(self, line: str, keyed: str | None = None, *, first: bool = False) -> None:
        at = 0 if first else len(self.lines)
        self.lines.insert(at, line)
        self.keyed.insert(at, line if keyed is None else keyed)

    def _file(self, location: str, field: str, base: str | None) -> None:
        path = _absolute(location, base, field, self.ctx.task_key)
        local = source_file(self._volume(path), self.ctx, field)
        self._add(str(local), f"{local.name} sha256:{hashlib.sha256(local.read_bytes()).hexdigest()}")

    def _volume(self, path: str) -> str:
        """`/Volumes/…` and `dbfs:/…` files live under the local DBFS root (a `file:` URI here)."""
        root = self.ctx.env.get("DATABRICKS_LOCAL_DBFS_ROOT")
        rest = path[5:] if path.startswith("dbfs:") else path
        if root and (rest.startswith("/Volumes/") or path.startswith("dbfs:")):
            return (Path(root) / rest.lstrip("/")).as_uri()
        return path


def _is_path(word: str) -> bool:
    if "://" in word:
        return False
    return word.startswith(("/", "./", "../", "dbfs:", "file:")) or word.endswith(_ARCHIVES)


def _absolute(location: str, base: str | None, field: str, task_key: str) -> str:
    """`location`, or a relative one joined to `base` (the requirements file's or the task code's dir)."""
    if location.startswith(("/", "dbfs:", "file:")):
        return location
    if base is None:
        raise UnsupportedTask(
            f"{field} {location!r} of task {task_key!r}: a relative path needs the task's code in the "
            "workspace to be relative to; use an absolute /Workspace or /Volumes path"
        )
    return posixpath.normpath(posixpath.join(base, location))


def _task_dir(task: dict[str, Any], kind: str | None) -> str | None:
    """The workspace directory of the task's code, which relative dependency paths start from. [I]"""
    settings = task.get(kind) if kind else None
    if not isinstance(settings, dict):
        return None
    code = settings.get("notebook_path") or settings.get("python_file")
    return posixpath.dirname(code) if isinstance(code, str) and code.startswith("/") else None
