"""The runs endpoints over real HTTP: shapes, errors, idempotency, queueing, cancel, delete, list paging.

Nothing is mocked: the session's local workspace runs real task processes.
"""

from __future__ import annotations

import base64
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from runs_helpers import create_job, py_task, run_now, script, wait_run, wait_state

SLEEP = "import time\ntime.sleep(30)\n"


def _condition(key: str, **extra: Any) -> dict[str, Any]:
    return {"task_key": key, "condition_task": {"op": "EQUAL_TO", "left": "a", "right": "a"}, **extra}


def _error(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error_code"] == code
    return str(body["message"])


def test_run_now_answers_run_id_and_the_run_has_the_api_shape(http: httpx.Client, tmp_path: Path) -> None:
    job_id = create_job(http, [py_task("main", script(tmp_path, "print('hi')"))])
    answer = http.post("/api/2.2/jobs/run-now", json={"job_id": job_id}).json()
    assert answer["number_in_job"] == answer["run_id"]
    run = wait_run(http, answer["run_id"])
    assert run["job_id"] == job_id and run["run_type"] == "JOB_RUN" and run["trigger"] == "ONE_TIME"
    assert run["original_attempt_run_id"] == run["run_id"]
    assert run["run_page_url"].endswith(f"#job/{job_id}/run/{run['run_id']}")
    assert run["state"] == {"life_cycle_state": "TERMINATED", "result_state": "SUCCESS",
                            "state_message": "", "user_cancelled_or_timedout": False}
    assert run["status"]["termination_details"]["code"] == "SUCCESS"
    assert run["end_time"] >= run["start_time"] > 0
    [task] = run["tasks"]
    assert task["task_key"] == "main" and task["attempt_number"] == 0 and task["run_id"] != run["run_id"]
    assert "repair_history" not in run and "_local" not in run and "_local" not in task


def test_a_running_run_reports_end_time_zero(http: httpx.Client, tmp_path: Path) -> None:
    job_id = create_job(http, [py_task("main", script(tmp_path, SLEEP))])
    run_id = run_now(http, job_id)
    run = wait_state(http, run_id, ("RUNNING",))
    assert run["end_time"] == 0 and run["status"]["state"] == "RUNNING"
    assert run["tasks"][0]["state"]["life_cycle_state"] == "RUNNING"
    http.post("/api/2.2/jobs/runs/cancel", json={"run_id": run_id})
    wait_run(http, run_id)


def test_submit_defaults_the_name_and_still_gives_a_job_id(http: httpx.Client) -> None:
    run_id = http.post("/api/2.2/jobs/runs/submit", json={"tasks": [_condition("c")]}).json()["run_id"]
    run = wait_run(http, run_id)
    assert run["run_name"] == "Untitled" and run["run_type"] == "SUBMIT_RUN"
    assert isinstance(run["job_id"], int) and run["job_id"] > 0
    assert run["state"]["result_state"] == "SUCCESS"
    assert run["tasks"][0]["condition_task"]["outcome"] == "true"


def test_submit_without_tasks_names_the_field(http: httpx.Client) -> None:
    message = _error(http.post("/api/2.2/jobs/runs/submit", json={"run_name": "x"}), 400,
                     "INVALID_PARAMETER_VALUE")
    assert "tasks" in message


def test_unknown_run_and_unknown_job_are_400_invalid_parameter_value(http: httpx.Client) -> None:
    """Databricks answers 400 (not 404) for ids that do not exist."""
    for path in ("jobs/runs/get", "jobs/runs/get-output", "jobs/runs/export"):
        response = http.get(f"/api/2.2/{path}", params={"run_id": 123})
        assert _error(response, 400, "INVALID_PARAMETER_VALUE") == "Run 123 does not exist."
    response = http.post("/api/2.2/jobs/run-now", json={"job_id": 5})
    assert _error(response, 400, "INVALID_PARAMETER_VALUE") == "Job 5 does not exist."


def test_idempotency_token_gives_the_same_run_and_is_limited(http: httpx.Client) -> None:
    job_id = create_job(http, [_condition("c")], max_concurrent_runs=50)
    first = run_now(http, job_id, idempotency_token="tok-run-now-1")
    assert run_now(http, job_id, idempotency_token="tok-run-now-1") == first
    submit = {"tasks": [_condition("c")], "idempotency_token": "tok-submit-1"}
    one = http.post("/api/2.2/jobs/runs/submit", json=submit).json()["run_id"]
    assert http.post("/api/2.2/jobs/runs/submit", json=submit).json()["run_id"] == one
    response = http.post("/api/2.2/jobs/run-now", json={"job_id": job_id, "idempotency_token": "x" * 65})
    assert "64" in _error(response, 400, "INVALID_PARAMETER_VALUE")
    wait_run(http, first)
    assert http.post("/api/2.2/jobs/runs/delete", json={"run_id": first}).status_code == 200
    again = {"job_id": job_id, "idempotency_token": "tok-run-now-1"}
    response = http.post("/api/2.2/jobs/run-now", json=again)
    assert "deleted" in _error(response, 400, "INVALID_PARAMETER_VALUE")


def test_queueing_at_the_limit_then_starting_as_capacity_frees(http: httpx.Client, tmp_path: Path) -> None:
    job_id = create_job(http, [py_task("main", script(tmp_path, SLEEP))], max_concurrent_runs=1)
    first = run_now(http, job_id)
    second = run_now(http, job_id)
    queued = http.get("/api/2.2/jobs/runs/get", params={"run_id": second}).json()
    assert queued["state"]["life_cycle_state"] == "QUEUED"
    assert queued["status"]["queue_details"]["code"] == "MAX_CONCURRENT_RUNS_REACHED"
    http.post("/api/2.2/jobs/runs/cancel", json={"run_id": first})
    assert wait_run(http, first)["state"]["result_state"] == "CANCELED"
    started = wait_state(http, second, ("PENDING", "RUNNING"))
    assert started["queue_duration"] > 0
    http.post("/api/2.2/jobs/runs/cancel", json={"run_id": second})
    wait_run(http, second)


def test_without_queueing_the_run_is_skipped_with_the_documented_message(
    http: httpx.Client, tmp_path: Path
) -> None:
    job_id = create_job(http, [py_task("main", script(tmp_path, SLEEP))], queue={"enabled": False})
    first = run_now(http, job_id)
    skipped = http.get("/api/2.2/jobs/runs/get", params={"run_id": run_now(http, job_id)}).json()
    assert skipped["state"]["life_cycle_state"] == "SKIPPED" and "result_state" not in skipped["state"]
    assert skipped["state"]["state_message"] == (
        "Skipping this run because the limit of 1 maximum concurrent runs has been reached."
    )
    assert skipped["status"]["termination_details"]["code"] == "MAX_CONCURRENT_RUNS_EXCEEDED"
    queued = run_now(http, job_id, queue={"enabled": True})
    assert http.get("/api/2.2/jobs/runs/get", params={"run_id": queued}).json()["state"][
        "life_cycle_state"] == "QUEUED"
    http.post("/api/2.2/jobs/runs/cancel-all", json={"job_id": job_id})
    assert wait_run(http, queued)["state"]["result_state"] == "CANCELED"
    assert wait_run(http, first)["state"]["result_state"] == "CANCELED"


def test_max_concurrent_runs_zero_skips_every_run(http: httpx.Client) -> None:
    job_id = create_job(http, [_condition("c")], max_concurrent_runs=0)
    run = http.get("/api/2.2/jobs/runs/get", params={"run_id": run_now(http, job_id)}).json()
    assert run["state"]["life_cycle_state"] == "SKIPPED"
    assert "limit of 0 maximum concurrent runs" in run["state"]["state_message"]


def test_cancel_all_queued_runs_of_the_workspace(http: httpx.Client, tmp_path: Path) -> None:
    job_id = create_job(http, [py_task("main", script(tmp_path, SLEEP))])
    running, queued = run_now(http, job_id), run_now(http, job_id)
    wait_state(http, running, ("RUNNING",))
    assert http.post("/api/2.2/jobs/runs/cancel-all", json={"all_queued_runs": True}).json() == {}
    assert wait_run(http, queued)["state"]["result_state"] == "CANCELED"
    still = http.get("/api/2.2/jobs/runs/get", params={"run_id": running}).json()
    assert still["state"]["life_cycle_state"] == "RUNNING"
    http.post("/api/2.2/jobs/runs/cancel", json={"run_id": running})
    assert wait_run(http, running)["state"]["user_cancelled_or_timedout"] is True
    response = http.post("/api/2.2/jobs/runs/cancel-all", json={})
    _error(response, 400, "INVALID_PARAMETER_VALUE")


def test_cancel_of_a_finished_run_is_a_no_op(http: httpx.Client) -> None:
    run_id = http.post("/api/2.2/jobs/runs/submit", json={"tasks": [_condition("c")]}).json()["run_id"]
    before = wait_run(http, run_id)
    assert http.post("/api/2.2/jobs/runs/cancel", json={"run_id": run_id}).json() == {}
    assert http.get("/api/2.2/jobs/runs/get", params={"run_id": run_id}).json()["state"] == before["state"]


def test_delete_refuses_an_active_run_and_removes_a_finished_one(http: httpx.Client, tmp_path: Path) -> None:
    job_id = create_job(http, [py_task("main", script(tmp_path, SLEEP))])
    run_id = run_now(http, job_id)
    _error(http.post("/api/2.2/jobs/runs/delete", json={"run_id": run_id}), 400, "INVALID_STATE")
    http.post("/api/2.2/jobs/runs/cancel", json={"run_id": run_id})
    task_run = wait_run(http, run_id)["tasks"][0]["run_id"]
    assert http.post("/api/2.2/jobs/runs/delete", json={"run_id": run_id}).json() == {}
    for gone in (run_id, task_run):
        response = http.get("/api/2.2/jobs/runs/get", params={"run_id": gone})
        assert _error(response, 400, "INVALID_PARAMETER_VALUE") == f"Run {gone} does not exist."


def test_get_output_needs_a_task_run_except_on_2_0(http: httpx.Client, tmp_path: Path) -> None:
    job_id = create_job(http, [py_task("main", script(tmp_path, "print('out')"))])
    run = wait_run(http, run_now(http, job_id))
    response = http.get("/api/2.2/jobs/runs/get-output", params={"run_id": run["run_id"]})
    assert _error(response, 400, "INVALID_PARAMETER_VALUE") == (
        "Retrieving the output of runs with multiple tasks is not supported. "
        "Please retrieve the output of each individual task run instead."
    )
    legacy = http.get("/api/2.0/jobs/runs/get-output", params={"run_id": run["run_id"]}).json()
    task_run = run["tasks"][0]["run_id"]
    output = http.get("/api/2.2/jobs/runs/get-output", params={"run_id": task_run}).json()
    assert output["logs"] == legacy["logs"] == "out\n" and output["logs_truncated"] is False
    assert output["metadata"]["run_id"] == task_run and output["metadata"]["job_run_id"] == run["run_id"]


def test_runs_get_of_a_task_run_answers_that_task_run(http: httpx.Client) -> None:
    run_id = http.post("/api/2.2/jobs/runs/submit", json={"tasks": [_condition("c")]}).json()["run_id"]
    task = wait_run(http, run_id)["tasks"][0]
    view = http.get("/api/2.2/jobs/runs/get", params={"run_id": task["run_id"]}).json()
    assert view["run_id"] == task["run_id"] and view["job_run_id"] == run_id
    assert [t["task_key"] for t in view["tasks"]] == ["c"]


def test_runs_get_pages_tasks_by_100_on_2_2_only(http: httpx.Client) -> None:
    tasks = [_condition(f"c{i:03}") for i in range(150)]
    run_id = http.post("/api/2.2/jobs/runs/submit", json={"tasks": tasks}).json()["run_id"]
    first = wait_run(http, run_id)
    assert len(first["tasks"]) == 100 and first["next_page_token"]
    second = http.get("/api/2.2/jobs/runs/get",
                      params={"run_id": run_id, "page_token": first["next_page_token"]}).json()
    assert len(second["tasks"]) == 50 and "next_page_token" not in second
    assert [t["task_key"] for t in first["tasks"] + second["tasks"]] == [t["task_key"] for t in tasks]
    older = http.get("/api/2.1/jobs/runs/get", params={"run_id": run_id})
    assert _error(older, 400, "INVALID_PARAMETER_VALUE") == (
        "Resources with more than 100 tasks can only be handled by API 2.2 and above. "
        "Your resource has 150 tasks"
    )
    few = http.post("/api/2.1/jobs/runs/submit", json={"tasks": tasks[:100]}).json()["run_id"]
    assert len(wait_run(http, few)["tasks"]) == 100
    assert len(http.get("/api/2.1/jobs/runs/get", params={"run_id": few}).json()["tasks"]) == 100
    _error(http.post("/api/2.1/jobs/runs/submit", json={"tasks": tasks}), 400, "INVALID_PARAMETER_VALUE")


def test_runs_list_filters_pages_and_version_differences(http: httpx.Client) -> None:
    job_id = create_job(http, [_condition("c")], max_concurrent_runs=100)
    ids = [run_now(http, job_id) for _ in range(7)]
    for run_id in ids:
        wait_run(http, run_id)
    page = http.get("/api/2.2/jobs/runs/list", params={"job_id": job_id, "limit": 3}).json()
    assert [r["run_id"] for r in page["runs"]] == ids[::-1][:3]
    assert "has_more" not in page and "prev_page_token" not in page and "tasks" not in page["runs"][0]
    following = http.get("/api/2.2/jobs/runs/list", params={
        "job_id": job_id, "limit": 3, "page_token": page["next_page_token"], "expand_tasks": "true"}).json()
    assert [r["run_id"] for r in following["runs"]] == ids[::-1][3:6]
    assert following["runs"][0]["tasks"][0]["task_key"] == "c"
    back = http.get("/api/2.2/jobs/runs/list", params={
        "job_id": job_id, "limit": 3, "page_token": following["prev_page_token"]}).json()
    assert [r["run_id"] for r in back["runs"]] == ids[::-1][:3]
    legacy = http.get("/api/2.1/jobs/runs/list", params={"job_id": job_id, "limit": 3, "offset": 6}).json()
    assert legacy["has_more"] is False and [r["run_id"] for r in legacy["runs"]] == [ids[0]]
    completed = http.get("/api/2.2/jobs/runs/list", params={"job_id": job_id, "completed_only": "true"})
    assert len(completed.json()["runs"]) == 7
    starts = [r["start_time"] for r in completed.json()["runs"]]
    window = {"job_id": job_id, "start_time_from": starts[4], "start_time_to": starts[2]}
    between = http.get("/api/2.2/jobs/runs/list", params=window).json()["runs"]
    assert {r["run_id"] for r in between} >= set(ids[2:5])
    assert all(starts[4] <= r["start_time"] <= starts[2] for r in between)
    active = http.get("/api/2.2/jobs/runs/list", params={"job_id": job_id, "active_only": "true"}).json()
    assert "runs" not in active
    none = http.get("/api/2.2/jobs/runs/list", params={"job_id": job_id, "run_type": "SUBMIT_RUN"}).json()
    assert "runs" not in none


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"active_only": "true", "completed_only": "true"}, "active_only"),
        ({"limit": 26}, "limit"),
        ({"limit": -1}, "limit"),
        ({"run_type": "NOPE"}, "run_type"),
        ({"page_token": "not-a-token"}, "page_token"),
    ],
)
def test_runs_list_rejects_bad_parameters_naming_them(
    http: httpx.Client, query: dict[str, Any], field: str
) -> None:
    assert field in _error(http.get("/api/2.2/jobs/runs/list", params=query), 400, "INVALID_PARAMETER_VALUE")


