"""int64 fields sent as JSON strings of digits are accepted on every endpoint; other text is a clear 400.

Sources: proto3's JSON mapping (protobuf.dev, "JSON Mapping": for int64 "JSON value will be a decimal
string. Either numbers or strings are accepted."), which the Databricks REST APIs follow; Apache Airflow's
Databricks provider 7.23 turns every number of a request into a string before sending it
(`airflow/providers/databricks/utils/databricks.py`, `normalise_json_content`: "Databricks can tolerate
either numeric or string types in the API backend."), and the legacy databricks-cli 0.18 sends ids as
strings; both work against the real service.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from runs_helpers import create_job, py_task, script, unique, wait_run


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_job_id_as_a_string_on_every_endpoint_that_takes_one(http: httpx.Client, tmp_path: Path) -> None:
    job_id = create_job(http, [py_task("a", script(tmp_path, "print(1)"))])
    text = str(job_id)
    assert _ok(http.get("/api/2.2/jobs/get", params={"job_id": text}))["job_id"] == job_id
    _ok(
        http.post("/api/2.2/jobs/update", json={"job_id": text, "new_settings": {"max_concurrent_runs": "3"}})
    )
    assert (
        _ok(http.get("/api/2.2/jobs/get", params={"job_id": job_id}))["settings"]["max_concurrent_runs"] == 3
    )
    run_id = _ok(http.post("/api/2.2/jobs/run-now", json={"job_id": text}))["run_id"]
    wait_run(http, run_id)
    runs = _ok(http.get("/api/2.2/jobs/runs/list", params={"job_id": text}))["runs"]
    assert [run["run_id"] for run in runs] == [run_id]
    _ok(http.post("/api/2.2/jobs/runs/cancel-all", json={"job_id": text}))
    assert _ok(http.get(f"/api/2.0/permissions/jobs/{text}"))["object_id"] == f"/jobs/{job_id}"
    settings = {"name": unique("reset"), "tasks": [py_task("a", "/x.py")], "timeout_seconds": "600"}
    _ok(http.post("/api/2.2/jobs/reset", json={"job_id": text, "new_settings": settings}))
    assert _ok(http.get("/api/2.2/jobs/get", params={"job_id": job_id}))["settings"]["timeout_seconds"] == 600
    _ok(http.post("/api/2.2/jobs/delete", json={"job_id": text}))


def test_run_ids_and_nested_numbers_as_strings(http: httpx.Client, tmp_path: Path) -> None:
    """What Airflow's operators send: `timeout_seconds`, `max_retries`, ids, `latest_repair_id` as text."""
    failing = script(tmp_path, "raise SystemExit(3)")
    task = {**py_task("a", failing), "max_retries": "0", "timeout_seconds": "120"}
    body = {"run_name": unique("s"), "tasks": [task], "timeout_seconds": "600"}
    run_id = _ok(http.post("/api/2.2/jobs/runs/submit", json=body))["run_id"]
    text = str(run_id)
    run = wait_run(http, run_id)
    assert run["state"]["result_state"] == "FAILED" and run["tasks"][0]["timeout_seconds"] == 120
    assert _ok(http.get("/api/2.2/jobs/runs/get", params={"run_id": text}))["run_id"] == run_id
    task_run = str(run["tasks"][0]["run_id"])
    assert "error" in _ok(http.get("/api/2.2/jobs/runs/get-output", params={"run_id": task_run}))
    repair_id = _ok(http.post("/api/2.2/jobs/runs/repair", json={"run_id": text, "rerun_tasks": ["a"]}))[
        "repair_id"
    ]
    wait_run(http, run_id)
    again = {"run_id": text, "rerun_tasks": ["a"], "latest_repair_id": str(repair_id)}
    _ok(http.post("/api/2.2/jobs/runs/repair", json=again))
    wait_run(http, run_id)
    _ok(http.post("/api/2.2/jobs/runs/cancel", json={"run_id": text}))
    _ok(http.post("/api/2.2/jobs/runs/delete", json={"run_id": text}))


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "jobs/run-now", {"job_id": "12a"}, "job_id"),
        ("POST", "jobs/runs/cancel", {"run_id": "one"}, "run_id"),
        ("POST", "jobs/runs/cancel", {"run_id": " 12"}, "run_id"),
        ("POST", "jobs/runs/cancel", {"run_id": "1.0"}, "run_id"),
        ("GET", "jobs/runs/get", {"run_id": "0x10"}, "run_id"),
        ("POST", "jobs/runs/repair", {"run_id": "1", "latest_repair_id": "last"}, "latest_repair_id"),
        ("POST", "jobs/create", {"name": "x", "timeout_seconds": "ten"}, "timeout_seconds"),
        (
            "POST",
            "jobs/create",
            {"tasks": [{"task_key": "a", "notebook_task": {"notebook_path": "/x"}, "max_retries": "many"}]},
            "tasks[0].max_retries",
        ),
        (
            "POST",
            "jobs/runs/submit",
            {"tasks": [py_task("a", "/x.py")], "timeout_seconds": "soon"},
            "timeout_seconds",
        ),
    ],
)
def test_non_numeric_text_is_a_400_naming_the_field(
    http: httpx.Client, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    if method == "GET":
        response = http.get(f"/api/2.2/{path}", params=body)
    else:
        response = http.post(f"/api/2.2/{path}", json=body)
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["error_code"] == "INVALID_PARAMETER_VALUE" and f"field {field}" in error["message"]
