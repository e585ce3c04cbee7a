"""An abandoned wait cancels the remote run within one poll interval, whatever abandons it.

Three ways a waiting flow stops early: its own `max_wait_seconds` (with `cancel_on_timeout`), a
Prefect flow `timeout_seconds`, and the cancellation of the flow's asyncio task (what Prefect's
cancel scopes do). The lag is measured from the moment the wait was abandoned to the remote
run's `end_time` and must stay under `poll_frequency_seconds`. Where the moment is not known
exactly, the earliest it can have been is used, so the measured lag can only be too long.
(Cancellation through a runner and the `on_cancellation` hook: tests/flows/test_flow_runner_cancel.py.)
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import py_task, wait_until

from prefect_databricks import DatabricksCredentials
from prefect_databricks.flows import DatabricksRunTimedOut, jobs_runs_submit_and_wait_for_completion
from prefect_databricks.local import LocalWorkspace
from prefect_databricks.waiting.outcome import Outcome, classify, is_terminal

pytestmark = pytest.mark.usefixtures("prefect_harness")

POLL = 2


async def _ended(creds: DatabricksCredentials, run_id: int) -> dict[str, Any]:
    client = creds.get_jobs_client()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        run = await client.get_run(run_id)
        if is_terminal(run):
            return run
        await asyncio.sleep(0.05)
    raise AssertionError(f"run {run_id} did not end within 30 s")


async def _assert_canceled_in_time(creds: DatabricksCredentials, run_id: int, abandoned_at: float) -> None:
    run = await _ended(creds, run_id)
    assert classify(run) is Outcome.CANCELED, run["state"]
    lag = run["end_time"] / 1000 - abandoned_at
    assert lag <= POLL, f"run {run_id} ended {lag:.2f} s after the wait was abandoned (poll {POLL} s)"


def _submitted(into: list[tuple[int, float]]) -> Any:
    def handler(response: dict[str, Any]) -> None:
        into.append((int(response["run_id"]), time.time()))

    return handler


async def test_max_wait_seconds(fresh_workspace: LocalWorkspace, sources: Path, tmp_path: Path) -> None:
    creds, started = fresh_workspace.credentials(), []
    with pytest.raises(DatabricksRunTimedOut):
        await jobs_runs_submit_and_wait_for_completion(
            creds,
            [py_task("s", sources / "sleeper.py", tmp_path / "pid")],
            max_wait_seconds=3,
            poll_frequency_seconds=POLL,
            job_submission_handler=_submitted(started),
        )
    run_id, submitted_at = started[0]
    await _assert_canceled_in_time(creds, run_id, submitted_at + 3)


async def test_prefect_flow_timeout(fresh_workspace: LocalWorkspace, sources: Path, tmp_path: Path) -> None:
    creds, started = fresh_workspace.credentials(), []
    flow = jobs_runs_submit_and_wait_for_completion.with_options(timeout_seconds=4)
    called_at = time.time()
    with pytest.raises(TimeoutError):
        await flow(
            creds,
            [py_task("s", sources / "sleeper.py", tmp_path / "pid")],
            poll_frequency_seconds=POLL,
            job_submission_handler=_submitted(started),
        )
    await _assert_canceled_in_time(creds, started[0][0], called_at + 4)


async def test_cancelled_flow_task(fresh_workspace: LocalWorkspace, sources: Path, tmp_path: Path) -> None:
    creds, started = fresh_workspace.credentials(), []
    pid_file = tmp_path / "pid"
    waiting = asyncio.ensure_future(
        jobs_runs_submit_and_wait_for_completion(
            creds,
            [py_task("s", sources / "sleeper.py", pid_file)],
            poll_frequency_seconds=POLL,
            job_submission_handler=_submitted(started),
        )
    )
    await asyncio.to_thread(wait_until, lambda: pid_file.exists(), "the task process to start", 30)
    await asyncio.sleep(POLL)
    cancelled_at = time.time()
    waiting.cancel()
    with pytest.raises(BaseException):  # noqa: B017 - CancelledError, or Prefect's crash wrapping it
        await waiting
    await _assert_canceled_in_time(creds, started[0][0], cancelled_at)