def test_repair_validation(http: httpx.Client, tmp_path: Path) -> None:
    job_id = create_job(http, [py_task("main", script(tmp_path, SLEEP))])
    run_id = run_now(http, job_id)
    body = {"run_id": run_id, "rerun_tasks": ["main"]}
    _error(http.post("/api/2.2/jobs/runs/repair", json=body), 400, "INVALID_STATE")
    http.post("/api/2.2/jobs/runs/cancel", json={"run_id": run_id})
    wait_run(http, run_id)
    both = {**body, "rerun_all_failed_tasks": True}
    assert "Only one of" in _error(http.post("/api/2.2/jobs/runs/repair", json=both), 400,
                                   "INVALID_PARAMETER_VALUE")
    neither = {"run_id": run_id}
    _error(http.post("/api/2.2/jobs/runs/repair", json=neither), 400, "INVALID_PARAMETER_VALUE")
    unknown = {"run_id": run_id, "rerun_tasks": ["nope"]}
    assert "nope" in _error(http.post("/api/2.2/jobs/runs/repair", json=unknown), 400,
                            "INVALID_PARAMETER_VALUE")


def test_only_runs_the_chosen_tasks(http: httpx.Client) -> None:
    tasks = [_condition("a"), _condition("b", depends_on=[{"task_key": "a"}]),
             _condition("c", depends_on=[{"task_key": "b"}])]
    job_id = create_job(http, tasks)
    run = wait_run(http, run_now(http, job_id, only=["b+"]))
    assert [t["task_key"] for t in run["tasks"]] == ["b", "c"]
    assert run["state"]["result_state"] == "SUCCESS"
    response = http.post("/api/2.2/jobs/run-now", json={"job_id": job_id, "only": ["zzz"]})
    assert "zzz" in _error(response, 400, "INVALID_PARAMETER_VALUE")


