"""The Jobs service: create, get, list, reset, update and delete saved jobs, and their routes.

Jobs are stored with the server-side defaults already applied (as `jobs/get` shows them), so the
scheduler reads `settings` straight from the store (limits: README, "What it cannot run"). The 2.0
single-task format is kept as a one-task job (`single_task.py`).
"""

from __future__ import annotations

from typing import Any

from ..errors import InvalidParameterValue
from ..paging import array_page, decode_page, encode_token, list_page
from ..state import Workspace
from ..store import Viewer
from .permissions import grant_on_create
from .rules import check_git_provider, check_settings, check_task_count_for_version
from .settings import PAGED_ARRAYS, apply_update, with_defaults
from .shapes import check_shape, with_numbers
from .single_task import SINGLE_TASK, as_single_task, is_single_task, merge_into_task, to_tasks

__all__ = [
    "create_job",
    "delete_job",
    "get_job",
    "list_jobs",
    "load_job",
    "reset_job",
    "update_job",
]

_LIST_LIMITS = {"2.2": 100}
_LIST_LIMIT_BEFORE_22 = 25
_LIST_DEFAULT = 20


def load_job(ws: Workspace, job_id: int) -> dict[str, Any]:
    """The stored job document; 400 INVALID_PARAMETER_VALUE if absent, as the real service answers."""
    job = ws.store.get_job(job_id)
    if job is None:
        raise InvalidParameterValue(f"Job {job_id} does not exist.")
    return job


def create_job(ws: Workspace, body: dict[str, Any], *, version: str, creator: str) -> dict[str, int]:
    """`jobs/create`: validate, fill defaults, store; `access_control_list` sets the first permissions."""
    acl = body.pop("access_control_list", None)
    single = is_single_task(body)
    body = to_tasks(with_numbers(body, "JobSettings"), version=version, path="")
    settings = _checked(body, version, queue_enabled=version == "2.2", path="", single_task=single)
    job: dict[str, Any] = {
        "job_id": ws.store.new_id(),
        "creator_user_name": creator,
        "run_as_user_name": _run_as_name(settings, creator),
        "created_time": ws.now_ms(),
        "settings": settings,
    }
    with ws.store.transaction():
        ws.store.put_job(job)
        grant_on_create(ws, job["job_id"], creator, acl)
    return {"job_id": job["job_id"]}


def get_job(ws: Workspace, job_id: int, *, version: str, page_token: str | None) -> dict[str, Any]:
    """`jobs/get`: on 2.2 the arrays come 100 at a time with `next_page_token`; 2.0/2.1 refuse >100 tasks."""
    job = load_job(ws, job_id)
    tasks = job["settings"].get("tasks") or []
    check_task_count_for_version(len(tasks), version)
    if version == "2.0":
        return {**job, "settings": as_single_task(job["settings"])}
    if version != "2.2":
        return job
    scope = {"job_id": job_id}
    page = decode_page(page_token, "job", scope) if page_token else 0
    doc, more = array_page(job, PAGED_ARRAYS, page)
    if more:
        doc["next_page_token"] = encode_token("job", scope, {"p": page + 1})
    return doc


def list_jobs(
    ws: Workspace,
    *,
    version: str,
    limit: int | None,
    offset: int,
    name: str | None,
    expand_tasks: bool,
    page_token: str | None,
    viewer: Viewer | None = None,
) -> dict[str, Any]:
    """`jobs/list`: newest first, by `page_token` or `offset`, filtered by exact case-insensitive name.

    With `viewer` (a non-admin) only the jobs it may view, filtered before paging; its tokens are its own.
    """
    limit, offset = _list_limit(limit, version), _check_offset(offset)
    page = list_page(
        lambda cursor, skip, n: ws.store.list_jobs(
            name=name, cursor=cursor, offset=skip, limit=n, viewer=viewer
        ),
        lambda job: (job["created_time"], job["job_id"]),
        kind="jobs",
        scope={"name": (name or "").lower() or None, "expand_tasks": expand_tasks, **_seen_by(viewer)},
        page_token=page_token,
        offset=offset,
        limit=limit,
    )
    out: dict[str, Any] = {}
    if page.items:
        out["jobs"] = [_list_item(job, version, expand_tasks) for job in page.items]
    for key, token in (("next_page_token", page.next_page_token), ("prev_page_token", page.prev_page_token)):
        if token:
            out[key] = token
    if version != "2.2":
        out["has_more"] = page.has_more
    return out


