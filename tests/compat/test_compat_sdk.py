"""The official databricks-sdk (this package's test extra, so no venv of its own): the same scenarios,
and `current_user.me()` building the `/Users/<me>/` path notebooks are uploaded to.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from pathlib import Path

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import OperationFailed
from databricks.sdk.service import jobs
from databricks.sdk.service import workspace as files

from prefect_databricks.local import LocalWorkspace

_WAIT = timedelta(seconds=60)


def _task(key: str, path: str, **parameters: str) -> jobs.Task:
    return jobs.Task(
        task_key=key, notebook_task=jobs.NotebookTask(notebook_path=path, base_parameters=parameters)
    )


def test_the_sdk_scenarios(workspace: LocalWorkspace, notebooks: dict[str, str], tmp_path: Path) -> None:
    sdk = WorkspaceClient(host=workspace.host, token=workspace.token)
    me = sdk.current_user.me().user_name
    echo = f"/Users/{me}/compat/echo"
    sdk.workspace.mkdirs(f"/Users/{me}/compat")
    source = base64.b64encode(Path(notebooks["COMPAT_ECHO"]).read_bytes()).decode()
    sdk.workspace.import_(
        echo,
        content=source,
        format=files.ImportFormat.SOURCE,
        language=files.Language.PYTHON,
        overwrite=True,
    )
    name = f"sdk-{tmp_path.name}"
    job_id = sdk.jobs.create(name=name, tasks=[_task("echo", echo, who="nobody")]).job_id
    run = sdk.jobs.run_now(job_id, notebook_params={"who": "sdk"}).result(timeout=_WAIT)
    assert run.state.result_state == jobs.RunResultState.SUCCESS
    assert sdk.jobs.get_run_output(run.tasks[0].run_id).notebook_output.result == "hello sdk"
    assert [job.job_id for job in sdk.jobs.list(name=name)] == [job_id]

    flaky = sdk.jobs.create(
        name=name + "-flaky",
        tasks=[_task("flaky", notebooks["COMPAT_FLAKY"], marker=str(tmp_path / "marker"))],
    ).job_id
    waiter = sdk.jobs.run_now(flaky)
    with pytest.raises(OperationFailed, match="Task flaky failed"):  # the SDK's waiter raises on failure
        waiter.result(timeout=_WAIT)
    failed = sdk.jobs.get_run(waiter.run_id)
    assert failed.state.result_state == jobs.RunResultState.FAILED
    repaired = sdk.jobs.repair_run(failed.run_id, rerun_all_failed_tasks=True).result(timeout=_WAIT)
    assert repaired.state.result_state == jobs.RunResultState.SUCCESS
    history = sdk.jobs.get_run(failed.run_id, include_history=True).repair_history
    assert [item.type for item in history] == [
        jobs.RepairHistoryItemType.ORIGINAL,
        jobs.RepairHistoryItemType.REPAIR,
    ]

    sleeper = sdk.jobs.create(
        name=name + "-sleep", tasks=[_task("sleep", notebooks["COMPAT_SLEEP"], seconds="60")]
    ).job_id
    long_run = sdk.jobs.run_now(sleeper).run_id
    canceled = sdk.jobs.cancel_run(long_run).result(timeout=_WAIT)
    assert canceled.state.result_state == jobs.RunResultState.CANCELED

    once = jobs.SubmitTask(
        task_key="once",
        notebook_task=jobs.NotebookTask(notebook_path=echo, base_parameters={"who": "submit"}),
    )
    submitted = sdk.jobs.submit(run_name=name + "-once", tasks=[once]).result(timeout=_WAIT)
    assert sdk.jobs.get_run_output(submitted.tasks[0].run_id).notebook_output.result == "hello submit"

    for gone in (job_id, flaky, sleeper):
        sdk.jobs.delete(gone)
    assert list(sdk.jobs.list(name=name)) == []
