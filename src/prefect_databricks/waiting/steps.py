"""The steps of a waiting flow, each a Prefect task named after the Databricks run it handles."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from uuid import UUID

from prefect import task
from prefect.cache_policies import NO_CACHE

from prefect_databricks.client.errors import ClientValidationError
from prefect_databricks.models import to_wire
from prefect_databricks.waiting.follow import current_flow_run_id, follow_run
from prefect_databricks.waiting.outcome import error_for, is_terminal
from prefect_databricks.waiting.outputs import attach_outputs, error_texts
from prefect_databricks.waiting.report import publish_artifacts

if TYPE_CHECKING:
    from prefect_databricks.credentials import DatabricksCredentials

__all__ = [
    "call_handler",
    "derive_token",
    "finish_run",
    "resolve_job_id",
    "start_repair",
    "start_run",
    "wait_run",
    "without_none",
]

_REPAIR_START_TIMEOUT = 30.0


def without_none(**fields: Any) -> dict[str, Any]:
    """The request body: fields given (not None), as wire JSON (models and dicts both accepted)."""
    return {key: to_wire(value) for key, value in fields.items() if value is not None}


def derive_token(kind: str, given: str | None) -> str | None:
    """`given`, else a token derived from the flow run id and the call, so a retried flow run re-attaches.

    The n-th call of `kind` in an attempt of a flow run gets the same token in every attempt;
    outside a flow run it is None, and the client generates one per call.
    """
    if given is not None:
        return given
    attempt = _flow_run_attempt()
    if attempt is None:
        return None
    with _CALLS_LOCK:
        index = _CALLS.setdefault(attempt, {}).setdefault(kind, 0)
        _CALLS[attempt][kind] += 1
        while len(_CALLS) > _CALLS_KEPT:
            _CALLS.popitem(last=False)
    return "prefect-" + hashlib.sha256(f"{attempt[0]}:{kind}:{index}".encode()).hexdigest()[:48]


_CALLS: OrderedDict[tuple[UUID, int], dict[str, int]] = OrderedDict()
_CALLS_LOCK = threading.Lock()
_CALLS_KEPT = 1000


def _flow_run_attempt() -> tuple[UUID, int] | None:
    """(flow run id, run count) of the flow run this code runs in, else None."""
    from prefect.context import FlowRunContext

    flow_run_id = current_flow_run_id()
    if flow_run_id is None:
        return None
    ctx = FlowRunContext.get()
    run_count = ctx.flow_run.run_count if ctx is not None and ctx.flow_run is not None else 0
    return flow_run_id, run_count


@task(cache_policy=NO_CACHE, task_run_name="{label}")
async def start_run(
    credentials: DatabricksCredentials, endpoint: str, body: dict[str, Any], label: str
) -> dict[str, Any]:
    """Start a run (`jobs/runs/submit` or `jobs/run-now`) and return the response with `run_id`."""
    return await credentials.get_jobs_client().call(endpoint, params=body)


@task(cache_policy=NO_CACHE, task_run_name="wait-{label}")
async def wait_run(
    credentials: DatabricksCredentials,
    run_id: int,
    label: str,
    max_wait_seconds: float | None,
    poll_frequency_seconds: float,
    cancel_on_timeout: bool,
) -> dict[str, Any]:
    """Wait for the run to end; returns its terminal state."""
    return await follow_run(
        credentials,
        run_id,
        max_wait_seconds=max_wait_seconds,
        poll_frequency_seconds=poll_frequency_seconds,
        cancel_on_timeout=cancel_on_timeout,
    )


@task(cache_policy=NO_CACHE, task_run_name="outputs-{label}")
async def finish_run(
    credentials: DatabricksCredentials, run: dict[str, Any], label: str, fail_on_success_with_failures: bool
) -> dict[str, Any]:
    """Collect every task run's output, publish the artifacts, and raise if the run did not succeed."""
    await attach_outputs(credentials.get_jobs_client(), run)
    await publish_artifacts(run)
    error = error_for(
        run, errors=error_texts(run), fail_on_success_with_failures=fail_on_success_with_failures
    )
    if error is not None:
        raise error
    return run


async def call_handler(handler: Callable[[Any], Any] | None, response: Mapping[str, Any]) -> None:
    """Call the user's `job_submission_handler` with the start response, awaiting it if needed."""
    if handler is None:
        return
    result = handler(response)
    if inspect.isawaitable(result):
        await result


async def resolve_job_id(credentials: DatabricksCredentials, job_id: int | None, job_name: str | None) -> int:
    """`job_id`, or the id of the one job named exactly `job_name` (an error for none or several)."""
    if (job_id is None) == (job_name is None):
        raise ClientValidationError("job_id", "give exactly one of job_id and job_name")
    if job_id is not None:
        return int(job_id)
    client = credentials.get_jobs_client()
    ids = [job["job_id"] async for job in client.iter_jobs(name=job_name) if _name(job) == job_name]
    if len(ids) != 1:
        found = f"jobs {', '.join(map(str, ids))}" if ids else "no job"
        raise ClientValidationError("job_name", f"must name exactly one job; {found} named {job_name!r}")
    return int(ids[0])


def _name(job: Mapping[str, Any]) -> str | None:
    return (job.get("settings") or {}).get("name")


@task(cache_policy=NO_CACHE, task_run_name="repair-{run_id}")
async def start_repair(
    credentials: DatabricksCredentials, run_id: int, body: dict[str, Any]
) -> dict[str, Any]:
    """Repair run `run_id` (latest repair id looked up when not given); returns once the repair began."""
    client = credentials.get_jobs_client()
    if "latest_repair_id" not in body:
        latest = _latest_repair_id(await client.get_run(run_id, include_history=True))
        body = {**body, **({"latest_repair_id": latest} if latest is not None else {})}
    response = await client.call("jobs/runs/repair", params={"run_id": run_id, **body})
    await _repair_started(credentials, run_id, response.get("repair_id"))
    return response


def _latest_repair_id(run: Mapping[str, Any]) -> int | None:
    ids = [
        item["id"]
        for item in run.get("repair_history") or ()
        if item.get("type") == "REPAIR" and "id" in item
    ]
    return max(ids) if ids else None


async def _repair_started(credentials: DatabricksCredentials, run_id: int, repair_id: int | None) -> None:
    """Until the run shows the repair, a poll could return the old terminal state: wait for it (bounded)."""
    client = credentials.get_jobs_client()
    deadline = asyncio.get_running_loop().time() + _REPAIR_START_TIMEOUT
    while asyncio.get_running_loop().time() < deadline:
        run = await client.get_run(run_id, include_history=True)
        items = [i for i in run.get("repair_history") or () if i.get("id") == repair_id]
        if not is_terminal(run) or (items and is_terminal(items[-1])):
            return
        await asyncio.sleep(0.2)
