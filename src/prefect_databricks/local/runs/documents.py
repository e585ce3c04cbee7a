"""Building run documents in the API's shape, and the views runs/get, runs/list and get-output answer.

A stored run document is the API's `Run` plus bookkeeping under `_local` keys (on the run and on
each task entry) that the scheduler needs; every view strips them.
"""

from __future__ import annotations

import copy
from typing import Any

from ..jobs.rules import TASK_TYPES
from ..jobs.single_task import SINGLE_TASK
from ..paging import array_page, decode_page, encode_token
from ..state import Workspace
from .lifecycle import LifeCycle, Result, can_move, state_and_status

__all__ = [
    "entries",
    "iterations_of",
    "latest_entries",
    "list_item",
    "new_task_entry",
    "original_entry",
    "public",
    "run_view",
    "set_state",
    "task_run_page",
    "task_run_view",
    "task_runs",
    "task_spec",
]

_INTERNAL = "_local"
_NOT_EMULATED = "Not emulated by the local workspace: "
_RUN_ARRAYS = (("tasks",), ("job_clusters",), ("job_parameters",), ("repair_history",))
_RUNTIME_KEYS = frozenset({
    "run_id", "attempt_number", "state", "status", "start_time", "end_time", "setup_duration",
    "execution_duration", "cleanup_duration", "run_duration", "queue_duration", "run_page_url",
    "resolved_values", _INTERNAL,
})
_EXPANDED = ("tasks", "job_clusters")
_CLUSTER_SPEC = ("new_cluster", "existing_cluster_id", "libraries")
_TASK_RUN_KEYS = (
    "job_id", "number_in_job", "run_name", "run_type", "trigger", "creator_user_name",
    "job_parameters", "overriding_parameters", "format",
)


def set_state(
    doc: dict[str, Any],
    life: LifeCycle,
    result: Result | None = None,
    message: str = "",
    *,
    cancelled: bool = False,
    queue_code: str | None = None,
) -> None:
    """Set a run's or task run's `state` and `status` together, along the lifecycle's transition table."""
    if "state" in doc and not can_move(LifeCycle(doc["state"]["life_cycle_state"]), life):
        raise RuntimeError(f"Run {doc.get('run_id')}: {doc['state']['life_cycle_state']} -> {life.value}")
    doc["state"], doc["status"] = state_and_status(
        life, result, message, user_cancelled_or_timedout=cancelled, queue_code=queue_code
    )


def new_task_entry(
    ws: Workspace, run: dict[str, Any], spec: dict[str, Any], attempt: int, life: LifeCycle
) -> dict[str, Any]:
    """A fresh task run entry of `run` for task setting `spec`, attempt `attempt`, in state `life`."""
    entry = {k: copy.deepcopy(v) for k, v in spec.items() if k != "health"}
    run_id = ws.store.new_id()
    entry.update(
        run_id=run_id, attempt_number=attempt, start_time=0, end_time=0, setup_duration=0,
        execution_duration=0, cleanup_duration=0, run_duration=0, queue_duration=0,
        run_page_url=ws.run_page_url(run.get("job_id"), run_id),
    )
    entry.setdefault("run_if", "ALL_SUCCESS")
    if entry.get("depends_on"):
        entry["depends_on"] = sorted(entry["depends_on"], key=lambda d: d["task_key"])
    entry[_INTERNAL] = {}
    set_state(entry, life)
    return entry


def task_spec(entry: dict[str, Any]) -> dict[str, Any]:
    """The task settings a task run entry was made from (for a retry or a repair)."""
    return {k: copy.deepcopy(v) for k, v in entry.items() if k not in _RUNTIME_KEYS}


def entries(run: dict[str, Any]) -> list[dict[str, Any]]:
    """Every task run entry of a run (all attempts), in creation order."""
    tasks: list[dict[str, Any]] = run.setdefault("tasks", [])
    return tasks


