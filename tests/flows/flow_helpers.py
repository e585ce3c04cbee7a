"""Helpers of the waiting-flow tests: task dicts, the local workspace's control endpoints, flow run reads."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

import httpx

from prefect_databricks.waiting.outcome import Outcome, classify, is_terminal

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.objects import FlowRun

    from prefect_databricks import DatabricksCredentials

__all__ = [
    "alive",
    "assert_canceled_and_killed",
    "cancel_as_the_ui_does",
    "eventually",
    "final_flow_run",
    "flow_run_logs",
    "pid_written",
    "prefect_process",
    "py_task",
    "request_counts",
    "reset_request_counts",
    "set_faults",
    "state_names",
    "waiting_parent",
]


@contextmanager
def prefect_process(
    command: list[str], cwd: Path, host: str, token: str, **settings: str
) -> Iterator[subprocess.Popen[bytes]]:
    """A runner or worker on the session's Prefect server and workspace; SIGTERM stops it at the end."""
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()), "DATABRICKS_HOST": host,
           "DATABRICKS_TOKEN": token, "PREFECT_RUNNER_POLL_FREQUENCY": "1", **settings}
    process = subprocess.Popen(command, env=env, cwd=cwd)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def py_task(key: str, script: Path, *params: Any, **extra: Any) -> dict[str, Any]:
    """A `spark_python_task` running `script` with `params`, plus any other task field."""
    return {
        "task_key": key,
        "spark_python_task": {"python_file": str(script), "parameters": [str(p) for p in params]},
        **extra,
    }


def request_counts(http: httpx.Client) -> dict[str, int]:
    """The local workspace's own count of API requests, by endpoint."""
    response = http.get("/local-api/requests")
    response.raise_for_status()
    return response.json()["by_endpoint"]


def reset_request_counts(http: httpx.Client) -> None:
    """Zero the local workspace's request counter."""
    http.post("/local-api/requests/reset").raise_for_status()


def set_faults(http: httpx.Client, spec: str | None) -> None:
    """Turn the local workspace's fault switch on (`spec`) or off (None)."""
    http.post("/local-api/faults", json={"spec": spec}).raise_for_status()


async def eventually(check: Callable[[], Awaitable[Any]], what: str, timeout: float = 30.0) -> Any:
    """Poll `check` until it returns something truthy; fail after `timeout` with the last value seen."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; last seen: {last!r}")


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


async def assert_canceled_and_killed(
    creds: DatabricksCredentials, run_id: int, pid_file: Path, timeout: float = 30.0
) -> None:
    client = creds.get_jobs_client()

    async def ended() -> dict[str, Any] | None:
        run = await client.get_run(run_id)
        return run if is_terminal(run) else None

    run = await eventually(ended, f"run {run_id} to end", timeout=timeout)
    assert classify(run) is Outcome.CANCELED, run.get("state")
    pid = int(pid_file.read_text())

    async def dead() -> bool:
        return not alive(pid)

    await eventually(dead, f"task process {pid} to be killed", timeout=10)


async def pid_written(pid_file: Path) -> None:
    async def written() -> bool:
        return pid_file.exists() and bool(pid_file.read_text())

    await eventually(written, "the task process to start")


async def cancel_as_the_ui_does(
    client: PrefectClient, creds: DatabricksCredentials, flow_run_id: UUID, run_id: int, task_pid: int,
    poll: float,
) -> None:
    """Set the flow run Cancelling as the UI does: within one `poll` interval the Databricks run is
    CANCELED and its task process gone, and the flow run ends Cancelled, never Crashed."""
    from prefect.states import Cancelling

    asked = time.monotonic()
    await client.set_flow_run_state(flow_run_id, Cancelling(), force=True)
    await assert_canceled_and_killed(creds, run_id, task_pid, timeout=poll)
    assert time.monotonic() - asked < poll
    final = await final_flow_run(client, flow_run_id)
    history = await state_names(client, flow_run_id)
    assert final.state is not None and final.state.is_cancelled(), history
    assert "Crashed" not in history, history


async def final_flow_run(client: PrefectClient, flow_run_id: UUID, timeout: float = 60) -> FlowRun:
    """The flow run once it is in a final state."""

    async def final() -> FlowRun | None:
        flow_run = await client.read_flow_run(flow_run_id)
        return flow_run if flow_run.state is not None and flow_run.state.is_final() else None

    return await eventually(final, f"flow run {flow_run_id} to end", timeout=timeout)


async def state_names(client: PrefectClient, flow_run_id: UUID) -> list[str]:
    """The names of every state the flow run went through."""
    return [state.name for state in await client.read_flow_run_states(flow_run_id)]


async def flow_run_logs(client: PrefectClient, flow_run_id: UUID) -> list[str]:
    """Every log line the Prefect API holds for `flow_run_id` and its sub-flow runs, oldest first."""
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterParentFlowRunId,
        LogFilter,
        LogFilterFlowRunId,
    )
    from prefect.client.schemas.sorting import LogSort

    children = FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[flow_run_id]))
    ids = [flow_run_id, *(run.id for run in await client.read_flow_runs(flow_run_filter=children))]
    mine = LogFilter(flow_run_id=LogFilterFlowRunId(any_=ids))
    return [log.message for log in await client.read_logs(log_filter=mine, sort=LogSort.TIMESTAMP_ASC)]


async def waiting_parent(
    client: PrefectClient, creds: DatabricksCredentials, scripts: Path, tmp_path: Path, deployment: str
) -> tuple[FlowRun, int, Path, Path]:
    """A long Databricks run and a flow run of `deployment` ("flow/name") waiting on it, once it waits.

    Returns the flow run, the run id, and the files the task process and the flow process wrote their pid to.
    """
    task_pid, flow_pid = tmp_path / "task-pid", tmp_path / "flow-pid"
    body = {"run_name": deployment, "tasks": [py_task("s", scripts / "sleeper.py", task_pid)]}
    run_id = (await creds.get_jobs_client().call("jobs/runs/submit", params=body))["run_id"]
    found = await client.read_deployment_by_name(deployment)
    parameters = {"run_id": run_id, "pid_path": str(flow_pid)}
    flow_run = await client.create_flow_run_from_deployment(found.id, parameters=parameters)

    async def recorded() -> bool:
        labels = (await client.read_flow_run(flow_run.id)).labels
        return f"prefect-databricks.run.{run_id}" in labels

    await pid_written(task_pid)
    await eventually(recorded, "the parent to record its Databricks run", timeout=90)
    return flow_run, run_id, task_pid, flow_pid
