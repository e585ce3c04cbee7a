"""`for_each_task`: one nested task run per input, `concurrency` at a time, listed as `iterations`.

The iterations live on the for-each task run (runs/get of its run id pages them by 100) and are
indexed as task runs of the job run, so runs/get, get-output and cancel accept their ids. Any kind
but for_each may nest (a process, a condition, a run_job_task); the nested task's `max_retries`,
`min_retry_interval_millis`, `retry_on_timeout` and `timeout_seconds` apply per iteration, each
retry a new iteration entry; stats count only the latest attempt of each input.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import ApiError, InvalidParameterValue
from ..executor import UnsupportedTask
from ..runs.documents import iterations_of, new_task_entry, set_state, task_spec
from ..runs.lifecycle import LifeCycle, Result
from ..runs.references import resolve, value_text
from .drivers import Context, nested_driver_for
from .launch import resolved_names

__all__ = ["ForEachDriver"]


class ForEachDriver:
    """Starts the iterations as capacity allows and ends when the last attempt of each has ended."""

    needs_process = False

    def start(self, ctx: Context, entry: dict[str, Any]) -> None:
        spec = entry["for_each_task"]
        inputs = _inputs(resolve(spec.get("inputs", ""), resolved_names(ctx.ws, ctx.run, entry)))
        entry["_local"]["iterations"] = []
        for index, item in enumerate(inputs):
            iteration = _new_iteration(ctx, entry, spec["task"], 0, LifeCycle.PENDING)
            iteration["_local"].update(names=_input_names(item), index=index)
        _count(entry)

    def poll(self, ctx: Context, entry: dict[str, Any]) -> tuple[Result, str] | None:
        for iteration in list(iterations_of(entry)):
            _advance(ctx, entry, iteration)
        latest = _latest(entry)
        limit = max(1, int(entry["for_each_task"].get("concurrency") or 1))
        room = limit - sum(_life(i) == LifeCycle.RUNNING for i in latest)
        for iteration in [i for i in latest if _life(i) == LifeCycle.PENDING][:max(0, room)]:
            _start(ctx, iteration)
        _count(entry)
        if not all(_life(i).is_terminal for i in latest):
            return None
        failed = sum(i["state"].get("result_state") != Result.SUCCESS.value for i in latest)
        if failed:
            return Result.FAILED, f"{failed} of {len(latest)} iterations failed."
        return Result.SUCCESS, ""

    def halt(self, ctx: Context, entry: dict[str, Any]) -> None:
        for iteration in iterations_of(entry):
            if not _life(iteration).is_terminal:
                _cancel(ctx, iteration)
        _count(entry)


def _inputs(text: str) -> list[Any]:
    try:
        inputs = json.loads(text)
    except ValueError:
        inputs = None
    if not isinstance(inputs, list):
        raise InvalidParameterValue(f"for_each_task.inputs must be a JSON array, got: {text[:200]}")
    return inputs


def _input_names(item: Any) -> dict[str, str]:
    """`{{input}}`, and `{{input.<key>}}` for an object input."""
    names = {"input": value_text(item)}
    if isinstance(item, dict):
        names.update({f"input.{key}": value_text(value) for key, value in item.items()})
    return names


def _new_iteration(
    ctx: Context, entry: dict[str, Any], spec: dict[str, Any], attempt: int, life: LifeCycle
) -> dict[str, Any]:
    iteration = new_task_entry(ctx.ws, ctx.run, spec, attempt, life)
    ctx.ws.store.index_task_run(iteration["run_id"], ctx.run["run_id"])
    iterations_of(entry).append(iteration)
    ctx.changed = True
    return iteration


def _latest(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """The latest attempt of each input, in input order."""
    return list({i["_local"]["index"]: i for i in iterations_of(entry)}.values())


def _life(iteration: dict[str, Any]) -> LifeCycle:
    return LifeCycle(iteration["state"]["life_cycle_state"])


def _start(ctx: Context, iteration: dict[str, Any]) -> None:
    driver = nested_driver_for(iteration)
    if driver.needs_process and not ctx.procs.free:
        return
    iteration["start_time"] = ctx.now
    try:
        driver.start(ctx, iteration)
    except (UnsupportedTask, ApiError) as exc:
        ctx.ws.store.put_output(iteration["run_id"], {"error": str(exc)})
        _end(ctx, iteration, Result.FAILED, str(exc))
        return
    set_state(iteration, LifeCycle.RUNNING)
    ctx.changed = True


def _advance(ctx: Context, entry: dict[str, Any], iteration: dict[str, Any]) -> None:
    life = _life(iteration)
    if life.is_terminal:
        return
    if iteration["_local"].get("cancel"):
        _cancel(ctx, iteration)
    elif life == LifeCycle.WAITING_FOR_RETRY and ctx.now >= iteration["_local"]["retry_at"]:
        set_state(iteration, LifeCycle.PENDING)
        ctx.changed = True
    elif life == LifeCycle.RUNNING:
        _poll(ctx, entry, iteration)


def _poll(ctx: Context, entry: dict[str, Any], iteration: dict[str, Any]) -> None:
    timeout = int(iteration.get("timeout_seconds") or 0)
    if timeout and ctx.now - iteration["start_time"] > timeout * 1000:
        nested_driver_for(iteration).halt(ctx, iteration)
        _end(ctx, iteration, Result.TIMEDOUT, f"Task timed out after {timeout} seconds.", cancelled=True)
        if iteration.get("retry_on_timeout"):
            _retry(ctx, entry, iteration)
        return
    ended = nested_driver_for(iteration).poll(ctx, iteration)
    if ended is not None:
        _end(ctx, iteration, *ended)
        if ended[0] != Result.SUCCESS:
            _retry(ctx, entry, iteration)


def _retry(ctx: Context, entry: dict[str, Any], iteration: dict[str, Any]) -> None:
    retries = int(iteration.get("max_retries") or 0)
    if "condition_task" in iteration or (retries != -1 and iteration["attempt_number"] >= retries):
        return
    again = _new_iteration(ctx, entry, task_spec(iteration), iteration["attempt_number"] + 1,
                           LifeCycle.WAITING_FOR_RETRY)
    interval = int(iteration.get("min_retry_interval_millis") or 0)
    again["_local"].update(
        names=iteration["_local"]["names"], index=iteration["_local"]["index"],
        retry_at=max(iteration["start_time"] + interval, ctx.now + 1),
    )


def _cancel(ctx: Context, iteration: dict[str, Any]) -> None:
    if _life(iteration) == LifeCycle.RUNNING:
        nested_driver_for(iteration).halt(ctx, iteration)
    _end(ctx, iteration, Result.CANCELED, "Task was canceled.", cancelled=True)


def _end(ctx: Context, iteration: dict[str, Any], result: Result, message: str, *,
         cancelled: bool = False) -> None:
    set_state(iteration, LifeCycle.TERMINATED, result, message, cancelled=cancelled)
    iteration["start_time"] = iteration.get("start_time") or ctx.now
    iteration["end_time"] = ctx.now
    iteration["execution_duration"] = iteration["run_duration"] = ctx.now - iteration["start_time"]
    ctx.changed = True


def _count(entry: dict[str, Any]) -> None:
    latest = _latest(entry)
    lives = [_life(i) for i in latest]
    results = [i["state"].get("result_state") for i in latest]
    entry["for_each_task"]["stats"] = {"task_run_stats": {
        "total_iterations": len(latest),
        "scheduled_iterations": sum(life != LifeCycle.PENDING for life in lives),
        "active_iterations": sum(life == LifeCycle.RUNNING for life in lives),
        "completed_iterations": sum(life.is_terminal for life in lives),
        "succeeded_iterations": results.count(Result.SUCCESS.value),
        "failed_iterations": sum(r is not None and r != Result.SUCCESS.value for r in results),
    }}
