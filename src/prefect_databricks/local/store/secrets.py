"""Named queries over secret scopes and secrets; the values stay in this file's rows, never in a log."""

from __future__ import annotations

from .base import StoreBase

__all__ = ["SecretRows"]


class SecretRows(StoreBase):
    """Scope and secret rows; the Secrets API's rules stay in `secrets`."""

    def secret_scopes(self) -> list[str]:
        """Every scope name, sorted."""
        return [row[0] for row in self._query("SELECT name FROM secret_scopes ORDER BY name")]

    def add_secret_scope(self, name: str, now: int) -> bool:
        """Create the scope; False when it already exists."""
        with self.transaction() as db:
            cursor = db.execute("INSERT OR IGNORE INTO secret_scopes VALUES (?, ?)", (name, now))
            return cursor.rowcount == 1

    def delete_secret_scope(self, name: str) -> bool:
        """Remove the scope and its secrets; False when there was no such scope."""
        with self.transaction() as db:
            db.execute("DELETE FROM secrets WHERE scope = ?", (name,))
            return db.execute("DELETE FROM secret_scopes WHERE name = ?", (name,)).rowcount == 1

    def secret_keys(self, scope: str) -> list[tuple[str, int]]:
        """(key, last updated ms) of every secret in the scope, sorted by key."""
        rows = self._query("SELECT key, updated_at FROM secrets WHERE scope = ? ORDER BY key", (scope,))
        return [(str(key), int(updated)) for key, updated in rows]

    def put_secret(self, scope: str, key: str, value: bytes, now: int) -> None:
        """Insert or replace one secret's value."""
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO secrets VALUES (?, ?, ?, ?)", (scope, key, value, now))

    def secret_value(self, scope: str, key: str) -> bytes | None:
        """The stored bytes of one secret, or None."""
        rows = self._query("SELECT value FROM secrets WHERE scope = ? AND key = ?", (scope, key))
        return bytes(rows[0][0]) if rows else None

    def delete_secret(self, scope: str, key: str) -> bool:
        """Remove one secret; False when it did not exist."""
        with self.transaction() as db:
            return db.execute("DELETE FROM secrets WHERE scope = ? AND key = ?", (scope, key)).rowcount == 1
