"""Tasks on job runs, over real HTTP against the local workspace (runs execute as local processes)."""

from __future__ import annotations

import asyncio
import base64
import uuid
from typing import Any

import httpx
import pytest
from task_helpers import RecordingTransport, await_until, is_terminal, wait_until

from prefect_databricks.client.errors import InvalidParameterValue, ResourceDoesNotExist
from prefect_databricks.credentials import DatabricksCredentials
from prefect_databricks.jobs import (
    ajobs_create,
    ajobs_run_now,
    ajobs_runs_get,
    ajobs_runs_submit,
    jobs_create,
    jobs_run_now,
    jobs_runs_cancel,
    jobs_runs_cancel_all,
    jobs_runs_delete,
    jobs_runs_export,
    jobs_runs_get,
    jobs_runs_get_output,
    jobs_runs_list,
    jobs_runs_list_all,
    jobs_runs_repair,
    jobs_runs_submit,
)
from prefect_databricks.models import NotebookTask, SubmitTask

_CONDITION = {"op": "EQUAL_TO", "left": "1", "right": "1"}


def _notebook(http: httpx.Client, source: str) -> str:
    """Import a Python notebook into the workspace; returns its path."""
    path = f"/Shared/tests/nb-{uuid.uuid4().hex[:10]}"
    content = base64.b64encode(f"# Databricks notebook source\n{source}\n".encode()).decode()
    body = {"path": path, "format": "SOURCE", "language": "PYTHON", "content": content}
    http.post("/api/2.0/workspace/mkdirs", json={"path": "/Shared/tests"}).raise_for_status()
    http.post("/api/2.0/workspace/import", json=body).raise_for_status()
    return path


def _finished(creds: DatabricksCredentials, run_id: int, **params: Any) -> dict[str, Any]:
    return wait_until(lambda: jobs_runs_get.fn(run_id, creds, **params), is_terminal)


def _result(run: dict[str, Any]) -> str | None:
    return (run.get("state") or {}).get("result_state")


def test_submit_then_output_and_export_of_a_notebook_task(
    creds: DatabricksCredentials, http: httpx.Client
) -> None:
    path = _notebook(http, "dbutils.notebook.exit('hello from a test')")
    task = SubmitTask(task_key="nb", notebook_task=NotebookTask(notebook_path=path))
    run_id = jobs_runs_submit.fn(creds, [task], "submit-test")["run_id"]
    run = _finished(creds, run_id)
    assert _result(run) == "SUCCESS"
    task_run_id = run["tasks"][0]["run_id"]
    output = jobs_runs_get_output.fn(task_run_id, creds)
    assert output["notebook_output"]["result"] == "hello from a test"
    assert output["metadata"]["run_id"] == task_run_id
    views = jobs_runs_export.fn(task_run_id, creds, "CODE")["views"]
    assert views
    assert views[0]["type"] == "NOTEBOOK"
    with pytest.raises(InvalidParameterValue, match="multiple tasks"):
        jobs_runs_get_output.fn(run_id, creds)


def test_run_now_with_2_2_fields_and_an_idempotency_token(creds: DatabricksCredentials) -> None:
    tasks = [
        {"task_key": "a", "condition_task": _CONDITION},
        {"task_key": "b", "condition_task": _CONDITION},
    ]
    job_id = jobs_create.fn(creds, "run-now-test", tasks=tasks)["job_id"]
    token = uuid.uuid4().hex
    first = jobs_run_now.fn(creds, job_id, token, only=["a"], queue={"enabled": True})
    again = jobs_run_now.fn(creds, job_id, idempotency_token=token)
    assert again["run_id"] == first["run_id"]
    run = _finished(creds, first["run_id"])
    assert [t["task_key"] for t in run["tasks"]] == ["a"]
    assert _result(run) == "SUCCESS"


