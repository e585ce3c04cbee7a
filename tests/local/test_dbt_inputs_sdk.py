"""dbt_task's inputs through the official SDK, no dbt needed: `dbt_commands`, workspace folders, links.

Sources, from ../shared/spec/jobs-api-2.2.sdk-digest.json (databricks-sdk 0.162): run-now's and repair's
`dbt_commands` ("An array of commands to execute for jobs with the dbt task"), echoed in
`Run.overriding_parameters` (`RunParameters`); `DbtTask.commands` ("All commands must start with ``dbt``.
This parameter must not be empty. A maximum of up to 10 commands can be provided."); what a task ran, in
`ResolvedValues.dbt_task.commands` (`include_resolved_values`); `DbtOutput.artifacts_link` ("A pre-signed URL
to download the (compressed) dbt artifacts. This link is valid for a limited time (30 minutes)").
The tasks here fail before dbt would start; real dbt runs are in tests/compat/test_compat_dbt.py.
"""

from __future__ import annotations

import base64
import time
from typing import Any

import httpx
import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import InvalidParameterValue
from databricks.sdk.service import jobs
from databricks.sdk.service import workspace as files
from runs_helpers import unique
from sdk_helpers import wait_for_run

from prefect_databricks.local import LocalWorkspace
from prefect_databricks.local.runs.output import ARTIFACTS_LINK_SECONDS, artifacts_link

_HOME = "/Workspace/Users/local-user@localhost"


@pytest.fixture
def sdk(workspace: LocalWorkspace) -> WorkspaceClient:
    """The official SDK, signed in to the session's workspace with its token."""
    return WorkspaceClient(host=workspace.host, token=workspace.token)


def _dbt_job(sdk: WorkspaceClient, **dbt: Any) -> int:
    task = jobs.Task(task_key="dbt", dbt_task=jobs.DbtTask(commands=["dbt run", "dbt test"], **dbt))
    return sdk.jobs.create(name=unique("dbt"), tasks=[task]).job_id or 0


def _ended(sdk: WorkspaceClient, run_id: int) -> jobs.Run:
    return wait_for_run(sdk, run_id, timeout=60, include_resolved_values=True)


def _latest(run: jobs.Run) -> jobs.RunTask:
    return max(run.tasks or [], key=lambda task: task.attempt_number or 0)


def _commands(task: jobs.RunTask) -> list[str] | None:
    resolved = task.resolved_values
    return resolved.dbt_task.commands if resolved is not None and resolved.dbt_task is not None else None


def test_dbt_commands_replace_the_tasks_commands_on_run_now_and_repair(sdk: WorkspaceClient) -> None:
    """run-now's `dbt_commands` are what the dbt task runs and what runs/get echoes; a repair's replace
    them."""
    missing = f"{_HOME}/{unique('no-project')}"
    job_id = _dbt_job(sdk, project_directory=missing)
    run_id = sdk.jobs.run_now(job_id, dbt_commands=["dbt seed", "dbt run --select orders"]).run_id
    run = _ended(sdk, run_id)
    assert run.overriding_parameters is not None
    assert run.overriding_parameters.dbt_commands == ["dbt seed", "dbt run --select orders"]
    assert _commands(_latest(run)) == ["dbt seed", "dbt run --select orders"]
    error = sdk.jobs.get_run_output(_latest(run).run_id or 0).error or ""
    assert "dbt_task.project_directory" in error and missing in error, error

    sdk.jobs.repair_run(run_id, rerun_tasks=["dbt"], dbt_commands=["dbt build"])
    repaired = _ended(sdk, run_id)
    assert repaired.overriding_parameters is not None
    assert repaired.overriding_parameters.dbt_commands == ["dbt build"]
    assert _latest(repaired).attempt_number == 1 and _commands(_latest(repaired)) == ["dbt build"]


def test_without_dbt_commands_the_task_runs_its_own_commands(sdk: WorkspaceClient) -> None:
    run = _ended(sdk, sdk.jobs.run_now(_dbt_job(sdk, project_directory=f"{_HOME}/{unique('none')}")).run_id)
    assert run.overriding_parameters is None or run.overriding_parameters.dbt_commands is None
    assert _commands(_latest(run)) == ["dbt run", "dbt test"]


