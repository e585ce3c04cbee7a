"""Named queries over workspace objects (directories, notebooks, files), addressed by path."""

from __future__ import annotations

from typing import Any

from .base import StoreBase

__all__ = ["ObjectRows"]

_COLUMNS = ("path", "object_id", "object_type", "language", "created_at", "modified_at", "content")
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM objects"


class ObjectRows(StoreBase):
    """Object rows as dicts of their columns; the Workspace API's rules stay in `files`."""

    def get_object(self, path: str) -> dict[str, Any] | None:
        """The row at `path`, or None."""
        rows = self._query(f"{_SELECT} WHERE path = ?", (path,))
        return dict(zip(_COLUMNS, rows[0], strict=True)) if rows else None

    def child_objects(self, path: str) -> list[dict[str, Any]]:
        """Direct children of the directory at `path`, sorted by path."""
        prefix = "/" if path == "/" else path + "/"
        rows = self._query(
            f"{_SELECT} WHERE substr(path, 1, ?) = ? AND path != ? AND instr(substr(path, ?), '/') = 0"
            " ORDER BY path",
            (len(prefix), prefix, "/", len(prefix) + 1),
        )
        return [dict(zip(_COLUMNS, row, strict=True)) for row in rows]

    def put_object(self, row: dict[str, Any]) -> None:
        """Insert or replace one object row (every column given)."""
        with self.transaction() as db:
            db.execute(f"INSERT OR REPLACE INTO objects ({', '.join(_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       tuple(row[c] for c in _COLUMNS))

    def add_directories(self, paths: list[str], now: int, directory: str) -> None:
        """Create a directory row at each path that has no row yet, in one transaction."""
        with self.transaction() as db:
            for path in paths:
                db.execute(
                    "INSERT OR IGNORE INTO objects (path, object_id, object_type, created_at, modified_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (path, self.new_id(), directory, now, now),
                )

    def delete_objects(self, path: str) -> None:
        """Remove the object at `path` and everything below it."""
        prefix = path + "/"
        with self.transaction() as db:
            db.execute(
                "DELETE FROM objects WHERE path = ? OR substr(path, 1, ?) = ?", (path, len(prefix), prefix)
            )
