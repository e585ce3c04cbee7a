"""Jobs endpoints over real HTTP: defaults, update merges, reset, paging, version rules and validation."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest


def _task(key: str, *after: str, **extra: Any) -> dict[str, Any]:
    task: dict[str, Any] = {"task_key": key, "notebook_task": {"notebook_path": f"/Shared/{key}"}, **extra}
    if after:
        task["depends_on"] = [{"task_key": k} for k in after]
    return task


def _create(http: httpx.Client, version: str = "2.2", **settings: Any) -> int:
    settings.setdefault("name", f"job-{uuid.uuid4().hex}")
    response = http.post(f"/api/{version}/jobs/create", json=settings)
    assert response.status_code == 200, response.text
    return response.json()["job_id"]


def _get(http: httpx.Client, job_id: int, version: str = "2.2", **params: Any) -> dict[str, Any]:
    response = http.get(f"/api/{version}/jobs/get", params={"job_id": job_id, **params})
    assert response.status_code == 200, response.text
    return response.json()


def _error(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["error_code"], body["message"]


def test_get_fills_the_server_side_defaults(http: httpx.Client) -> None:
    job_id = _create(http, tasks=[_task("b"), _task("a", "b"), _task("c", "b", "a")])
    job = _get(http, job_id)
    settings = job["settings"]
    assert job["job_id"] == job_id and job["creator_user_name"] and job["created_time"] > 1.6e12
    assert settings["email_notifications"] == {} and settings["webhook_notifications"] == {}
    assert settings["timeout_seconds"] == 0 and settings["max_concurrent_runs"] == 1
    assert settings["format"] == "MULTI_TASK" and settings["queue"] == {"enabled": True}
    task_c = settings["tasks"][2]
    assert task_c["run_if"] == "ALL_SUCCESS" and task_c["timeout_seconds"] == 0
    assert task_c["email_notifications"] == {} and task_c["notebook_task"]["source"] == "WORKSPACE"
    assert [d["task_key"] for d in task_c["depends_on"]] == ["a", "b"]


@pytest.mark.parametrize(("version", "queued"), [("2.0", False), ("2.1", False), ("2.2", True)])
def test_queueing_defaults_on_only_for_jobs_created_through_2_2(
    http: httpx.Client, version: str, queued: bool
) -> None:
    job_id = _create(http, version, tasks=[_task("a")])
    assert _get(http, job_id)["settings"]["queue"] == {"enabled": queued}


def test_git_source_makes_sources_git(http: httpx.Client) -> None:
    git = {"git_url": "https://github.com/o/r", "git_provider": "gitHub", "git_branch": "main"}
    job_id = _create(http, git_source=git, tasks=[_task("a")])
    assert _get(http, job_id)["settings"]["tasks"][0]["notebook_task"]["source"] == "GIT"


def test_update_merges_arrays_by_key_and_removes_fields(http: httpx.Client) -> None:
    clusters = [{"job_cluster_key": k, "new_cluster": {"spark_version": "15.4.x"}} for k in ("c1", "c2")]
    job_id = _create(http, tasks=[_task("a"), _task("b", "a")], job_clusters=clusters, tags={"x": "1"})
    new = {"tasks": [_task("b", timeout_seconds=60), _task("z", "a")], "description": "d"}
    response = http.post(
        "/api/2.2/jobs/update",
        json={"job_id": job_id, "new_settings": new, "fields_to_remove": ["tags", "job_clusters/c1"]},
    )
    assert response.status_code == 200 and response.json() == {}
    settings = _get(http, job_id)["settings"]
    assert [t["task_key"] for t in settings["tasks"]] == ["a", "b", "z"]
    assert settings["tasks"][1]["timeout_seconds"] == 60 and "depends_on" not in settings["tasks"][1]
    assert [c["job_cluster_key"] for c in settings["job_clusters"]] == ["c2"]
    assert "tags" not in settings and settings["description"] == "d"


def test_update_treats_null_as_absent(http: httpx.Client) -> None:
    job_id = _create(http, tasks=[_task("a")], tags={"x": "1"})
    body = {"job_id": job_id, "new_settings": {"tasks": None, "tags": None, "description": "d"}}
    assert http.post("/api/2.2/jobs/update", json=body).status_code == 200
    settings = _get(http, job_id)["settings"]
    assert settings["tags"] == {"x": "1"} and len(settings["tasks"]) == 1 and settings["description"] == "d"


def test_update_can_remove_a_task_by_key(http: httpx.Client) -> None:
    job_id = _create(http, tasks=[_task("a"), _task("b")])
    http.post("/api/2.2/jobs/update", json={"job_id": job_id, "fields_to_remove": ["tasks/a"]})
    assert [t["task_key"] for t in _get(http, job_id)["settings"]["tasks"]] == ["b"]


def test_update_refuses_removing_a_task_others_depend_on(http: httpx.Client) -> None:
    job_id = _create(http, tasks=[_task("a"), _task("b", "a")])
    response = http.post("/api/2.2/jobs/update", json={"job_id": job_id, "fields_to_remove": ["tasks/a"]})
    status, code, message = _error(response)
    assert (status, code) == (400, "INVALID_PARAMETER_VALUE") and "depends_on[0].task_key" in message


def test_reset_replaces_everything_but_keeps_run_as(http: httpx.Client) -> None:
    run_as = {"service_principal_name": "sp-app-id"}
    job_id = _create(http, tasks=[_task("a"), _task("b")], tags={"x": "1"}, run_as=run_as)
    response = http.post(
        "/api/2.2/jobs/reset", json={"job_id": job_id, "new_settings": {"name": "r", "tasks": [_task("c")]}}
    )
    assert response.status_code == 200
    job = _get(http, job_id)
    assert [t["task_key"] for t in job["settings"]["tasks"]] == ["c"] and "tags" not in job["settings"]
    assert job["settings"]["run_as"] == run_as and job["run_as_user_name"] == "sp-app-id"


def test_unknown_job_is_a_400_invalid_parameter_value(http: httpx.Client) -> None:
    """Pins a real-service quirk: an unknown job id is answered 400 INVALID_PARAMETER_VALUE, not 404.

    Observed on the real Jobs API (see reference/jobs-api-2.2.md §3.3); the SDK rewrites it client-side.
    """
    for method, path, payload in [
        ("GET", "jobs/get", {"params": {"job_id": 1}}),
        ("POST", "jobs/delete", {"json": {"job_id": 1}}),
        ("POST", "jobs/reset", {"json": {"job_id": 1, "new_settings": {}}}),
        ("POST", "jobs/update", {"json": {"job_id": 1}}),
    ]:
        response = http.request(method, f"/api/2.2/{path}", **payload)
        assert _error(response) == (400, "INVALID_PARAMETER_VALUE", "Job 1 does not exist.")


def test_delete_removes_the_job(http: httpx.Client) -> None:
    job_id = _create(http, tasks=[_task("a")])
    assert http.post("/api/2.1/jobs/delete", json={"job_id": job_id}).json() == {}
    assert http.get("/api/2.2/jobs/get", params={"job_id": job_id}).status_code == 400


def test_get_pages_arrays_by_100_with_exhausted_arrays_empty(http: httpx.Client) -> None:
    clusters = [{"job_cluster_key": f"c{i}", "new_cluster": {"spark_version": "15.4.x"}} for i in range(3)]
    job_id = _create(http, tasks=[_task(f"t{i:03}") for i in range(250)], job_clusters=clusters)
    pages = [_get(http, job_id)]
    while "next_page_token" in pages[-1]:
        pages.append(_get(http, job_id, page_token=pages[-1]["next_page_token"]))
    assert [len(p["settings"]["tasks"]) for p in pages] == [100, 100, 50]
    assert [len(p["settings"]["job_clusters"]) for p in pages] == [3, 0, 0]
    keys = [t["task_key"] for p in pages for t in p["settings"]["tasks"]]
    assert keys == [f"t{i:03}" for i in range(250)]


def test_a_page_token_of_another_job_is_refused(http: httpx.Client) -> None:
    first = _create(http, tasks=[_task(f"t{i}") for i in range(101)])
    other = _create(http, tasks=[_task("a")])
    token = _get(http, first)["next_page_token"]
    status, code, _ = _error(http.get("/api/2.2/jobs/get", params={"job_id": other, "page_token": token}))
    assert (status, code) == (400, "INVALID_PARAMETER_VALUE")


@pytest.mark.parametrize("version", ["2.0", "2.1"])
def test_versions_before_2_2_refuse_more_than_100_tasks(http: httpx.Client, version: str) -> None:
    big = [_task(f"t{i}") for i in range(101)]
    message = (
        "Resources with more than 100 tasks can only be handled by API 2.2 and above. "
        "Your resource has 101 tasks"
    )
    assert _error(http.post(f"/api/{version}/jobs/create", json={"name": "big", "tasks": big}))[2] == message
    job_id = _create(http, tasks=big)
    assert _error(http.get(f"/api/{version}/jobs/get", params={"job_id": job_id}))[2] == message
    small = _create(http, tasks=[_task("a")])
    update = {"job_id": small, "new_settings": {"tasks": big}}
    merged = message.replace("101 tasks", "102 tasks")
    assert _error(http.post(f"/api/{version}/jobs/update", json=update))[2] == merged


def test_list_filters_by_exact_name_case_insensitively(http: httpx.Client) -> None:
    name = f"Listed-{uuid.uuid4().hex}"
    ids = [_create(http, name=name, tasks=[_task("a")]) for _ in range(3)]
    _create(http, name=name + "-other", tasks=[_task("a")])
    body = http.get("/api/2.2/jobs/list", params={"name": name.upper()}).json()
    assert [j["job_id"] for j in body["jobs"]] == ids[::-1]
    assert "tasks" not in body["jobs"][0]["settings"] and "has_more" not in body


def test_list_pages_forward_and_back_with_tokens(http: httpx.Client) -> None:
    name = f"paged-{uuid.uuid4().hex}"
    ids = [_create(http, name=name) for _ in range(5)][::-1]
    query = {"name": name, "limit": 2}
    first = http.get("/api/2.2/jobs/list", params=query).json()
    second = http.get("/api/2.2/jobs/list", params={**query, "page_token": first["next_page_token"]}).json()
    assert [j["job_id"] for j in first["jobs"]] == ids[:2] and "prev_page_token" not in first
    assert [j["job_id"] for j in second["jobs"]] == ids[2:4]
    back = http.get("/api/2.2/jobs/list", params={**query, "page_token": second["prev_page_token"]}).json()
    assert [j["job_id"] for j in back["jobs"]] == ids[:2]
    by_offset = http.get("/api/2.2/jobs/list", params={"name": name, "offset": 4, "limit": 2}).json()
    assert [j["job_id"] for j in by_offset["jobs"]] == ids[4:] and "next_page_token" not in by_offset


def test_list_before_2_2_keeps_root_has_more(http: httpx.Client) -> None:
    name = f"old-{uuid.uuid4().hex}"
    for _ in range(3):
        _create(http, name=name)
    assert http.get("/api/2.1/jobs/list", params={"name": name, "limit": 2}).json()["has_more"] is True
    empty = http.get("/api/2.0/jobs/list", params={"name": "no-such-" + name}).json()
    assert empty == {"has_more": False}


@pytest.mark.parametrize(("version", "limit"), [("2.2", 0), ("2.2", 101), ("2.1", 26), ("2.0", -1)])
def test_list_limit_ranges(http: httpx.Client, version: str, limit: int) -> None:
    status, code, message = _error(http.get(f"/api/{version}/jobs/list", params={"limit": limit}))
    assert (status, code) == (400, "INVALID_PARAMETER_VALUE") and "limit" in message


def test_list_expand_tasks_shows_100_tasks_and_per_job_has_more(http: httpx.Client) -> None:
    name = f"expand-{uuid.uuid4().hex}"
    _create(http, name=name, tasks=[_task(f"t{i}") for i in range(120)])
    job = http.get("/api/2.2/jobs/list", params={"name": name, "expand_tasks": "true"}).json()["jobs"][0]
    assert len(job["settings"]["tasks"]) == 100 and job["has_more"] is True


_BAD_SETTINGS = [
    ({"tasks": [{"task_key": "a b", "notebook_task": {"notebook_path": "/x"}}]}, "tasks[0].task_key"),
    ({"tasks": [{"task_key": "k" * 101, "notebook_task": {"notebook_path": "/x"}}]}, "tasks[0].task_key"),
    ({"tasks": [_task("a"), _task("a")]}, "tasks[1].task_key"),
    ({"tasks": [_task("a", "zz")]}, "tasks[0].depends_on[0].task_key"),
    ({"tasks": [_task("a", "b"), _task("b", "a")]}, "cycle"),
    ({"tasks": [{"task_key": "a"}]}, "exactly one task type"),
    ({"tasks": [{**_task("a"), "spark_python_task": {"python_file": "/f.py"}}]}, "exactly one task type"),
    ({"tasks": [{"task_key": "a", "rocket_task": {}}]}, "tasks[0].rocket_task"),
    ({"tasks": [_task(f"t{i}") for i in range(1001)]}, "at most 1000"),
    ({"tasks": "nope"}, "tasks"),
    ({"tasks": [{"task_key": "a", "notebook_task": {"notebook_path": 5}}]}, "notebook_task.notebook_path"),
    ({"tasks": [{"task_key": "a", "notebook_task": {}}]}, "notebook_task.notebook_path"),
    ({"tasks": [{**_task("a"), "run_if": "SOMETIMES"}]}, "tasks[0].run_if"),
    ({"tags": {f"k{i}": "v" for i in range(26)}}, "tags"),
    ({"tags": {"k": 1}}, "tags"),
    ({"max_concurrent_runs": 1001}, "max_concurrent_runs"),
    ({"max_concurrent_runs": "one"}, "max_concurrent_runs"),
    ({"max_concurrent_runs": "1.5"}, "max_concurrent_runs"),
    ({"max_concurrent_runs": True}, "max_concurrent_runs"),
    ({"name": "é" * 2049}, "name"),
    ({"description": "d" * 27701}, "description"),
    ({"parameters": [{"name": "a b", "default": "1"}]}, "parameters[0].name"),
    ({"parameters": [{"name": "a"}]}, "parameters[0].default"),
    ({"environment_variables": [{"environment_variables_key": f"e{i}"} for i in range(11)]}, "environment"),
    ({"webhook_notifications": {"on_failure": [{"id": str(i)} for i in range(4)]}}, "on_failure"),
    ({"schedule": {"quartz_cron_expression": "0 0 * * * ?", "timezone_id": "UTC"}, "continuous": {}}, ""),
    ({"schedule": {"timezone_id": "UTC"}}, "schedule.quartz_cron_expression"),
    ({"schedule": {"quartz_cron_expression": "0 0 * * * ?"}}, "schedule.timezone_id"),
    ({"schedule": {"quartz_cron_expression": "* *", "timezone_id": "UTC"}}, "quartz_cron_expression"),
    ({"schedule": {"quartz_cron_expression": "0 0 * * * ?", "timezone_id": "Mars/Base"}}, "timezone_id"),
    ({"queue": {}}, "queue.enabled"),
    ({"queue": {"enabled": "yes"}}, "queue.enabled"),
    ({"git_source": {"git_url": "u", "git_provider": "svn"}}, "git_source.git_provider"),
    ({"timeout_seconds": -1}, "timeout_seconds"),
    ({"job_clusters": [{"job_cluster_key": "c"}, {"job_cluster_key": "c"}]}, "job_clusters[1]"),
    ({"tasks": [{**_task("a"), "job_cluster_key": "nope"}]}, "tasks[0].job_cluster_key"),
    ({"tasks": [{**_task("a"), "environment_key": "nope"}]}, "tasks[0].environment_key"),
    ({"access_control_list": [{"user_name": "u@x.com", "permission_level": "CAN"}]}, "access_control_list"),
    ({"notebook_task": {"notebook_path": "/x"}}, "notebook_task: the single-task format"),
]


@pytest.mark.parametrize(("settings", "field"), _BAD_SETTINGS)
def test_invalid_settings_are_400s_naming_the_field(
    http: httpx.Client, settings: dict[str, Any], field: str
) -> None:
    status, code, message = _error(http.post("/api/2.2/jobs/create", json={"name": "bad", **settings}))
    assert (status, code) == (400, "INVALID_PARAMETER_VALUE") and field in message


def test_schedule_and_continuous_are_exclusive(http: httpx.Client) -> None:
    schedule = {"quartz_cron_expression": "0 0 * * * ?", "timezone_id": "Europe/Paris"}
    message = _error(http.post("/api/2.2/jobs/create", json={"schedule": schedule, "continuous": {}}))[2]
    assert "only one of schedule and continuous" in message


@pytest.mark.parametrize(
    "body",
    [{"job_id": "x"}, {"job_id": 1, "new_settings": []}, {"job_id": 1, "fields_to_remove": "tags"}],
)
def test_wrong_types_in_update_are_400s(http: httpx.Client, body: dict[str, Any]) -> None:
    assert http.post("/api/2.2/jobs/update", json=body).status_code == 400


def test_malformed_json_is_a_400(http: httpx.Client) -> None:
    headers = {"content-type": "application/json"}
    response = http.post("/api/2.2/jobs/create", content=b"{not json", headers=headers)
    assert _error(response)[:2] == (400, "MALFORMED_REQUEST")


def test_a_refused_access_control_list_creates_no_job(http: httpx.Client) -> None:
    name = f"acl-{uuid.uuid4().hex}"
    acl = [{"group_name": "g", "permission_level": "IS_OWNER"}]
    response = http.post("/api/2.2/jobs/create", json={"name": name, "access_control_list": acl})
    assert response.status_code == 400
    assert http.get("/api/2.2/jobs/list", params={"name": name}).json() == {}



def test_null_fields_mean_unset(http: httpx.Client, tmp_path: Path) -> None:
    """As in proto3 JSON, a `null` field is unset (prefect-databricks 0.4 sends every unset field as null)."""
    script = tmp_path / "ok.py"
    script.write_text("print('ok')\n")
    task = {"task_key": "t", "spark_python_task": {"python_file": str(script), "parameters": None}}
    tasks = [{**task, "notebook_task": None, "depends_on": None}]
    body = {"run_name": "nulls", "tasks": tasks, "git_source": None}
    run_id = http.post("/api/2.1/jobs/runs/submit", json=body).json()["run_id"]
    run = _finished(http, run_id)
    assert run["state"].get("result_state") == "SUCCESS", run["state"]
    assert "notebook_task" not in run["tasks"][0]


def _finished(http: httpx.Client, run_id: int, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        run = http.get("/api/2.1/jobs/runs/get", params={"run_id": run_id}).json()
        done = run["state"]["life_cycle_state"] in ("TERMINATED", "INTERNAL_ERROR")
        if done or time.monotonic() > deadline:
            return run
        time.sleep(0.1)