def test_a_run_job_tasks_dbt_commands_reach_the_triggered_runs_dbt_task(sdk: WorkspaceClient) -> None:
    """`RunJobTask.dbt_commands` (same field doc as run-now's) go to the run it triggers; a bad one fails
    the run-job task with the 400's message."""
    child = _dbt_job(sdk, project_directory=f"{_HOME}/{unique('none')}")
    good = jobs.Task(task_key="go", run_job_task=jobs.RunJobTask(job_id=child, dbt_commands=["dbt seed"]))
    bad = jobs.Task(task_key="bad", run_job_task=jobs.RunJobTask(job_id=child, dbt_commands=["make"]))
    parent = _ended(sdk, sdk.jobs.submit(run_name=unique("parent"), tasks=[
        jobs.SubmitTask(task_key=t.task_key, run_job_task=t.run_job_task) for t in (good, bad)]).run_id)
    by_key = {task.task_key: task for task in parent.tasks or []}
    triggered = sdk.jobs.get_run_output(by_key["go"].run_id or 0).run_job_output
    assert triggered is not None and triggered.run_id is not None
    assert _commands(_latest(_ended(sdk, triggered.run_id))) == ["dbt seed"]
    bad_state = by_key["bad"].state
    assert bad_state is not None and "dbt_commands: all commands must start with dbt" in (
        bad_state.state_message or ""), bad_state


@pytest.mark.parametrize(("commands", "rule"), [
    (["ls -la"], "all commands must start with dbt"),
    (["dbt run", "dbtx test"], "all commands must start with dbt"),
    ([], "must list 1 to 10 dbt commands"),
    (["dbt run"] * 11, "must list 1 to 10 dbt commands"),
])
def test_bad_dbt_commands_are_a_400_naming_the_field(
    sdk: WorkspaceClient, commands: list[str], rule: str
) -> None:
    """The rule of `DbtTask.commands` holds for the commands that replace them, on run-now and on repair."""
    job_id = _dbt_job(sdk, project_directory=f"{_HOME}/{unique('none')}")
    with pytest.raises(InvalidParameterValue, match=f"dbt_commands: {rule}"):
        sdk.jobs.run_now(job_id, dbt_commands=commands)
    run_id = sdk.jobs.run_now(job_id).run_id
    _ended(sdk, run_id)
    with pytest.raises(InvalidParameterValue, match=f"dbt_commands: {rule}"):
        sdk.jobs.repair_run(run_id, rerun_tasks=["dbt"], dbt_commands=commands)


def test_a_missing_workspace_profiles_directory_fails_the_task_naming_field_and_path(
    sdk: WorkspaceClient,
) -> None:
    """The project is a workspace folder (Workspace API uploads); its profiles folder is not there."""
    project = f"{_HOME}/{unique('dbt-project')}"
    sdk.workspace.mkdirs(project)
    sdk.workspace.import_(f"{project}/dbt_project.yml", format=files.ImportFormat.AUTO,
                          content=base64.b64encode(b"name: shop\nprofile: shop\n").decode())
    profiles = f"/Workspace/Shared/{unique('no-profiles')}"
    run = _ended(sdk, sdk.jobs.run_now(_dbt_job(sdk, project_directory=project,
                                                 profiles_directory=profiles)).run_id)
    error = sdk.jobs.get_run_output(_latest(run).run_id or 0).error or ""
    assert f"dbt_task.profiles_directory {profiles!r} does not exist" in error, error


def test_a_workspace_folder_without_dbt_project_yml_is_no_dbt_project(sdk: WorkspaceClient) -> None:
    project = f"/Workspace/Shared/{unique('not-dbt')}"
    sdk.workspace.mkdirs(f"{project}/models")
    run = _ended(sdk, sdk.jobs.run_now(_dbt_job(sdk, project_directory=project)).run_id)
    error = sdk.jobs.get_run_output(_latest(run).run_id or 0).error or ""
    assert f"dbt_task.project_directory {project!r} is not a dbt project" in error, error


def test_artifact_links_need_this_workspaces_unexpired_signature(
    sdk: WorkspaceClient, workspace: LocalWorkspace
) -> None:
    """A pre-signed link is its own credential: no token is sent; forged or expired links are refused
    (403, as object stores answer them [I]); a signed link of a run without artifacts is a 404."""
    run = _ended(sdk, sdk.jobs.run_now(_dbt_job(sdk, project_directory=f"{_HOME}/{unique('none')}")).run_id)
    task_run_id = _latest(run).run_id or 0
    now_ms = int(time.time() * 1000)
    valid = artifacts_link(workspace.workspace, task_run_id, now_ms)
    assert valid.startswith(f"{workspace.host}/") and "signature=" in valid
    expired = artifacts_link(workspace.workspace, task_run_id, now_ms - ARTIFACTS_LINK_SECONDS * 1000 - 1000)
    base, _, query = expired.partition("?")
    stretched = f"{base}?expires={int(time.time()) + 60}&{query.split('&')[1]}"
    forged = valid[:-1] + ("0" if valid[-1] != "0" else "1")
    with httpx.Client(timeout=10) as plain:
        assert plain.get(valid).status_code == 404
        for refused in (expired, stretched, forged, base, valid.replace(f"/{task_run_id}?", "/1?")):
            response = plain.get(refused)
            assert response.status_code == 403, (refused, response.text)
            assert response.json()["error_code"] == "PERMISSION_DENIED"
