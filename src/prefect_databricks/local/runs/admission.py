"""Admission of job runs: start now, queue, or skip, by the job's `max_concurrent_runs` and `queue`.

jobs-api-2.2.md §5.12: 0 skips every run; at the limit a run is QUEUED (MAX_CONCURRENT_RUNS_REACHED)
when queueing is on and SKIPPED with the documented message when it is off. Queued runs start in
arrival order as capacity frees.
"""

from __future__ import annotations

from typing import Any

from ..state import Workspace
from .bookkeeping import run_local
from .documents import entries, set_state
from .lifecycle import LifeCycle

__all__ = ["admit", "place", "try_admit"]

_QUEUE_CODE = "MAX_CONCURRENT_RUNS_REACHED"


def place(ws: Workspace, run: dict[str, Any], now: int) -> None:
    """Decide a new run's first state: started, queued or skipped."""
    limit = _limit(ws, run)
    if limit is not None and (limit == 0 or ws.store.count_started(run["job_id"]) >= limit
                              or ws.store.has_queued_other_than(run["job_id"], run["run_id"])):
        if limit > 0 and run_local(run).get("queue"):
            _queue(run, limit)
        else:
            _skip(run, limit, now)
        return
    admit(run, now)


def try_admit(ws: Workspace, run: dict[str, Any], now: int) -> bool:
    """Start a queued run if its job has capacity now; True if it started."""
    limit = _limit(ws, run)
    if limit is not None and ws.store.count_started(run["job_id"]) >= limit:
        return False
    admit(run, now)
    return True


def admit(run: dict[str, Any], now: int) -> None:
    """Start a run: PENDING, its task runs BLOCKED on their dependencies or PENDING."""
    keys = {t["task_key"] for t in entries(run)}
    set_state(run, LifeCycle.PENDING)
    run_local(run)["admitted_at"] = now
    run["queue_duration"] = now - run["start_time"]
    for entry in entries(run):
        blocked = any(d["task_key"] in keys for d in entry.get("depends_on") or [])
        set_state(entry, LifeCycle.BLOCKED if blocked else LifeCycle.PENDING)


def _queue(run: dict[str, Any], limit: int) -> None:
    message = f"Queued due to reaching maximum concurrent runs of {limit}."
    set_state(run, LifeCycle.QUEUED, message=message, queue_code=_QUEUE_CODE)
    for entry in entries(run):
        set_state(entry, LifeCycle.QUEUED, message=message, queue_code=_QUEUE_CODE)


def _skip(run: dict[str, Any], limit: int, now: int) -> None:
    message = (
        f"Skipping this run because the limit of {limit} maximum concurrent runs has been reached."
    )
    set_state(run, LifeCycle.SKIPPED, message=message)
    for entry in entries(run):
        set_state(entry, LifeCycle.SKIPPED, message=message)
    run["end_time"] = now


def _limit(ws: Workspace, run: dict[str, Any]) -> int | None:
    """The job's current max_concurrent_runs (None: unlimited, as for one-time submit runs)."""
    if run.get("run_type") == "SUBMIT_RUN":
        return None
    job = ws.store.get_job(run["job_id"])
    settings = job["settings"] if job else {}
    return int(settings.get("max_concurrent_runs", run_local(run).get("max_concurrent_runs", 1)))

