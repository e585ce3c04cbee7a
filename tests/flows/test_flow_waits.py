"""The waiting flows end to end: real Prefect flow runs against runs the local workspace really executes."""

from __future__ import annotations

import base64
import inspect
import uuid
from pathlib import Path

import httpx
import pytest
from flow_helpers import py_task, set_faults

from prefect_databricks import DatabricksCredentials, flows
from prefect_databricks.flows import (
    DatabricksJobTerminated,
    DatabricksRunFailed,
    jobs_runs_submit_and_wait_for_completion,
    jobs_runs_wait_for_completion,
    wait_for_run,
)

pytestmark = pytest.mark.usefixtures("prefect_harness")

_NOTEBOOK = """# Databricks notebook source
x = 6 * 7

# COMMAND ----------

dbutils.notebook.exit(str(x))
"""


@pytest.fixture(scope="module")
def notebook(http: httpx.Client) -> str:
    """A workspace notebook that exits with "42"."""
    path = "/Shared/flows-answer"
    content = base64.b64encode(_NOTEBOOK.encode()).decode()
    body = {"path": path, "format": "SOURCE", "language": "PYTHON", "content": content, "overwrite": True}
    http.post("/api/2.0/workspace/import", json=body).raise_for_status()
    return path


@pytest.fixture(scope="module")
def http(workspace) -> httpx.Client:  # module scope: the shared fixture is per test
    with httpx.Client(
        base_url=workspace.host, headers={"Authorization": f"Bearer {workspace.token}"}
    ) as client:
        yield client


async def test_success_returns_notebook_outputs_and_metadata(
    creds: DatabricksCredentials, scripts: Path, notebook: str
) -> None:
    tasks = [
        {"task_key": "nb", "notebook_task": {"notebook_path": notebook}},
        py_task("py", scripts / "ok.py", 0, depends_on=[{"task_key": "nb"}]),
    ]
    outputs, run = await jobs_runs_submit_and_wait_for_completion(
        creds, tasks, run_name="answer", poll_frequency_seconds=2, return_metadata=True
    )
    assert outputs["nb"]["result"] == "42"
    assert outputs["py"] == {}
    assert run["state"]["result_state"] == "SUCCESS"
    by_key = {task["task_key"]: task for task in run["tasks"]}
    assert "ok" in by_key["py"]["output"]["logs"]


async def test_failure_names_the_task_its_error_and_the_run_page(
    creds: DatabricksCredentials, scripts: Path
) -> None:
    tasks = [py_task("good", scripts / "ok.py"), py_task("bad", scripts / "fail.py", "boom", 42)]
    with pytest.raises(DatabricksRunFailed) as caught:
        await jobs_runs_submit_and_wait_for_completion(
            creds, tasks, run_name="failing", poll_frequency_seconds=2
        )
    text = str(caught.value)
    assert "bad (FAILED)" in text and "boom 42" in text
    assert caught.value.run_page_url and caught.value.run_page_url in text
    assert "good" not in text.split("\n", 1)[1]
    assert isinstance(caught.value, DatabricksJobTerminated)  # the 0.4 name still catches it
    assert creds.token.get_secret_value() not in text + repr(caught.value.__reduce__())


async def test_success_with_failures_succeeds_unless_asked_to_fail(
    creds: DatabricksCredentials, scripts: Path
) -> None:
    tasks = [
        py_task("first", scripts / "fail.py", "expected"),
        py_task("cleanup", scripts / "ok.py", depends_on=[{"task_key": "first"}], run_if="ALL_DONE"),
    ]
    outputs, run = await jobs_runs_submit_and_wait_for_completion(
        creds, tasks, run_name="swf", poll_frequency_seconds=2, return_metadata=True
    )
    assert run["state"]["result_state"] == "SUCCESS_WITH_FAILURES"
    assert set(outputs) == {"first", "cleanup"}
    with pytest.raises(DatabricksRunFailed, match="first"):
        await wait_for_run(creds, run["run_id"], fail_on_success_with_failures=True)


async def test_excluded_task_is_not_a_failure(creds: DatabricksCredentials, scripts: Path) -> None:
    tasks = [
        py_task("main", scripts / "ok.py"),
        py_task(
            "on_failure", scripts / "ok.py", depends_on=[{"task_key": "main"}], run_if="AT_LEAST_ONE_FAILED"
        ),
    ]
    outputs, run = await jobs_runs_submit_and_wait_for_completion(
        creds, tasks, run_name="excluded", poll_frequency_seconds=2, return_metadata=True
    )
    states = {task["task_key"]: task["state"].get("result_state") for task in run["tasks"]}
    assert states == {"main": "SUCCESS", "on_failure": "EXCLUDED"}
    assert set(outputs) == {"main", "on_failure"}


def test_no_hidden_wait_cap() -> None:
    """0.4 stopped every wait after 900 s; every flow now waits without limit unless told."""
    for name in flows.__all__:
        flow = getattr(flows, name)
        fn = getattr(flow, "fn", None)
        if fn is not None and "max_wait_seconds" in inspect.signature(fn).parameters:
            assert inspect.signature(fn).parameters["max_wait_seconds"].default is None, name


async def test_legacy_wait_returns_state_and_metadata_without_raising(
    creds: DatabricksCredentials, scripts: Path
) -> None:
    client = creds.get_jobs_client()
    started = await client.call(
        "jobs/runs/submit", params={"run_name": "legacy", "tasks": [py_task("x", scripts / "fail.py")]}
    )
    state, metadata = await jobs_runs_wait_for_completion(started["run_id"], creds, poll_frequency_seconds=1)
    assert state["life_cycle_state"] in ("INTERNAL_ERROR", "TERMINATED")
    assert state["result_state"] == "FAILED"
    assert metadata["run_id"] == started["run_id"]


async def test_flow_survives_twenty_percent_faults(
    creds: DatabricksCredentials, scripts: Path, http: httpx.Client
) -> None:
    """Submit, wait, outputs with 20 % of requests answered 429/503, dropped or lost: one run, no failure."""
    name = f"faulty-{uuid.uuid4().hex[:8]}"
    set_faults(http, "429=0.06,503=0.06,drop=0.04,lost=0.04,seed=5,retry_after=0")
    try:
        outputs = await jobs_runs_submit_and_wait_for_completion(
            creds,
            [py_task("a", scripts / "ok.py"), py_task("b", scripts / "ok.py")],
            run_name=name,
            poll_frequency_seconds=1,
        )
    finally:
        set_faults(http, None)
    assert outputs == {"a": {}, "b": {}}
    runs = [
        run
        async for run in creds.get_jobs_client().iter_runs(run_type="SUBMIT_RUN")
        if run.get("run_name") == name
    ]
    assert len(runs) == 1
