"""2.2 paging: merged jobs/get and runs/get, lazy list iterators, over the local workspace."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from client_helpers import CountingTransport, mock_client

from prefect_databricks.client import DatabricksClient, DatabricksError, PatAuth
from prefect_databricks.client.paging import merge_job_page, merge_run_page, next_page_token
from prefect_databricks.local import LocalWorkspace


def _condition(key: str) -> dict[str, Any]:
    return {"task_key": key, "condition_task": {"op": "EQUAL_TO", "left": "1", "right": "1"}}


def test_next_page_token_missing_or_empty_ends() -> None:
    assert next_page_token({"next_page_token": ""}) is None
    assert next_page_token({"has_more": True}) is None
    assert next_page_token({"next_page_token": "p2"}) == "p2"


def test_merge_job_page_extends_the_four_arrays_and_tolerates_missing_settings() -> None:
    merged = {"settings": {"tasks": [1], "job_clusters": ["c"], "tags": {"a": "b"}}}
    merge_job_page(merged, {"settings": {"tasks": [2], "parameters": ["p"], "environments": ["e"]}})
    merge_job_page(merged, {"job_id": 1})
    assert merged["settings"] == {
        "tasks": [1, 2],
        "job_clusters": ["c"],
        "parameters": ["p"],
        "environments": ["e"],
        "tags": {"a": "b"},
    }


def test_merge_run_page_pages_iterations_of_a_for_each_run() -> None:
    run = {"tasks": ["fe"], "iterations": ["i1"], "repair_history": ["r1"]}
    merge_run_page(
        run, {"tasks": ["fe"], "iterations": ["i2"], "repair_history": ["r2"], "job_parameters": ["p"]}
    )
    assert run == {
        "tasks": ["fe"],
        "iterations": ["i1", "i2"],
        "repair_history": ["r1", "r2"],
        "job_parameters": ["p"],
    }
    plain = {"tasks": ["a"], "job_clusters": []}
    merge_run_page(plain, {"tasks": ["b"], "job_clusters": ["c"]})
    assert plain == {"tasks": ["a", "b"], "job_clusters": ["c"]}


async def test_get_run_follows_pages_over_http() -> None:
    pages = {
        None: {"run_id": 1, "tasks": ["a"], "next_page_token": "p2"},
        "p2": {"run_id": 1, "tasks": ["b"], "job_parameters": ["x"], "next_page_token": "p3"},
        "p3": {"run_id": 1, "tasks": ["c"], "next_page_token": ""},
    }
    async with mock_client(
        lambda r: httpx.Response(200, json=pages[r.url.params.get("page_token")])
    ) as client:
        run = await client.get_run(1, include_history=True)
    assert run == {"run_id": 1, "tasks": ["a", "b", "c"], "job_parameters": ["x"]}


async def test_a_repeated_page_token_is_an_error_not_a_loop() -> None:
    async with mock_client(
        lambda r: httpx.Response(200, json={"tasks": [], "next_page_token": "same"})
    ) as client:
        with pytest.raises(DatabricksError, match="page token 'same' twice"):
            await client.get_run(1)


async def test_job_of_250_tasks_is_merged(client: DatabricksClient) -> None:
    tasks = [_condition(f"t{i:03d}") for i in range(250)]
    job_id = (await client.call("jobs/create", params={"name": "big", "tasks": tasks}))["job_id"]
    job = await client.get_job(job_id)
    assert [t["task_key"] for t in job["settings"]["tasks"]] == [t["task_key"] for t in tasks]
    assert "next_page_token" not in job
    first = await client.get_job(job_id, page_token="")
    assert len(first["settings"]["tasks"]) == 250
    raw_first = await client.call("jobs/get", params={"job_id": job_id})
    page_two = await client.get_job(job_id, page_token=raw_first["next_page_token"])
    assert len(page_two["settings"]["tasks"]) == 100
    assert page_two["settings"]["tasks"][0]["task_key"] == "t100"


async def test_iter_jobs_walks_130_jobs_one_page_at_a_time(workspace: LocalWorkspace) -> None:
    name = f"paging-{uuid.uuid4().hex[:8]}"
    counting = CountingTransport()
    async with DatabricksClient(workspace.host, PatAuth(workspace.token), transport=counting) as client:
        job = {"name": name, "tasks": [_condition("t")]}
        await asyncio.gather(*(client.call("jobs/create", params=job) for _ in range(130)))
        counting.paths.clear()
        jobs = client.iter_jobs(name=name, limit=50)
        seen = [await anext(jobs) for _ in range(50)]
        assert counting.paths == ["/api/2.2/jobs/list"]
        seen += [job async for job in jobs]
    assert len(seen) == 130 and len({j["job_id"] for j in seen}) == 130
    assert len(counting.paths) == 3


async def test_iter_runs_walks_60_runs(client: DatabricksClient) -> None:
    job = {"name": "many-runs", "max_concurrent_runs": 1000, "tasks": [_condition("t")]}
    job_id = (await client.call("jobs/create", params=job))["job_id"]
    await asyncio.gather(*(client.call("jobs/run-now", params={"job_id": job_id}) for _ in range(60)))
    runs = [run async for run in client.iter_runs(job_id=job_id)]
    assert len(runs) == 60 and len({r["run_id"] for r in runs}) == 60
