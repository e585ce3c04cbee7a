"""The runs service: get, list, cancel, cancel-all and delete (creation is run_create, repair is repair).

Runs and task runs are found by id alike: a task run id resolves through the task_runs index to
its job run. Every change is written to the store before the response, then the scheduler is woken.
"""

from __future__ import annotations

import shutil
from typing import Any

from ..api.params import Params
from ..engine.launch import run_workdir
from ..errors import InvalidParameterValue, InvalidState
from ..jobs.rules import check_task_count_for_version
from ..paging import list_page
from ..state import Workspace
from .documents import latest_entries, list_item, run_view, set_state, task_run_page, task_runs
from .doorbell import wake
from .lifecycle import LifeCycle, Result

__all__ = ["cancel", "cancel_all", "delete", "get", "is_active", "list_runs", "locate", "save"]

_MAX_LIST = 25
_RUN_TYPES = ("JOB_RUN", "WORKFLOW_RUN", "SUBMIT_RUN")


def locate(ws: Workspace, run_id: int) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The job run of `run_id` and, when `run_id` is a task run, its entry; 400 if neither exists."""
    run = ws.store.get_run(run_id)
    if run is not None:
        return run, None
    parent = ws.store.parent_of(run_id)
    run = ws.store.get_run(parent) if parent is not None else None
    entry = next((t for t in task_runs(run or {}) if t["run_id"] == run_id), None)
    if run is None or entry is None:
        raise InvalidParameterValue(f"Run {run_id} does not exist.")
    return run, entry


def is_active(doc: dict[str, Any]) -> bool:
    """True while a run or task run has not reached a terminal life cycle state."""
    return not LifeCycle(doc["state"]["life_cycle_state"]).is_terminal


def save(ws: Workspace, run: dict[str, Any]) -> None:
    """Write a run back and let the scheduler see it at once."""
    ws.store.put_run(run, active=is_active(run))
    wake(ws)


def get(ws: Workspace, params: Params, version: str) -> dict[str, Any]:
    """runs/get: a job run (arrays paged by 100 on 2.2), or a task run as a run of its own."""
    run, entry = locate(ws, params.int("run_id", required=True) or 0)
    resolved, token = params.bool("include_resolved_values"), params.str("page_token")
    if entry is not None:
        return task_run_page(run, entry, version=version, resolved=resolved, page_token=token)
    history = params.bool("include_history")
    check_task_count_for_version(len(run.get("tasks", [])), version)
    return run_view(run, version=version, history=history, resolved=resolved, page_token=token)


def list_runs(ws: Workspace, params: Params, version: str) -> dict[str, Any]:
    """runs/list: newest first, filtered, keyset pages (root has_more on 2.0/2.1 only)."""
    filters = _list_filters(params)
    limit = params.int("limit", default=20) or 0
    if not 0 <= limit <= _MAX_LIST:
        raise InvalidParameterValue(f"Invalid value for field limit: it must be between 0 and {_MAX_LIST}.")
    offset = params.int("offset", default=0) or 0
    if offset < 0:
        raise InvalidParameterValue("Invalid value for field offset: it must not be negative.")
    page = list_page(
        lambda cursor, skip, n: ws.store.list_runs(**filters, cursor=cursor, offset=skip, limit=n),
        lambda run: (run["start_time"], run["run_id"]),
        kind="runs/list", scope=filters, page_token=params.str("page_token"), offset=offset,
        limit=limit or _MAX_LIST,
    )
    expand = params.bool("expand_tasks")
    body: dict[str, Any] = {}
    if page.items:
        body["runs"] = [list_item(run, expand_tasks=expand) for run in page.items]
    for key in ("next_page_token", "prev_page_token"):
        if getattr(page, key):
            body[key] = getattr(page, key)
    if version != "2.2":
        body["has_more"] = page.has_more
    return body


def _list_filters(params: Params) -> dict[str, Any]:
    active_only, completed_only = params.bool("active_only"), params.bool("completed_only")
    if active_only and completed_only:
        raise InvalidParameterValue("active_only and completed_only cannot both be true.")
    run_type = params.str("run_type")
    if run_type is not None and run_type not in _RUN_TYPES:
        raise InvalidParameterValue(
            f"Invalid value for field run_type: must be one of {', '.join(_RUN_TYPES)}."
        )
    return {
        "job_id": params.int("job_id"),
        "active": True if active_only else (False if completed_only else None),
        "run_type": run_type,
        "start_from": params.int("start_time_from"),
        "start_to": params.int("start_time_to"),
    }


def cancel(ws: Workspace, run_id: int) -> None:
    """runs/cancel of a job run or a task run; asynchronous, and a no-op on a finished run."""
    run, entry = locate(ws, run_id)
    if not is_active(run) or (entry is not None and not is_active(entry)):
        return
    if entry is not None:
        entry.setdefault("_local", {})["cancel"] = True
    elif run["state"]["life_cycle_state"] == LifeCycle.QUEUED.value:
        _cancel_queued(ws, run)
    else:
        run["_local"]["cancel"] = True
    save(ws, run)


def _cancel_queued(ws: Workspace, run: dict[str, Any]) -> None:
    now = ws.now_ms()
    for entry in latest_entries(run).values():
        set_state(entry, LifeCycle.TERMINATED, Result.CANCELED, "Run was canceled.", cancelled=True)
        entry["end_time"] = now
    set_state(run, LifeCycle.TERMINATED, Result.CANCELED, "Run was canceled by the user.", cancelled=True)
    run["end_time"] = now
    run["_local"]["cancel"] = True


def cancel_all(ws: Workspace, params: Params) -> None:
    """runs/cancel-all: every active run of `job_id`; without one, every queued run (`all_queued_runs`)."""
    job_id, queued_only = params.int("job_id"), params.bool("all_queued_runs")
    if job_id is None and not queued_only:
        raise InvalidParameterValue("Either job_id or all_queued_runs must be provided.")
    sql, args = "SELECT run_id FROM runs WHERE active = 1", ()
    if job_id is not None:
        sql, args = sql + " AND job_id = ?", (job_id,)
    else:
        sql += " AND json_extract(doc, '$.state.life_cycle_state') = 'QUEUED'"
    for (run_id,) in ws.store.query(sql, args):
        cancel(ws, run_id)


def delete(ws: Workspace, run_id: int) -> None:
    """runs/delete: removes a finished run with its task runs and outputs; an active run is refused."""
    run, entry = locate(ws, run_id)
    if entry is not None:
        raise InvalidParameterValue(f"Run {run_id} is a task run; delete its job run {run['run_id']}.")
    if is_active(run):
        raise InvalidState(f"Run {run_id} is active and cannot be deleted. Cancel it first.")
    ws.store.delete_run(run_id)
    shutil.rmtree(run_workdir(ws, run_id), ignore_errors=True)
