"""The one scheduler loop: starts scheduled runs, admits queued runs, drives every active run's task
runs, reconciles crashes.

Every ≈50 ms (or at once when a request or a task process's exit wakes it) one synchronous tick
starts the runs of scheduled jobs that are due (schedules.Timetable; missed fire times are not
back-filled), reads the active runs, advances each (steps.step_run: while short task processes keep
ending, for up to TICK_BUDGET_SECONDS in all) and writes back what changed before anything else can
read it.
No thread per run: task processes are polled, never waited on. On start, the runs a crash left
with a task run RUNNING are ended as INTERNAL_ERROR, their processes killed (what they were doing
is lost); every other acknowledged run (queued, or admitted and waiting for a task-process slot or a
dependency) goes on where it was, since nothing of it was lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from typing import Any

from ..executor import WARM
from ..runs.admission import try_admit
from ..runs.bookkeeping import task_local
from ..runs.documents import set_state, task_runs
from ..runs.lifecycle import LifeCycle
from ..state import Workspace
from .continuous import Continuous
from .drivers import Processes
from .launch import kill_leftover
from .process_exits import ExitWatch
from .steps import step_run
from .timetable import Timetable

__all__ = ["TICK_BUDGET_SECONDS", "TICK_SECONDS", "Scheduler", "run_scheduler", "task_process_limit"]

TICK_SECONDS = 0.05
TICK_BUDGET_SECONDS = 0.2
"""How long the runs' steps of one tick may go on stepping task processes as they exit (see steps.py):
requests wait at most about that long while short tasks keep ending."""
_CRASH_MESSAGE = (
    "The local workspace stopped while this run was active; the run was ended when the workspace "
    "started again."
)
_IN_FLIGHT = frozenset({LifeCycle.RUNNING.value, LifeCycle.TERMINATING.value})
_log = logging.getLogger("prefect_databricks.local")


def task_process_limit(ws: Workspace) -> int:
    """How many task processes may run at once: `max_task_processes` if configured, else cores × 2."""
    return ws.config.max_task_processes or (os.cpu_count() or 1) * 2


class Scheduler:
    """The state of the loop: the task processes it started, the schedules and its wake-up event."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.procs = Processes(limit=task_process_limit(ws))
        self.timetable = Timetable(ws)
        self.continuous = Continuous(ws)
        self.wakeup = ws.doorbell()
        self._saved: dict[str, dict[str, Any]] = {}
        """The documents this loop saved since the last read, by the text stored (see `_active_runs`)."""

    def tick(self) -> None:
        """Start due scheduled runs, advance every active run once; synchronous, so no request interleaves."""
        self.procs.collect_drained(self.ws)
        try:
            self.timetable.fire(self.ws.now_ms())
            self.continuous.keep(self.ws.now_ms())
        except Exception:  # a broken schedule must not stop the runs already going
            _log.exception("Starting scheduled runs failed")
        runs = self._active_runs()
        until = time.monotonic() + TICK_BUDGET_SECONDS
        for run in runs:
            try:
                self._advance(run, self.ws.now_ms(), until)
            except Exception as exc:  # a broken run ends; the others go on
                _log.exception("Scheduling run %s failed", run["run_id"])
                self._end_active(run, f"The local workspace failed to run this run: {exc}")
        self._kill_orphans(runs)

    def _kill_orphans(self, runs: list[dict[str, Any]]) -> None:
        """Kill processes whose run is gone from the active runs (e.g. after /local-api/reset)."""
        known = {entry["run_id"] for run in runs for entry in task_runs(run)}
        for task_run_id in set(self.procs.running) - known:
            self.procs.kill(task_run_id)

    def _advance(self, run: dict[str, Any], now: int, until: float) -> None:
        if run["state"]["life_cycle_state"] == LifeCycle.QUEUED.value:
            if try_admit(self.ws, run, now):
                step_run(self.ws, run, self.procs, now, until)
                self._save(run)
        elif step_run(self.ws, run, self.procs, now, until):
            self._save(run)

    def reconcile(self) -> None:
        """End the runs a previous server left with a task run in flight (INTERNAL_ERROR, processes
        killed); runs with nothing in flight (queued, or admitted and not started) go on."""
        for run in self._active_runs():
            if not any(entry["state"]["life_cycle_state"] in _IN_FLIGHT for entry in task_runs(run)):
                continue
            for entry in task_runs(run):
                kill_leftover(self.ws, run["run_id"], entry)
            self._end_active(run, _CRASH_MESSAGE)

    def _end_active(self, run: dict[str, Any], message: str) -> None:
        """End a run and its unfinished task runs as INTERNAL_ERROR, killing their processes."""
        now = self.ws.now_ms()
        for entry in task_runs(run):
            if not LifeCycle(entry["state"]["life_cycle_state"]).is_terminal:
                self.procs.kill(entry["run_id"])
                set_state(entry, LifeCycle.INTERNAL_ERROR, message=message)
                entry["end_time"] = now
        set_state(run, LifeCycle.INTERNAL_ERROR, message=message)
        run["end_time"] = now
        self._save(run)

    def shutdown(self) -> None:
        """Kill every task process still running (their runs are reconciled on the next start)."""
        for run_id in list(self.procs.running):
            self.procs.kill(run_id)

    def _record_groups(self, run: dict[str, Any]) -> None:
        """Keep each new task process's group id with its task run, for `reconcile` after a crash; read at
        the save, not at the launch, so launching several tasks never waits for each one's pid (a forked
        one's is waited for here, so a saved RUNNING task run always has its group id)."""
        for entry in task_runs(run):
            process = self.procs.running.get(entry["run_id"])
            if process is not None and "pgid" not in task_local(entry):
                started = getattr(process, "started_pid", None)
                task_local(entry)["pgid"] = started() if started else getattr(process, "pid", None)

    def _active_runs(self) -> list[dict[str, Any]]:
        """The active runs; one this loop saved last tick and nobody changed since is not parsed again
        (a run of 1,000 tasks is ~750 kB of JSON)."""
        saved, self._saved = self._saved, {}
        return self.ws.store.active_runs(saved)

    def _save(self, run: dict[str, Any]) -> None:
        self._record_groups(run)
        active = not LifeCycle(run["state"]["life_cycle_state"]).is_terminal
        text = self.ws.store.put_run(run, active=active)
        if active:
            self._saved[text] = run


async def run_scheduler(ws: Workspace) -> None:
    """The background loop of the local workspace (started by the server at startup)."""
    scheduler = Scheduler(ws)
    exits = ExitWatch(scheduler.wakeup)
    scheduler.reconcile()
    try:
        while True:
            try:
                scheduler.tick()
            except Exception:  # the store failing once must not stop the loop
                _log.exception("Scheduler tick failed")
            exits.watch(pid for p in scheduler.procs.running.values() if (pid := getattr(p, "pid", None)))
            exits.watch_launcher(WARM.events(), WARM.drain)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(scheduler.wakeup.wait(), TICK_SECONDS)
            scheduler.wakeup.clear()
    finally:
        exits.close()
        scheduler.shutdown()
