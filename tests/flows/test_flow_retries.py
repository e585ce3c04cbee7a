"""Retries that repair: a retried parent or waiting flow re-attaches to its run and repairs the failed tasks.

`flaky.py` fails until its marker file exists (it creates it when failing), so a repair re-runs it and
it succeeds. Databricks documents `runs/repair` with `rerun_all_failed_tasks`, `rerun_dependent_tasks`
and `latest_repair_id`, and `repair_history` on `runs/get?include_history=true`
(docs.databricks.com/api/workspace/jobs/repairrun, /getrun).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from flow_helpers import py_task
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
from prefect.context import get_run_context

from prefect_databricks import DatabricksCredentials
from prefect_databricks.flows import DatabricksRunFailed, jobs_runs_submit_and_wait_for_completion

pytestmark = pytest.mark.usefixtures("prefect_harness")


async def _runs_named(creds: DatabricksCredentials, name: str) -> list[dict[str, Any]]:
    client = creds.get_jobs_client()
    found = [r async for r in client.iter_runs(run_type="SUBMIT_RUN") if r.get("run_name") == name]
    return [await client.get_run(r["run_id"], include_history=True) for r in found]


def _repairs(run: dict[str, Any]) -> int:
    return sum(1 for item in run.get("repair_history") or () if item.get("type") == "REPAIR")


async def _assert_one_repaired_success(creds: DatabricksCredentials, name: str) -> None:
    runs = await _runs_named(creds, name)
    assert len(runs) == 1, [r["run_id"] for r in runs]
    assert runs[0]["state"]["result_state"] == "SUCCESS", runs[0]["state"]
    assert _repairs(runs[0]) == 1, runs[0].get("repair_history")


def test_parent_retry_repairs_the_run_its_first_attempt_started(
    creds: DatabricksCredentials, scripts: Path, tmp_path: Path
) -> None:
    """A sync parent with `retries=1`: attempt 2 (a new sub-flow run, same key) repairs the failed run."""
    name = f"parent-retry-{uuid.uuid4().hex[:8]}"
    tasks = [py_task("flaky", scripts / "flaky.py", tmp_path / "marker")]

    @flow(retries=1, retry_delay_seconds=0)
    def parent() -> dict[str, Any]:
        return jobs_runs_submit_and_wait_for_completion(creds, tasks, run_name=name, poll_frequency_seconds=1)

    assert parent() == {"flaky": {}}
    asyncio.run(_assert_one_repaired_success(creds, name))


async def test_own_retry_repairs_the_run_instead_of_failing_again(
    creds: DatabricksCredentials, scripts: Path, tmp_path: Path
) -> None:
    name = f"own-retry-{uuid.uuid4().hex[:8]}"
    tasks = [py_task("flaky", scripts / "flaky.py", tmp_path / "marker")]
    retried = jobs_runs_submit_and_wait_for_completion.with_options(retries=1, retry_delay_seconds=0)
    await retried(creds, tasks, run_name=name, poll_frequency_seconds=1)
    await _assert_one_repaired_success(creds, name)


async def test_max_repairs_repairs_in_place_and_zero_raises(
    creds: DatabricksCredentials, scripts: Path, tmp_path: Path
) -> None:
    name = f"max-repairs-{uuid.uuid4().hex[:8]}"
    tasks = [py_task("flaky", scripts / "flaky.py", tmp_path / "marker")]
    await jobs_runs_submit_and_wait_for_completion(
        creds, tasks, run_name=name, poll_frequency_seconds=1, max_repairs=1
    )
    await _assert_one_repaired_success(creds, name)
    with pytest.raises(DatabricksRunFailed):
        await jobs_runs_submit_and_wait_for_completion(
            creds, [py_task("f", scripts / "fail.py")], poll_frequency_seconds=1
        )


async def test_artifacts_are_keyed_and_on_the_callers_flow_run(
    creds: DatabricksCredentials, scripts: Path
) -> None:
    """The link (from the start) and the table (each task's output too) sit on the user's flow run, keyed."""

    @flow
    async def user_flow() -> tuple[str, int]:
        _, run = await jobs_runs_submit_and_wait_for_completion(
            creds, [py_task("a", scripts / "ok.py", 0)], poll_frequency_seconds=1, return_metadata=True
        )
        return str(get_run_context().flow_run.id), run["run_id"]  # type: ignore[union-attr]

    flow_run_id, run_id = await user_flow()
    async with get_client() as client:
        mine = ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[uuid.UUID(flow_run_id)]))
        artifacts = {a.key: a for a in await client.read_artifacts(artifact_filter=mine)}
    link, table = artifacts[f"databricks-run-{run_id}"], artifacts[f"databricks-run-{run_id}-tasks"]
    assert f"run/{run_id}" in str(link.data)
    rows = json.loads(str(table.data))
    assert rows[0]["task_key"] == "a" and "ok 0" in rows[0]["output"], rows
