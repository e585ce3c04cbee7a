"""`prefect_databricks.rest`: 0.4's generic REST helper, against a real local workspace.

0.4's documented example (its `execute_endpoint` docstring) lists jobs with
`execute_endpoint("/2.1/jobs/list", creds, params={"limit": 5, "offset": None, "expand_tasks": True})`
in a sync flow and reads `response.json()`; the response statuses are the Jobs API's
(jobs-api-2.2.md: an unknown job_id is 400 INVALID_PARAMETER_VALUE).
"""

from __future__ import annotations

import inspect

import httpx
import pytest
from prefect import flow
from task_helpers import RecordingTransport

from prefect_databricks import DatabricksCredentials
from prefect_databricks.models.jobs import JobTaskSettings, NotebookTask
from prefect_databricks.rest import HTTPMethod, execute_endpoint, serialize_model, strip_kwargs


def test_the_0_4_signature() -> None:
    names = list(inspect.signature(execute_endpoint.fn).parameters)
    assert names == ["endpoint", "databricks_credentials", "http_method", "params", "json", "kwargs"]
    assert [m.value for m in HTTPMethod] == ["get", "post", "put", "delete", "patch"]


@pytest.mark.usefixtures("prefect_harness")
def test_the_0_4_documented_call_in_a_sync_flow(
    recorded_creds: DatabricksCredentials, recorder: RecordingTransport
) -> None:
    @flow
    def example_execute_endpoint_flow() -> dict[str, object]:
        params = {"limit": 5, "offset": None, "expand_tasks": True}
        response = execute_endpoint("/2.1/jobs/list", recorded_creds, params=params)
        assert isinstance(response, httpx.Response)
        return response.json()

    body = example_execute_endpoint_flow()
    assert isinstance(body.get("jobs", []), list)
    sent = recorder.requests[-1]
    assert sent.url.path == "/api/2.1/jobs/list"
    assert dict(sent.url.params) == {"limit": "5", "expand_tasks": "true"}


async def test_post_with_models_and_an_error_status_is_returned(
    recorded_creds: DatabricksCredentials, recorder: RecordingTransport
) -> None:
    task = JobTaskSettings(task_key="t", notebook_task=NotebookTask(notebook_path="/n"))
    created = await execute_endpoint.fn(
        "/2.2/jobs/create", recorded_creds, HTTPMethod.POST,
        json={"name": "rest", "tasks": [task], "tags": None},
    )
    assert created.status_code == 200
    sent_task = {"task_key": "t", "notebook_task": {"notebook_path": "/n"}}
    assert recorder.bodies()[-1] == {"name": "rest", "tasks": [sent_task]}
    job_id = created.json()["job_id"]
    missing = await execute_endpoint.fn("2.2/jobs/get", recorded_creds, params={"job_id": job_id + 10**6})
    assert missing.status_code == 400 and missing.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    deleted = await execute_endpoint.fn("/2.2/jobs/delete", recorded_creds, "post", json={"job_id": job_id})
    assert deleted.status_code == 200
    assert recorder.requests[-1].headers["Authorization"].startswith("Bearer ")


def test_strip_kwargs_and_serialize_model() -> None:
    assert strip_kwargs(a=None, b={"c": None, "d": 1}, e=[1, None]) == {"b": {"d": 1}, "e": [1, None]}
    serialized = serialize_model([NotebookTask(notebook_path="/n"), HTTPMethod.GET])
    assert serialized == [{"notebook_path": "/n"}, "get"]