def reset_job(ws: Workspace, job_id: int, new_settings: Any, *, version: str) -> None:
    """`jobs/reset`: replace the settings whole; an omitted `run_as` keeps the previous one."""
    job = load_job(ws, job_id)
    new_settings = with_numbers(new_settings, "JobSettings")
    check_shape(new_settings, "JobSettings", "new_settings")
    single = is_single_task(new_settings)
    new_settings = to_tasks(new_settings, version=version, path="new_settings")
    if "run_as" not in new_settings and "run_as" in job["settings"]:
        new_settings = {**new_settings, "run_as": job["settings"]["run_as"]}
    job["settings"] = _checked(new_settings, version, queue_enabled=version == "2.2", path="new_settings",
                               single_task=single)
    job["run_as_user_name"] = _run_as_name(job["settings"], job["creator_user_name"])
    ws.store.put_job(job)


def update_job(
    ws: Workspace, job_id: int, new_settings: Any, fields_to_remove: list[Any], *, version: str
) -> None:
    """`jobs/update`: fields replaced, `tasks`/`job_clusters` merged by key, `fields_to_remove` dropped."""
    job = load_job(ws, job_id)
    new_settings = with_numbers(new_settings, "JobSettings")
    check_shape(new_settings, "JobSettings", "new_settings")
    check_shape(fields_to_remove, "list:str", "fields_to_remove")
    single = job["settings"].get("format") == SINGLE_TASK
    if single and version == "2.0":
        new_settings = merge_into_task(job["settings"], new_settings)
    new_settings = to_tasks(new_settings, version=version, path="new_settings")
    merged = apply_update(job["settings"], new_settings, fields_to_remove)
    queue_enabled = bool(job["settings"].get("queue", {}).get("enabled"))
    single = single and len(merged.get("tasks") or []) == 1
    job["settings"] = _checked(merged, version, queue_enabled=queue_enabled, path="new_settings",
                               single_task=single)
    job["run_as_user_name"] = _run_as_name(job["settings"], job["creator_user_name"])
    ws.store.put_job(job)


def delete_job(ws: Workspace, job_id: int) -> None:
    """`jobs/delete`: the job and its permissions go; its runs stay listed, as on Databricks."""
    load_job(ws, job_id)
    ws.store.delete_job(job_id)


def _checked(
    settings: Any, version: str, *, queue_enabled: bool, path: str, single_task: bool = False
) -> dict[str, Any]:
    """Settings validated and completed with the server-side defaults (`single_task`: a 2.0-format job)."""
    check_git_provider(settings.get("git_source") if isinstance(settings, dict) else None)
    check_shape(settings, "JobSettings", path)
    check_task_count_for_version(len(settings.get("tasks") or []), version)
    completed = with_defaults(settings, queue_enabled=queue_enabled, single_task=single_task)
    check_settings(completed, path)
    return completed


def _run_as_name(settings: dict[str, Any], creator: str) -> str:
    run_as = settings.get("run_as") or {}
    return run_as.get("user_name") or run_as.get("service_principal_name") or creator


def _list_limit(limit: int | None, version: str) -> int:
    """The page size of a jobs/list (20 unless given); 400 outside 1..100 on 2.2, 1..25 before."""
    top = _LIST_LIMITS.get(version, _LIST_LIMIT_BEFORE_22)
    limit = _LIST_DEFAULT if limit is None else limit
    if not 1 <= limit <= top:
        raise InvalidParameterValue(f"Invalid value for field limit: must be between 1 and {top}.")
    return limit


def _check_offset(offset: int) -> int:
    if offset < 0:
        raise InvalidParameterValue("Invalid value for field offset: must not be negative.")
    return offset


def _list_item(job: dict[str, Any], version: str, expand: bool) -> dict[str, Any]:
    """A job as `jobs/list` shows it: no `run_as_user_name`; tasks and clusters only with `expand_tasks`."""
    item = {k: v for k, v in job.items() if k != "run_as_user_name"}
    if version == "2.0":
        item["settings"] = as_single_task(job["settings"])
    if not expand:
        item["settings"] = {k: v for k, v in item["settings"].items() if k not in ("tasks", "job_clusters")}
        return item
    check_task_count_for_version(len(job["settings"].get("tasks") or []), version)
    if version != "2.2":
        return item
    item, more = array_page(item, PAGED_ARRAYS, 0)
    return {**item, "has_more": more}


def _seen_by(viewer: Viewer | None) -> dict[str, Any]:
    """The page-token scope of a non-admin's list: its tokens do not page another identity's list."""
    return {"viewer": list(viewer)} if viewer else {}
