"""Disabled tasks and their dependents, driven by the official databricks-sdk (an independent client).

Expected results are Databricks' table in "Disabled tasks in Lakeflow Jobs" (docs.databricks.com/jobs/
disabled-tasks): a disabled task ends DISABLED; a dependent whose `run_if` cannot be met because of a
disabled parent is disabled for that run; ALL_DONE counts a disabled parent as done; a disabled parent is
neither a success nor a failure for the other conditions.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.service import jobs
from runs_helpers import script, unique

from prefect_databricks.local import LocalWorkspace


@pytest.fixture
def sdk(workspace: LocalWorkspace) -> Iterator[WorkspaceClient]:
    yield WorkspaceClient(host=workspace.host, token=workspace.token)


def _task(key: str, path: str, *parents: str, run_if: jobs.RunIf | None = None,
          disabled: bool = False) -> jobs.Task:
    return jobs.Task(
        task_key=key, spark_python_task=jobs.SparkPythonTask(python_file=path), disabled=disabled or None,
        depends_on=[jobs.TaskDependency(task_key=p) for p in parents] or None, run_if=run_if,
    )


def test_every_run_if_with_a_disabled_parent_follows_the_documented_table(
    sdk: WorkspaceClient, tmp_path: Path
) -> None:
    ok, fail = script(tmp_path, "print('ok')"), script(tmp_path, "raise SystemExit(3)")
    tasks = [
        _task("a_off", ok, disabled=True),
        _task("c_ok", ok),
        _task("f_failed", fail),
        _task("all_success", ok, "a_off"),
        _task("one_success", ok, "a_off", "c_ok", run_if=jobs.RunIf.AT_LEAST_ONE_SUCCESS),
        _task("one_success_none_left", ok, "a_off", run_if=jobs.RunIf.AT_LEAST_ONE_SUCCESS),
        _task("none_failed", ok, "a_off", "c_ok", run_if=jobs.RunIf.NONE_FAILED),
        _task("none_failed_all_off", ok, "a_off", run_if=jobs.RunIf.NONE_FAILED),
        _task("all_done", ok, "a_off", run_if=jobs.RunIf.ALL_DONE),
        _task("one_failed", ok, "a_off", "f_failed", run_if=jobs.RunIf.AT_LEAST_ONE_FAILED),
        _task("all_failed", ok, "a_off", run_if=jobs.RunIf.ALL_FAILED),
        _task("grandchild", ok, "all_success"),
    ]
    job_id = sdk.jobs.create(name=unique("disabled"), tasks=tasks).job_id
    run = sdk.jobs.run_now(job_id).result(timeout=timedelta(seconds=60))
    results = {t.task_key: t.state.result_state.value for t in run.tasks}  # type: ignore[union-attr]
    assert results == {
        "a_off": "DISABLED", "c_ok": "SUCCESS", "f_failed": "FAILED",
        "all_success": "DISABLED",            # A (disabled) → B: B does not run
        "one_success": "SUCCESS",             # A (disabled), C (succeeded) → B runs
        "one_success_none_left": "DISABLED",
        "none_failed": "SUCCESS",
        "none_failed_all_off": "DISABLED",    # every parent disabled: does not run
        "all_done": "SUCCESS",                # a disabled parent counts as done
        "one_failed": "SUCCESS",              # A (disabled), C (failed) → B runs
        "all_failed": "DISABLED",             # a disabled parent is not a failure
        "grandchild": "DISABLED",
    }
    disabled = next(t for t in run.tasks if t.task_key == "all_success")  # type: ignore[union-attr]
    assert disabled.status.termination_details.code.value == "DISABLED"  # type: ignore[union-attr]
    stored = sdk.jobs.get(job_id).settings.tasks  # type: ignore[union-attr]
    assert [t.task_key for t in stored if t.disabled] == ["a_off"]  # only the explicit one is stored
