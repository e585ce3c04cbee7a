"""One scheduler step of one active job run: move its task runs along the DAG and roll it up.

Task runs go BLOCKED → PENDING → RUNNING → TERMINATED (WAITING_FOR_RETRY between attempts);
the work itself is started, polled and halted by the driver of the task's kind. The caller
writes the run back to the store once the step is done.
"""

from __future__ import annotations

import logging
from typing import Any

from ..errors import ApiError
from ..executor import UnsupportedTask
from ..runs.dag import RUN, gate, roll_up
from ..runs.documents import entries, latest_entries, new_task_entry, set_state, task_spec
from ..runs.lifecycle import LifeCycle, Result
from ..state import Workspace
from .drivers import Context, Driver, Processes, nested_driver_for
from .for_each import ForEachDriver

__all__ = ["finish_run", "step_run"]

_log = logging.getLogger("prefect_databricks.local")
_FOR_EACH = ForEachDriver()
_SKIP_MESSAGES = {
    Result.UPSTREAM_FAILED: "Upstream task(s) failed.",
    Result.UPSTREAM_CANCELED: "Upstream task(s) were canceled.",
    Result.EXCLUDED: "The task's run_if condition was not met.",
}


def step_run(ws: Workspace, run: dict[str, Any], procs: Processes, now: int) -> bool:
    """Advance `run` as far as it can go now; True if the document changed."""
    step = Context(ws, run, procs, now)
    local = run.setdefault("_local", {})
    if local.get("cancel") or _job_timed_out(step):
        _stop_all(step, Result.CANCELED if local.get("cancel") else Result.TIMEDOUT)
    progressed = True
    while progressed:
        progressed = False
        step.latest = latest_entries(run)
        for entry in list(step.latest.values()):
            progressed |= _step_entry(step, entry)
        step.changed |= progressed
    if all(LifeCycle(e["state"]["life_cycle_state"]).is_terminal for e in latest_entries(run).values()):
        finish_run(run, now)
        return True
    if step.changed and run["state"]["life_cycle_state"] == LifeCycle.PENDING.value:
        set_state(run, LifeCycle.RUNNING)
    return step.changed


def finish_run(run: dict[str, Any], now: int) -> None:
    """Roll a run whose task runs all ended up into its final state."""
    local = run["_local"]
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


def _driver_for(entry: dict[str, Any]) -> Driver:
    """The driver of this task run's kind (a local process unless the scheduler drives it)."""
    return _FOR_EACH if "for_each_task" in entry else nested_driver_for(entry)


def _job_timed_out(step: Context) -> bool:
    """The job's timeout_seconds (read live: changes by jobs/reset apply to active runs)."""
    local = step.run["_local"]
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
            _end(step, entry, Result.UPSTREAM_CANCELED, _SKIP_MESSAGES[Result.UPSTREAM_CANCELED])
        elif not life.is_terminal:
            _halt(step, entry)
            _end(step, entry, result, f"Task was {verb}.", cancelled=True)


def _halt(step: Context, entry: dict[str, Any]) -> None:
    if entry["state"]["life_cycle_state"] == LifeCycle.RUNNING.value:
        _driver_for(entry).halt(step, entry)


def _step_entry(step: Context, entry: dict[str, Any]) -> bool:
    life = LifeCycle(entry["state"]["life_cycle_state"])
    if entry["_local"].get("cancel") and not life.is_terminal:
        _halt(step, entry)
        _end(step, entry, Result.CANCELED, "Task was canceled.", cancelled=True)
        return True
    handler = {
        LifeCycle.WAITING_FOR_RETRY: _step_waiting,
        LifeCycle.BLOCKED: _step_blocked,
        LifeCycle.PENDING: _step_pending,
        LifeCycle.RUNNING: _step_running,
    }.get(life)
    return handler(step, entry) if handler else False


def _step_waiting(step: Context, entry: dict[str, Any]) -> bool:
    if step.now < entry["_local"].get("retry_at", 0):
        return False
    set_state(entry, LifeCycle.PENDING)
    return True


def _step_blocked(step: Context, entry: dict[str, Any]) -> bool:
    decision = gate(entry, step.latest)
    if decision is None:
        return False
    if decision == RUN:
        set_state(entry, LifeCycle.PENDING)
    else:
        _end(step, entry, Result(decision), _SKIP_MESSAGES[Result(decision)])
    return True


def _step_pending(step: Context, entry: dict[str, Any]) -> bool:
    if entry.get("disabled"):
        _end(step, entry, Result.DISABLED, "This task is disabled.")
        return True
    if _driver_for(entry).needs_process and not step.procs.free:
        return False
    _start(step, entry)
    return True


def _start(step: Context, entry: dict[str, Any]) -> None:
    entry["start_time"] = step.now
    try:
        _driver_for(entry).start(step, entry)
    except (UnsupportedTask, ApiError) as exc:
        step.ws.store.put_output(entry["run_id"], {"error": str(exc)})
        _fail(step, entry, str(exc))
        return
    except Exception as exc:  # the task must end, whatever went wrong starting it
        _log.exception("Starting task %s failed", entry["task_key"])
        _fail(step, entry, f"The task could not be started: {exc}")
        return
    set_state(entry, LifeCycle.RUNNING)


def _step_running(step: Context, entry: dict[str, Any]) -> bool:
    timeout = int(entry.get("timeout_seconds") or 0)
    if timeout and step.now - entry["start_time"] > timeout * 1000:
        _halt(step, entry)
        _end(step, entry, Result.TIMEDOUT, f"Task timed out after {timeout} seconds.", cancelled=True)
        if entry.get("retry_on_timeout"):
            _maybe_retry(step, entry)
        return True
    ended = _driver_for(entry).poll(step, entry)
    if ended is None:
        return False
    result, message = ended
    if result == Result.SUCCESS:
        _end(step, entry, result, message)
    else:
        _fail(step, entry, message)
    return True


def _fail(step: Context, entry: dict[str, Any], message: str) -> None:
    _end(step, entry, Result.FAILED, message)
    if "condition_task" not in entry:
        _maybe_retry(step, entry)


def _maybe_retry(step: Context, entry: dict[str, Any]) -> None:
    retries = int(entry.get("max_retries") or 0)
    if retries != -1 and entry["attempt_number"] >= retries:
        return
    attempt = entry["attempt_number"] + 1
    retry = new_task_entry(step.ws, step.run, task_spec(entry), attempt, LifeCycle.WAITING_FOR_RETRY)
    interval = int(entry.get("min_retry_interval_millis") or 0)
    retry["_local"]["retry_at"] = max(entry["start_time"] + interval, step.now + 1)
    entries(step.run).append(retry)


def _end(
    step: Context, entry: dict[str, Any], result: Result | None, message: str, *, cancelled: bool = False
) -> None:
    set_state(entry, LifeCycle.TERMINATED, result, message, cancelled=cancelled)
    entry["start_time"] = entry.get("start_time") or step.now
    entry["end_time"] = step.now
    entry["execution_duration"] = entry["run_duration"] = step.now - entry["start_time"]
    step.changed = True
