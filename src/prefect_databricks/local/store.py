"""SQLite persistence of the local workspace: jobs, runs, outputs, workspace files, settings.

Documents are kept as JSON in the API's own shape; the columns beside them exist only to
filter and order (so listing stays flat with 100,000 runs stored). One file under the data dir,
WAL journal, every write committed before the response is sent, so a `kill -9` loses nothing.
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

__all__ = ["Cursor", "Store"]

Cursor = tuple[int, int, str]

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
"""


class Store:
    """One SQLite database; every method is a short transaction safe to call from any thread."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
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

    def query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows of a read query."""
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # meta and ids

    def meta(self, key: str) -> str | None:
        """A stored setting (token, workspace id, id counter)."""
        rows = self.query("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        """Store a setting."""
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def new_id(self) -> int:
        """A fresh id, increasing, in the ~10^15 range the real service uses."""
        with self.transaction():
            last = int(self.meta("last_id") or random.randrange(10**14, 5 * 10**14))
            new = last + random.randrange(1, 997)
            self.set_meta("last_id", str(new))
            return new

    # jobs

    def put_job(self, job: dict[str, Any]) -> None:
        """Insert or replace a job document (`job_id`, `created_time`, `settings`)."""
        name = str(job.get("settings", {}).get("name", "")).lower()
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO jobs VALUES (?, ?, ?, ?)",
                (job["job_id"], job["created_time"], name, json.dumps(job)),
            )

    def get_job(self, job_id: int) -> dict[str, Any] | None:
        """A job document, or None."""
        rows = self.query("SELECT doc FROM jobs WHERE job_id = ?", (job_id,))
        return json.loads(rows[0][0]) if rows else None

    def delete_job(self, job_id: int) -> None:
        """Remove a job and its permissions (its runs stay, as on Databricks)."""
        with self.transaction() as db:
            db.execute("DELETE FROM jobs WHERE job_id = ?", (job_id,))
            db.execute("DELETE FROM permissions WHERE job_id = ?", (job_id,))

    def list_jobs(
        self, *, name: str | None = None, cursor: Cursor | None = None, offset: int = 0, limit: int = 20
    ) -> list[dict[str, Any]]:
        """Jobs newest-created first, from the keyset `cursor` if given."""
        sql, args = "SELECT doc FROM jobs WHERE 1=1", []
        if name is not None:
            sql, args = sql + " AND name = ?", [*args, name.lower()]
        return self._keyset(sql, args, ("created_time", "job_id"), cursor, offset, limit)

    # runs

    def put_run(self, run: dict[str, Any], *, active: bool) -> None:
        """Insert or replace a job run document and index its task runs."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?)",
                (
                    run["run_id"],
                    run.get("job_id"),
                    run.get("start_time", 0),
                    run.get("run_type", "JOB_RUN"),
                    int(active),
                    json.dumps(run),
                ),
            )
            db.executemany(
                "INSERT OR IGNORE INTO task_runs VALUES (?, ?)",
                [(t["run_id"], run["run_id"]) for t in run.get("tasks", []) if "run_id" in t],
            )

    def get_run(self, run_id: int) -> dict[str, Any] | None:
        """A job run document, or None."""
        rows = self.query("SELECT doc FROM runs WHERE run_id = ?", (run_id,))
        return json.loads(rows[0][0]) if rows else None

    def parent_of(self, task_run_id: int) -> int | None:
        """The job run that holds this task run, or None."""
        rows = self.query("SELECT parent_run_id FROM task_runs WHERE run_id = ?", (task_run_id,))
        return rows[0][0] if rows else None

    def index_task_run(self, task_run_id: int, parent_run_id: int) -> None:
        """Record that a task run (e.g. a for-each iteration) belongs to a job run."""
        with self.transaction() as db:
            db.execute("INSERT OR IGNORE INTO task_runs VALUES (?, ?)", (task_run_id, parent_run_id))

    def delete_run(self, run_id: int) -> None:
        """Remove a job run, its task runs and their outputs."""
        with self.transaction() as db:
            task_ids = [r[0] for r in db.execute(
                "SELECT run_id FROM task_runs WHERE parent_run_id = ?", (run_id,))]
            db.executemany("DELETE FROM outputs WHERE run_id = ?", [(i,) for i in task_ids])
            db.execute("DELETE FROM task_runs WHERE parent_run_id = ?", (run_id,))
            db.execute("DELETE FROM runs WHERE run_id = ?", (run_id,))

    def list_runs(
        self,
        *,
        job_id: int | None = None,
        active: bool | None = None,
        run_type: str | None = None,
        start_from: int | None = None,
        start_to: int | None = None,
        cursor: Cursor | None = None,
        offset: int = 0,
        limit: int = 25,
    ) -> list[dict[str, Any]]:
        """Runs most recently started first, filtered, from the keyset `cursor` if given."""
        sql, args = "SELECT doc FROM runs WHERE 1=1", []
        for clause, value in (
            (" AND job_id = ?", job_id),
            (" AND active = ?", None if active is None else int(active)),
            (" AND run_type = ?", run_type),
            (" AND start_time >= ?", start_from),
            (" AND start_time <= ?", start_to),
        ):
            if value is not None:
                sql, args = sql + clause, [*args, value]
        return self._keyset(sql, args, ("start_time", "run_id"), cursor, offset, limit)

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
        docs = [json.loads(r[0]) for r in self.query(sql, (*args, limit, offset))]
        return docs[::-1] if backwards else docs

    # outputs, idempotency, permissions

    def put_output(self, task_run_id: int, output: dict[str, Any]) -> None:
        """Store what a task run produced (notebook result, logs, error)."""
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO outputs VALUES (?, ?)", (task_run_id, json.dumps(output)))

    def get_output(self, task_run_id: int) -> dict[str, Any] | None:
        """What a task run produced, or None."""
        rows = self.query("SELECT doc FROM outputs WHERE run_id = ?", (task_run_id,))
        return json.loads(rows[0][0]) if rows else None

    def claim_token(self, token: str, run_id: int) -> int:
        """Bind an idempotency token to a run; returns the run the token is bound to."""
        with self.transaction() as db:
            db.execute("INSERT OR IGNORE INTO idempotency VALUES (?, ?)", (token, run_id))
            return int(db.execute("SELECT run_id FROM idempotency WHERE token = ?", (token,)).fetchone()[0])

    def run_for_token(self, token: str) -> int | None:
        """The run an idempotency token is bound to, or None."""
        rows = self.query("SELECT run_id FROM idempotency WHERE token = ?", (token,))
        return rows[0][0] if rows else None

    def get_permissions(self, job_id: int) -> list[dict[str, Any]] | None:
        """A job's direct access control list, or None."""
        rows = self.query("SELECT doc FROM permissions WHERE job_id = ?", (job_id,))
        return json.loads(rows[0][0]) if rows else None

    def put_permissions(self, job_id: int, acl: list[dict[str, Any]]) -> None:
        """Replace a job's direct access control list."""
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO permissions VALUES (?, ?)", (job_id, json.dumps(acl)))

    def reset(self) -> None:
        """Forget every job, run, output and object (kept: token and settings)."""
        with self.transaction() as db:
            for table in ("jobs", "runs", "task_runs", "outputs", "idempotency", "permissions", "objects"):
                db.execute(f"DELETE FROM {table}")
