"""Served by one Prefect runner in a child process, so tests cancel, time out and kill flow runs for real.

The parents are user flows as the README writes them: sync and async, each with the package's
hook attached so the runner cancels their runs after `kill -9`, and each with a timed-out twin.
The seven waiting flows are served as they are. The workspace of the parents comes from
`DATABRICKS_HOST`/`DATABRICKS_TOKEN` (never a flow parameter); the waiting flows get a saved block.
"""

from __future__ import annotations

import os
from pathlib import Path

from prefect import flow, serve
from prefect.types.entrypoint import EntrypointType

from prefect_databricks import DatabricksCredentials
from prefect_databricks import flows as waiting
from prefect_databricks.flows import cancel_databricks_runs, wait_for_run

POLL = 10
# Long enough for a loaded 2-core machine to start the flow process and record its run before it times out.
TIMEOUT = 15
WAITING = (
    "jobs_run_now_and_wait",
    "jobs_runs_submit_and_wait_for_completion",
    "jobs_runs_submit_by_id_and_wait_for_completion",
    "jobs_runs_repair_and_wait",
    "wait_for_run",
    "wait_for_runs",
    "jobs_runs_wait_for_completion",
)


_HOOKS = {"on_cancellation": [cancel_databricks_runs], "on_crashed": [cancel_databricks_runs]}


def _sync_wait(run_id: int, pid_path: str) -> None:
    Path(pid_path).write_text(str(os.getpid()))
    wait_for_run(DatabricksCredentials.from_env(), run_id, poll_frequency_seconds=POLL)


async def _async_wait(run_id: int, pid_path: str) -> None:
    Path(pid_path).write_text(str(os.getpid()))
    await wait_for_run(DatabricksCredentials.from_env(), run_id, poll_frequency_seconds=POLL)


@flow(name="sync-parent", **_HOOKS)
def sync_parent(run_id: int, pid_path: str) -> None:
    """A sync user flow waiting on `run_id` (the README's `nightly()` shape)."""
    _sync_wait(run_id, pid_path)


@flow(name="async-parent", **_HOOKS)
async def async_parent(run_id: int, pid_path: str) -> None:
    """An async user flow waiting on `run_id`."""
    await _async_wait(run_id, pid_path)


@flow(name="sync-parent-timeout", timeout_seconds=TIMEOUT, **_HOOKS)
def sync_parent_timeout(run_id: int, pid_path: str) -> None:
    """`sync_parent` with a flow timeout shorter than the run."""
    _sync_wait(run_id, pid_path)


@flow(name="async-parent-timeout", timeout_seconds=TIMEOUT, **_HOOKS)
async def async_parent_timeout(run_id: int, pid_path: str) -> None:
    """`async_parent` with a flow timeout shorter than the run."""
    await _async_wait(run_id, pid_path)


def deployments() -> list[object]:
    """Every deployment the tests use: the parents, their timed-out twins and the seven waiting flows."""
    parents = [sync_parent, async_parent, sync_parent_timeout, async_parent_timeout]
    served = [p.to_deployment(name="test") for p in parents]
    module = EntrypointType.MODULE_PATH
    return served + [getattr(waiting, n).to_deployment(name="test", entrypoint_type=module) for n in WAITING]


if __name__ == "__main__":
    serve(*deployments())  # type: ignore[arg-type]
