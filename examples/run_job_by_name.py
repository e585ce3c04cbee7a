"""Run an existing Databricks job by its name, wait for it, and print each task's result.

    export DATABRICKS_HOST=https://dbc-….cloud.databricks.com DATABRICKS_TOKEN=dapi…
    python examples/run_job_by_name.py "nightly ingest" region=emea

A failed run raises `DatabricksRunError` naming each failed task and the run page, so the flow
run fails too; the Databricks run is canceled if the flow is canceled or crashes.
"""

from __future__ import annotations

import sys
from typing import Any

from prefect import flow

from prefect_databricks import DatabricksCredentials
from prefect_databricks.flows import jobs_run_now_and_wait


@flow(log_prints=True)
def run_job_by_name(
    job_name: str,
    job_parameters: dict[str, str] | None = None,
    credentials: DatabricksCredentials | None = None,
) -> dict[str, Any]:
    """Run the one job named `job_name` now and return task_key → notebook output."""
    credentials = credentials or DatabricksCredentials.from_env()
    outputs, run = jobs_run_now_and_wait(
        credentials,
        job_name=job_name,
        job_parameters=job_parameters,
        return_metadata=True,
        poll_frequency_seconds=5,
    )
    for task in run["tasks"]:
        print(f"{task['task_key']}: {task['state'].get('result_state')}")
    print(f"Run page: {run['run_page_url']}")
    return outputs


if __name__ == "__main__":
    name, *pairs = sys.argv[1:]
    print(run_job_by_name(name, dict(pair.split("=", 1) for pair in pairs) or None))
