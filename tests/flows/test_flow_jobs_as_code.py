"""`jobs_run_now_and_wait` with `job_settings=` (ensure, then run) and `cancel_previous_runs=True`.

Real parts only: the local workspace over HTTP and the session's Prefect server.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from flow_helpers import pid_written, py_task, request_counts
from prefect import flow

from prefect_databricks import DatabricksCredentials
from prefect_databricks.client.errors import ClientValidationError
from prefect_databricks.flows import jobs_run_now_and_wait
from prefect_databricks.waiting.outcome import Outcome, classify

pytestmark = pytest.mark.usefixtures("prefect_harness")


def _sleeper_job(name: str, scripts: Path, pid_file: Path) -> dict[str, Any]:
    """A job whose task sleeps `secs` (a job parameter, 600 by default); two runs may run at once."""
    task = py_task("sleep", scripts / "sleeper.py", pid_file, "{{job.parameters.secs}}")
    return {
        "name": name,
        "tasks": [task],
        "parameters": [{"name": "secs", "default": "600"}],
        "max_concurrent_runs": 2,
    }


async def test_job_settings_ensure_then_run_in_one_call(
    creds: DatabricksCredentials, scripts: Path, http: httpx.Client
) -> None:
    settings = {"name": f"ensured-{uuid.uuid4().hex[:8]}", "tasks": [py_task("t", scripts / "ok.py")]}
    outputs, run = await jobs_run_now_and_wait(
        creds, job_settings=settings, poll_frequency_seconds=1, return_metadata=True
    )
    assert outputs == {"t": {}}
    job_id = run["job_id"]
    resets = request_counts(http).get("jobs/reset", 0)
    _, again = await jobs_run_now_and_wait(
        creds, job_id=job_id, job_settings=settings, poll_frequency_seconds=1, return_metadata=True
    )
    assert again["job_id"] == job_id and again["run_id"] != run["run_id"]
    assert request_counts(http).get("jobs/reset", 0) == resets


async def test_job_settings_and_a_different_job_are_refused_before_any_change(
    creds: DatabricksCredentials, scripts: Path, http: httpx.Client
) -> None:
    name = f"mismatch-{uuid.uuid4().hex[:8]}"
    settings = {"name": name, "tasks": [py_task("t", scripts / "ok.py")]}
    before = request_counts(http)
    with pytest.raises(ClientValidationError, match="job_name: is 'other'"):
        await jobs_run_now_and_wait(creds, job_name="other", job_settings=settings)
    with pytest.raises(ClientValidationError, match="job_id: is 7"):
        await jobs_run_now_and_wait(creds, job_id=7, job_settings=settings)
    with pytest.raises(ClientValidationError, match="exactly one of job_id and job_name"):
        await jobs_run_now_and_wait(creds)
    after = request_counts(http)
    assert after.get("jobs/create", 0) == before.get("jobs/create", 0)


async def test_cancel_previous_runs_ends_them_before_the_new_run_starts(
    creds: DatabricksCredentials, scripts: Path, tmp_path: Path
) -> None:
    """The old run ends CANCELED, and its `end_time` is no later than the new run's `start_time`."""
    client = creds.get_jobs_client()
    settings = _sleeper_job(f"cancel-prev-{uuid.uuid4().hex[:8]}", scripts, tmp_path / "old.pid")
    job_id = int((await client.call("jobs/create", params=settings))["job_id"])
    old = int((await client.call("jobs/run-now", params={"job_id": job_id}))["run_id"])
    await pid_written(tmp_path / "old.pid")
    _, new = await jobs_run_now_and_wait(
        creds,
        job_id=job_id,
        job_parameters={"secs": "0"},
        cancel_previous_runs=True,
        poll_frequency_seconds=1,
        return_metadata=True,
    )
    previous = await client.get_run(old)
    assert classify(previous) is Outcome.CANCELED, previous.get("state")
    assert classify(new) is Outcome.SUCCESS
    assert 0 < previous["end_time"] <= new["start_time"]


async def test_a_retry_keeps_the_run_its_first_attempt_started(
    creds: DatabricksCredentials, scripts: Path, tmp_path: Path
) -> None:
    """The retry re-attaches to its own run (recorded on the flow run) instead of cancelling it."""
    client = creds.get_jobs_client()
    settings = _sleeper_job(f"cancel-retry-{uuid.uuid4().hex[:8]}", scripts, tmp_path / "run.pid")
    job_id = int((await client.call("jobs/create", params=settings))["job_id"])
    attempts: list[int] = []

    @flow(retries=1, retry_delay_seconds=0)
    async def caller() -> Any:
        attempts.append(1)
        return await jobs_run_now_and_wait(
            creds,
            job_id=job_id,
            job_parameters={"secs": "4"},
            cancel_previous_runs=True,
            max_wait_seconds=1 if len(attempts) == 1 else None,  # the first attempt gives up, leaving its run
            cancel_on_timeout=False,
            poll_frequency_seconds=1,
            return_metadata=True,
        )

    _, run = await caller()
    assert len(attempts) == 2
    assert classify(run) is Outcome.SUCCESS
    (only,) = [r async for r in client.iter_runs(job_id=job_id)]
    assert only["run_id"] == run["run_id"]
