"""The official databricks-sdk, unmodified, as an independent client of the jobs side of the workspace."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import InvalidParameterValue, ResourceDoesNotExist
from databricks.sdk.service import jobs

from prefect_databricks.local import LocalWorkspace


@pytest.fixture(scope="module")
def sdk(workspace: LocalWorkspace) -> Iterator[WorkspaceClient]:
    yield WorkspaceClient(host=workspace.host, token=workspace.token)


def _notebook_task(key: str, *after: str) -> jobs.Task:
    return jobs.Task(
        task_key=key,
        notebook_task=jobs.NotebookTask(notebook_path=f"/Shared/{key}"),
        depends_on=[jobs.TaskDependency(task_key=k) for k in after] or None,
    )


def test_create_and_get_a_250_task_job(sdk: WorkspaceClient) -> None:
    tasks = [_notebook_task("t000")] + [_notebook_task(f"t{i:03}", f"t{i - 1:03}") for i in range(1, 250)]
    created = sdk.jobs.create(name=f"big-{uuid.uuid4().hex}", tasks=tasks, max_concurrent_runs=3)
    job = sdk.jobs.get(created.job_id)
    assert job.job_id == created.job_id and job.settings is not None and job.settings.tasks is not None
    assert [t.task_key for t in job.settings.tasks] == [f"t{i:03}" for i in range(250)]
    assert job.settings.tasks[249].depends_on == [jobs.TaskDependency(task_key="t248")]
    assert job.settings.tasks[0].run_if == jobs.RunIf.ALL_SUCCESS
    assert job.settings.max_concurrent_runs == 3 and job.settings.queue == jobs.QueueSettings(enabled=True)
    assert job.settings.format == jobs.Format.MULTI_TASK


def test_list_over_130_jobs(sdk: WorkspaceClient) -> None:
    name = f"many-{uuid.uuid4().hex}"
    ids = [sdk.jobs.create(name=name, tasks=[_notebook_task("a")]).job_id for _ in range(130)]
    listed = list(sdk.jobs.list(name=name))
    assert [j.job_id for j in listed] == ids[::-1]
    assert all(j.settings is not None and j.settings.name == name for j in listed)
    expanded = list(sdk.jobs.list(name=name, expand_tasks=True, limit=100))
    assert len(expanded) == 130 and expanded[0].settings is not None
    assert [t.task_key for t in expanded[0].settings.tasks or []] == ["a"]


def test_list_with_expand_tasks_completes_jobs_over_100_tasks(sdk: WorkspaceClient) -> None:
    name = f"wide-{uuid.uuid4().hex}"
    sdk.jobs.create(name=name, tasks=[_notebook_task(f"t{i:03}") for i in range(120)])
    (job,) = sdk.jobs.list(name=name, expand_tasks=True)
    assert job.settings is not None and len(job.settings.tasks or []) == 120


def test_update_reset_and_delete(sdk: WorkspaceClient) -> None:
    job_id = sdk.jobs.create(name="to-change", tasks=[_notebook_task("a")]).job_id
    sdk.jobs.update(job_id, new_settings=jobs.JobSettings(tasks=[_notebook_task("b", "a")]))
    settings = sdk.jobs.get(job_id).settings
    assert settings is not None and [t.task_key for t in settings.tasks or []] == ["a", "b"]
    sdk.jobs.reset(job_id, new_settings=jobs.JobSettings(name="reset", tasks=[_notebook_task("c")]))
    settings = sdk.jobs.get(job_id).settings
    assert settings is not None and settings.name == "reset"
    assert [t.task_key for t in settings.tasks or []] == ["c"]
    sdk.jobs.delete(job_id)
    with pytest.raises(ResourceDoesNotExist):
        sdk.jobs.get(job_id)


def test_validation_errors_reach_the_sdk_typed(sdk: WorkspaceClient) -> None:
    with pytest.raises(InvalidParameterValue, match=r"tasks\[0\].task_key"):
        bad = jobs.Task(task_key="no spaces", notebook_task=jobs.NotebookTask("/x"))
        sdk.jobs.create(name="bad", tasks=[bad])


def test_get_permissions(sdk: WorkspaceClient) -> None:
    job_id = sdk.jobs.create(name="perms", tasks=[_notebook_task("a")]).job_id
    permissions = sdk.jobs.get_permissions(str(job_id))
    assert permissions.object_id == f"/jobs/{job_id}" and permissions.object_type == "job"
    owner = (permissions.access_control_list or [])[0]
    assert owner.user_name and owner.all_permissions is not None
    assert owner.all_permissions[0].permission_level == jobs.JobPermissionLevel.IS_OWNER
    request = jobs.JobAccessControlRequest(
        group_name="data-eng", permission_level=jobs.JobPermissionLevel.CAN_MANAGE_RUN
    )
    updated = sdk.jobs.update_permissions(str(job_id), access_control_list=[request])
    groups = {e.group_name: e for e in updated.access_control_list or [] if e.group_name}
    assert groups["data-eng"].all_permissions is not None
    assert groups["data-eng"].all_permissions[0].permission_level == jobs.JobPermissionLevel.CAN_MANAGE_RUN
    levels = sdk.jobs.get_permission_levels(str(job_id)).permission_levels or []
    assert {lvl.permission_level for lvl in levels} == set(jobs.JobPermissionLevel)
