"""One scheduler step of one active job run: move its task runs along the DAG and roll it up.

This module owns the job run: its cancel and timeout, the DAG gate that releases BLOCKED task runs
(or skips them), and the final roll-up. Each released task run is moved on by stepper.py with the
job run's placement: any kind may run there (for_each_task by for_each.py) and a retry is a new
entry of the run's `tasks`. The caller writes the run back to the store once the step is done.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from ..runs.bookkeeping import run_local, task_local
from ..runs.dag import RUN, gate, roll_up
from ..runs.documents import entries, latest_entries, set_state
from ..runs.lifecycle import LifeCycle, Result
from ..state import Workspace
from .drivers import Context, Driver, Processes, nested_driver_for
from .for_each import ForEachDriver
from .stepper import end_task_run, step_task_run, stop_task_run, waits_for_a_process

__all__ = ["EXIT_WAIT_SECONDS", "finish_run", "step_run"]

EXIT_WAIT_SECONDS = 0.02
"""How long a step that changed its run waits for a task process to exit before it ends."""

_FOR_EACH = ForEachDriver()
_ENDED = frozenset(life.value for life in LifeCycle if life.is_terminal)
"""Task runs no step moves any more: each pass leaves them out (a big run is mostly these by its end)."""
_SKIP_MESSAGES = {
    Result.DISABLED: "The task's run_if condition cannot be met because an upstream task is disabled.",
    Result.UPSTREAM_FAILED: "Upstream task(s) failed.",
    Result.UPSTREAM_CANCELED: "Upstream task(s) were canceled.",
    Result.EXCLUDED: "The task's run_if condition was not met.",
}


class _JobTasks:
    """The placement of a job run's own tasks: any kind, released by the DAG gate, retried in `tasks`."""

    def driver(self, entry: dict[str, Any]) -> Driver:
        """The for-each driver, or the driver of a kind that may also nest."""
        return _FOR_EACH if "for_each_task" in entry else nested_driver_for(entry)

    def may_start(self, ctx: Context, entry: dict[str, Any]) -> bool:
        """Always: the DAG gate already released it when it left BLOCKED."""
        return True

    def place_retry(self, ctx: Context, entry: dict[str, Any], retry: dict[str, Any]) -> None:
        """A retry is the task's latest entry in the run's `tasks`."""
        entries(ctx.run).append(retry)


_JOB_TASKS = _JobTasks()


def step_run(
    ws: Workspace, run: dict[str, Any], procs: Processes, now: int, until: float | None = None
) -> bool:
    """Advance `run` as far as it can go now; True if the document changed.

    Once the step changed something and while its task processes run, it goes on stepping them as
    they exit (waiting up to `EXIT_WAIT_SECONDS` at a time for the launcher's exit reports) until the
    `until` monotonic time, so a run of many short tasks is written back once per tick, not once per
    task; a step that changed nothing, or whose tasks go on longer, ends at once.
    """
    step = Context(ws, run, procs, now)
    local = run_local(run)
    if local.get("cancel") or _job_timed_out(step):
        _stop_all(step, Result.CANCELED if local.get("cancel") else Result.TIMEDOUT)
    live = _Live(step)
    while True:
        progressed = live.step_all()
        step.changed |= progressed
        if progressed:
            continue
        remaining = (until or 0) - time.monotonic()
        busy = step.changed and any(entry["run_id"] in procs.running for entry in live.moving)
        if not busy or remaining <= 0 or not procs.wait_for_exit(min(remaining, EXIT_WAIT_SECONDS)):
            break
        step.now = ws.now_ms()
    if all(LifeCycle(e["state"]["life_cycle_state"]).is_terminal for e in latest_entries(run).values()):
        finish_run(run, step.now)
        return True
    if step.changed and run["state"]["life_cycle_state"] == LifeCycle.PENDING.value:
        set_state(run, LifeCycle.RUNNING)
    return step.changed


