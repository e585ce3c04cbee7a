"""Collecting the outputs of a finished run: one `runs/get-output` per task run, for-each iterations included.

`runs/get-output` only answers for a task run (a multi-task job run is refused), so the run's
`tasks` (all pages, merged by the client) are walked, and a for-each task's `iterations` are
read with `runs/get` on that task run. Each task entry of the run gets an `output` dict.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from prefect_databricks.client.errors import BadRequest
from prefect_databricks.waiting.outcome import latest_attempts
from prefect_databricks.waiting.states import message_of, state_text

if TYPE_CHECKING:
    from prefect_databricks.client import DatabricksClient

__all__ = ["OUTPUT_FIELDS", "attach_outputs", "error_texts", "notebook_outputs", "task_rows"]

OUTPUT_FIELDS = (
    "notebook_output",
    "logs",
    "logs_truncated",
    "error",
    "error_trace",
    "sql_output",
    "dbt_output",
    "run_job_output",
)
_CONCURRENCY = 8


async def attach_outputs(client: DatabricksClient, run: dict[str, Any]) -> dict[str, Any]:
    """Add `output` to every task entry of `run` (and to each iteration of a for-each task)."""
    limit = asyncio.Semaphore(_CONCURRENCY)
    entries = list(run.get("tasks") or ())
    await asyncio.gather(*(_expand_for_each(client, task, limit) for task in entries))
    every = entries + [it for task in entries for it in task.get("iterations") or ()]
    await asyncio.gather(*(_attach_one(client, entry, limit) for entry in every))
    return run


async def _expand_for_each(client: DatabricksClient, task: dict[str, Any], limit: asyncio.Semaphore) -> None:
    if "for_each_task" not in task or task.get("run_id") is None:
        return
    async with limit:
        detail = await client.get_run(task["run_id"])
    task["iterations"] = detail.get("iterations") or []


async def _attach_one(client: DatabricksClient, entry: dict[str, Any], limit: asyncio.Semaphore) -> None:
    if entry.get("run_id") is None:
        return
    async with limit:
        try:
            answer = await client.call("jobs/runs/get-output", params={"run_id": entry["run_id"]})
        except BadRequest:  # a kind of task run without outputs (e.g. a for-each parent)
            answer = {}
    entry["output"] = {key: answer[key] for key in OUTPUT_FIELDS if key in answer}


def notebook_outputs(run: Mapping[str, Any]) -> dict[str, Any]:
    """task_key → `notebook_output` of its latest attempt (`{}` if none), as the 0.4 flows returned."""
    return {
        str(task.get("task_key")): (task.get("output") or {}).get("notebook_output", {})
        for task in latest_attempts(run.get("tasks") or ())
    }


def error_texts(run: Mapping[str, Any]) -> dict[int, str]:
    """Task run id → the `error` of its output, for the tasks that have one."""
    texts = {}
    for task in run.get("tasks") or ():
        error = (task.get("output") or {}).get("error")
        if error and task.get("run_id") is not None:
            texts[task["run_id"]] = str(error)
    return texts


def task_rows(run: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per task (latest attempt): key, state, duration, attempts, output, error (a table artifact)."""
    tasks = run.get("tasks") or ()
    attempts = Counter(str(task.get("task_key")) for task in tasks)
    return [_row(task, attempts[str(task.get("task_key"))]) for task in latest_attempts(tasks)]


def _row(task: Mapping[str, Any], attempts: int) -> dict[str, Any]:
    state = state_text(task)
    error = (task.get("output") or {}).get("error") or ("" if state.endswith("SUCCESS") else message_of(task))
    return {
        "task_key": str(task.get("task_key")),
        "state": state,
        "duration_s": _duration(task),
        "attempts": attempts,
        "output": _output_text(task.get("output") or {}),
        "error": str(error)[:500],
    }


def _output_text(output: Mapping[str, Any]) -> str:
    """What a task produced, for a table cell: its notebook result, else the tail of its logs."""
    result = (output.get("notebook_output") or {}).get("result")
    if result is not None:
        return str(result)[:500]
    return str(output.get("logs") or "")[-500:]


def _duration(task: Mapping[str, Any]) -> float | None:
    if task.get("run_duration"):
        return round(float(task["run_duration"]) / 1000, 3)
    start, end = task.get("start_time") or 0, task.get("end_time") or 0
    return round((end - start) / 1000, 3) if start and end else None
