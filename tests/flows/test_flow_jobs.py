"""Run-now by id or name, repair, waiting on a run started elsewhere, sync callers, and artifacts."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest
from flow_helpers import py_task
from prefect import flow
from prefect.client.orchestration import get_client

from prefect_databricks import DatabricksCredentials
from prefect_databricks.client.errors import ClientValidationError
from prefect_databricks.flows import (
    DatabricksRunFailed,
    jobs_run_now_and_wait,
    jobs_runs_repair_and_wait,
    jobs_runs_submit_and_wait_for_completion,
    jobs_runs_submit_by_id_and_wait_for_completion,
    wait_for_run,
)
from prefect_databricks.waiting.start import derive_token

pytestmark = pytest.mark.usefixtures("prefect_harness")

_FLAKY = """
import pathlib, sys
marker = pathlib.Path(sys.argv[1])
if not marker.exists():
    marker.write_text("failed once")
    raise RuntimeError("first attempt fails")
print("second attempt works")
"""


async def _create_job(creds: DatabricksCredentials, name: str, tasks: list[dict[str, Any]]) -> int:
    response = await creds.get_jobs_client().call("jobs/create", params={"name": name, "tasks": tasks})
    return int(response["job_id"])


async def test_run_now_by_id_and_by_exact_name(creds: DatabricksCredentials, scripts: Path) -> None:
    name = f"nightly-{uuid.uuid4().hex[:6]}"
    job_id = await _create_job(creds, name, [py_task("t", scripts / "ok.py")])
    outputs, run = await jobs_run_now_and_wait(
        creds, job_name=name, poll_frequency_seconds=1, return_metadata=True
    )
    assert run["job_id"] == job_id and outputs == {"t": {}}
    again = await jobs_run_now_and_wait(creds, job_id=job_id, poll_frequency_seconds=1)
    assert again == {"t": {}}


async def test_run_now_by_name_needs_exactly_one_job(creds: DatabricksCredentials, scripts: Path) -> None:
    name = f"twin-{uuid.uuid4().hex[:6]}"
    with pytest.raises(ClientValidationError, match="no job"):
        await jobs_run_now_and_wait(creds, job_name=name)
    ids = [await _create_job(creds, name, [py_task("t", scripts / "ok.py")]) for _ in range(2)]
    with pytest.raises(ClientValidationError, match=str(ids[0])):
        await jobs_run_now_and_wait(creds, job_name=name)


async def test_legacy_submit_by_id_flow(creds: DatabricksCredentials, scripts: Path) -> None:
    job_id = await _create_job(creds, "legacy-by-id", [py_task("t", scripts / "ok.py")])
    handled: list[dict[str, Any]] = []

    async def handler(response: dict[str, Any]) -> None:
        handled.append(response)

    outputs = await jobs_runs_submit_by_id_and_wait_for_completion(
        creds, job_id, python_params=["0"], poll_frequency_seconds=1, job_submission_handler=handler
    )
    assert outputs == {"t": {}}
    assert handled and "run_id" in handled[0]


async def test_repair_reruns_the_failed_task(
    creds: DatabricksCredentials, scripts: Path, tmp_path: Path
) -> None:
    flaky = tmp_path / "flaky.py"
    flaky.write_text(_FLAKY)
    tasks = [py_task("stable", scripts / "ok.py"), py_task("flaky", flaky, tmp_path / "marker")]
    job_id = await _create_job(creds, "repairable", tasks)
    with pytest.raises(DatabricksRunFailed, match="first attempt fails") as caught:
        await jobs_run_now_and_wait(creds, job_id=job_id, poll_frequency_seconds=1)
    outputs, run = await jobs_runs_repair_and_wait(
        creds, caught.value.run_id, poll_frequency_seconds=1, return_metadata=True
    )
    assert run["state"]["result_state"] == "SUCCESS"
    attempts = [task for task in run["tasks"] if task["task_key"] == "flaky"]
    assert len(attempts) == 2
    assert "second attempt works" in max(attempts, key=lambda t: t["attempt_number"])["output"]["logs"]
    assert set(outputs) == {"stable", "flaky"}


async def test_wait_for_a_run_started_elsewhere(creds: DatabricksCredentials, scripts: Path) -> None:
    started = await creds.get_jobs_client().call(
        "jobs/runs/submit", params={"run_name": "elsewhere", "tasks": [py_task("e", scripts / "ok.py", 0.5)]}
    )
    assert await wait_for_run(creds, started["run_id"], poll_frequency_seconds=1) == {"e": {}}


def test_called_from_a_sync_flow_it_runs_synchronously(creds: DatabricksCredentials, scripts: Path) -> None:
    """Prefect hands a sync parent an un-awaitable coroutine for an async subflow; these flows run instead."""

    @flow
    def parent() -> Any:
        result = jobs_runs_submit_and_wait_for_completion(
            creds, [py_task("s", scripts / "ok.py")], run_name="from-sync", poll_frequency_seconds=1
        )
        assert isinstance(result, dict), type(result)
        return result

    assert parent() == {"s": {}}


async def test_artifacts_link_to_the_run_and_table_its_tasks(
    creds: DatabricksCredentials, scripts: Path
) -> None:
    name = f"artifacts-{uuid.uuid4().hex[:6]}"
    _, run = await jobs_runs_submit_and_wait_for_completion(
        creds,
        [py_task("a", scripts / "ok.py")],
        run_name=name,
        poll_frequency_seconds=1,
        return_metadata=True,
    )
    async with get_client() as client:
        artifacts = await client.read_artifacts()
    mine = [a for a in artifacts if a.description and str(run["run_id"]) in a.description]
    assert any(run["run_page_url"] in str(a.data) for a in mine)
    tables = [a for a in mine if a.type == "table"]
    assert tables and "task_key" in str(tables[0].data) and "attempts" in str(tables[0].data)


def test_idempotency_tokens_follow_the_caller_and_the_call() -> None:
    """Tokens come from the calling flow run and the call's position: two calls differ, a given token wins.

    The token of a flow run's own wait is the same in every attempt; outside a flow the client makes one.
    """
    from prefect_databricks.waiting.owner import bind, claim

    async def token() -> str | None:
        return derive_token("runs/submit", None)

    @flow
    async def tokens() -> list[str | None]:
        first = await bind(claim("w"), token())
        second = await bind(claim("w"), token())
        return [first, second, await token(), derive_token("x", "mine")]

    first, second, own, given = asyncio.run(tokens())
    assert first and second and own and first != second != own and len(first) <= 64
    assert given == "mine"
    assert derive_token("runs/submit", None) is None
