"""Cancel a job's active runs and wait until each has ended, so a new run starts after them.

`runs/cancel` only asks: a run goes through TERMINATING first. The wait lists the job's active
runs (every page of `runs/list?active_only=true`) until none of the cancelled ones is left, one
listing per poll however many runs there are, and gives up after a bounded time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection
from typing import TYPE_CHECKING

from prefect_databricks.client.errors import DatabricksError

if TYPE_CHECKING:
    from prefect_databricks.client import DatabricksClient

__all__ = ["CANCEL_TIMEOUT_SECONDS", "active_run_ids", "cancel_active_runs"]

CANCEL_TIMEOUT_SECONDS = 600.0
"""How long cancelled runs may take to end before the start is abandoned."""


async def active_run_ids(client: DatabricksClient, job_id: int) -> list[int]:
    """The ids of the job's runs that have not ended (every page)."""
    return [int(run["run_id"]) async for run in client.iter_runs(job_id=job_id, active_only=True)]


async def cancel_active_runs(
    client: DatabricksClient,
    job_id: int,
    *,
    keep: Collection[int] = (),
    poll_seconds: float = 1.0,
    timeout_seconds: float = CANCEL_TIMEOUT_SECONDS,
) -> list[int]:
    """Cancel every active run of `job_id` but those in `keep`; return their ids once all have ended.

    Still active after `timeout_seconds`: a `DatabricksError` naming the runs (nothing is started).
    """
    cancelled = [run_id for run_id in await active_run_ids(client, job_id) if run_id not in keep]
    for run_id in cancelled:
        await client.call("jobs/runs/cancel", params={"run_id": run_id})
    deadline = time.monotonic() + timeout_seconds
    pause = min(0.2, poll_seconds)
    pending = set(cancelled)
    while pending:
        pending &= set(await active_run_ids(client, job_id))
        if not pending:
            break
        if time.monotonic() >= deadline:
            runs = ", ".join(map(str, sorted(pending)))
            raise DatabricksError(
                f"runs {runs} of job {job_id} were still active {timeout_seconds:g} s after runs/cancel"
            )
        await asyncio.sleep(pause)
        pause = min(pause * 2, poll_seconds)
    return cancelled
