"""Test your own flows offline: a local workspace serves the Jobs API and really runs the tasks.

    python -m pytest examples/test_with_local_workspace.py

Copy the two fixtures into your `conftest.py`. The temporary Prefect server takes 10-25 s to
start, once per session; with `PREFECT_API_URL` set, the server it names is used instead.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prefect import flow

from prefect_databricks import DatabricksCredentials
from prefect_databricks.client import set_testing
from prefect_databricks.flows import DatabricksRunFailed, jobs_run_now_and_wait
from prefect_databricks.jobs import jobs_create
from prefect_databricks.local import LocalWorkspace


@flow
def nightly(credentials: DatabricksCredentials, job_id: int, day: str) -> str:
    """The flow under test: run the job for one day and return what its `report` task printed."""
    _, run = jobs_run_now_and_wait(
        credentials,
        job_id=job_id,
        job_parameters={"day": day},
        return_metadata=True,
        poll_frequency_seconds=1,
    )
    (report,) = [task for task in run["tasks"] if task["task_key"] == "report"]
    return report["output"]["logs"].strip()


@pytest.fixture(scope="session", autouse=True)
def prefect_server() -> Iterator[None]:
    """A temporary Prefect server for the session (or the one `PREFECT_API_URL` points at)."""
    if os.environ.get("PREFECT_API_URL"):
        yield
        return
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalWorkspace]:
    """The local workspace on a free loopback port, its state in a temporary directory."""
    with LocalWorkspace(tmp_path_factory.mktemp("workspace")) as ws:
        yield ws


@pytest.fixture
def job_id(workspace: LocalWorkspace, tmp_path: Path) -> int:
    """A job whose `report` task is a Python file on this machine; it fails for the day "bad"."""
    script = tmp_path / "report.py"
    script.write_text(
        textwrap.dedent("""
            import sys
            day = sys.argv[1]
            if day == "bad":
                raise ValueError(f"no data for {day}")
            print(f"report for {day}: 42 rows")
        """)
    )
    task = {
        "task_key": "report",
        "spark_python_task": {"python_file": str(script), "parameters": ["{{job.parameters.day}}"]},
    }
    job = jobs_create.fn(  # .fn: the task's work without a task run (fixtures run outside flows)
        workspace.credentials(),
        name="nightly",
        tasks=[task],
        parameters=[{"name": "day", "default": "today"}],
    )
    return job["job_id"]


def test_the_flow_returns_the_report(workspace: LocalWorkspace, job_id: int) -> None:
    assert nightly(workspace.credentials(), job_id, "2026-01-31") == "report for 2026-01-31: 42 rows"


def test_a_failed_task_fails_the_flow_with_its_error(workspace: LocalWorkspace, job_id: int) -> None:
    with pytest.raises(DatabricksRunFailed, match="report \\(FAILED\\): ValueError: no data for bad"):
        nightly(workspace.credentials(), job_id, "bad")


def test_the_flow_rides_out_rate_limits(workspace: LocalWorkspace, job_id: int) -> None:
    """The fault switch answers a share of API requests with 429; the client's retries absorb them."""
    control = httpx.Client(base_url=workspace.host, headers={"Authorization": f"Bearer {workspace.token}"})
    control.post("/local-api/faults", json={"spec": "429=0.3,seed=7"}).raise_for_status()
    set_testing(True)  # no backoff sleeps in tests
    try:
        assert nightly(workspace.credentials(), job_id, "monday") == "report for monday: 42 rows"
    finally:
        set_testing(False)
        control.post("/local-api/faults", json={"spec": None}).raise_for_status()
