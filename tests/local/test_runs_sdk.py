"""The official databricks-sdk, unmodified, drives the runs endpoints as an independent client.

Nothing is mocked: the SDK talks HTTP to the session's local workspace, which runs real processes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import DatabricksError
from databricks.sdk.service import jobs
from runs_helpers import script, unique, wait_run

from prefect_databricks.local import LocalWorkspace


@pytest.fixture
def sdk(workspace: LocalWorkspace) -> Iterator[WorkspaceClient]:
    """A WorkspaceClient authenticated with the workspace's token."""
    yield WorkspaceClient(host=workspace.host, token=workspace.token)


def _python_job(sdk: WorkspaceClient, path: str, **settings: object) -> int:
    task = jobs.Task(task_key="main", spark_python_task=jobs.SparkPythonTask(python_file=path))
    return sdk.jobs.create(name=unique("sdk"), tasks=[task], **settings).job_id  # type: ignore[arg-type,return-value]


def test_run_now_waits_and_get_run_parses(sdk: WorkspaceClient, tmp_path: Path) -> None:
    job_id = _python_job(sdk, script(tmp_path, "print('from sdk')"))
    waiter = sdk.jobs.run_now(job_id, idempotency_token=unique("sdk-token"))
    run = waiter.result(timeout=timedelta(seconds=30))
    assert run.run_id == waiter.run_id and run.job_id == job_id
    assert run.state.life_cycle_state == jobs.RunLifeCycleState.TERMINATED
    assert run.state.result_state == jobs.RunResultState.SUCCESS
    assert run.status.state == jobs.RunLifecycleStateV2State.TERMINATED
    assert run.status.termination_details.code == jobs.TerminationCodeCode.SUCCESS
    assert run.run_type == jobs.RunType.JOB_RUN and run.trigger == jobs.TriggerType.ONE_TIME
    [task] = run.tasks
    assert task.task_key == "main" and task.attempt_number == 0
    output = sdk.jobs.get_run_output(task.run_id)
    assert output.logs == "from sdk\n" and output.metadata.run_id == task.run_id
    assert output.metadata.job_run_id == run.run_id


def test_submit_and_get_run_merge_pages_of_tasks(sdk: WorkspaceClient, http: httpx.Client) -> None:
    tasks = [
        jobs.SubmitTask(task_key=f"t{i:03}", condition_task=jobs.ConditionTask(
            op=jobs.ConditionTaskOp.NOT_EQUAL, left="a", right="b"))
        for i in range(130)
    ]
    run_id = sdk.jobs.submit(tasks=tasks).run_id
    wait_run(http, run_id)
    run = sdk.jobs.get_run(run_id)
    assert run.run_type == jobs.RunType.SUBMIT_RUN and run.run_name == "Untitled"
    assert [t.task_key for t in run.tasks] == [f"t{i:03}" for i in range(130)]
    assert all(t.condition_task.outcome == "true" for t in run.tasks)


def test_list_runs_follows_page_tokens_over_60_runs(sdk: WorkspaceClient, http: httpx.Client) -> None:
    task = jobs.Task(task_key="c", condition_task=jobs.ConditionTask(
        op=jobs.ConditionTaskOp.EQUAL_TO, left="1", right="1"))
    job_id = sdk.jobs.create(name=unique("sdk-list"), tasks=[task], max_concurrent_runs=100).job_id
    ids = [sdk.jobs.run_now(job_id).run_id for _ in range(60)]
    for run_id in ids:
        wait_run(http, run_id)
    listed = list(sdk.jobs.list_runs(job_id=job_id, limit=25))
    assert [r.run_id for r in listed] == ids[::-1]
    assert all(r.state.result_state == jobs.RunResultState.SUCCESS for r in listed)
    pages = http.get("/api/2.2/jobs/runs/list", params={"job_id": job_id, "limit": 25}).json()
    assert len(pages["runs"]) == 25 and pages["next_page_token"]
    assert len(list(sdk.jobs.list_runs(job_id=job_id, completed_only=True, expand_tasks=True))) == 60


def test_cancel_repair_and_delete(sdk: WorkspaceClient, http: httpx.Client, tmp_path: Path) -> None:
    marker = tmp_path / "seen"
    code = (f"import pathlib, time\nm = pathlib.Path({str(marker)!r})\n"
            "if not m.exists():\n    m.write_text('x')\n    time.sleep(60)\nprint('repaired')\n")
    job_id = _python_job(sdk, script(tmp_path, code))
    run_id = sdk.jobs.run_now(job_id).run_id
    _wait_for_marker(marker)
    sdk.jobs.cancel_run(run_id)
    wait_run(http, run_id)
    canceled = sdk.jobs.get_run(run_id)
    assert canceled.state.result_state == jobs.RunResultState.CANCELED
    assert canceled.state.user_cancelled_or_timedout is True
    repair_id = sdk.jobs.repair_run(run_id, rerun_all_failed_tasks=True).response.repair_id
    wait_run(http, run_id)
    repaired = sdk.jobs.get_run(run_id, include_history=True)
    assert repaired.state.result_state == jobs.RunResultState.SUCCESS
    assert [h.type for h in repaired.repair_history] == [jobs.RepairHistoryItemType.ORIGINAL,
                                                        jobs.RepairHistoryItemType.REPAIR]
    assert repaired.repair_history[1].id == repair_id
    assert [t.attempt_number for t in repaired.tasks] == [0, 1]
    assert sdk.jobs.get_run_output(repaired.tasks[1].run_id).logs == "repaired\n"
    sdk.jobs.delete_run(run_id)
    with pytest.raises(DatabricksError, match=f"Run {run_id} does not exist"):
        sdk.jobs.get_run(run_id)


def _wait_for_marker(marker: Path) -> None:
    deadline = time.monotonic() + 10
    while not marker.exists():
        assert time.monotonic() < deadline, "the task never started"
        time.sleep(0.05)


def test_get_run_of_a_for_each_task_run_merges_iterations(
    sdk: WorkspaceClient, http: httpx.Client, tmp_path: Path
) -> None:
    nested = jobs.Task(task_key="item", spark_python_task=jobs.SparkPythonTask(
        python_file=script(tmp_path, "pass\n")))
    loop = jobs.SubmitTask(task_key="loop", for_each_task=jobs.ForEachTask(
        inputs=json.dumps(list(range(105))), concurrency=8, task=nested))
    run = wait_run(http, sdk.jobs.submit(tasks=[loop]).run_id, timeout=60)
    task_run = sdk.jobs.get_run(run["tasks"][0]["run_id"])
    assert len(task_run.iterations) == 105 and [t.task_key for t in task_run.tasks] == ["loop"]
    assert all(i.state.result_state == jobs.RunResultState.SUCCESS for i in task_run.iterations)
    stats = task_run.tasks[0].for_each_task.stats.task_run_stats
    assert stats.succeeded_iterations == stats.total_iterations == 105
