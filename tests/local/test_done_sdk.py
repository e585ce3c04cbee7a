"""Issue 4's "done when" list driven through the official databricks-sdk (unmodified, an independent client).

Nothing is mocked: the SDK talks HTTP to the session's local workspace, which runs every task as a
real local process (condition and for-each tasks are evaluated by its scheduler).
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.service import jobs, workspace
from done_jobs import (
    DAG_RESULTS,
    NOTEBOOK,
    OK,
    assert_dead,
    condition_tasks,
    dag_tasks,
    fails_once,
    for_each_task,
    pid_sleeper,
    read_pid,
    reference_task,
    results,
    wheel,
)
from runs_helpers import py_task, script, unique
from sdk_helpers import wait_for_run

from prefect_databricks.local import LocalWorkspace


@pytest.fixture
def sdk(workspace: LocalWorkspace) -> Iterator[WorkspaceClient]:
    """A WorkspaceClient authenticated with the workspace's token."""
    yield WorkspaceClient(host=workspace.host, token=workspace.token)


def _job(sdk: WorkspaceClient, tasks: list[dict[str, Any]], **settings: Any) -> int:
    params = [jobs.JobParameterDefinition.from_dict(p) for p in settings.pop("parameters", [])]
    job_id = sdk.jobs.create(name=unique("sdk-done"), tasks=[jobs.Task.from_dict(t) for t in tasks],
                             parameters=params or None, **settings).job_id
    assert job_id is not None
    return job_id


def _results(run: jobs.Run) -> dict[str, str]:
    return results(run.as_dict())


def test_dag_with_a_failing_task_and_each_run_if(sdk: WorkspaceClient, tmp_path: Path) -> None:
    run = wait_for_run(sdk, sdk.jobs.run_now(_job(sdk, dag_tasks(tmp_path))).run_id)
    assert _results(run) == DAG_RESULTS
    assert run.state.life_cycle_state == jobs.RunLifeCycleState.INTERNAL_ERROR
    assert run.state.result_state == jobs.RunResultState.FAILED
    assert run.status.termination_details.code == jobs.TerminationCodeCode.RUN_EXECUTION_ERROR
    bad = next(t for t in run.tasks if t.task_key == "bad")
    assert sdk.jobs.get_run_output(bad.run_id).error == "RuntimeError: intentional failure"


def test_condition_branch(sdk: WorkspaceClient, tmp_path: Path) -> None:
    job_id = _job(sdk, condition_tasks(tmp_path), parameters=[{"name": "n", "default": "5"}])
    run = sdk.jobs.run_now(job_id, job_parameters={"n": "11"}).result(timeout=timedelta(seconds=30))
    assert _results(run) == {"check": "SUCCESS", "big": "SUCCESS", "small": "EXCLUDED"}
    assert run.tasks[0].condition_task.outcome == "true"


def test_for_each_over_150_inputs_pages_its_iterations(sdk: WorkspaceClient) -> None:
    run = wait_for_run(sdk, sdk.jobs.submit(tasks=[jobs.SubmitTask.from_dict(for_each_task(150))]).run_id)
    assert run.state.result_state == jobs.RunResultState.SUCCESS
    loop = sdk.jobs.get_run(run.tasks[0].run_id)  # the SDK follows next_page_token (100 a page) itself
    assert len(loop.iterations) == 150 and len({i.run_id for i in loop.iterations}) == 150
    assert all(i.state.result_state == jobs.RunResultState.SUCCESS for i in loop.iterations)
    assert loop.tasks[0].for_each_task.stats.task_run_stats.succeeded_iterations == 150


def test_run_job_task(sdk: WorkspaceClient, tmp_path: Path) -> None:
    echo = py_task("echo", script(tmp_path, "import sys\nprint(sys.argv[1])\n"))
    echo["spark_python_task"]["parameters"] = ["{{job.parameters.greeting}}"]
    child_job = _job(sdk, [echo], parameters=[{"name": "greeting", "default": "hi"}])
    call = {"task_key": "call", "run_job_task": {"job_id": child_job, "job_parameters": {"greeting": "yo"}}}
    run = wait_for_run(sdk, sdk.jobs.run_now(_job(sdk, [call])).run_id)
    assert run.state.result_state == jobs.RunResultState.SUCCESS
    child_id = sdk.jobs.get_run_output(run.tasks[0].run_id).run_job_output.run_id
    child = sdk.jobs.get_run(child_id)
    assert child.job_id == child_job and child.trigger == jobs.TriggerType.RUN_JOB_TASK
    assert sdk.jobs.get_run_output(child.tasks[0].run_id).logs == "yo\n"


def test_retries_then_success(sdk: WorkspaceClient, tmp_path: Path) -> None:
    task = py_task("flaky", fails_once(tmp_path), max_retries=1, min_retry_interval_millis=200)
    run = wait_for_run(sdk, sdk.jobs.run_now(_job(sdk, [task])).run_id)
    attempts = [(t.attempt_number, t.state.result_state.value) for t in run.tasks]
    assert attempts == [(0, "FAILED"), (1, "SUCCESS")]
    assert run.state.result_state == jobs.RunResultState.SUCCESS


