"""Jobs API 2.0's single-task format: taken on 2.0, kept as a one-task job, shown in each version's shape.

Source: Databricks, "Updating from Jobs API 2.0 to 2.1" (docs.databricks.com/reference/jobs-api-2-1-updates):
2.0 accepts jobs and one-time runs with the task type and cluster fields at the top level of the settings
and answers in that format; `JobSettings.format` is SINGLE_TASK or MULTI_TASK; "All API 2.1 requests
must conform to the multi-task format and responses are structured in the multi-task format."
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from done_jobs import NOTEBOOK
from runs_helpers import script, unique, wait_run


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _notebook(tmp_path: Path) -> str:
    path = tmp_path / "legacy_notebook.py"
    path.write_bytes(NOTEBOOK)
    return str(path)


def test_a_single_task_job_round_trips_on_20_and_reads_as_one_task_on_22(
    http: httpx.Client, tmp_path: Path
) -> None:
    name = unique("legacy")
    settings = {
        "name": name,
        "notebook_task": {"notebook_path": _notebook(tmp_path), "base_parameters": {"who": "2.0"}},
        "new_cluster": {"spark_version": "13.3.x-scala2.12", "num_workers": 1},
        "libraries": [{"pypi": {"package": "rich"}}],
        "max_retries": 1,
        "timeout_seconds": 600,
    }
    job_id = _ok(http.post("/api/2.0/jobs/create", json=settings))["job_id"]
    legacy = _ok(http.get("/api/2.0/jobs/get", params={"job_id": job_id}))["settings"]
    assert legacy["format"] == "SINGLE_TASK" and "tasks" not in legacy
    assert legacy["notebook_task"]["base_parameters"] == {"who": "2.0"}
    assert legacy["new_cluster"]["num_workers"] == 1 and legacy["libraries"] == settings["libraries"]
    assert legacy["max_retries"] == 1 and legacy["timeout_seconds"] == 600
    current = _ok(http.get("/api/2.2/jobs/get", params={"job_id": job_id}))["settings"]
    [task] = current["tasks"]
    assert current["format"] == "SINGLE_TASK" and "notebook_task" not in current
    assert task["task_key"] == name and task["notebook_task"]["notebook_path"] == _notebook(tmp_path)
    assert task["new_cluster"] == settings["new_cluster"] and task["max_retries"] == 1
    listed = _ok(http.get("/api/2.0/jobs/list", params={"name": name}))["jobs"][0]["settings"]
    assert listed["notebook_task"]["notebook_path"] == _notebook(tmp_path)


def test_a_single_task_job_runs_and_20_get_output_reads_its_job_run(
    http: httpx.Client, tmp_path: Path
) -> None:
    """On 2.0, runs/get-output of a single-task run's job run id answers its one task's output."""
    body = {
        "name": unique("legacy-run"),
        "notebook_task": {"notebook_path": _notebook(tmp_path)},
        "existing_cluster_id": "0101-000000-abcdefgh",
    }
    job_id = _ok(http.post("/api/2.0/jobs/create", json=body))["job_id"]
    run_id = _ok(
        http.post("/api/2.0/jobs/run-now", json={"job_id": job_id, "notebook_params": {"who": "cli"}})
    )["run_id"]
    assert wait_run(http, run_id)["state"]["result_state"] == "SUCCESS"
    output = _ok(http.get("/api/2.0/jobs/runs/get-output", params={"run_id": run_id}))
    assert output["notebook_output"]["result"] == "notebook says hello to cli"
    run = _ok(http.get("/api/2.0/jobs/runs/get", params={"run_id": run_id}))
    assert run["format"] == "SINGLE_TASK" and run["task"] == {
        "notebook_task": run["tasks"][0]["notebook_task"]
    }
    assert run["cluster_spec"] == {"existing_cluster_id": "0101-000000-abcdefgh"}
    assert "task" not in _ok(http.get("/api/2.2/jobs/runs/get", params={"run_id": run_id}))


def test_reset_and_update_in_the_single_task_format(http: httpx.Client, tmp_path: Path) -> None:
    first, second = script(tmp_path, "print(1)"), script(tmp_path, "print(2)")
    body = {"name": unique("legacy-reset"), "spark_python_task": {"python_file": first}}
    job_id = _ok(http.post("/api/2.0/jobs/create", json=body))["job_id"]
    new_settings = {"name": "renamed", "spark_python_task": {"python_file": second, "parameters": ["x"]}}
    _ok(http.post("/api/2.0/jobs/reset", json={"job_id": job_id, "new_settings": new_settings}))
    legacy = _ok(http.get("/api/2.0/jobs/get", params={"job_id": job_id}))["settings"]
    assert legacy["name"] == "renamed" and legacy["spark_python_task"]["parameters"] == ["x"]
    _ok(
        http.post(
            "/api/2.0/jobs/update",
            json={"job_id": job_id, "new_settings": {"new_cluster": {"num_workers": 2}}},
        )
    )
    [task] = _ok(http.get("/api/2.2/jobs/get", params={"job_id": job_id}))["settings"]["tasks"]
    assert task["new_cluster"] == {"num_workers": 2} and task["spark_python_task"]["python_file"] == second


def test_a_single_task_one_time_run_on_20(http: httpx.Client, tmp_path: Path) -> None:
    body = {
        "run_name": "legacy once",
        "spark_python_task": {"python_file": script(tmp_path, "print('once')")},
        "new_cluster": {"num_workers": 1},
    }
    run_id = _ok(http.post("/api/2.0/jobs/runs/submit", json=body))["run_id"]
    run = wait_run(http, run_id)
    assert run["state"]["result_state"] == "SUCCESS" and [t["task_key"] for t in run["tasks"]] == [
        "legacy_once"
    ]
    assert _ok(http.get("/api/2.0/jobs/runs/get-output", params={"run_id": run_id}))["logs"] == "once\n"


def test_the_single_task_format_is_refused_after_20_and_beside_tasks(http: httpx.Client) -> None:
    notebook = {"notebook_path": "/x"}
    for path, body in (
        ("/api/2.1/jobs/create", {"name": "x", "notebook_task": notebook}),
        ("/api/2.2/jobs/runs/submit", {"notebook_task": notebook}),
        (
            "/api/2.0/jobs/create",
            {"notebook_task": notebook, "tasks": [{"task_key": "a", "notebook_task": notebook}]},
        ),
        ("/api/2.0/jobs/create", {"notebook_task": notebook, "spark_python_task": {"python_file": "/f.py"}}),
    ):
        response = http.post(path, json=body)
        assert response.status_code == 400, (path, response.text)
        assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        assert (
            "notebook_task" in response.json()["message"] or "spark_python_task" in response.json()["message"]
        )