class _Live:
    """The task runs of one step that can move, kept between its passes so that a pass costs what moves,
    not the whole run: those waiting for a process apart (`queued`, in order), the others (`moving`)."""

    def __init__(self, step: Context) -> None:
        self.step = step
        self.refresh()

    def refresh(self) -> None:
        """Sort the run's latest task runs afresh (at the start, and when a retry was added)."""
        self.count = len(entries(self.step.run))
        self.step.latest = latest_entries(self.step.run)
        self.queued = deque(e for e in self.step.latest.values() if waits_for_a_process(e, _JOB_TASKS))
        waiting = {id(e) for e in self.queued}
        self.moving = [e for e in self.step.latest.values()
                       if e["state"]["life_cycle_state"] not in _ENDED and id(e) not in waiting]

    def step_all(self) -> bool:
        """One pass: every moving task run once, then queued ones while process slots are free."""
        if len(entries(self.step.run)) != self.count:
            self.refresh()
        progressed = False
        for entry in self.moving:
            progressed |= _step_entry(self.step, entry)
        while self.queued and self.step.slot_free:
            entry = self.queued.popleft()
            progressed |= _step_entry(self.step, entry)
            self.moving.append(entry)
        self.moving = [e for e in self.moving if e["state"]["life_cycle_state"] not in _ENDED]
        return progressed


def finish_run(run: dict[str, Any], now: int) -> None:
    """Roll a run whose task runs all ended up into its final state."""
    local = run_local(run)
    life, result, message = roll_up(latest_entries(run)) if entries(run) else (
        LifeCycle.TERMINATED, Result.SUCCESS, "")
    if local.get("cancel"):
        life, result, message = LifeCycle.TERMINATED, Result.CANCELED, "Run was canceled by the user."
    elif local.get("timed_out"):
        life, result, message = LifeCycle.TERMINATED, Result.TIMEDOUT, "Run timed out."
    set_state(run, life, result, message, cancelled=result in (Result.CANCELED, Result.TIMEDOUT))
    run["end_time"] = now
    run["run_duration"] = now - run["start_time"]
    history = run.get("repair_history")
    if history:
        history[-1].update(end_time=now, state=run["state"], status=run["status"])


def _job_timed_out(step: Context) -> bool:
    """The job's timeout_seconds (read live: changes by jobs/reset apply to active runs)."""
    local = run_local(step.run)
    job = step.ws.store.get_job(step.run["job_id"]) if step.run.get("run_type") == "JOB_RUN" else None
    timeout = int((job or {}).get("settings", {}).get("timeout_seconds", local.get("timeout_seconds")) or 0)
    started = local.get("admitted_at") or step.run["start_time"]
    if timeout and step.now - started > timeout * 1000:
        local["timed_out"] = True
    return bool(local.get("timed_out"))


def _stop_all(step: Context, result: Result) -> None:
    verb = "canceled" if result == Result.CANCELED else "timed out"
    for entry in latest_entries(step.run).values():
        life = LifeCycle(entry["state"]["life_cycle_state"])
        if life == LifeCycle.BLOCKED:
            end_task_run(step, entry, Result.UPSTREAM_CANCELED, _SKIP_MESSAGES[Result.UPSTREAM_CANCELED])
        elif not life.is_terminal:
            stop_task_run(step, entry, _JOB_TASKS, result, f"Task was {verb}.")


def _step_entry(step: Context, entry: dict[str, Any]) -> bool:
    """The DAG gate for a BLOCKED task run (unless cancelled); the stepper for the rest."""
    if entry["state"]["life_cycle_state"] == LifeCycle.BLOCKED.value and not task_local(entry).get("cancel"):
        return _step_blocked(step, entry)
    return step_task_run(step, entry, _JOB_TASKS)


def _step_blocked(step: Context, entry: dict[str, Any]) -> bool:
    decision = gate(entry, step.latest)
    if decision is None:
        return False
    if decision == RUN:
        set_state(entry, LifeCycle.PENDING)
    else:
        end_task_run(step, entry, Result(decision), _SKIP_MESSAGES[Result(decision)])
    return True