def test_timeout(sdk: WorkspaceClient, tmp_path: Path) -> None:
    task = py_task("slow", script(tmp_path, "import time\ntime.sleep(30)\n"), timeout_seconds=1)
    run = wait_for_run(sdk, sdk.jobs.run_now(_job(sdk, [task])).run_id, timeout=10)
    assert run.tasks[0].state.result_state == jobs.RunResultState.TIMEDOUT
    assert run.tasks[0].state.user_cancelled_or_timedout is True


def test_cancel_kills_the_sleeping_process(sdk: WorkspaceClient, tmp_path: Path) -> None:
    sleeper, pid_file = pid_sleeper(tmp_path)
    run_id = sdk.jobs.run_now(_job(sdk, [py_task("sleep", sleeper)])).run_id
    pid = read_pid(pid_file)
    run = sdk.jobs.cancel_run(run_id).result(timeout=timedelta(seconds=5))
    assert run.state.result_state == jobs.RunResultState.CANCELED
    assert_dead(pid)


def test_repair_of_only_the_failed_task(sdk: WorkspaceClient, tmp_path: Path) -> None:
    tasks = [py_task("steady", script(tmp_path, OK)), py_task("flaky", fails_once(tmp_path))]
    run_id = sdk.jobs.run_now(_job(sdk, tasks)).run_id
    failed = wait_for_run(sdk, run_id)
    assert _results(failed) == {"steady": "SUCCESS", "flaky": "FAILED"}
    sdk.jobs.repair_run(run_id, rerun_tasks=["flaky"])
    run = wait_for_run(sdk, run_id, include_history=True)
    assert [(t.task_key, t.attempt_number) for t in run.tasks] == [("steady", 0), ("flaky", 0), ("flaky", 1)]
    assert run.state.result_state == jobs.RunResultState.SUCCESS
    assert [h.type for h in run.repair_history] == [jobs.RepairHistoryItemType.ORIGINAL,
                                                   jobs.RepairHistoryItemType.REPAIR]


def test_queueing_with_max_concurrent_runs_1(sdk: WorkspaceClient, tmp_path: Path) -> None:
    task = py_task("main", script(tmp_path, "import time\ntime.sleep(0.5)\n"))
    job_id = _job(sdk, [task], max_concurrent_runs=1, queue=jobs.QueueSettings(enabled=True))
    first, second = sdk.jobs.run_now(job_id), sdk.jobs.run_now(job_id)
    queued = sdk.jobs.get_run(second.run_id)
    assert queued.state.life_cycle_state == jobs.RunLifeCycleState.QUEUED
    assert queued.status.queue_details.code == jobs.QueueDetailsCodeCode.MAX_CONCURRENT_RUNS_REACHED
    done_first, done_second = first.result(), second.result()
    assert done_second.tasks[0].start_time >= done_first.end_time
    assert done_second.state.result_state == jobs.RunResultState.SUCCESS


def test_job_parameters_and_dynamic_references_are_resolved(sdk: WorkspaceClient, tmp_path: Path) -> None:
    job_id = _job(sdk, [reference_task(tmp_path)], parameters=[{"name": "who", "default": "world"}])
    run_id = sdk.jobs.run_now(job_id, job_parameters={"who": "sdk"}).run_id
    run = wait_for_run(sdk, run_id, include_resolved_values=True)
    task_run = run.tasks[0]
    name = sdk.jobs.get(job_id).settings.name
    year = time.gmtime(run.start_time / 1000).tm_year
    expected = ["sdk", str(job_id), name, str(run_id), "echo", str(task_run.run_id), str(year)]
    assert task_run.resolved_values.spark_python_task.parameters == expected
    assert sdk.jobs.get_run_output(task_run.run_id).logs == "|".join(expected) + "\n"
    assert [(p.name, p.value) for p in run.job_parameters] == [("who", "sdk")]


def test_a_notebook_a_python_file_and_a_wheel_built_here(sdk: WorkspaceClient, tmp_path: Path) -> None:
    folder = f"/Users/sdk-tests/{uuid.uuid4().hex[:8]}"
    sdk.workspace.mkdirs(folder)
    sdk.workspace.import_(f"{folder}/greet", content=base64.b64encode(NOTEBOOK).decode(),
                          format=workspace.ImportFormat.SOURCE, language=workspace.Language.PYTHON)
    built = wheel(tmp_path)
    file_task = py_task("file", script(tmp_path, "import sys\nprint('file got', sys.argv[1:])\n"))
    file_task["spark_python_task"]["parameters"] = ["y"]
    tasks = [
        {"task_key": "notebook", "notebook_task": {"notebook_path": f"{folder}/greet",
                                                   "base_parameters": {"who": "the sdk"}}},
        file_task,
        {"task_key": "wheel", "libraries": [{"whl": built.as_uri()}], "python_wheel_task": {
            "package_name": built.name.split("-")[0], "entry_point": "greet",
            "named_parameters": {"k": "v"}}},
    ]
    run = wait_for_run(sdk, sdk.jobs.run_now(_job(sdk, tasks)).run_id)
    assert _results(run) == {"notebook": "SUCCESS", "file": "SUCCESS", "wheel": "SUCCESS"}
    outputs = {t.task_key: sdk.jobs.get_run_output(t.run_id) for t in run.tasks}
    assert outputs["notebook"].notebook_output.result == "notebook says hello to the sdk"
    assert outputs["file"].logs == "file got ['y']\n"
    assert outputs["wheel"].logs == "wheel greets --k=v\n"
