"""Stepping one task run, wherever it sits: a job run's task (first run or repair) or a for-each iteration.

This is the one place that moves a task run WAITING_FOR_RETRY → PENDING → RUNNING → TERMINATED:
starting it (a start that raises fails that task run alone), its timeout, retries and cancel. A
`Placement` says the rest: which drivers run there, what lets a pending task run start, and where
a retry attempt goes. BLOCKED task runs are the job run's DAG gate's (steps.py), not this module's.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from ..errors import ApiError
from ..executor import UnsupportedTask
from ..runs.bookkeeping import task_local
from ..runs.documents import new_task_entry, set_state, task_spec
from ..runs.lifecycle import LifeCycle, Result
from .drivers import Context, Driver

__all__ = ["Placement", "end_task_run", "step_task_run", "stop_task_run", "waits_for_a_process"]

_log = logging.getLogger("prefect_databricks.local")


class Placement(Protocol):
    """Where task runs sit; the only thing that differs between a job run's tasks and for-each iterations."""

    def driver(self, entry: dict[str, Any]) -> Driver:
        """The driver of this task run's kind (for_each_task only where it may sit)."""

    def may_start(self, ctx: Context, entry: dict[str, Any]) -> bool:
        """Whether this pending task run may start now; asked last, so True means it starts."""

    def place_retry(self, ctx: Context, entry: dict[str, Any], retry: dict[str, Any]) -> None:
        """Put `retry`, the next attempt of `entry`, beside it."""


def step_task_run(ctx: Context, entry: dict[str, Any], placement: Placement) -> bool:
    """Move one task run a step on (a cancel requested on it first); True if it changed."""
    if _waits_for_a_slot(ctx, entry, placement):
        return False
    life = LifeCycle(entry["state"]["life_cycle_state"])
    if life.is_terminal:
        return False
    if task_local(entry).get("cancel"):
        stop_task_run(ctx, entry, placement, Result.CANCELED, "Task was canceled.")
        return True
    if life == LifeCycle.WAITING_FOR_RETRY:
        return _step_waiting(ctx, entry)
    if life == LifeCycle.PENDING:
        return _step_pending(ctx, entry, placement)
    if life == LifeCycle.RUNNING:
        return _step_running(ctx, entry, placement)
    return False


def _waits_for_a_slot(ctx: Context, entry: dict[str, Any], placement: Placement) -> bool:
    """A pending task run that needs a process while none is free: nothing to do, checked cheaply first
    (a run of many tasks has most of them here, and each tick steps them all)."""
    return not ctx.slot_free and waits_for_a_process(entry, placement)


def waits_for_a_process(entry: dict[str, Any], placement: Placement) -> bool:
    """A pending task run that starts as soon as a process slot is free, and that nothing else moves
    during one step (requests, such as a cancel, never interleave with it), so a step may set it apart."""
    return (entry["state"]["life_cycle_state"] == LifeCycle.PENDING.value and not entry.get("disabled")
            and not task_local(entry).get("cancel") and placement.driver(entry).needs_process)


def stop_task_run(
    ctx: Context, entry: dict[str, Any], placement: Placement, result: Result, message: str
) -> None:
    """Halt the work of a task run that has not ended and end it as cancelled or timed out."""
    if entry["state"]["life_cycle_state"] == LifeCycle.RUNNING.value:
        placement.driver(entry).halt(ctx, entry)
    end_task_run(ctx, entry, result, message, cancelled=True)


def end_task_run(
    ctx: Context, entry: dict[str, Any], result: Result, message: str, *, cancelled: bool = False
) -> None:
    """Terminate a task run with its end time and durations (a task run that never started: zero)."""
    set_state(entry, LifeCycle.TERMINATED, result, message, cancelled=cancelled)
    ctx.ws.revoke_task_token(entry["run_id"])
    entry["start_time"] = entry.get("start_time") or ctx.now
    entry["end_time"] = ctx.now
    entry["execution_duration"] = entry["run_duration"] = ctx.now - entry["start_time"]
    ctx.changed = True


def _step_waiting(ctx: Context, entry: dict[str, Any]) -> bool:
    if ctx.now < task_local(entry).get("retry_at", 0):
        return False
    set_state(entry, LifeCycle.PENDING)
    ctx.changed = True
    return True


def _step_pending(ctx: Context, entry: dict[str, Any], placement: Placement) -> bool:
    if entry.get("disabled"):
        end_task_run(ctx, entry, Result.DISABLED, "This task is disabled.")
        return True
    driver = placement.driver(entry)
    if (driver.needs_process and not ctx.slot_free) or not placement.may_start(ctx, entry):
        return False
    entry["start_time"] = ctx.now
    try:
        driver.start(ctx, entry)
    except (UnsupportedTask, ApiError) as exc:
        ctx.ws.store.put_output(entry["run_id"], {"error": str(exc)})
        _fail(ctx, entry, placement, str(exc))
        return True
    except Exception as exc:  # the task run must end, whatever went wrong starting it
        _log.exception("Starting task %s failed", entry["task_key"])
        _fail(ctx, entry, placement, f"The task could not be started: {exc}")
        return True
    set_state(entry, LifeCycle.RUNNING)
    ctx.changed = True
    return True


def _step_running(ctx: Context, entry: dict[str, Any], placement: Placement) -> bool:
    timeout = int(entry.get("timeout_seconds") or 0)
    if timeout and ctx.now - entry["start_time"] > timeout * 1000:
        stop_task_run(ctx, entry, placement, Result.TIMEDOUT, f"Task timed out after {timeout} seconds.")
        if entry.get("retry_on_timeout"):
            _maybe_retry(ctx, entry, placement)
        return True
    ended = placement.driver(entry).poll(ctx, entry)
    if ended is None:
        return False
    result, message = ended
    if result == Result.SUCCESS:
        end_task_run(ctx, entry, result, message)
    else:
        _fail(ctx, entry, placement, message)
    return True


def _fail(ctx: Context, entry: dict[str, Any], placement: Placement, message: str) -> None:
    end_task_run(ctx, entry, Result.FAILED, message)
    if "condition_task" not in entry:
        _maybe_retry(ctx, entry, placement)


def _maybe_retry(ctx: Context, entry: dict[str, Any], placement: Placement) -> None:
    """The next attempt per `max_retries` (-1: always), due `min_retry_interval_millis` after this start."""
    retries = int(entry.get("max_retries") or 0)
    if retries != -1 and entry["attempt_number"] >= retries:
        return
    retry = new_task_entry(ctx.ws, ctx.run, task_spec(entry), entry["attempt_number"] + 1,
                           LifeCycle.WAITING_FOR_RETRY)
    interval = int(entry.get("min_retry_interval_millis") or 0)
    task_local(retry)["retry_at"] = max(entry["start_time"] + interval, ctx.now + 1)
    task_local(retry)["first_attempt_run_id"] = task_local(entry).get("first_attempt_run_id", entry["run_id"])
    placement.place_retry(ctx, entry, retry)
    ctx.changed = True
