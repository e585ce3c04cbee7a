"""Attempts and for-each stats, read through the official databricks-sdk (an independent client).

Sources: the Jobs API 2.2 reference (`Run.original_attempt_run_id`: "If this run is a retry of a prior run
attempt, this field contains the run_id of the original attempt"; `ForEachStats.error_message_stats`:
"Sample of 3 most common error messages occurred during the iteration").
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.service import jobs
from runs_helpers import script

from prefect_databricks.local import LocalWorkspace

_ENDED = {jobs.RunLifeCycleState.TERMINATED, jobs.RunLifeCycleState.INTERNAL_ERROR}


@pytest.fixture
def sdk(workspace: LocalWorkspace) -> Iterator[WorkspaceClient]:
    yield WorkspaceClient(host=workspace.host, token=workspace.token)


def _ended(sdk: WorkspaceClient, run_id: int | None) -> jobs.Run:
    """The run once it has ended (the SDK's own waiter raises on a failed run)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        run = sdk.jobs.get_run(run_id)  # type: ignore[arg-type]
        if run.state and run.state.life_cycle_state in _ENDED:
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not end")


def test_a_retry_names_its_first_attempt(sdk: WorkspaceClient, tmp_path: Path) -> None:
    fail = script(tmp_path, "raise SystemExit(1)")
    task = jobs.SubmitTask(task_key="flaky", spark_python_task=jobs.SparkPythonTask(python_file=fail),
                           max_retries=2)
    run = _ended(sdk, sdk.jobs.submit(tasks=[task]).run_id)
    attempts = sorted(run.tasks or [], key=lambda t: t.attempt_number or 0)
    assert [t.attempt_number for t in attempts] == [0, 1, 2]
    first = attempts[0].run_id
    for attempt in attempts:
        as_run = sdk.jobs.get_run(attempt.run_id)  # type: ignore[arg-type]
        assert as_run.original_attempt_run_id == first, attempt.attempt_number


def test_for_each_stats_sample_the_most_common_errors(sdk: WorkspaceClient, tmp_path: Path) -> None:
    code = ("import sys, time\nn = int(sys.argv[1])\n"
            "if n in (1, 2, 5):\n    raise SystemExit(1)\nif n == 3:\n    time.sleep(30)\n")
    path = script(tmp_path, code)
    nested = jobs.Task(task_key="one", timeout_seconds=1, spark_python_task=jobs.SparkPythonTask(
        python_file=path, parameters=["{{input}}"]))
    loop = jobs.SubmitTask(task_key="loop", for_each_task=jobs.ForEachTask(
        inputs="[1, 2, 3, 4, 5]", task=nested, concurrency=5))
    run = _ended(sdk, sdk.jobs.submit(tasks=[loop]).run_id)
    stats = run.tasks[0].for_each_task.stats  # type: ignore[index,union-attr]
    assert stats.task_run_stats.failed_iterations == 4  # type: ignore[union-attr]
    sample = [(s.error_message, s.count) for s in stats.error_message_stats or []]  # type: ignore[union-attr]
    assert sample == [("Workload failed, see run output for details", 3),
                      ("Task timed out after 1 seconds.", 1)]
