"""Named queries over saved jobs, their schedules and their permissions."""

from __future__ import annotations

import json
from typing import Any

from .base import Cursor, StoreBase, Viewer, visible_clause

__all__ = ["JobRows"]

_SCHEDULED_JOBS = (
    "SELECT job_id, json_extract(doc, '$.created_time'), json_extract(doc, '$.settings.schedule'),"
    " json_extract(doc, '$.settings.trigger') FROM jobs"
    " WHERE json_extract(doc, '$.settings.schedule') IS NOT NULL"
    " OR json_extract(doc, '$.settings.trigger.periodic') IS NOT NULL"
)


class JobRows(StoreBase):
    """Job documents (`job_id`, `created_time`, `settings`) and their direct access control lists."""

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
        rows = self._query("SELECT doc FROM jobs WHERE job_id = ?", (job_id,))
        return json.loads(rows[0][0]) if rows else None

    def delete_job(self, job_id: int) -> None:
        """Remove a job and its permissions (its runs stay, as on Databricks)."""
        with self.transaction() as db:
            db.execute("DELETE FROM jobs WHERE job_id = ?", (job_id,))
            db.execute("DELETE FROM permissions WHERE job_id = ?", (job_id,))

    def list_jobs(
        self, *, name: str | None = None, cursor: Cursor | None = None, offset: int = 0, limit: int = 20,
        viewer: Viewer | None = None,
    ) -> list[dict[str, Any]]:
        """Jobs newest-created first, from the keyset `cursor` if given; only `viewer`'s if given."""
        visible, args = visible_clause(viewer)
        sql = "SELECT doc FROM jobs WHERE 1=1" + visible
        if name is not None:
            sql, args = sql + " AND name = ?", [*args, name.lower()]
        return self._keyset(sql, args, ("created_time", "job_id"), cursor, offset, limit)

    def continuous_jobs(self) -> list[tuple[int, bool]]:
        """(job_id, paused) of every job with `continuous` settings."""
        rows = self._query(
            "SELECT job_id, json_extract(doc, '$.settings.continuous.pause_status') FROM jobs"
            " WHERE json_extract(doc, '$.settings.continuous') IS NOT NULL"
        )
        return [(row[0], row[1] == "PAUSED") for row in rows]

    def scheduled_jobs(self) -> list[tuple[int, int, str | None, str | None]]:
        """(job_id, created_time, schedule JSON, trigger JSON) of the jobs with a schedule or periodic."""
        return [(r[0], r[1], r[2], r[3]) for r in self._query(_SCHEDULED_JOBS)]

    def get_permissions(self, job_id: int) -> list[dict[str, Any]] | None:
        """A job's direct access control list, or None."""
        rows = self._query("SELECT doc FROM permissions WHERE job_id = ?", (job_id,))
        return json.loads(rows[0][0]) if rows else None

    def put_permissions(self, job_id: int, acl: list[dict[str, Any]]) -> None:
        """Replace a job's direct access control list."""
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO permissions VALUES (?, ?)", (job_id, json.dumps(acl)))
