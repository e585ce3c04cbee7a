"""What `jobs_run_now_and_wait` does before its start with `job_settings=` or `cancel_previous_runs=True`.

Imports Prefect (the rest of `jobs_as_code` does not, for the CLI). On a retry of the waiting
flow or of its caller, the runs the flow run recorded as its own are not cancelled: the retry
re-attaches to them through its idempotency token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prefect_databricks.client.errors import ClientValidationError
from prefect_databricks.jobs_as_code.ensure import wanted_settings
from prefect_databricks.jobs_as_code.previous import cancel_active_runs
from prefect_databricks.waiting.ledger import recorded_runs
from prefect_databricks.waiting.owner import current_owner, is_retry
from prefect_databricks.waiting.report import run_logger
from prefect_databricks.waiting.start import resolve_job_id

if TYPE_CHECKING:
    from prefect_databricks.credentials import DatabricksCredentials

__all__ = ["cancel_previous", "job_to_run"]


async def job_to_run(
    credentials: DatabricksCredentials, job_id: int | None, job_name: str | None, job_settings: Any
) -> int:
    """The job to run: `job_id`, the one named `job_name`, or the job `job_settings` ensures.

    With `job_settings`, a `job_id` or `job_name` also given must be that job (checked before any change).
    """
    if job_settings is None:
        return await resolve_job_id(credentials, job_id, job_name)
    name = wanted_settings(job_settings)[0]["name"]
    if job_name is not None and job_name != name:
        raise ClientValidationError("job_name", f"is {job_name!r}, but job_settings name the job {name!r}")
    if job_id is not None:
        ids = await credentials.get_jobs_client().find_job_ids(name)
        if ids != [int(job_id)]:
            raise ClientValidationError(
                "job_id", f"is {job_id}, but the job named {name!r} is {ids or 'none'}"
            )
    from prefect_databricks.jobs import ajobs_create_or_update

    ensured = await ajobs_create_or_update(credentials, job_settings)
    run_logger().info("Job %r (%s): %s.", name, ensured.job_id, ensured.action)
    return ensured.job_id


async def cancel_previous(credentials: DatabricksCredentials, job_id: int, poll_seconds: float) -> list[int]:
    """Cancel the job's active runs (not this flow run's own, on a retry) and wait until they ended."""
    cancelled = await cancel_active_runs(
        credentials.get_jobs_client(), job_id, keep=await _own_runs(), poll_seconds=poll_seconds
    )
    if cancelled:
        listed = ", ".join(map(str, cancelled))
        run_logger().info("Cancelled the previous runs of job %s: %s.", job_id, listed)
    return cancelled


async def _own_runs() -> set[int]:
    """On a retry, the Databricks runs the owning flow run recorded; else none."""
    owner = current_owner()
    if owner is None or not is_retry():
        return set()
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        flow_run = await client.read_flow_run(owner.flow_run_id)
    return set(recorded_runs(flow_run.labels or {}))
