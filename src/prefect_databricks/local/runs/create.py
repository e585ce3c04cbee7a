"""Creating runs: `jobs/run-now` and `jobs/runs/submit`, with idempotency tokens and admission.

A run is written whole (task entries included) in the state admission gives it, in the same
transaction that binds its idempotency token, so a retried request finds exactly one run.
"""

from __future__ import annotations

from typing import Any

from ..api.oidc import LOCAL_USER
from ..api.params import Params
from ..errors import InvalidParameterValue
from ..jobs.rules import check_task_count_for_version, check_tasks
from ..state import Workspace
from .admission import place
from .dag import select_only
from .documents import new_task_entry, set_state
from .doorbell import wake
from .lifecycle import LifeCycle
from .references import LEGACY_PARAMS, job_parameters, overriding_parameters

__all__ = ["run_now", "submit"]

_MAX_TOKEN = 64


def run_now(
    ws: Workspace, params: Params, *, trigger: str = "ONE_TIME", trigger_info: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Trigger a run of a saved job: `{run_id, number_in_job}` (`trigger` RUN_JOB_TASK for child runs)."""
    job_id = params.int("job_id", required=True)
    job = ws.store.get_job(job_id) if job_id is not None else None
    if job is None:
        raise InvalidParameterValue(f"Job {job_id} does not exist.")
    token = _token(ws, params)
    if token is not None and (existing := _existing(ws, token)) is not None:
        return {"run_id": existing, "number_in_job": existing}
    tasks = select_only(job["settings"].get("tasks") or [], params.list("only"))
    run = _job_run(ws, job, params)
    run["trigger"] = trigger
    if trigger_info is not None:
        run["trigger_info"] = trigger_info
    return _create(ws, run, tasks, token)


def _job_run(ws: Workspace, job: dict[str, Any], params: Params) -> dict[str, Any]:
    """A new run document of a saved job, with the parameters of the run-now request."""
    settings = job["settings"]
    request = _request_fields(params)
    run = _new_run(ws, job_id=job["job_id"], run_type="JOB_RUN", name=settings.get("name", "Untitled"),
                   now=ws.now_ms())
    run.update(
        creator_user_name=job.get("creator_user_name", LOCAL_USER),
        job_parameters=job_parameters(settings.get("parameters"), params.obj("job_parameters")),
        job_clusters=settings.get("job_clusters") or [],
    )
    if overriding_parameters(request):
        run["overriding_parameters"] = overriding_parameters(request)
    run["_local"].update(
        timeout_seconds=settings.get("timeout_seconds", 0),
        max_concurrent_runs=settings.get("max_concurrent_runs", 1),
        queue=_queue_enabled(params, settings),
    )
    return run


def submit(ws: Workspace, params: Params, *, version: str, creator: str = LOCAL_USER) -> dict[str, Any]:
    """Submit a one-time run (not saved as a job, still given a job_id) for `creator`: `{run_id}`."""
    tasks = params.list("tasks") or []
    if not tasks:
        raise InvalidParameterValue("Missing required field: tasks")
    check_tasks(tasks, "tasks")
    check_task_count_for_version(len(tasks), version)
    token = _token(ws, params)
    if token is not None and (existing := _existing(ws, token)) is not None:
        return {"run_id": existing}
    name = params.str("run_name") or "Untitled"
    run = _new_run(ws, job_id=ws.store.new_id(), run_type="SUBMIT_RUN", name=name, now=ws.now_ms())
    run.update(creator_user_name=creator, job_clusters=params.list("job_clusters") or [])
    run["_local"].update(timeout_seconds=params.int("timeout_seconds", default=0), queue=True)
    return {"run_id": _create(ws, run, tasks, token)["run_id"]}


def _new_run(ws: Workspace, *, job_id: int, run_type: str, name: str, now: int) -> dict[str, Any]:
    run_id = ws.store.new_id()
    run: dict[str, Any] = {
        "job_id": job_id, "run_id": run_id, "number_in_job": run_id, "original_attempt_run_id": run_id,
        "attempt_number": 0, "run_name": name, "run_type": run_type, "trigger": "ONE_TIME",
        "format": "MULTI_TASK", "start_time": now, "end_time": 0, "setup_duration": 0,
        "execution_duration": 0, "cleanup_duration": 0, "run_duration": 0, "queue_duration": 0,
        "run_page_url": ws.run_page_url(job_id, run_id), "tasks": [], "_local": {},
    }
    set_state(run, LifeCycle.QUEUED)
    return run


def _create(
    ws: Workspace, run: dict[str, Any], tasks: list[dict[str, Any]], token: str | None
) -> dict[str, Any]:
    run["tasks"] = [new_task_entry(ws, run, task, 0, LifeCycle.QUEUED) for task in tasks]
    with ws.store.transaction():
        place(ws, run, run["start_time"])
        ws.store.put_run(run, active=not LifeCycle(run["state"]["life_cycle_state"]).is_terminal)
        if token is not None:
            ws.store.claim_token(token, run["run_id"])
    wake(ws)
    return {"run_id": run["run_id"], "number_in_job": run["number_in_job"]}


def _token(ws: Workspace, params: Params) -> str | None:
    token = params.str("idempotency_token")
    if token is not None and len(token) > _MAX_TOKEN:
        raise InvalidParameterValue(
            f"Invalid idempotency_token: it must have at most {_MAX_TOKEN} characters."
        )
    return token


def _existing(ws: Workspace, token: str) -> int | None:
    run_id = ws.store.run_for_token(token)
    if run_id is not None and ws.store.get_run(run_id) is None:
        raise InvalidParameterValue(
            f"The run with idempotency_token {token} was deleted; use a new idempotency_token."
        )
    return run_id


def _request_fields(params: Params) -> dict[str, Any]:
    for name in ("notebook_params", "python_named_params", "pipeline_params"):
        params.obj(name)
    for name in ("python_params", "jar_params", "spark_submit_params", "dbt_commands"):
        params.list(name)
    if params.raw("notebook_params") is not None and params.raw("jar_params") is not None:
        raise InvalidParameterValue("notebook_params and jar_params cannot be used together.")
    return {name: params.raw(name) for name in LEGACY_PARAMS}


def _queue_enabled(params: Params, settings: dict[str, Any]) -> bool:
    override = params.obj("queue")
    source = override if override is not None else settings.get("queue") or {}
    return bool(source.get("enabled", False))
