"""Tasks on saved jobs and permissions, over real HTTP against the local workspace."""

from __future__ import annotations

import asyncio
import logging
import uuid

import httpx
import pytest
from task_helpers import RecordingTransport

from prefect_databricks.client.errors import ResourceDoesNotExist
from prefect_databricks.credentials import DatabricksCredentials
from prefect_databricks.jobs import (
    ajobs_create,
    ajobs_get,
    ajobs_list_all,
    jobs_create,
    jobs_delete,
    jobs_get,
    jobs_list,
    jobs_list_all,
    jobs_permissions_get,
    jobs_permissions_levels,
    jobs_permissions_set,
    jobs_permissions_update,
    jobs_reset,
    jobs_update,
)
from prefect_databricks.models import DbtTask, JobSettings, QueueSettings, Task

_CONDITION = {"op": "EQUAL_TO", "left": "1", "right": "1"}


def _condition_task(key: str, **more: object) -> dict[str, object]:
    return {"task_key": key, "condition_task": _CONDITION, **more}


def _name() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def test_create_get_update_reset_delete(creds: DatabricksCredentials) -> None:
    name = _name()
    created = jobs_create.fn(
        creds,
        name,
        {"team": "data"},
        [
            _condition_task("a"),
            Task(task_key="b", depends_on=[{"task_key": "a"}], condition_task=_CONDITION),
        ],
        max_concurrent_runs=3,
        queue=QueueSettings(enabled=False),
        description="made by a test",
    )
    job_id = created["job_id"]
    job = jobs_get.fn(job_id, creds)
    settings = job["settings"]
    assert settings["name"] == name
    assert settings["tags"] == {"team": "data"}
    assert [t["task_key"] for t in settings["tasks"]] == ["a", "b"]
    assert settings["tasks"][1]["depends_on"] == [{"task_key": "a"}]
    assert settings["queue"] == {"enabled": False}

    assert jobs_update.fn(creds, job_id, JobSettings(description="updated")) == {}
    assert jobs_get.fn(job_id, creds)["settings"]["description"] == "updated"
    assert jobs_update.fn(creds, job_id, fields_to_remove=["description"]) == {}
    assert "description" not in jobs_get.fn(job_id, creds)["settings"]

    new_settings = {"name": f"{name}-reset", "tasks": [_condition_task("only")]}
    assert jobs_reset.fn(creds, job_id, new_settings) == {}
    after = jobs_get.fn(job_id, creds)["settings"]
    assert after["name"] == f"{name}-reset"
    assert [t["task_key"] for t in after["tasks"]] == ["only"]

    assert jobs_delete.fn(creds, job_id) == {}
    with pytest.raises(ResourceDoesNotExist):
        jobs_get.fn(job_id, creds)


def test_only_given_fields_are_sent(
    recorded_creds: DatabricksCredentials, recorder: RecordingTransport
) -> None:
    """0.4 sent `limit=20&offset=0&expand_tasks=false` and a null for every unset field."""
    page = jobs_list.fn(recorded_creds)
    assert "jobs" in page or page == {} or "has_more" in page
    assert recorder.requests[-1].url.query == b""
    jobs_create.fn(recorded_creds, tasks=[Task(task_key="t", condition_task=_CONDITION)])
    assert recorder.bodies()[-1] == {"tasks": [{"task_key": "t", "condition_task": _CONDITION}]}


def test_schema_is_sent_and_stored_under_its_wire_name(
    recorded_creds: DatabricksCredentials, recorder: RecordingTransport
) -> None:
    dbt = DbtTask(commands=["dbt run"], schema="analytics", warehouse_id="w1")
    created = jobs_create.fn(recorded_creds, _name(), tasks=[Task(task_key="dbt", dbt_task=dbt)])
    sent = recorder.bodies()[-1]["tasks"][0]["dbt_task"]
    assert sent["schema"] == "analytics"
    assert "schema_" not in sent
    stored = jobs_get.fn(created["job_id"], recorded_creds)["settings"]["tasks"][0]["dbt_task"]
    assert stored["schema"] == "analytics"


def test_fields_the_api_adds_later_pass_through(
    recorded_creds: DatabricksCredentials, recorder: RecordingTransport
) -> None:
    task = Task(task_key="t", condition_task=_CONDITION, brand_new_task_field={"x": 1})
    jobs_create.fn(recorded_creds, _name(), tasks=[task], brand_new_job_field="v")
    body = recorder.bodies()[-1]
    assert body["brand_new_job_field"] == "v"
    assert body["tasks"][0]["brand_new_task_field"] == {"x": 1}


