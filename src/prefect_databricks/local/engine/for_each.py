"""`for_each_task`: one nested task run per input, `concurrency` at a time, listed as `iterations`.

This driver only expands the inputs into iterations, applies `concurrency` and rolls up stats and
the result; each iteration is stepped by stepper.py exactly like a job run's task (start, timeout,
retry per the nested task's `max_retries`, `min_retry_interval_millis`, `retry_on_timeout`, cancel),
with a placement that lets no for_each nest and puts each retry among the iterations. Iterations
live on the for-each task run (runs/get of its run id pages them by 100) and are indexed as task
runs of the job run, so runs/get, get-output and cancel accept their ids; stats count only the
latest attempt of each input.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from ..errors import InvalidParameterValue
from ..runs.bookkeeping import task_local
from ..runs.documents import iterations_of, new_task_entry
from ..runs.lifecycle import LifeCycle, Result
from ..runs.references import resolve, value_text
from .drivers import Context, Driver, nested_driver_for
from .launch import resolved_names
from .stepper import step_task_run, stop_task_run

__all__ = ["ForEachDriver"]

_ERROR_SAMPLES = 3


class ForEachDriver:
    """Starts the iterations as capacity allows and ends when the last attempt of each has ended."""

    needs_process = False

    def start(self, ctx: Context, entry: dict[str, Any]) -> None:
        spec = entry["for_each_task"]
        inputs = _inputs(resolve(spec.get("inputs", ""), resolved_names(ctx.ws, ctx.run, entry)))
        task_local(entry)["iterations"] = []
        for index, item in enumerate(inputs):
            iteration = new_task_entry(ctx.ws, ctx.run, spec["task"], 0, LifeCycle.PENDING)
            task_local(iteration).update({"names": _input_names(item), "index": index})
            _add(ctx, entry, iteration)
        _count(entry)

    def poll(self, ctx: Context, entry: dict[str, Any]) -> tuple[Result, str] | None:
        """Step the started iterations first, then start pending ones in input order as room allows."""
        placement = _Iterations(entry)
        for iteration in _latest(entry):
            if _life(iteration) != LifeCycle.PENDING:
                step_task_run(ctx, iteration, placement)
        for iteration in _latest(entry):
            if _life(iteration) == LifeCycle.PENDING:
                step_task_run(ctx, iteration, placement)
        _count(entry)
        latest = _latest(entry)
        if not all(_life(i).is_terminal for i in latest):
            return None
        failed = sum(i["state"].get("result_state") != Result.SUCCESS.value for i in latest)
        if failed:
            return Result.FAILED, f"{failed} of {len(latest)} iterations failed."
        return Result.SUCCESS, ""

    def halt(self, ctx: Context, entry: dict[str, Any]) -> None:
        placement = _Iterations(entry)
        for iteration in iterations_of(entry):
            if not _life(iteration).is_terminal:
                stop_task_run(ctx, iteration, placement, Result.CANCELED, "Task was canceled.")
        _count(entry)


class _Iterations:
    """The placement of one for-each task run's iterations: no for_each, `concurrency` running at once."""

    def __init__(self, entry: dict[str, Any]) -> None:
        self.entry = entry
        self.room: int | None = None

    def driver(self, entry: dict[str, Any]) -> Driver:
        """Any kind but for_each_task, which cannot nest."""
        return nested_driver_for(entry)

    def may_start(self, ctx: Context, entry: dict[str, Any]) -> bool:
        """While fewer than `concurrency` run: counted at the first ask (after the started ones stepped)."""
        if self.room is None:
            limit = max(1, int(self.entry["for_each_task"].get("concurrency") or 1))
            self.room = limit - sum(_life(i) == LifeCycle.RUNNING for i in _latest(self.entry))
        if self.room <= 0:
            return False
        self.room -= 1
        return True

    def place_retry(self, ctx: Context, entry: dict[str, Any], retry: dict[str, Any]) -> None:
        """A retry is the input's latest iteration, with the same input names and index."""
        task_local(retry).update({"names": task_local(entry)["names"], "index": task_local(entry)["index"]})
        _add(ctx, self.entry, retry)


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


def _add(ctx: Context, entry: dict[str, Any], iteration: dict[str, Any]) -> None:
    """List `iteration` on the for-each task run and index it as a task run of the job run."""
    ctx.ws.store.index_task_run(iteration["run_id"], ctx.run["run_id"])
    iterations_of(entry).append(iteration)
    ctx.changed = True


def _latest(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """The latest attempt of each input, in input order."""
    return list({task_local(i)["index"]: i for i in iterations_of(entry)}.values())


def _life(iteration: dict[str, Any]) -> LifeCycle:
    return LifeCycle(iteration["state"]["life_cycle_state"])


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
    }, "error_message_stats": _error_stats(latest)}


def _category(iteration: dict[str, Any]) -> str | None:
    category: str | None = iteration["status"].get("termination_details", {}).get("type")
    return category


def _error_stats(latest: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The 3 most common messages of the latest attempts that failed, with their counts ([I]: the
    termination category is the iteration's termination type)."""
    failed = [i for i in latest if i["state"].get("result_state") not in (None, Result.SUCCESS.value)]
    counts = Counter((i["state"].get("state_message", ""), _category(i)) for i in failed)
    return [{"error_message": message, "count": count, "termination_category": category}
            for (message, category), count in counts.most_common(_ERROR_SAMPLES)]
