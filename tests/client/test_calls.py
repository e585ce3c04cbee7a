"""Every endpoint of the table called once through `DatabricksClient.call` over real HTTP."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from prefect_databricks.client import DatabricksClient, InvalidParameterValue, ResourceDoesNotExist


def _job(name: str) -> dict[str, Any]:
    task = {"task_key": "c", "condition_task": {"op": "EQUAL_TO", "left": "1", "right": "1"}}
    return {"name": name, "max_concurrent_runs": 10, "tasks": [task]}


async def _wait_terminal(client: DatabricksClient, run_id: int, timeout: float = 30) -> dict[str, Any]:
    """Poll runs/get until the run is terminal; fail with the last state seen."""
    deadline = time.monotonic() + timeout
    run: dict[str, Any] = {}
    while time.monotonic() < deadline:
        run = await client.get_run(run_id)
        if run.get("state", {}).get("life_cycle_state") in ("TERMINATED", "SKIPPED", "INTERNAL_ERROR"):
            return run
        await asyncio.sleep(0.1)
    pytest.fail(f"run {run_id} not terminal after {timeout} s; last state {run.get('state')}")


async def test_jobs_endpoints(client: DatabricksClient) -> None:
    job_id = (await client.call("jobs/create", params=_job("calls")))["job_id"]
    assert (await client.call("jobs/get", params={"job_id": job_id}))["settings"]["name"] == "calls"
    assert "jobs" in await client.call("jobs/list", params={"name": "calls"})
    assert (
        await client.call("jobs/update", params={"job_id": job_id, "new_settings": {"name": "calls2"}}) == {}
    )
    assert await client.call("jobs/reset", params={"job_id": job_id, "new_settings": _job("calls3")}) == {}
    assert (await client.get_job(job_id))["settings"]["name"] == "calls3"
    assert await client.call("jobs/delete", params={"job_id": job_id}) == {}
    with pytest.raises(ResourceDoesNotExist, match=f"GET jobs/get \\(job_id={job_id}\\)"):
        await client.call("jobs/get", params={"job_id": job_id})


async def test_runs_endpoints(client: DatabricksClient) -> None:
    job_id = (await client.call("jobs/create", params=_job("runs")))["job_id"]
    run_id = (await client.call("jobs/run-now", params={"job_id": job_id}))["run_id"]
    run = await _wait_terminal(client, run_id)
    task_run_id = run["tasks"][0]["run_id"]
    with pytest.raises(InvalidParameterValue):
        await client.call("jobs/runs/get-output", params={"run_id": run_id})
    assert "metadata" in await client.call("jobs/runs/get-output", params={"run_id": task_run_id})
    assert isinstance(await client.call("jobs/runs/export", params={"run_id": task_run_id}), dict)
    assert "repair_id" in await client.call(
        "jobs/runs/repair", params={"run_id": run_id, "rerun_tasks": ["c"]}
    )
    runs = await client.call("jobs/runs/list", params={"job_id": job_id})
    assert run_id in [r["run_id"] for r in runs["runs"]]
    submitted = await client.call("jobs/runs/submit", params={"run_name": "s", "tasks": _job("s")["tasks"]})
    assert await client.call("jobs/runs/cancel", params={"run_id": submitted["run_id"]}) == {}
    assert await client.call("jobs/runs/cancel-all", params={"job_id": job_id}) == {}
    await _wait_terminal(client, submitted["run_id"])
    assert await client.call("jobs/runs/delete", params={"run_id": submitted["run_id"]}) == {}


async def test_same_idempotency_token_gives_the_same_run(client: DatabricksClient) -> None:
    job_id = (await client.call("jobs/create", params=_job("idem")))["job_id"]
    first = await client.call("jobs/run-now", params={"job_id": job_id, "idempotency_token": "tok-calls-1"})
    again = await client.call("jobs/run-now", params={"job_id": job_id, "idempotency_token": "tok-calls-1"})
    assert first["run_id"] == again["run_id"]


async def test_permissions_endpoints(client: DatabricksClient) -> None:
    job_id = (await client.call("jobs/create", params=_job("perms")))["job_id"]
    path = {"job_id": job_id}
    acl = [{"user_name": "someone@example.com", "permission_level": "CAN_VIEW"}]
    assert "access_control_list" in await client.call("permissions/jobs/get", path=path)
    assert "access_control_list" in await client.call(
        "permissions/jobs/set", path=path, params={"access_control_list": acl}
    )
    assert "access_control_list" in await client.call(
        "permissions/jobs/update", path=path, params={"access_control_list": acl}
    )
    levels = await client.call("permissions/jobs/levels", path=path)
    assert levels["permission_levels"]


async def test_old_api_version_paths(client: DatabricksClient) -> None:
    async with DatabricksClient(client.host, client.auth, api_version="2.1") as old:
        job_id = (await old.call("jobs/create", params=_job("v21")))["job_id"]
        assert (await old.call("jobs/get", params={"job_id": job_id}))["job_id"] == job_id