def test_get_merges_a_250_task_job_across_three_pages(
    recorded_creds: DatabricksCredentials, recorder: RecordingTransport
) -> None:
    tasks = [_condition_task(f"t{i:03d}") for i in range(250)]
    job_id = jobs_create.fn(recorded_creds, _name(), tasks=tasks)["job_id"]
    before = len(recorder.requests)
    job = jobs_get.fn(job_id, recorded_creds)
    assert [t["task_key"] for t in job["settings"]["tasks"]] == [t["task_key"] for t in tasks]
    assert "next_page_token" not in job
    assert len(recorder.requests) - before == 3


def test_get_with_a_page_token_returns_only_that_page(
    creds: DatabricksCredentials, http: httpx.Client
) -> None:
    tasks = [_condition_task(f"t{i:03d}") for i in range(150)]
    job_id = jobs_create.fn(creds, _name(), tasks=tasks)["job_id"]
    token = http.get("/api/2.2/jobs/get", params={"job_id": job_id}).json()["next_page_token"]
    page = jobs_get.fn(job_id, creds, page_token=token)
    assert [t["task_key"] for t in page["settings"]["tasks"]] == [f"t{i}" for i in range(100, 150)]


async def test_list_one_page_and_list_all_130_jobs(
    recorded_creds: DatabricksCredentials, recorder: RecordingTransport
) -> None:
    name = _name()
    created = await asyncio.gather(*(ajobs_create.fn(recorded_creds, name) for _ in range(130)))
    ids = {job["job_id"] for job in created}
    page = await jobs_list.fn(recorded_creds, 100, name=name)
    assert len(page["jobs"]) == 100
    assert page["next_page_token"]
    second = await jobs_list.fn(recorded_creds, name=name, limit=100, page_token=page["next_page_token"])
    assert {j["job_id"] for j in page["jobs"] + second["jobs"]} == ids

    before = len(recorder.requests)
    everything = await jobs_list_all.fn(recorded_creds, limit=50, name=name)
    assert {j["job_id"] for j in everything} == ids
    assert len(everything) == 130
    assert len(recorder.requests) - before == 3


async def test_async_variants_without_a_flow(creds: DatabricksCredentials) -> None:
    name = _name()
    job_id = (await ajobs_create.fn(creds, name, tasks=[_condition_task("a")]))["job_id"]
    assert (await ajobs_get.fn(job_id, creds))["settings"]["name"] == name
    assert [j["job_id"] for j in await ajobs_list_all.fn(creds, name=name)] == [job_id]
    assert (await jobs_get.fn(job_id, creds))["job_id"] == job_id  # `.fn` awaits in async code


def test_permissions_get_set_update_levels(creds: DatabricksCredentials) -> None:
    job_id = jobs_create.fn(creds, _name())["job_id"]
    levels = jobs_permissions_levels.fn(creds, job_id)
    assert {"CAN_VIEW", "CAN_MANAGE_RUN", "CAN_MANAGE", "IS_OWNER"} <= {
        level["permission_level"] for level in levels["permission_levels"]
    }
    from prefect_databricks.models.jobs import AccessControlRequestForUser

    viewer = AccessControlRequestForUser(user_name="viewer@example.com", permission_level="CAN_VIEW")
    after_set = jobs_permissions_set.fn(creds, job_id, [viewer])
    assert _level(after_set, "viewer@example.com") == "CAN_VIEW"
    runner = {"group_name": "runners", "permission_level": "CAN_MANAGE_RUN"}
    after_update = jobs_permissions_update.fn(creds, job_id, [runner])
    assert _level(after_update, "runners") == "CAN_MANAGE_RUN"
    assert _level(after_update, "viewer@example.com") == "CAN_VIEW"
    read = jobs_permissions_get.fn(creds, job_id)
    assert read["object_id"] == f"/jobs/{job_id}"
    assert _level(read, "runners") == "CAN_MANAGE_RUN"


def _level(permissions: dict, principal: str) -> str | None:
    for entry in permissions.get("access_control_list", []):
        if principal in (entry.get("user_name"), entry.get("group_name")):
            return entry["all_permissions"][0]["permission_level"]
    return None


def test_errors_and_logs_never_show_the_token(
    creds: DatabricksCredentials, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = creds.token.get_secret_value()
    with pytest.raises(ResourceDoesNotExist) as caught:
        jobs_get.fn(1, creds)
    assert "jobs/get" in str(caught.value)
    assert token not in str(caught.value)
    assert token not in repr(caught.value)
    assert token not in caplog.text
