"""The steps of a waiting flow that are Prefect tasks: the start and each repair, named after their run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from prefect_databricks.waiting.repair import send_repair, wait_repair_shown

if TYPE_CHECKING:
    from prefect_databricks.credentials import DatabricksCredentials

__all__ = ["start_repair", "start_run"]


@task(cache_policy=NO_CACHE, task_run_name="{label}")
async def start_run(
    credentials: DatabricksCredentials, endpoint: str, body: dict[str, Any], label: str
) -> dict[str, Any]:
    """Start a run (`jobs/runs/submit` or `jobs/run-now`) and return the response with `run_id`."""
    return await credentials.get_jobs_client().call(endpoint, params=body)


@task(cache_policy=NO_CACHE, task_run_name="repair-{run_id}")
async def start_repair(
    credentials: DatabricksCredentials, run_id: int, body: dict[str, Any]
) -> dict[str, Any]:
    """Repair run `run_id` (latest repair id looked up when not given); returns once the repair began."""
    client = credentials.get_jobs_client()
    response = await send_repair(client, run_id, body)
    await wait_repair_shown(client, run_id, response.get("repair_id"))
    return response