def test_cancel_cancel_all_and_delete(creds: DatabricksCredentials, http: httpx.Client) -> None:
    path = _notebook(http, "import time\ntime.sleep(60)")
    job_id = jobs_create.fn(
        creds,
        "sleepy",
        tasks=[{"task_key": "s", "notebook_task": {"notebook_path": path}}],
        max_concurrent_runs=3,
    )["job_id"]
    single = jobs_run_now.fn(creds, job_id)["run_id"]
    assert jobs_runs_cancel.fn(creds, single) == {}
    assert _result(_finished(creds, single)) == "CANCELED"

    others = [jobs_run_now.fn(creds, job_id)["run_id"] for _ in range(2)]
    assert jobs_runs_cancel_all.fn(creds, job_id, all_queued_runs=True) == {}
    assert {_result(_finished(creds, run_id)) for run_id in others} == {"CANCELED"}

    assert jobs_runs_delete.fn(creds, single) == {}
    with pytest.raises(ResourceDoesNotExist):
        jobs_runs_get.fn(single, creds)


def test_repair_failed_tasks_then_again_with_the_latest_repair_id(
    creds: DatabricksCredentials, http: httpx.Client
) -> None:
    failing = _notebook(http, "raise ValueError('boom')")
    tasks = [
        {"task_key": "ok", "condition_task": _CONDITION},
        {"task_key": "bad", "notebook_task": {"notebook_path": failing}},
    ]
    job_id = jobs_create.fn(creds, "repair-test", tasks=tasks)["job_id"]
    run_id = jobs_run_now.fn(creds, job_id)["run_id"]
    assert _result(_finished(creds, run_id)) == "FAILED"

    first = jobs_runs_repair.fn(creds, run_id, rerun_all_failed_tasks=True)["repair_id"]
    _finished(creds, run_id)
    second = jobs_runs_repair.fn(
        creds, run_id, ["bad"], first, rerun_dependent_tasks=True, job_parameters={"p": "v"}
    )
    assert second["repair_id"] != first
    run = _finished(creds, run_id, include_history=True)
    kinds = [item["type"] for item in run["repair_history"]]
    assert kinds == ["ORIGINAL", "REPAIR", "REPAIR"]


async def test_list_one_page_and_list_all_60_runs(
    recorded_creds: DatabricksCredentials, recorder: RecordingTransport
) -> None:
    tasks = [{"task_key": "c", "condition_task": _CONDITION}]
    created = await ajobs_create.fn(recorded_creds, "many-runs", tasks=tasks, max_concurrent_runs=100)
    job_id = created["job_id"]
    runs = await asyncio.gather(*(ajobs_run_now.fn(recorded_creds, job_id) for _ in range(60)))
    ids = {run["run_id"] for run in runs}

    page = await jobs_runs_list.fn(recorded_creds, job_id=job_id, limit=25)
    assert len(page["runs"]) == 25
    assert page["next_page_token"]
    assert dict(recorder.requests[-1].url.params) == {"job_id": str(job_id), "limit": "25"}

    before = len(recorder.requests)
    everything = await jobs_runs_list_all.fn(recorded_creds, job_id=job_id, limit=25)
    assert {run["run_id"] for run in everything} == ids
    assert len(recorder.requests) - before == 3

    assert len((await jobs_runs_list.fn(recorded_creds, job_id=job_id, limit=0))["runs"]) == 25


def test_get_merges_a_run_of_150_tasks(
    recorded_creds: DatabricksCredentials, recorder: RecordingTransport
) -> None:
    tasks = [{"task_key": f"t{i:03d}", "condition_task": _CONDITION} for i in range(150)]
    run_id = jobs_runs_submit.fn(recorded_creds, tasks, "wide")["run_id"]
    run = _finished(recorded_creds, run_id)
    assert sorted(t["task_key"] for t in run["tasks"]) == [t["task_key"] for t in tasks]
    before = len(recorder.requests)
    jobs_runs_get.fn(run_id, recorded_creds, include_resolved_values=True)
    assert len(recorder.requests) - before == 2


async def test_async_variant_and_awaited_fn(creds: DatabricksCredentials) -> None:
    tasks = [{"task_key": "c", "condition_task": _CONDITION}]
    run_id = (await ajobs_runs_submit.fn(creds, tasks=tasks))["run_id"]
    run = await await_until(lambda: ajobs_runs_get.fn(run_id, creds), is_terminal)
    assert _result(run) == "SUCCESS"
    assert (await jobs_runs_get.fn(run_id, creds))["run_id"] == run_id
