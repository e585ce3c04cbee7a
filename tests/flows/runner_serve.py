"""Served by a Prefect runner in a child process, so a test can cancel a flow run the way Prefect really does.

The workspace comes from `DATABRICKS_HOST`/`DATABRICKS_TOKEN` (never a flow parameter).
"""

from __future__ import annotations

from prefect import flow

from prefect_databricks import DatabricksCredentials
from prefect_databricks.flows import wait_for_run


@flow(name="runner-wait")
async def runner_wait(run_id: int) -> None:
    """Wait on `run_id` inside a flow run started by a runner."""
    await wait_for_run(DatabricksCredentials.from_env(), run_id, poll_frequency_seconds=1)


if __name__ == "__main__":
    runner_wait.serve(name="runner-wait-test")
