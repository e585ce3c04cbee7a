"""Helpers of the waiting-flow tests: task dicts and the local workspace's control endpoints."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from prefect_databricks.waiting.outcome import Outcome, classify, is_terminal

if TYPE_CHECKING:
    from prefect_databricks import DatabricksCredentials

__all__ = [
    "alive",
    "assert_canceled_and_killed",
    "eventually",
    "pid_written",
    "py_task",
    "request_counts",
    "reset_request_counts",
    "set_faults",
]


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
