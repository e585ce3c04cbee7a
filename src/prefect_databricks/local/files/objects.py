"""Workspace objects (directories, notebooks, files) and the Workspace API's rules over their paths."""

from __future__ import annotations

from typing import Any

from ..errors import InvalidParameterValue, ResourceAlreadyExists, ResourceDoesNotExist
from ..state import LOCAL_USER, Workspace

__all__ = ["DIRECTORY", "FILE", "NOTEBOOK", "ObjectStore", "normalize_path"]

DIRECTORY, NOTEBOOK, FILE = "DIRECTORY", "NOTEBOOK", "FILE"
_BUILTIN = ["/", "/Users", f"/Users/{LOCAL_USER}", "/Shared"]


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
            self._ws.store.add_directories(_BUILTIN, self._ws.now_ms(), DIRECTORY)

    def get(self, path: str) -> dict[str, Any] | None:
        """The row at `path`, or None."""
        return self._ws.store.get_object(path)

    def require(self, path: str) -> dict[str, Any]:
        """The row at `path`; 404 RESOURCE_DOES_NOT_EXIST if absent."""
        row = self.get(path)
        if row is None:
            raise ResourceDoesNotExist(f"Path ({path}) doesn't exist.")
        return row

    def children(self, path: str) -> list[dict[str, Any]]:
        """Direct children of a directory, sorted by path."""
        return self._ws.store.child_objects(path)

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
        self._ws.store.put_object({
            "path": path, "object_type": object_type, "language": language, "content": content,
            "object_id": existing["object_id"] if existing else self._ws.store.new_id(),
            "created_at": existing["created_at"] if existing else now, "modified_at": now,
        })

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
        self._ws.store.add_directories(prefixes, self._ws.now_ms(), DIRECTORY)

    def delete_tree(self, path: str) -> None:
        """Remove the object at `path` and everything below it."""
        self._ws.store.delete_objects(path)

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