def latest_entries(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The latest attempt of each task, by task key."""
    return {entry["task_key"]: entry for entry in entries(run)}


def public(doc: dict[str, Any]) -> dict[str, Any]:
    """A run document without bookkeeping keys (new top-level and task dicts; values are shared), the
    run's warnings (settings that did not take effect) appended to its state_message."""
    out = {k: v for k, v in doc.items() if not k.startswith("_")}
    notes = doc.get(_INTERNAL, {}).get("warnings")
    if notes and isinstance(out.get("state"), dict):
        notice = _NOT_EMULATED + "; ".join(notes) + "."
        message = " ".join(filter(None, [out["state"].get("state_message"), notice]))
        out["state"] = {**out["state"], "state_message": message}
    for key in ("tasks", "iterations"):
        if key in out:
            out[key] = [{k: v for k, v in t.items() if not k.startswith("_")} for t in out[key]]
    return out


def run_view(
    doc: dict[str, Any], *, version: str, history: bool, resolved: bool, page_token: str | None
) -> dict[str, Any]:
    """What runs/get answers for a job run: arrays paginated 100 at a time on 2.2.

    `history` adds `repair_history`, which always starts with the ORIGINAL run, repaired or not.
    """
    view = _trimmed(public(doc), history=history, resolved=resolved)
    if history and not view.get("repair_history"):
        view["repair_history"] = [original_entry(doc)]
    if version == "2.0" and doc.get("format") == SINGLE_TASK:
        return _single_task_run(view)
    if version != "2.2":
        return view
    page = _page_number(doc["run_id"], page_token)
    view, more = array_page(view, _RUN_ARRAYS, page)
    if more:
        view["next_page_token"] = encode_token("runs/get", {"run_id": doc["run_id"]}, {"p": page + 1})
    return view


def original_entry(run: dict[str, Any]) -> dict[str, Any]:
    """The ORIGINAL item of `repair_history`: the run before any repair (only REPAIR items carry an `id`)."""
    return {
        "type": "ORIGINAL", "start_time": run["start_time"], "end_time": run.get("end_time", 0),
        "state": run["state"], "status": run["status"],
        "task_run_ids": [t["run_id"] for t in entries(run)],
    }


def _single_task_run(view: dict[str, Any]) -> dict[str, Any]:
    """A run of a 2.0 single-task job as 2.0 shows it: its `task` and `cluster_spec` at the top level."""
    tasks = view.get("tasks") or []
    if tasks:
        view["task"] = {k: v for k, v in tasks[0].items() if k in TASK_TYPES}
        view["cluster_spec"] = {k: v for k, v in tasks[0].items() if k in _CLUSTER_SPEC}
    return view


def task_run_view(
    doc: dict[str, Any], entry: dict[str, Any], *, resolved: bool = False
) -> dict[str, Any]:
    """A task run as a `Run` of its own (runs/get on a task run id, get-output's `metadata`)."""
    task = _trimmed({"tasks": [public(entry)]}, history=False, resolved=resolved)["tasks"][0]
    view = {k: copy.deepcopy(doc[k]) for k in _TASK_RUN_KEYS if k in doc}
    view.update(
        {k: task[k] for k in ("run_id", "attempt_number", "state", "status", "start_time", "end_time",
                              "setup_duration", "execution_duration", "cleanup_duration",
                              "run_duration", "queue_duration", "run_page_url") if k in task},
    )
    first = entry.get(_INTERNAL, {}).get("first_attempt_run_id", task["run_id"])
    view.update(job_run_id=doc["run_id"], original_attempt_run_id=first, tasks=[task])
    return view


def task_run_page(
    doc: dict[str, Any], entry: dict[str, Any], *, version: str, resolved: bool, page_token: str | None
) -> dict[str, Any]:
    """runs/get of a task run; a for-each task run lists its `iterations`, 100 a page on 2.2."""
    view = task_run_view(doc, entry, resolved=resolved)
    if "for_each_task" not in entry:
        return view
    view["iterations"] = [public(iteration) for iteration in iterations_of(entry)]
    if version != "2.2":
        return view
    page = _page_number(entry["run_id"], page_token)
    view, more = array_page(view, (("iterations",),), page)
    if more:
        view["next_page_token"] = encode_token("runs/get", {"run_id": entry["run_id"]}, {"p": page + 1})
    return view


def iterations_of(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """The iteration task runs of a for-each task run (empty for other task runs)."""
    found: list[dict[str, Any]] = entry.get(_INTERNAL, {}).get("iterations", [])
    return found


def task_runs(run: dict[str, Any]) -> list[dict[str, Any]]:
    """Every task run of a job run: all attempts of its tasks and the iterations of for-each tasks."""
    tasks = run.get("tasks", [])
    return [*tasks, *(iteration for task in tasks for iteration in iterations_of(task))]


def list_item(doc: dict[str, Any], *, expand_tasks: bool) -> dict[str, Any]:
    """A run as runs/list shows it: tasks only with `expand_tasks`, 100 per array and `has_more`."""
    if not expand_tasks:
        return _trimmed(public({k: v for k, v in doc.items() if k not in _EXPANDED}), history=False,
                        resolved=False)
    view = _trimmed(public(doc), history=False, resolved=False)
    view, more = array_page(view, _RUN_ARRAYS, 0)
    if more:
        view["has_more"] = True
    return view


def _trimmed(view: dict[str, Any], *, history: bool, resolved: bool) -> dict[str, Any]:
    if not history:
        view.pop("repair_history", None)
    if not resolved:
        for task in view.get("tasks", []):
            task.pop("resolved_values", None)
    return view


def _page_number(run_id: int, page_token: str | None) -> int:
    if not page_token:
        return 0
    return decode_page(page_token, "runs/get", {"run_id": run_id})
