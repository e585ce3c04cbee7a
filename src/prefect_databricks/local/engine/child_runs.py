"""`run_job_task`: a task run that triggers a run of another job and ends as that run ends.

The child run is an ordinary job run (admission, queueing and concurrency apply) with trigger
RUN_JOB_TASK and `trigger_info.run_id` naming the task run; get-output of the task run gives
`run_job_output.run_id`.
"""

from __future__ import annotations

from typing import Any

from ..runs.bookkeeping import task_local
from ..runs.create import RunNowRequest, run_now
from ..runs.lifecycle import LifeCycle, Result
from ..runs.references import LEGACY_PARAMS, resolve
from ..runs.service import cancel
from ..state import Workspace

__all__ = ["cancel_child", "child_outcome", "start_child"]

_SUCCEEDED = (Result.SUCCESS.value, Result.SUCCESS_WITH_FAILURES.value)


def start_child(ws: Workspace, entry: dict[str, Any], names: dict[str, str]) -> int:
    """Trigger the run of `run_job_task.job_id`; raises the API error run-now would answer."""
    spec = resolve(entry["run_job_task"], names)
    request = RunNowRequest(
        job_id=int(spec["job_id"]), job_parameters=spec.get("job_parameters"),
        legacy={key: spec[key] for key in LEGACY_PARAMS if key in spec},
    )
    child = run_now(ws, request, trigger="RUN_JOB_TASK", trigger_info={"run_id": entry["run_id"]})["run_id"]
    task_local(entry)["child_run_id"] = child
    entry["resolved_values"] = {"run_job_task": {"job_parameters": spec.get("job_parameters") or {}}}
    ws.store.put_output(entry["run_id"], {"run_job_output": {"run_id": child}})
    return int(child)


def child_outcome(ws: Workspace, entry: dict[str, Any]) -> tuple[Result, str] | None:
    """How the triggered run ended (None while it is active)."""
    child_id = task_local(entry).get("child_run_id")
    child = ws.store.get_run(child_id) if child_id is not None else None
    if child is None:
        return Result.FAILED, f"The triggered run {child_id} no longer exists."
    state = child["state"]
    if not LifeCycle(state["life_cycle_state"]).is_terminal:
        return None
    if state.get("result_state") in _SUCCEEDED:
        return Result.SUCCESS, ""
    ended = state.get("result_state") or state["life_cycle_state"]
    detail = f": {state['state_message']}" if state.get("state_message") else "."
    return Result.FAILED, f"The triggered run {child_id} of job {child['job_id']} ended {ended}{detail}"


def cancel_child(ws: Workspace, entry: dict[str, Any]) -> None:
    """Cancel the triggered run, if there is one and it is still active."""
    child_id = task_local(entry).get("child_run_id")
    if child_id is not None and ws.store.get_run(child_id) is not None:
        cancel(ws, child_id)
