"""Workspace objects (directories, notebooks, files) in the store's `objects` table, addressed by path."""

from __future__ import annotations

from typing import Any

from ..api.oidc import LOCAL_USER
from ..errors import InvalidParameterValue, ResourceAlreadyExists, ResourceDoesNotExist
from ..state import Workspace

__all__ = ["DIRECTORY", "FILE", "NOTEBOOK", "ObjectStore", "normalize_path"]

DIRECTORY, NOTEBOOK, FILE = "DIRECTORY", "NOTEBOOK", "FILE"
_BUILTIN = ("/", "/Users", f"/Users/{LOCAL_USER}", "/Shared")
_COLUMNS = "path, object_id, object_type, language, created_at, modified_at, content"


def normalize_path(path: str | None) -> str:
    """An absolute path without a trailing slash; `/Workspace/x` is `/x`; `..` and empty names refused."""
    if not path or not path.startswith("/"):
        raise InvalidParameterValue(f"Invalid value for field path: ({path}) doesn't start with '/'.")
    if path == "/Workspace" or path.startswith("/Workspace/"):
        path = path[len("/Workspace") :] or "/"
    parts = path.split("/")[1:]
    if parts == [""]:
        return "/"
    if any(part in ("", ".", "..") for part in parts):
        raise InvalidParameterValue(f"Invalid value for field path: '{path}' is not a valid workspace path.")
    return path


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] or "/"


class ObjectStore:
    """Object rows of one workspace; the built-in folders are created on first use (and after a reset)."""

    def __init__(self, ws: Workspace) -> None:
        self._ws = ws
        if self.get("/") is None:
            self._seed()

    def _seed(self) -> None:
        now = self._ws.now_ms()
        with self._ws.store.transaction() as db:
            for path in _BUILTIN:
                db.execute(
                    f"INSERT OR IGNORE INTO objects ({_COLUMNS}) VALUES (?, ?, ?, NULL, ?, ?, NULL)",
                    (path, self._ws.store.new_id(), DIRECTORY, now, now),
                )

    def get(self, path: str) -> dict[str, Any] | None:
        """The row at `path`, or None."""
        rows = self._ws.store.query(f"SELECT {_COLUMNS} FROM objects WHERE path = ?", (path,))
        return dict(zip(_COLUMNS.split(", "), rows[0], strict=True)) if rows else None

    def require(self, path: str) -> dict[str, Any]:
        """The row at `path`; 404 RESOURCE_DOES_NOT_EXIST if absent."""
        row = self.get(path)
        if row is None:
            raise ResourceDoesNotExist(f"Path ({path}) doesn't exist.")
        return row

    def children(self, path: str) -> list[dict[str, Any]]:
        """Direct children of a directory, sorted by path."""
        prefix = "/" if path == "/" else path + "/"
        rows = self._ws.store.query(
            f"SELECT {_COLUMNS} FROM objects WHERE substr(path, 1, ?) = ? AND path != ? "
            "AND instr(substr(path, ?), '/') = 0 ORDER BY path",
            (len(prefix), prefix, "/", len(prefix) + 1),
        )
        return [dict(zip(_COLUMNS.split(", "), row, strict=True)) for row in rows]

    def put(
        self, path: str, object_type: str, language: str | None, content: bytes, *, overwrite: bool
    ) -> None:
        """Create or (with `overwrite`) replace a notebook or file; its parent folder must exist."""
        parent = self.get(_parent(path))
        if parent is None or parent["object_type"] != DIRECTORY:
            raise ResourceDoesNotExist(f"The parent folder ({_parent(path)}) does not exist.")
        existing = self.get(path)
        if existing is not None and (not overwrite or existing["object_type"] == DIRECTORY):
            raise ResourceAlreadyExists(f"Path ({path}) already exists.")
        now = self._ws.now_ms()
        object_id = existing["object_id"] if existing else self._ws.store.new_id()
        created = existing["created_at"] if existing else now
        with self._ws.store.transaction() as db:
            db.execute(
                f"INSERT OR REPLACE INTO objects ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (path, object_id, object_type, language, created, now, content),
            )

    def mkdirs(self, path: str) -> None:
        """Create a directory and its missing parents; 400 if a notebook or file is in the way."""
        parts = [p for p in path.split("/") if p]
        prefixes = ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]
        for prefix in prefixes:
            row = self.get(prefix)
            if row is not None and row["object_type"] != DIRECTORY:
                kind = row["object_type"].lower()
                raise ResourceAlreadyExists(
                    f"Cannot create directory {path}: {prefix} is an existing {kind}."
                )
        now = self._ws.now_ms()
        with self._ws.store.transaction() as db:
            for prefix in prefixes:
                db.execute(
                    f"INSERT OR IGNORE INTO objects ({_COLUMNS}) VALUES (?, ?, ?, NULL, ?, ?, NULL)",
                    (prefix, self._ws.store.new_id(), DIRECTORY, now, now),
                )

    def delete_tree(self, path: str) -> None:
        """Remove the object at `path` and everything below it."""
        prefix = path + "/"
        with self._ws.store.transaction() as db:
            db.execute(
                "DELETE FROM objects WHERE path = ? OR substr(path, 1, ?) = ?", (path, len(prefix), prefix)
            )

    @staticmethod
    def info(row: dict[str, Any]) -> dict[str, Any]:
        """The `ObjectInfo` of a row, as list and get-status answer it."""
        info = {
            "object_type": row["object_type"],
            "path": row["path"],
            "object_id": row["object_id"],
            "resource_id": str(row["object_id"]),
            "created_at": row["created_at"],
            "modified_at": row["modified_at"],
        }
        if row["language"]:
            info["language"] = row["language"]
        if row["object_type"] == FILE:
            info["size"] = len(row["content"] or b"")
        return info