def test_export_returns_the_notebook_as_html(http: httpx.Client) -> None:
    path = f"/Users/runs-tests/{uuid.uuid4().hex[:8]}/hello"
    source = "# Databricks notebook source\nprint('<hello>')\n"
    http.post("/api/2.0/workspace/mkdirs", json={"path": path.rsplit("/", 1)[0]})
    imported = http.post("/api/2.0/workspace/import", json={
        "path": path, "format": "SOURCE", "language": "PYTHON",
        "content": base64.b64encode(source.encode()).decode()})
    assert imported.status_code == 200, imported.text
    task = {"task_key": "nb", "notebook_task": {"notebook_path": path}}
    run = wait_run(http, http.post("/api/2.2/jobs/runs/submit", json={"tasks": [task]}).json()["run_id"])
    assert run["state"]["result_state"] == "SUCCESS", run["tasks"][0]["state"]
    for run_id in (run["run_id"], run["tasks"][0]["run_id"]):
        [view] = http.get("/api/2.2/jobs/runs/export", params={"run_id": run_id}).json()["views"]
        assert view["name"] == "hello" and view["type"] == "NOTEBOOK"
        assert "&lt;hello&gt;" in view["content"] or "\\u003chello\\u003e" in view["content"]
    dashboards = http.get("/api/2.2/jobs/runs/export", params={"run_id": run["run_id"],
                                                               "views_to_export": "DASHBOARDS"})
    assert dashboards.json() == {"views": []}


