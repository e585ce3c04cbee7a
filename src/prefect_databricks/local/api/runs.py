"""Handlers of job runs: request fields read into the runs services' typed requests.

Type checks of fields happen here, once (`Params` names the field and the rule); the services get
dataclasses and ids, never a request. A handler naming a run checks its job (`Call.check`) once.
"""

from __future__ import annotations

from typing import Any

from ..errors import InvalidParameterValue
from ..jobs.access import Need, allows
from ..jobs.fidelity import NOTICED
from ..jobs.permissions import checked_acl, grant_on_create
from ..jobs.shapes import with_numbers
from ..jobs.single_task import SINGLE_TASK, is_single_task, to_tasks
from ..runs import create, output, repairs, service
from ..runs.create import RunNowRequest, SubmitRequest
from ..runs.references import LEGACY_PARAMS
from ..runs.repairs import RepairRequest
from ..runs.service import RunsQuery
from .app import Call
from .params import Params

__all__ = [
    "cancel", "cancel_all", "delete", "export", "get", "get_output", "list_runs", "repair", "run_now",
    "submit",
]

_OBJECT_PARAMS = ("notebook_params", "python_named_params", "pipeline_params", "sql_params")
_ARRAY_PARAMS = ("python_params", "jar_params", "spark_submit_params", "dbt_commands")


async def run_now(call: Call) -> dict[str, Any]:
    """jobs/run-now."""
    params = call.params
    job_id = _run_or_job_id(params, "job_id")
    call.check(job_id)
    request = RunNowRequest(
        job_id=job_id,
        idempotency_token=params.str("idempotency_token"),
        job_parameters=params.obj("job_parameters"),
        legacy=_legacy_parameters(params),
        only=params.list("only"),
        queue=params.obj("queue"),
    )
    return create.run_now(call.ws, request)


async def submit(call: Call) -> dict[str, Any]:
    """jobs/runs/submit; on 2.0 also in the single-task format (the task's fields at the top level).

    The submitter owns the one-time run; `access_control_list` grants others access to it, as on jobs.
    """
    acl = call.params.raw("access_control_list")
    checked_acl(acl or [], "access_control_list")
    single = is_single_task(call.params.data)
    body = to_tasks(call.params.data, version=call.version, path="", name_field="run_name")
    params = Params(body, from_query=False)
    request = SubmitRequest(
        tasks=with_numbers(params.list("tasks") or [], "list:SubmitTask"),
        run_name=params.str("run_name"),
        idempotency_token=params.str("idempotency_token"),
        timeout_seconds=params.int("timeout_seconds", default=0) or 0,
        job_clusters=with_numbers(params.list("job_clusters") or [], "list:JobCluster"),
        format=SINGLE_TASK if single else "MULTI_TASK",
        environments=with_numbers(params.list("environments") or [], "list:JobEnvironment"),
        notices={name: body[name] for name in NOTICED if name in body},
    )
    created = create.submit(call.ws, request, version=call.version, creator=call.caller,
                            started_by_task_run=call.task_run_id)
    job_id = service.locate(call.ws, created["run_id"])[0]["job_id"]
    if call.ws.store.get_permissions(job_id) is None:
        grant_on_create(call.ws, job_id, call.caller, acl)
    return created


async def get(call: Call) -> dict[str, Any]:
    """jobs/runs/get."""
    params = call.params
    run_id, page_token = _run_or_job_id(params, "run_id"), params.str("page_token")
    history, resolved = params.bool("include_history"), params.bool("include_resolved_values")
    _check_run(call, run_id)
    return service.get(
        call.ws, run_id, version=call.version, history=history, resolved=resolved, page_token=page_token,
    )


async def list_runs(call: Call) -> dict[str, Any]:
    """jobs/runs/list: of one job the caller may view, or of every job and one-time run it may view."""
    params = call.params
    job_id = params.int("job_id")
    if job_id is not None:
        call.check(job_id)
    query = RunsQuery(
        job_id=job_id,
        active_only=params.bool("active_only"),
        completed_only=params.bool("completed_only"),
        run_type=params.str("run_type"),
        start_time_from=params.int("start_time_from"),
        start_time_to=params.int("start_time_to"),
        limit=params.int("limit", default=20) or 0,
        offset=params.int("offset", default=0) or 0,
        page_token=params.str("page_token"),
        expand_tasks=params.bool("expand_tasks"),
        viewer=None if job_id is not None else call.viewer(),
    )
    return service.list_runs(call.ws, query, call.version)


async def cancel(call: Call) -> dict[str, Any]:
    """jobs/runs/cancel."""
    service.cancel(call.ws, _checked_run_id(call))
    return {}


async def cancel_all(call: Call) -> dict[str, Any]:
    """jobs/runs/cancel-all; without `job_id`, a non-admin's `all_queued_runs` cancels only the queued runs
    it may manage ([I]: the docs do not say)."""
    job_id = call.params.int("job_id")
    if job_id is not None:
        call.check(job_id)
    may = None if job_id is not None or call.viewer() is None else (
        lambda job: allows(call.ws, call.caller, job, Need.RUN)
    )
    service.cancel_all(call.ws, job_id, call.params.bool("all_queued_runs"), may=may)
    return {}


async def delete(call: Call) -> dict[str, Any]:
    """jobs/runs/delete."""
    service.delete(call.ws, _checked_run_id(call))
    return {}


async def get_output(call: Call) -> dict[str, Any]:
    """jobs/runs/get-output."""
    return output.get_output(call.ws, _checked_run_id(call), call.version)


async def export(call: Call) -> dict[str, Any]:
    """jobs/runs/export."""
    views = call.params.str("views_to_export")
    return output.export(call.ws, _checked_run_id(call), views)


async def repair(call: Call) -> dict[str, Any]:
    """jobs/runs/repair."""
    params = call.params
    request = RepairRequest(
        run_id=_run_or_job_id(params, "run_id"),
        latest_repair_id=params.int("latest_repair_id"),
        rerun_tasks=params.list("rerun_tasks"),
        rerun_all_failed_tasks=params.bool("rerun_all_failed_tasks"),
        rerun_dependent_tasks=params.bool("rerun_dependent_tasks"),
        job_parameters=params.obj("job_parameters"),
        legacy=_legacy_parameters(params),
    )
    _check_run(call, request.run_id)
    return repairs.repair(call.ws, request)


def _run_or_job_id(params: Params, name: str) -> int:
    return params.int(name, required=True) or 0


def _checked_run_id(call: Call) -> int:
    """The request's `run_id` (a job run or a task run), once the caller holds the route's need on its job."""
    run_id = _run_or_job_id(call.params, "run_id")
    _check_run(call, run_id)
    return run_id


def _check_run(call: Call, run_id: int) -> None:
    """403 unless the caller holds the route's need on the job of `run_id` (400 if no such run)."""
    call.check(service.locate(call.ws, run_id)[0]["job_id"])


def _legacy_parameters(params: Params) -> dict[str, Any]:
    """The per-task-type parameters of run-now and repair, type-checked; notebook and jar ones exclusive."""
    for name in _OBJECT_PARAMS:
        params.obj(name)
    for name in _ARRAY_PARAMS:
        params.list(name)
    if params.raw("notebook_params") is not None and params.raw("jar_params") is not None:
        raise InvalidParameterValue("notebook_params and jar_params cannot be used together.")
    return {name: params.raw(name) for name in LEGACY_PARAMS if params.raw(name) is not None}
