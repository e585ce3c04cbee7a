"""The runs service: get, list, cancel, cancel-all and delete (creation is run_create, repair is repair).

Runs and task runs are found by id alike: a task run id resolves through the task_runs index to
its job run. Every change is written to the store before the response, then the scheduler is woken.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidParameterValue, InvalidState
from ..jobs.rules import check_task_count_for_version
from ..paging import list_page
from ..state import Workspace
from ..store import Viewer
from .bookkeeping import run_local, task_local
from .documents import latest_entries, list_item, run_view, set_state, task_run_page, task_runs
from .lifecycle import LifeCycle, Result

__all__ = ["RunsQuery", "cancel", "cancel_all", "delete", "get", "is_active", "list_runs", "locate", "save"]

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
    ws.wake()


def get(
    ws: Workspace, run_id: int, *, version: str, history: bool = False, resolved: bool = False,
    page_token: str | None = None,
) -> dict[str, Any]:
    """runs/get: a job run (arrays paged by 100 on 2.2), or a task run as a run of its own."""
    run, entry = locate(ws, run_id)
    if entry is not None:
        return task_run_page(run, entry, version=version, resolved=resolved, page_token=page_token)
    check_task_count_for_version(len(run.get("tasks", [])), version)
    return run_view(run, version=version, history=history, resolved=resolved, page_token=page_token)


@dataclass(frozen=True)
class RunsQuery:
    """The filters and page of a runs/list request, already type-checked; `viewer` limits a non-admin's
    list to the runs it may view."""

    job_id: int | None = None
    active_only: bool = False
    completed_only: bool = False
    run_type: str | None = None
    start_time_from: int | None = None
    start_time_to: int | None = None
    limit: int = 20
    offset: int = 0
    page_token: str | None = None
    expand_tasks: bool = False
    viewer: Viewer | None = None


def list_runs(ws: Workspace, query: RunsQuery, version: str) -> dict[str, Any]:
    """runs/list: newest first, filtered, keyset pages (root has_more on 2.0/2.1 only)."""
    filters = _list_filters(query)
    if not 0 <= query.limit <= _MAX_LIST:
        raise InvalidParameterValue(f"Invalid value for field limit: it must be between 0 and {_MAX_LIST}.")
    if query.offset < 0:
        raise InvalidParameterValue("Invalid value for field offset: it must not be negative.")
    page = list_page(
        lambda cursor, skip, n: ws.store.list_runs(
            **filters, cursor=cursor, offset=skip, limit=n, viewer=query.viewer
        ),
        lambda run: (run["start_time"], run["run_id"]),
        kind="runs/list", scope={**filters, **({"viewer": list(query.viewer)} if query.viewer else {})},
        page_token=query.page_token, offset=query.offset,
        limit=query.limit or _MAX_LIST,
    )
    body: dict[str, Any] = {}
    if page.items:
        body["runs"] = [list_item(run, expand_tasks=query.expand_tasks) for run in page.items]
    for key in ("next_page_token", "prev_page_token"):
        if getattr(page, key):
            body[key] = getattr(page, key)
    if version != "2.2":
        body["has_more"] = page.has_more
    return body


def _list_filters(query: RunsQuery) -> dict[str, Any]:
    if query.active_only and query.completed_only:
        raise InvalidParameterValue("active_only and completed_only cannot both be true.")
    if query.run_type is not None and query.run_type not in _RUN_TYPES:
        raise InvalidParameterValue(
            f"Invalid value for field run_type: must be one of {', '.join(_RUN_TYPES)}."
        )
    return {
        "job_id": query.job_id,
        "active": True if query.active_only else (False if query.completed_only else None),
        "run_type": query.run_type,
        "start_from": query.start_time_from,
        "start_to": query.start_time_to,
    }


def cancel(ws: Workspace, run_id: int) -> None:
    """runs/cancel of a job run or a task run; asynchronous, and a no-op on a finished run."""
    run, entry = locate(ws, run_id)
    if not is_active(run) or (entry is not None and not is_active(entry)):
        return
    if entry is not None:
        task_local(entry)["cancel"] = True
    elif run["state"]["life_cycle_state"] == LifeCycle.QUEUED.value:
        _cancel_queued(ws, run)
    else:
        run_local(run)["cancel"] = True
    save(ws, run)


def _cancel_queued(ws: Workspace, run: dict[str, Any]) -> None:
    now = ws.now_ms()
    for entry in latest_entries(run).values():
        set_state(entry, LifeCycle.TERMINATED, Result.CANCELED, "Run was canceled.", cancelled=True)
        entry["end_time"] = now
    set_state(run, LifeCycle.TERMINATED, Result.CANCELED, "Run was canceled by the user.", cancelled=True)
    run["end_time"] = now
    run_local(run)["cancel"] = True


def cancel_all(
    ws: Workspace, job_id: int | None, all_queued_runs: bool, *, may: Callable[[int], bool] | None = None
) -> None:
    """runs/cancel-all: every active run of `job_id`; without one, every queued run (`all_queued_runs`)
    of the jobs `may` accepts (all when None)."""
    if job_id is None and not all_queued_runs:
        raise InvalidParameterValue("Either job_id or all_queued_runs must be provided.")
    for run_id in ws.store.active_run_ids(job_id=job_id, queued_only=job_id is None):
        run = ws.store.get_run(run_id)
        if may is None or (run is not None and may(run["job_id"])):
            cancel(ws, run_id)


def delete(ws: Workspace, run_id: int) -> None:
    """runs/delete: removes a finished run with its task runs and outputs; an active run is refused."""
    run, entry = locate(ws, run_id)
    if entry is not None:
        raise InvalidParameterValue(f"Run {run_id} is a task run; delete its job run {run['run_id']}.")
    if is_active(run):
        raise InvalidState(f"Run {run_id} is active and cannot be deleted. Cancel it first.")
    ws.store.delete_run(run_id)
    shutil.rmtree(ws.run_workdir(run_id), ignore_errors=True)
