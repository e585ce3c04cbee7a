"""Run one job for many inputs at once and wait for all the runs: one poller serves every wait.

    export DATABRICKS_HOST=… DATABRICKS_TOKEN=…
    python examples/fan_out.py 123456789 emea apac amer

Each region starts a run of the job with `job_parameters={"region": …}`; the waits share one
watcher per workspace, which polls the active runs in pages of 25 instead of once per run.
The job's `max_concurrent_runs` decides how many run at once; the others wait in its queue.
"""

from __future__ import annotations

import asyncio
import sys

from prefect import flow

from prefect_databricks import DatabricksCredentials
from prefect_databricks.flows import DatabricksRunError, wait_for_run
from prefect_databricks.jobs import jobs_run_now


@flow(log_prints=True)
async def run_for_each_region(
    job_id: int, regions: list[str], credentials: DatabricksCredentials | None = None
) -> dict[str, str]:
    """Start a run per region, wait for them all; returns region → "SUCCESS" or the failure."""
    credentials = credentials or DatabricksCredentials.from_env()
    started = await asyncio.gather(
        *(
            jobs_run_now(databricks_credentials=credentials, job_id=job_id, job_parameters={"region": r})
            for r in regions
        )
    )
    waits = [wait_for_run(credentials, run_id=run["run_id"], poll_frequency_seconds=5) for run in started]
    results = await asyncio.gather(*waits, return_exceptions=True)
    outcomes = {region: _outcome(result) for region, result in zip(regions, results, strict=True)}
    for region, outcome in outcomes.items():
        print(f"{region}: {outcome}")
    return outcomes


def _outcome(result: object) -> str:
    """`SUCCESS`, or how the run failed; any error other than a failed run is raised."""
    if isinstance(result, DatabricksRunError):
        return "; ".join(failure.describe() for failure in result.failures) or result.state
    if isinstance(result, BaseException):
        raise result
    return "SUCCESS"


if __name__ == "__main__":
    print(asyncio.run(run_for_each_region(int(sys.argv[1]), sys.argv[2:])))
