"""Creating runs: `jobs/run-now` and `jobs/runs/submit`, with idempotency tokens and admission.

A run is written whole (task entries included) in the state admission gives it, in the same
transaction that binds its idempotency token, so a retried request finds exactly one run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidParameterValue
from ..jobs.fidelity import warnings
from ..jobs.rules import check_task_count_for_version, check_tasks
from ..jobs.service import load_job
from ..jobs.shapes import check_shape
from ..state import LOCAL_USER, Workspace
from .admission import place
from .bookkeeping import run_local
from .dag import select_only
from .documents import new_task_entry, set_state
from .lifecycle import LifeCycle
from .references import job_parameters, overriding_parameters

__all__ = ["RunNowRequest", "SubmitRequest", "run_now", "submit"]

_MAX_TOKEN = 64


@dataclass(frozen=True)
class RunNowRequest:
    """What a run-now asks for, its fields type-checked (`legacy`: notebook_params, python_params, …)."""

    job_id: int
    idempotency_token: str | None = None
    job_parameters: dict[str, Any] | None = None
    legacy: dict[str, Any] = field(default_factory=dict)
    only: list[str] | None = None
    queue: dict[str, Any] | None = None


@dataclass(frozen=True)
class SubmitRequest:
    """What a one-time run submit asks for, its fields already type-checked."""

    tasks: list[dict[str, Any]]
    run_name: str | None = None
    idempotency_token: str | None = None
    timeout_seconds: int = 0
    job_clusters: list[dict[str, Any]] = field(default_factory=list)
    format: str = "MULTI_TASK"
    environments: list[dict[str, Any]] = field(default_factory=list)
    notices: dict[str, Any] = field(default_factory=dict)
    """The run's notification and health fields (`fidelity.NOTICED`), warned about once tasks pass."""


def run_now(
    ws: Workspace, request: RunNowRequest, *, trigger: str = "ONE_TIME",
    trigger_info: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Trigger a run of a saved job: `{run_id, number_in_job}` (`trigger` RUN_JOB_TASK for child runs)."""
    job = load_job(ws, request.job_id)
    token = _token(request.idempotency_token)
    if token is not None and (existing := _existing(ws, token)) is not None:
        return {"run_id": existing, "number_in_job": existing}
    tasks = select_only(job["settings"].get("tasks") or [], request.only)
    run = _job_run(ws, job, request)
    run["trigger"] = trigger
    if trigger_info is not None:
        run["trigger_info"] = trigger_info
    return _create(ws, run, tasks, token)


def _job_run(ws: Workspace, job: dict[str, Any], request: RunNowRequest) -> dict[str, Any]:
    """A new run document of a saved job, with the parameters of the run-now request."""
    settings = job["settings"]
    run = _new_run(ws, job_id=job["job_id"], run_type="JOB_RUN", name=settings.get("name", "Untitled"),
                   now=ws.now_ms())
    run.update(
        creator_user_name=job.get("creator_user_name", LOCAL_USER),
        job_parameters=job_parameters(settings.get("parameters"), request.job_parameters),
        job_clusters=settings.get("job_clusters") or [],
        format=settings.get("format", "MULTI_TASK"),
    )
    if overriding_parameters(request.legacy):
        run["overriding_parameters"] = overriding_parameters(request.legacy)
    source = request.queue if request.queue is not None else settings.get("queue") or {}
    run_local(run).update({
        "timeout_seconds": settings.get("timeout_seconds", 0),
        "max_concurrent_runs": settings.get("max_concurrent_runs", 1),
        "queue": bool(source.get("enabled", False)),
        "environments": settings.get("environments") or [],
        "environment_variables": settings.get("environment_variables") or [],
        "warnings": warnings(settings, settings.get("tasks") or []),
    })
    return run


def submit(
    ws: Workspace, request: SubmitRequest, *, version: str, creator: str = LOCAL_USER,
    started_by_task_run: int | None = None,
) -> dict[str, Any]:
    """Submit a one-time run (not saved as a job, still given a job_id) for `creator`: `{run_id}`;
    `started_by_task_run` is the running task that submitted it (`dbutils.notebook.run`), if any."""
    if not request.tasks:
        raise InvalidParameterValue("Missing required field: tasks")
    check_shape(request.environments, "list:JobEnvironment", "environments")
    environments = {str(e["environment_key"]) for e in request.environments}
    check_tasks(request.tasks, "tasks", references={"environment_key": environments})
    check_task_count_for_version(len(request.tasks), version)
    token = _token(request.idempotency_token)
    if token is not None and (existing := _existing(ws, token)) is not None:
        return {"run_id": existing}
    name = request.run_name or "Untitled"
    run = _new_run(ws, job_id=ws.store.new_id(), run_type="SUBMIT_RUN", name=name, now=ws.now_ms())
    run.update(creator_user_name=creator, job_clusters=request.job_clusters, format=request.format)
    run_local(run).update({"timeout_seconds": request.timeout_seconds, "queue": True,
                           "environments": request.environments,
                           "warnings": warnings(request.notices, request.tasks)})
    if started_by_task_run is not None:
        run_local(run)["started_by_task_run"] = started_by_task_run
    return {"run_id": _create(ws, run, request.tasks, token)["run_id"]}


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
    ws.wake()
    return {"run_id": run["run_id"], "number_in_job": run["number_in_job"]}


def _token(token: str | None) -> str | None:
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
