"""Issue 13 item 8: settings the local workspace cannot act on are never silently accepted (official SDK).

Notifications and health rules cannot be sent or evaluated here: the run says so in its
state_message. Triggers the scheduler cannot fire are refused while unpaused. Both are the local
workspace's own rules [I] (Databricks would send the email or watch the location).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import InvalidParameterValue
from databricks.sdk.service import jobs
from runs_helpers import script, unique
from sdk_helpers import wait_for_run

from prefect_databricks.local import LocalWorkspace


@pytest.fixture
def sdk(workspace: LocalWorkspace) -> Iterator[WorkspaceClient]:
    """A WorkspaceClient authenticated with the workspace's token."""
    yield WorkspaceClient(host=workspace.host, token=workspace.token)


def test_notifications_and_health_rules_are_named_in_the_run_state_message(
    sdk: WorkspaceClient, tmp_path: Path
) -> None:
    code = script(tmp_path, "print('ok')\n")
    task = jobs.Task.from_dict({"task_key": "t", "spark_python_task": {"python_file": code},
                                "email_notifications": {"on_success": ["owner@example.com"]}})
    job_id = sdk.jobs.create(
        name=unique("notify"), tasks=[task],
        email_notifications=jobs.JobEmailNotifications(on_failure=["team@example.com"]),
        webhook_notifications=jobs.WebhookNotifications.from_dict({"on_start": [{"id": "hook-1"}]}),
        health=jobs.JobsHealthRules.from_dict(
            {"rules": [{"metric": "RUN_DURATION_SECONDS", "op": "GREATER_THAN", "value": 10}]}),
    ).job_id
    run = wait_for_run(sdk, sdk.jobs.run_now(job_id).run_id)
    assert run.state.result_state == jobs.RunResultState.SUCCESS
    assert run.state.state_message == (
        "Not emulated by the local workspace: email_notifications: no email is sent; "
        "webhook_notifications: no webhook is called; health: health rules are not evaluated; "
        "tasks[t].email_notifications: no email is sent."
    )
    listed = next(iter(sdk.jobs.list_runs(job_id=job_id)))
    assert listed.state.state_message == run.state.state_message


def test_a_one_time_run_warns_too_and_a_plain_run_says_nothing(sdk: WorkspaceClient, tmp_path: Path) -> None:
    code = script(tmp_path, "print('ok')\n")
    task = jobs.SubmitTask.from_dict({"task_key": "t", "spark_python_task": {"python_file": code}})
    warned = sdk.jobs.submit(run_name=unique("n"), tasks=[task],
                             email_notifications=jobs.JobEmailNotifications(on_failure=["a@example.com"])).run_id
    assert wait_for_run(sdk, warned).state.state_message == (
        "Not emulated by the local workspace: email_notifications: no email is sent.")
    plain = sdk.jobs.submit(run_name=unique("n"), tasks=[task],
                            email_notifications=jobs.JobEmailNotifications(on_failure=[])).run_id
    assert wait_for_run(sdk, plain).state.state_message == ""


def test_an_unpaused_table_update_trigger_is_refused(sdk: WorkspaceClient) -> None:
    condition = {"op": "EQUAL_TO", "left": "1", "right": "1"}
    task = jobs.Task.from_dict({"task_key": "c", "condition_task": condition})
    tables = jobs.TableUpdateTriggerConfiguration(table_names=["main.a.b"])
    trigger = jobs.TriggerSettings(table_update=tables)
    refused = r"trigger\.table_update: the local workspace cannot start runs from table update triggers"
    with pytest.raises(InvalidParameterValue, match=refused):
        sdk.jobs.create(name=unique("tu"), tasks=[task], trigger=trigger)
    trigger.pause_status = jobs.PauseStatus.PAUSED
    job_id = sdk.jobs.create(name=unique("tu"), tasks=[task], trigger=trigger).job_id
    assert sdk.jobs.get(job_id).settings.trigger.pause_status == jobs.PauseStatus.PAUSED


@pytest.mark.parametrize("entry", [None, [], 1.5, "t"])
def test_a_submit_task_that_is_not_an_object_is_a_400(workspace: LocalWorkspace, entry: object) -> None:
    """The notification check runs before the tasks' check: a bad entry gets its 400 (found by fuzzing)."""
    answer = httpx.post(f"{workspace.host}/api/2.2/jobs/runs/submit", json={"tasks": [entry]},
                        headers={"Authorization": f"Bearer {workspace.token}"})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
