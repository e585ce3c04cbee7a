"""The steps of a waiting flow, each a Prefect task named after the Databricks run it handles."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from prefect_databricks.waiting.follow import follow_run
from prefect_databricks.waiting.outcome import error_for
from prefect_databricks.waiting.outputs import attach_outputs, error_texts
from prefect_databricks.waiting.repair import send_repair, wait_repair_shown
from prefect_databricks.waiting.report import publish_artifacts

if TYPE_CHECKING:
    from prefect_databricks.credentials import DatabricksCredentials

__all__ = ["finish_run", "start_repair", "start_run", "wait_run"]


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


@task(cache_policy=NO_CACHE, task_run_name="repair-{run_id}")
async def start_repair(
    credentials: DatabricksCredentials, run_id: int, body: dict[str, Any]
) -> dict[str, Any]:
    """Repair run `run_id` (latest repair id looked up when not given); returns once the repair began."""
    client = credentials.get_jobs_client()
    response = await send_repair(client, run_id, body)
    await wait_repair_shown(client, run_id, response.get("repair_id"))
    return response
