"""Abandoned waits cancel the remote run (its task process is killed); retried flow runs re-attach."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from flow_helpers import alive, assert_canceled_and_killed, pid_written, py_task
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.states import Cancelling

from prefect_databricks import DatabricksCredentials
from prefect_databricks.flows import (
    DatabricksRunTimedOut,
    cancel_databricks_runs,
    jobs_runs_submit_and_wait_for_completion,
)
from prefect_databricks.waiting.cancel import tracked
from prefect_databricks.waiting.ledger import record_run
from prefect_databricks.waiting.outcome import is_terminal

pytestmark = pytest.mark.usefixtures("prefect_harness")


async def test_max_wait_cancels_the_run(creds: DatabricksCredentials, scripts: Path, tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    tasks = [py_task("sleep", scripts / "sleeper.py", pid_file)]
    with pytest.raises(DatabricksRunTimedOut) as caught:
        await jobs_runs_submit_and_wait_for_completion(
            creds, tasks, run_name="too-slow", max_wait_seconds=5, poll_frequency_seconds=1
        )
    assert "max_wait_seconds=5" in str(caught.value) and "cancelled" in str(caught.value)
    await assert_canceled_and_killed(creds, caught.value.run_id, pid_file)


async def test_max_wait_without_cancel_leaves_the_run(
    creds: DatabricksCredentials, scripts: Path, tmp_path: Path
) -> None:
    tasks = [py_task("sleep", scripts / "sleeper.py", tmp_path / "pid", 30)]
    with pytest.raises(DatabricksRunTimedOut) as caught:
        await jobs_runs_submit_and_wait_for_completion(
            creds, tasks, max_wait_seconds=3, poll_frequency_seconds=1, cancel_on_timeout=False
        )
    client = creds.get_jobs_client()
    run = await client.get_run(caught.value.run_id)
    assert not is_terminal(run), run.get("state")
    await client.call("jobs/runs/cancel", params={"run_id": caught.value.run_id})


async def test_cancelling_the_flow_cancels_the_run(
    creds: DatabricksCredentials, scripts: Path, tmp_path: Path
) -> None:
    """The flow's asyncio task is cancelled mid-wait (as Prefect's cancel scopes do)."""
    pid_file = tmp_path / "pid"
    tasks = [py_task("sleep", scripts / "sleeper.py", pid_file)]
    waiting = asyncio.ensure_future(
        jobs_runs_submit_and_wait_for_completion(creds, tasks, run_name="cancel-me", poll_frequency_seconds=1)
    )
    await pid_written(pid_file)
    run_id = tracked()[-1].run_id
    waiting.cancel()
    with pytest.raises(BaseException):  # noqa: B017 - CancelledError, or Prefect's crash wrapping it
        await waiting
    await assert_canceled_and_killed(creds, run_id, pid_file)


async def test_prefect_flow_timeout_cancels_the_run(
    creds: DatabricksCredentials, scripts: Path, tmp_path: Path
) -> None:
    pid_file = tmp_path / "pid"
    tasks = [py_task("sleep", scripts / "sleeper.py", pid_file)]
    flow = jobs_runs_submit_and_wait_for_completion.with_options(timeout_seconds=5)
    with pytest.raises(TimeoutError):
        await flow(creds, tasks, run_name="flow-timeout", poll_frequency_seconds=1)
    run = await _latest_run(creds, "flow-timeout")
    await assert_canceled_and_killed(creds, run["run_id"], pid_file)


async def test_cancellation_hook_cancels_the_runs_recorded_on_its_flow_run(
    creds: DatabricksCredentials, scripts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hook as a runner calls it in its own process: nothing tracked in memory, only the run's labels.

    The credentials come from the runner's `DATABRICKS_*` environment (set here), as no block was saved.
    """
    pid_file = tmp_path / "pid"
    started = await creds.get_jobs_client().call(
        "jobs/runs/submit",
        params={"run_name": "hooked", "tasks": [py_task("s", scripts / "sleeper.py", pid_file)]},
    )
    monkeypatch.setenv("DATABRICKS_HOST", creds.host)
    monkeypatch.setenv("DATABRICKS_TOKEN", creds.token.get_secret_value() if creds.token else "")
    async with get_client() as client:
        flow_run = await client.create_flow_run(flow(name="hooked-owner")(_nothing))
        await record_run(flow_run.id, started["run_id"], creds, logging.getLogger("test"))
        await pid_written(pid_file)
        assert not tracked(flow_run.id)
        await cancel_databricks_runs(None, await client.read_flow_run(flow_run.id), Cancelling())
    await assert_canceled_and_killed(creds, started["run_id"], pid_file)


async def test_retried_flow_run_reattaches_to_its_run(creds: DatabricksCredentials, scripts: Path) -> None:
    """The flow fails right after submitting (as a crash would); its retry finds the same run, never a second.

    The flow run id, and so the derived idempotency token, is the same across retries of a flow run.
    """
    seen: list[int] = []

    def crash_once(response: dict[str, Any]) -> None:
        seen.append(response["run_id"])
        if len(seen) == 1:
            raise RuntimeError("lost the process right after submit")

    name = f"reattach-{uuid.uuid4().hex[:8]}"
    flow = jobs_runs_submit_and_wait_for_completion.with_options(retries=1, retry_delay_seconds=0)
    await flow(
        creds,
        [py_task("t", scripts / "ok.py", 1)],
        run_name=name,
        job_submission_handler=crash_once,
        poll_frequency_seconds=1,
    )
    assert len(seen) == 2 and seen[0] == seen[1]
    runs = [
        run
        async for run in creds.get_jobs_client().iter_runs(run_type="SUBMIT_RUN")
        if run.get("run_name") == name
    ]
    assert len(runs) == 1


async def _latest_run(creds: DatabricksCredentials, run_name: str) -> dict[str, Any]:
    async for run in creds.get_jobs_client().iter_runs(run_type="SUBMIT_RUN"):
        if run.get("run_name") == run_name:
            return run
    raise AssertionError(f"no run named {run_name}")


def _nothing() -> None:
    """The flow whose (never executed) run owns the Databricks run in the hook test."""


def test_pid_helper_sees_this_process() -> None:
    assert alive(os.getpid())
