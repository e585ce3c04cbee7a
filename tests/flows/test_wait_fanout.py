"""`wait_for_runs`, the light fan-out: many runs followed in one flow run, on the real Prefect test server."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from flow_helpers import eventually, py_task
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    FlowRunFilter,
    FlowRunFilterParentFlowRunId,
)
from prefect.context import get_run_context

from prefect_databricks import DatabricksCredentials
from prefect_databricks.flows import DatabricksRunFailed, wait_for_runs
from prefect_databricks.waiting.outcome import Outcome, classify, is_terminal

pytestmark = pytest.mark.usefixtures("prefect_harness")


async def _submit(creds: DatabricksCredentials, *tasks: dict[str, Any]) -> list[int]:
    jobs = creds.get_jobs_client()
    return [(await jobs.call("jobs/runs/submit", params={"tasks": [t]}))["run_id"] for t in tasks]


async def test_one_flow_run_follows_every_run_and_records_them_on_the_caller(
    creds: DatabricksCredentials, scripts: Path
) -> None:
    """Five runs, one sub-flow run: results in order, every run labelled and linked on the user's flow run."""
    run_ids = await _submit(creds, *(py_task(f"t{i}", scripts / "ok.py", 1) for i in range(5)))
    seen: dict[str, Any] = {}

    @flow
    async def parent() -> list[Any]:
        seen["id"] = get_run_context().flow_run.id  # type: ignore[union-attr]
        return await wait_for_runs(creds, run_ids, poll_frequency_seconds=1, return_metadata=True)

    results = await parent()
    assert [run["run_id"] for _, run in results] == run_ids
    assert {run["state"]["result_state"] for _, run in results} == {"SUCCESS"}
    async with get_client() as client:
        children = FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[seen["id"]]))
        assert len(await client.read_flow_runs(flow_run_filter=children)) == 1
        labels = (await client.read_flow_run(seen["id"])).labels
        assert {f"prefect-databricks.run.{r}" for r in run_ids} <= set(labels)
        mine = ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[seen["id"]]))
        keys = {artifact.key for artifact in await client.read_artifacts(artifact_filter=mine)}
    assert {f"databricks-run-{r}" for r in run_ids} <= keys


async def test_a_failed_run_raises_once_every_run_ended(creds: DatabricksCredentials, scripts: Path) -> None:
    """A failure does not cancel the other waits: the slower run still ends SUCCESS, then it raises."""
    failing, slow = await _submit(
        creds, py_task("bad", scripts / "fail.py", "fan"), py_task("s", scripts / "ok.py", 3)
    )

    @flow
    async def parent() -> None:
        await wait_for_runs(creds, [failing, slow], poll_frequency_seconds=1)

    with pytest.raises(DatabricksRunFailed) as caught:
        await parent()
    assert caught.value.run_id == failing
    assert classify(await creds.get_jobs_client().get_run(slow)) is Outcome.SUCCESS


async def test_cancelling_the_fan_out_cancels_every_run(creds: DatabricksCredentials, scripts: Path) -> None:
    """An abandoned fan-out (here an asyncio timeout in the caller) cancels each of its runs."""
    run_ids = await _submit(creds, *(py_task(f"s{i}", scripts / "ok.py", 600) for i in range(3)))

    @flow
    async def parent() -> None:
        await asyncio.wait_for(wait_for_runs(creds, run_ids, poll_frequency_seconds=10), 3)

    with pytest.raises(asyncio.TimeoutError):
        await parent()
    client = creds.get_jobs_client()

    async def ended() -> list[dict[str, Any]]:
        runs = [await client.get_run(r) for r in run_ids]
        return runs if all(is_terminal(run) for run in runs) else []

    runs = await eventually(ended, "every run to end", timeout=10)
    assert {classify(run) for run in runs} == {Outcome.CANCELED}



async def test_a_sync_parent_gets_the_results_directly(creds: DatabricksCredentials, scripts: Path) -> None:
    """In a sync flow (the README's `nightly()` shape) the fan-out runs to completion, as every wait does."""
    run_ids = await _submit(creds, py_task("a", scripts / "ok.py"), py_task("b", scripts / "ok.py"))

    @flow
    def nightly() -> list[Any]:
        return wait_for_runs(creds, run_ids, poll_frequency_seconds=1)  # type: ignore[no-any-return]

    assert await asyncio.to_thread(nightly) == [{"a": {}}, {"b": {}}]
