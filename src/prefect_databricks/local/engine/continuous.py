"""Continuous jobs: while `continuous.pause_status` is UNPAUSED a job always has one active run.

Each check starts a run (`trigger: CONTINUOUS`) for an unpaused continuous job with none active, so a new
run follows as soon as the last one ends; pausing cancels the active run and starts no more. [I] The
service backs off between failing runs; here a new run starts at the next check (every `CHECK_MS`).
"""

from __future__ import annotations

import logging

from ..errors import ApiError
from ..runs.create import RunNowRequest, run_now
from ..runs.service import cancel
from ..state import Workspace

__all__ = ["CHECK_MS", "Continuous"]

CHECK_MS = 100
_log = logging.getLogger("prefect_databricks.local")


class Continuous:
    """Keeps the continuous jobs of a workspace running (or stopped), checked every `CHECK_MS`."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self._checked_at = 0

    def keep(self, now: int) -> list[int]:
        """Start the runs continuous jobs lack and cancel those of paused ones; returns the started ids."""
        if now - self._checked_at < CHECK_MS:
            return []
        self._checked_at = now
        started = []
        for job_id, paused in self.ws.store.continuous_jobs():
            active = self.ws.store.active_run_ids(job_id=job_id)
            if paused:
                for run_id in active:
                    cancel(self.ws, run_id)
            elif not active:
                started.extend(self._start(job_id))
        return started

    def _start(self, job_id: int) -> list[int]:
        try:
            return [int(run_now(self.ws, RunNowRequest(job_id), trigger="CONTINUOUS")["run_id"])]
        except ApiError as exc:  # e.g. deleted since it was read
            _log.warning("Continuous run of job %s not started: %s", job_id, exc)
            return []
