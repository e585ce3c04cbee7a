"""Scheduled jobs: `schedule` (Quartz cron in `timezone_id`) and `trigger.periodic` start runs on time.

The scheduler loop calls `Timetable.fire` every tick; due jobs get a run-now with `trigger: PERIODIC`
(queued or skipped by `max_concurrent_runs` like any run); created, reset and updated schedules are
noticed within `REFRESH_MS`; the next fire time is computed from the moment the workspace first sees
the schedule, a periodic trigger's from the job's `created_time` (limits: README, "What it cannot run").
`continuous` jobs are kept running by `continuous.py`.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from ..errors import ApiError
from ..jobs.quartz import next_fire, parse, zone
from ..runs.create import RunNowRequest, run_now
from ..state import Workspace

__all__ = ["MIN_INTERVAL_MS", "REFRESH_MS", "Timetable", "is_scheduled", "next_fire_ms"]

REFRESH_MS = 250
MIN_INTERVAL_MS = 10_000
"""Databricks starts a job's scheduled runs at least 10 s apart, whatever the cron's seconds field says."""
_SCAN_SHARE = 20  # re-read no more often than 20× the last read took: ≤ 5 % of a core on big stores
_PAUSED = "PAUSED"
_UNIT_MS = {"MINUTES": 60_000, "HOURS": 3_600_000, "DAYS": 86_400_000, "WEEKS": 604_800_000}
_log = logging.getLogger("prefect_databricks.local")


@dataclass
class _Entry:
    """One scheduled job as last read: its schedule's text (to notice changes) and next fire time."""

    signature: str
    next_ms: int | None


def is_scheduled(settings: dict[str, Any]) -> bool:
    """True if these job settings have an unpaused `schedule` or `trigger.periodic`."""
    schedule, trigger = settings.get("schedule"), settings.get("trigger") or {}
    if schedule:
        return bool(schedule.get("pause_status") != _PAUSED)
    return bool(trigger.get("periodic")) and trigger.get("pause_status") != _PAUSED


def next_fire_ms(settings: dict[str, Any], created_time: int, now: int) -> int | None:
    """When an unpaused `schedule` or `trigger.periodic` of these job settings fires next after `now`."""
    if not is_scheduled(settings):
        return None
    schedule = settings.get("schedule")
    if schedule:
        after = datetime.fromtimestamp(now / 1000, timezone.utc)
        fire = next_fire(parse(schedule["quartz_cron_expression"]), after, zone(schedule["timezone_id"]))
        return int(fire.timestamp() * 1000) if fire is not None else None
    periodic = settings["trigger"]["periodic"]
    period = int(periodic["interval"]) * _UNIT_MS[periodic["unit"]]
    return created_time + ((max(now - created_time, 0) // period) + 1) * period


class Timetable:
    """The next fire time of every scheduled job, re-read from the store every `REFRESH_MS` (longer
    when the jobs table is so big that reading it takes more than a twentieth of that)."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self._jobs: dict[int, _Entry] = {}
        self._read_at = 0
        self._read_every = REFRESH_MS

    def fire(self, now: int) -> list[int]:
        """Start a run of every job whose fire time has come; returns the new run ids."""
        if now - self._read_at >= self._read_every:
            began = time.perf_counter()
            self._refresh(now)
            self._read_every = max(REFRESH_MS, int((time.perf_counter() - began) * 1000 * _SCAN_SHARE))
        started = []
        for job_id, entry in self._jobs.items():
            if entry.next_ms is not None and entry.next_ms <= now:
                started.extend(self._fire_job(job_id, entry, now))
        return started

    def _fire_job(self, job_id: int, entry: _Entry, now: int) -> list[int]:
        """Start a run if the job is still scheduled (not paused or deleted since the last read)."""
        job = self.ws.store.get_job(job_id)
        if job is None or not is_scheduled(job["settings"]):
            entry.signature, entry.next_ms = "", None  # the next read starts over from the store
            return []
        entry.next_ms = _safe_next(job_id, job["settings"], job["created_time"], now + MIN_INTERVAL_MS - 1)
        return self._start(job_id)

    def _refresh(self, now: int) -> None:
        """Pick up created, changed and deleted schedules; a changed schedule counts from `now`."""
        seen: dict[int, _Entry] = {}
        for job_id, created, schedule, trigger in self.ws.store.scheduled_jobs():
            signature = json.dumps([schedule, trigger])
            known = self._jobs.get(job_id)
            if known is not None and known.signature == signature:
                seen[job_id] = known
            else:
                seen[job_id] = _Entry(signature, _read_next(job_id, created, schedule, trigger, now))
        self._jobs, self._read_at = seen, now

    def _start(self, job_id: int) -> list[int]:
        try:
            run = run_now(self.ws, RunNowRequest(job_id), trigger="PERIODIC")
        except ApiError as exc:  # e.g. the job was deleted since the last refresh
            _log.warning("Scheduled run of job %s not started: %s", job_id, exc)
            return []
        return [int(run["run_id"])]


def _read_next(job_id: int, created: int, schedule: str | None, trigger: str | None, now: int) -> int | None:
    settings = {"schedule": json.loads(schedule) if schedule else None,
                "trigger": json.loads(trigger) if trigger else None}
    return _safe_next(job_id, settings, created, now)


def _safe_next(job_id: int, settings: dict[str, Any], created: int, now: int) -> int | None:
    """next_fire_ms, or None (logged) for a schedule the store holds but this module cannot read."""
    try:
        return next_fire_ms(settings, created, now)
    except (KeyError, TypeError, ValueError) as exc:
        _log.warning("Job %s has a schedule that cannot be evaluated: %s", job_id, exc)
        return None
