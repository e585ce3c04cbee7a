"""`dbutils.fs` over the local DBFS root (`DATABRICKS_LOCAL_DBFS_ROOT`, in the workspace's data dir).

`dbfs:/x`, `/x`, `/dbfs/x` and `/Volumes/…` all name files under the root; `file:/x` is this machine's
`/x`. Other schemes (s3:, abfss:…) and mounts are not emulated and raise. pathlib and shutil are
imported on use, to keep every task's start-up light.
"""

from __future__ import annotations

import os
import posixpath
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["FileInfo", "FileSystem", "local_path"]


class FileInfo(NamedTuple):
    """One entry of `dbutils.fs.ls`: directories have a trailing "/" in path and name."""

    path: str
    name: str
    size: int
    modificationTime: int


def local_path(path: str) -> tuple[Path, str]:
    """The local file behind a DBFS path, and the path as `dbfs:/…` (or `file:/…`) for display."""
    from pathlib import Path

    if path.startswith("file:"):
        local = posixpath.normpath("/" + path[5:].lstrip("/"))
        return Path(local), "file:" + local
    rest = path[5:] if path.startswith("dbfs:") else path
    if ":" in rest.split("/", 1)[0]:
        raise ValueError(f"{path}: the local workspace's dbutils.fs reads only dbfs:, /Volumes and file: "
                         "paths")
    rest = rest[5:] if rest == "/dbfs" or rest.startswith("/dbfs/") else rest
    clean = posixpath.normpath("/" + rest.lstrip("/"))
    root = Path(os.environ["DATABRICKS_LOCAL_DBFS_ROOT"])
    return root / clean.lstrip("/"), "dbfs:" + clean


class FileSystem:
    """ls, cp, mv, rm, put, head, mkdirs: the same names, arguments and results as on Databricks."""

    def ls(self, dir: str) -> list[FileInfo]:
        local, shown = _existing(dir)
        if local.is_file():
            return [_info(local, shown)]
        return [_info(child, posixpath.join(shown, child.name)) for child in sorted(local.iterdir())]

    def mkdirs(self, dir: str) -> bool:
        local_path(dir)[0].mkdir(parents=True, exist_ok=True)
        return True

    def put(self, file: str, contents: str, overwrite: bool = False) -> bool:
        local, shown = local_path(file)
        if local.exists() and not overwrite:
            raise FileExistsError(f"File {shown} already exists (pass overwrite=True)")
        local.parent.mkdir(parents=True, exist_ok=True)
        data = contents.encode()
        local.write_bytes(data)
        print(f"Wrote {len(data)} bytes.")
        return True

    def head(self, file: str, maxBytes: int = 65536) -> str:
        local, shown = _existing(file)
        if local.is_dir():
            raise IsADirectoryError(f"{shown} is a directory")
        with local.open("rb") as handle:
            return handle.read(maxBytes).decode("utf-8", errors="replace")

    def cp(self, from_: str, to: str, recurse: bool = False) -> bool:
        import shutil

        source, shown = _existing(from_)
        target = _target(source, local_path(to)[0])
        if source.is_dir():
            if not recurse:
                raise IsADirectoryError(f"{shown} is a directory: pass recurse=True to copy it")
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            shutil.copy2(source, target)
        return True

    def mv(self, from_: str, to: str, recurse: bool = False) -> bool:
        import shutil

        source, shown = _existing(from_)
        if source.is_dir() and not recurse:
            raise IsADirectoryError(f"{shown} is a directory: pass recurse=True to move it")
        shutil.move(source, _target(source, local_path(to)[0]))
        return True

    def rm(self, dir: str, recurse: bool = False) -> bool:
        import shutil

        local, shown = local_path(dir)
        if not local.exists():
            return False
        if local.is_dir():
            if not recurse and any(local.iterdir()):
                raise OSError(f"{shown} is a non-empty directory: pass recurse=True to remove it")
            shutil.rmtree(local)
        else:
            local.unlink()
        return True


def _existing(path: str) -> tuple[Path, str]:
    local, shown = local_path(path)
    if not local.exists():
        raise FileNotFoundError(f"File {shown} does not exist.")
    return local, shown


def _target(source: Path, target: Path) -> Path:
    """Where a copy or move lands: inside `target` when it is an existing directory, else at it."""
    if target.is_dir() and source.is_file():
        target = target / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _info(local: Path, shown: str) -> FileInfo:
    stat = local.stat()
    if local.is_dir():
        return FileInfo(shown.rstrip("/") + "/", local.name + "/", 0, int(stat.st_mtime * 1000))
    return FileInfo(shown, local.name, stat.st_size, int(stat.st_mtime * 1000))
