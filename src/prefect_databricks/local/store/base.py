"""The database under every store method: one SQLite file (WAL), short transactions, settings and ids.

Documents are kept as JSON in the API's own shape; the columns beside them exist only to filter and
order (so listing stays flat with 100,000 runs stored). Every write is committed before the response
is sent, so a `kill -9` loses nothing.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .datadir import private_dir, private_file

__all__ = ["Cursor", "StoreBase", "Viewer", "visible_clause"]

Cursor = tuple[int, int, str]
Viewer = tuple[str, tuple[str, ...]]
"""Who lists: a principal name and its groups; the rows shown are those of jobs its ACL entries name."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    job_id INTEGER PRIMARY KEY, created_time INTEGER NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS jobs_by_created ON jobs (created_time DESC, job_id DESC);
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY, job_id INTEGER, start_time INTEGER NOT NULL, run_type TEXT NOT NULL,
    active INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS runs_by_start ON runs (start_time DESC, run_id DESC);
CREATE INDEX IF NOT EXISTS runs_by_job ON runs (job_id, start_time DESC, run_id DESC);
CREATE INDEX IF NOT EXISTS runs_active ON runs (active, start_time DESC, run_id DESC);
CREATE TABLE IF NOT EXISTS task_runs (run_id INTEGER PRIMARY KEY, parent_run_id INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS task_runs_by_parent ON task_runs (parent_run_id);
CREATE TABLE IF NOT EXISTS outputs (run_id INTEGER PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS idempotency (token TEXT PRIMARY KEY, run_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS permissions (job_id INTEGER PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS objects (
    path TEXT PRIMARY KEY, object_id INTEGER NOT NULL, object_type TEXT NOT NULL,
    language TEXT, created_at INTEGER NOT NULL, modified_at INTEGER NOT NULL, content BLOB);
CREATE TABLE IF NOT EXISTS secret_scopes (name TEXT PRIMARY KEY, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS secrets (
    scope TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, updated_at INTEGER NOT NULL,
    PRIMARY KEY (scope, key));
"""
_TABLES = (
    "jobs", "runs", "task_runs", "outputs", "idempotency", "permissions", "objects", "secrets",
    "secret_scopes",
)

# Its own generator: ids drawn in a server thread leave the process's `random` state alone.
_IDS = random.SystemRandom()


class StoreBase:
    """The connection, its lock and transactions; the row classes build their named queries on it."""

    def __init__(self, path: Path) -> None:
        private_dir(path.parent)
        for file in (path, *(path.with_name(path.name + suffix) for suffix in ("-wal", "-shm"))):
            if file == path or file.exists():
                private_file(file)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.RLock()

    def close(self) -> None:
        """Close the database file."""
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction; nested calls join the outer one."""
        with self._lock:
            if self._db.in_transaction:
                yield self._db
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows of a read query."""
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def meta(self, key: str) -> str | None:
        """A stored setting (token, workspace id, id counter)."""
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        """Store a setting."""
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def new_id(self) -> int:
        """A fresh id, increasing, in the ~10^15 range the real service uses."""
        with self.transaction():
            last = int(self.meta("last_id") or _IDS.randrange(10**14, 5 * 10**14))
            new = last + _IDS.randrange(1, 997)
            self.set_meta("last_id", str(new))
            return new

    def _keyset(
        self, sql: str, args: list[Any], keys: tuple[str, str], cursor: Cursor | None,
        offset: int, limit: int,
    ) -> list[dict[str, Any]]:
        """Rows newest first; `cursor` = (key, id, "next") for rows after it, "prev" for rows before."""
        first, second = keys
        backwards = cursor is not None and cursor[2] == "prev"
        if cursor is not None:
            op = ">" if backwards else "<"
            sql += f" AND ({first} {op} ? OR ({first} = ? AND {second} {op} ?))"
            args = [*args, cursor[0], cursor[0], cursor[1]]
        order = "ASC" if backwards else "DESC"
        sql += f" ORDER BY {first} {order}, {second} {order} LIMIT ? OFFSET ?"
        docs = [json.loads(r[0]) for r in self._query(sql, (*args, limit, offset))]
        return docs[::-1] if backwards else docs

    def reset(self) -> None:
        """Forget every job, run, output, object and secret (kept: token and settings)."""
        with self.transaction() as db:
            for table in _TABLES:
                db.execute(f"DELETE FROM {table}")


def visible_clause(viewer: Viewer | None) -> tuple[str, list[Any]]:
    """An `AND job_id IN (...)` clause keeping the jobs whose direct ACL names `viewer` or its groups."""
    if viewer is None:
        return "", []
    name, groups = viewer
    marks = ", ".join("?" for _ in groups) or "NULL"
    sql = (
        " AND job_id IN (SELECT p.job_id FROM permissions p, json_each(p.doc) e"
        " WHERE json_extract(e.value, '$.user_name') = ?"
        " OR json_extract(e.value, '$.service_principal_name') = ?"
        f" OR json_extract(e.value, '$.group_name') IN ({marks}))"
    )
    return sql, [name, name, *groups]