def test_repair_with_dependent_tasks_reruns_downstream_in_the_same_run(http: httpx.Client) -> None:
    tasks = [_condition("a"), _condition("b", depends_on=[{"task_key": "a"}]),
             _condition("c", depends_on=[{"task_key": "b"}]), _condition("other")]
    job_id = create_job(http, tasks, parameters=[{"name": "p", "default": "1"}])
    run_id = run_now(http, job_id)
    wait_run(http, run_id)
    body = {"run_id": run_id, "rerun_tasks": ["a"], "rerun_dependent_tasks": True,
            "job_parameters": {"p": "2"}}
    repair_id = http.post("/api/2.2/jobs/runs/repair", json=body).json()["repair_id"]
    run = wait_run(http, run_id)
    assert [(t["task_key"], t["attempt_number"]) for t in run["tasks"][4:]] == [("a", 1), ("b", 1), ("c", 1)]
    assert run["job_parameters"] == [{"name": "p", "default": "1", "value": "2"}]
    assert run["state"]["result_state"] == "SUCCESS"
    nothing = {"run_id": run_id, "rerun_all_failed_tasks": True, "latest_repair_id": repair_id}
    assert "no failed tasks" in _error(http.post("/api/2.2/jobs/runs/repair", json=nothing), 400,
                                       "INVALID_PARAMETER_VALUE")
