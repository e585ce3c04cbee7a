"""Named queries over job runs, their task-run index, outputs and idempotency tokens."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .base import Cursor, StoreBase, Viewer, visible_clause

__all__ = ["RunRows"]

_QUEUED = "json_extract(doc, '$.state.life_cycle_state') = 'QUEUED'"


class RunRows(StoreBase):
    """Run documents (task runs inside them), indexed by task run id, and what each task run produced."""

    def put_run(self, run: dict[str, Any], *, active: bool) -> str:
        """Insert or replace a job run document and index its task runs; the JSON text stored."""
        text = json.dumps(run)
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?)",
                (
                    run["run_id"],
                    run.get("job_id"),
                    run.get("start_time", 0),
                    run.get("run_type", "JOB_RUN"),
                    int(active),
                    text,
                ),
            )
            db.executemany(
                "INSERT OR IGNORE INTO task_runs VALUES (?, ?)",
                [(t["run_id"], run["run_id"]) for t in run.get("tasks", []) if "run_id" in t],
            )
        return text

    def get_run(self, run_id: int) -> dict[str, Any] | None:
        """A job run document, or None."""
        rows = self._query("SELECT doc FROM runs WHERE run_id = ?", (run_id,))
        return json.loads(rows[0][0]) if rows else None

    def parent_of(self, task_run_id: int) -> int | None:
        """The job run that holds this task run, or None."""
        rows = self._query("SELECT parent_run_id FROM task_runs WHERE run_id = ?", (task_run_id,))
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
        viewer: Viewer | None = None,
    ) -> list[dict[str, Any]]:
        """Runs most recently started first, filtered, from the keyset `cursor` if given.

        With `viewer`, only the runs of jobs (and one-time runs) whose permissions name it.
        """
        visible, args = visible_clause(viewer)
        sql = "SELECT doc FROM runs WHERE 1=1" + visible
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

    def active_runs(self, parsed: Mapping[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        """Every active run document, oldest first (the order the scheduler steps them in); a stored text
        found in `parsed` gives the document already parsed from it instead of parsing it again."""
        rows = self._query("SELECT doc FROM runs WHERE active = 1 ORDER BY start_time ASC, run_id ASC")
        known = parsed or {}
        return [known.get(row[0]) or json.loads(row[0]) for row in rows]

    def active_run_ids(self, *, job_id: int | None = None, queued_only: bool = False) -> list[int]:
        """Ids of the active runs of `job_id` (of every job if None), only the QUEUED ones if asked."""
        sql, args = "SELECT run_id FROM runs WHERE active = 1", tuple[Any, ...]()
        if job_id is not None:
            sql, args = sql + " AND job_id = ?", (job_id,)
        if queued_only:
            sql += f" AND {_QUEUED}"
        return [row[0] for row in self._query(sql, args)]

    def count_runs(self) -> int:
        """How many job runs are stored."""
        return int(self._query("SELECT COUNT(*) FROM runs")[0][0])

    def count_started(self, job_id: int) -> int:
        """How many runs of `job_id` are active and past the queue."""
        rows = self._query(f"SELECT COUNT(*) FROM runs WHERE job_id = ? AND active = 1 AND NOT {_QUEUED}",
                           (job_id,))
        return int(rows[0][0])

    def has_queued_other_than(self, job_id: int, run_id: int) -> bool:
        """True if a run of `job_id` other than `run_id` waits in the queue."""
        rows = self._query(
            f"SELECT COUNT(*) FROM runs WHERE job_id = ? AND active = 1 AND run_id != ? AND {_QUEUED}",
            (job_id, run_id),
        )
        return int(rows[0][0]) > 0

    def put_output(self, task_run_id: int, output: dict[str, Any]) -> None:
        """Store what a task run produced (notebook result, logs, error)."""
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO outputs VALUES (?, ?)", (task_run_id, json.dumps(output)))

    def get_output(self, task_run_id: int) -> dict[str, Any] | None:
        """What a task run produced, or None."""
        rows = self._query("SELECT doc FROM outputs WHERE run_id = ?", (task_run_id,))
        return json.loads(rows[0][0]) if rows else None

    def claim_token(self, token: str, run_id: int) -> int:
        """Bind an idempotency token to a run; returns the run the token is bound to."""
        with self.transaction() as db:
            db.execute("INSERT OR IGNORE INTO idempotency VALUES (?, ?)", (token, run_id))
            return int(db.execute("SELECT run_id FROM idempotency WHERE token = ?", (token,)).fetchone()[0])

    def run_for_token(self, token: str) -> int | None:
        """The run an idempotency token is bound to, or None."""
        rows = self._query("SELECT run_id FROM idempotency WHERE token = ?", (token,))
        return rows[0][0] if rows else None
