"""Jobs as code: `jobs_create_or_update` against the real local workspace, its comparison, bundle files.

Requests are counted by the workspace's own request counter (`/local-api/requests`); permissions
are read back with the official `databricks-sdk`, an independent client.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from databricks.sdk import WorkspaceClient

from prefect_databricks.client.errors import ClientValidationError
from prefect_databricks.credentials import DatabricksCredentials
from prefect_databricks.jobs import jobs_create_or_update, jobs_create_or_update_from_file
from prefect_databricks.jobs_as_code import parse_jobs
from prefect_databricks.jobs_as_code.compare import acl_differs, differences
from prefect_databricks.local import LocalWorkspace
from prefect_databricks.models import JobSettings

_CONDITION = {"op": "EQUAL_TO", "left": "1", "right": "1"}


def _name() -> str:
    return f"jac-{uuid.uuid4().hex[:10]}"


def _settings(name: str, **more: Any) -> dict[str, Any]:
    return {
        "name": name,
        "tags": {"team": "data"},
        "tasks": [
            {"task_key": "check", "condition_task": _CONDITION},
            {
                "task_key": "ingest",
                "depends_on": [{"task_key": "check"}],
                "spark_python_task": {"python_file": "/tmp/ingest.py", "parameters": ["1"]},
            },
            {
                "task_key": "report",
                "depends_on": [{"task_key": "ingest"}],
                "notebook_task": {"notebook_path": "/x"},
            },
        ],
        "parameters": [{"name": "day", "default": "today"}],
        **more,
    }


def _counts(http: httpx.Client) -> dict[str, int]:
    response = http.get("/local-api/requests")
    response.raise_for_status()
    return dict(response.json()["by_endpoint"])


def _sent(before: dict[str, int], after: dict[str, int], endpoint: str) -> int:
    return after.get(endpoint, 0) - before.get(endpoint, 0)


@pytest.fixture
def sdk(workspace: LocalWorkspace) -> WorkspaceClient:
    return WorkspaceClient(host=workspace.host, token=workspace.token)


def _direct_acl(sdk: WorkspaceClient, job_id: int) -> set[tuple[str, str]]:
    """(principal, level) of the job's direct permissions, read with the official SDK."""
    acl = sdk.jobs.get_permissions(str(job_id)).access_control_list or []
    return {
        (
            entry.user_name or entry.group_name or entry.service_principal_name or "",
            str(p.permission_level.value),
        )
        for entry in acl
        for p in entry.all_permissions or []
        if not p.inherited and p.permission_level is not None
    }


def test_a_new_name_creates_and_equal_settings_send_no_reset(
    creds: DatabricksCredentials, http: httpx.Client
) -> None:
    """The second and third calls (a dict, then the same settings as a model) change nothing."""
    settings = _settings(_name())
    created = jobs_create_or_update.fn(creds, settings)
    assert created.action == "created"
    before = _counts(http)
    again = jobs_create_or_update.fn(creds, settings)
    as_model = jobs_create_or_update.fn(creds, JobSettings.model_validate(settings))
    after = _counts(http)
    assert (again.job_id, again.action) == (created.job_id, "unchanged")
    assert (as_model.job_id, as_model.action) == (created.job_id, "unchanged")
    assert _sent(before, after, "jobs/reset") == 0 and _sent(before, after, "jobs/create") == 0
    assert _sent(before, after, "jobs/list") == 2 and _sent(before, after, "jobs/get") == 2


def test_changed_settings_reset_and_keep_the_permissions(
    creds: DatabricksCredentials, http: httpx.Client, sdk: WorkspaceClient
) -> None:
    """jobs/reset takes no access_control_list; the wanted one stays, read back with the SDK."""
    acl = [{"user_name": "ana@example.com", "permission_level": "CAN_MANAGE_RUN"}]
    name = _name()
    job_id = jobs_create_or_update.fn(creds, _settings(name, access_control_list=acl)).job_id
    assert ("ana@example.com", "CAN_MANAGE_RUN") in _direct_acl(sdk, job_id)
    changed = _settings(name, access_control_list=acl, max_concurrent_runs=3)
    del changed["tags"]
    before = _counts(http)
    updated = jobs_create_or_update.fn(creds, changed)
    after = _counts(http)
    assert (updated.job_id, updated.action) == (job_id, "updated")
    assert set(updated.changed) == {"max_concurrent_runs", "tags"}
    assert _sent(before, after, "jobs/reset") == 1
    assert _sent(before, after, "permissions/jobs/{job_id}") == 1  # read only: the list was kept
    settings = sdk.jobs.get(job_id).settings
    assert settings is not None and settings.max_concurrent_runs == 3 and not settings.tags
    assert ("ana@example.com", "CAN_MANAGE_RUN") in _direct_acl(sdk, job_id)


def test_a_changed_acl_alone_is_applied_with_the_permissions_api(
    creds: DatabricksCredentials, http: httpx.Client, sdk: WorkspaceClient
) -> None:
    name = _name()
    job_id = jobs_create_or_update.fn(creds, _settings(name)).job_id
    acl = [{"group_name": "analysts", "permission_level": "CAN_VIEW"}]
    before = _counts(http)
    result = jobs_create_or_update.fn(creds, _settings(name, access_control_list=acl))
    after = _counts(http)
    assert (result.action, result.changed) == ("updated", ("access_control_list",))
    assert _sent(before, after, "jobs/reset") == 0
    assert ("analysts", "CAN_VIEW") in _direct_acl(sdk, job_id)
    assert jobs_create_or_update.fn(creds, _settings(name, access_control_list=acl)).action == "unchanged"


def test_two_jobs_of_one_name_are_an_error_naming_both(
    creds: DatabricksCredentials, http: httpx.Client
) -> None:
    name = _name()
    ids = [http.post("/api/2.2/jobs/create", json={"name": name}).json()["job_id"] for _ in range(2)]
    before = _counts(http)
    with pytest.raises(ClientValidationError) as caught:
        jobs_create_or_update.fn(creds, _settings(name))
    assert all(str(job_id) in str(caught.value) for job_id in ids)
    assert "2 jobs are named" in str(caught.value)
    after = _counts(http)
    assert {_sent(before, after, e) for e in ("jobs/create", "jobs/reset", "permissions/jobs/{job_id}")} == {
        0
    }


def test_a_name_differing_in_case_is_another_job(creds: DatabricksCredentials, http: httpx.Client) -> None:
    """jobs/list's name filter is case-insensitive (Jobs API 2.2 reference); the job's name must be exact."""
    name = _name()
    http.post("/api/2.2/jobs/create", json={"name": name.upper()}).raise_for_status()
    created = jobs_create_or_update.fn(creds, _settings(name))
    assert created.action == "created"
    assert jobs_create_or_update.fn(creds, _settings(name)).job_id == created.job_id


def test_settings_need_a_name_and_break_no_rule(creds: DatabricksCredentials) -> None:
    with pytest.raises(ClientValidationError, match="name: is required"):
        jobs_create_or_update.fn(creds, {"tasks": []})
    with pytest.raises(ClientValidationError, match="max_concurrent_runs"):
        jobs_create_or_update.fn(creds, {"name": _name(), "max_concurrent_runs": 5000})


def test_the_service_defaults_are_no_difference() -> None:
    """Settings as databricks/cli recorded a bundle job's `jobs/get` (acceptance/bundle/deployment/bind/
    job/python-job/out.job.direct.json): the defaults and the service's own fields differ from nothing."""
    recorded = {
        "deployment": {
            "kind": "BUNDLE",
            "metadata_file_path": "/Workspace/Users/u/.bundle/p/state/metadata.json",
        },
        "edit_mode": "UI_LOCKED",
        "email_notifications": {},
        "format": "MULTI_TASK",
        "max_concurrent_runs": 1,
        "name": "Updated Job",
        "queue": {"enabled": True},
        "timeout_seconds": 0,
        "webhook_notifications": {},
    }
    assert differences(recorded, {"name": "Updated Job"}) == []
    assert differences(recorded, {"name": "Updated Job", "timeout_seconds": 60}) == ["timeout_seconds"]
    assert differences({**recorded, "schedule": {"quartz_cron_expression": "0 0 * * * ?"}}, recorded) == [
        "schedule"
    ]
    task = {"task_key": "t", "condition_task": _CONDITION}
    zeros = {"name": "n", "tasks": [{**task, "disabled": False, "max_retries": 0, "description": ""}]}
    assert differences({"name": "n", "tasks": [task]}, zeros) == []  # zero values the service may leave out
    with_true = {"name": "n", "tasks": [{**task, "disabled": True}]}
    assert differences({"name": "n", "tasks": [task]}, with_true) == ["tasks[t].disabled"]


def test_keyed_arrays_compare_by_key_not_order() -> None:
    """tasks, depends_on and parameters are keyed (databricks/cli dresources/job.go KeyedSlices)."""
    a = {
        "task_key": "a",
        "run_if": "ALL_SUCCESS",
        "notebook_task": {"notebook_path": "/a", "source": "WORKSPACE"},
    }
    b = {"task_key": "b", "depends_on": [{"task_key": "a"}, {"task_key": "c"}], "condition_task": _CONDITION}
    c = {"task_key": "c", "condition_task": _CONDITION}
    stored = {"name": "n", "tasks": [a, b, c]}
    wanted = {"name": "n", "tasks": [c, {**b, "depends_on": b["depends_on"][::-1]}, {**a, "run_if": None}]}
    wanted["tasks"][2].pop("run_if")
    assert differences(stored, wanted) == []
    wanted["tasks"][0] = {**c, "timeout_seconds": 5}
    assert differences(stored, wanted) == ["tasks[c].timeout_seconds"]
    assert differences(stored, {"name": "n", "tasks": [a, b]}) == ["tasks"]


def test_acl_comparison_leaves_the_owner_alone() -> None:
    stored = {
        "access_control_list": [
            {
                "user_name": "me@example.com",
                "all_permissions": [{"permission_level": "IS_OWNER", "inherited": False}],
            },
            {
                "group_name": "admins",
                "all_permissions": [{"permission_level": "CAN_MANAGE", "inherited": True}],
            },
            {
                "user_name": "ana@example.com",
                "all_permissions": [{"permission_level": "CAN_VIEW", "inherited": False}],
            },
        ]
    }
    assert not acl_differs(stored, [{"user_name": "ana@example.com", "permission_level": "CAN_VIEW"}])
    assert acl_differs(stored, [{"user_name": "ana@example.com", "permission_level": "CAN_MANAGE"}])
    assert acl_differs(stored, [])


_BUNDLE = """
variables:
  owner_group:
    default: analysts
  retries:
    description: how often a task is retried
    default: 1
  script:
    description: no default
resources:
  jobs:
    nightly:
      name: "${var.prefix}-nightly"
      max_concurrent_runs: 2
      tasks:
        - task_key: main
          spark_python_task:
            python_file: "${var.script}"
          max_retries: ${var.retries}
      permissions:
        - level: CAN_VIEW
          group_name: ${var.owner_group}
    hourly:
      name: "${var.prefix}-hourly"
      tasks:
        - task_key: main
          condition_task: {op: EQUAL_TO, left: "1", right: "1"}
"""


def test_a_bundle_file_ensures_each_of_its_jobs(
    creds: DatabricksCredentials, tmp_path: Path, http: httpx.Client, sdk: WorkspaceClient
) -> None:
    bundle = tmp_path / "databricks.yml"
    prefix = _name()
    bundle.write_text(_BUNDLE.replace("${var.prefix}", prefix))
    values = {"script": "/tmp/main.py"}
    first = jobs_create_or_update_from_file.fn(creds, bundle, values)
    assert {key: r.action for key, r in first.items()} == {"nightly": "created", "hourly": "created"}
    nightly = sdk.jobs.get(first["nightly"].job_id).settings
    assert nightly is not None and nightly.name == f"{prefix}-nightly" and nightly.tasks
    assert (
        nightly.tasks[0].max_retries == 1 and nightly.tasks[0].spark_python_task.python_file == "/tmp/main.py"
    )
    assert ("analysts", "CAN_VIEW") in _direct_acl(sdk, first["nightly"].job_id)
    before = _counts(http)
    second = jobs_create_or_update_from_file.fn(creds, str(bundle), values)
    assert {r.action for r in second.values()} == {"unchanged"}
    assert _sent(before, _counts(http), "jobs/reset") == 0
    as_json = tmp_path / "jobs.json"
    as_json.write_text(
        json.dumps({"resources": {"jobs": {"hourly": {"name": f"{prefix}-hourly", "tags": {"a": "b"}}}}})
    )
    assert jobs_create_or_update_from_file.fn(creds, as_json)["hourly"].action == "updated"


@pytest.mark.parametrize(
    ("document", "variables", "message"),
    [
        (
            {"resources": {"jobs": {"j": {"name": "${bundle.target}"}}}},
            {},
            r"\$\{bundle.target\} cannot be resolved",
        ),
        ({"resources": {"jobs": {"j": {"name": "x-${var.env}"}}}}, {}, r"\$\{var.env\} has no value"),
        (
            {"variables": {"a": {"default": 1}}, "resources": {"jobs": {"j": {"name": "n"}}}},
            {"b": 2},
            "var b",
        ),
        ({"include": ["r/*.yml"], "resources": {"jobs": {"j": {"name": "n"}}}}, {}, "include"),
        ({"targets": {"dev": {}}, "resources": {"jobs": {"j": {"name": "n"}}}}, {}, "targets"),
        ({"variables": {"a": {"lookup": {"cluster": "c"}}}, "resources": {"jobs": {"j": {}}}}, {}, "lookup"),
        ({"resources": {"pipelines": {}}}, {}, "resources.jobs"),
        ({"variables": {"a": "x"}, "resources": {"jobs": {"j": {}}}}, {}, "variables.a: must be a mapping"),
        (
            {
                "variables": {"a": {"default": "${var.b}"}, "b": {"default": "x"}},
                "resources": {"jobs": {"j": {}}},
            },
            {},
            "variables.a",
        ),
    ],
)
def test_what_a_bundle_cannot_say_here_is_refused_by_name(
    document: dict[str, Any], variables: dict[str, Any], message: str
) -> None:
    with pytest.raises(ClientValidationError, match=message):
        parse_jobs(document, variables)


def test_whole_string_variables_keep_their_type_and_file_permissions_apply_to_every_job() -> None:
    document = {
        "variables": {"n": {"default": 3}},
        "permissions": [{"level": "CAN_VIEW", "user_name": "all@example.com"}],
        "resources": {"jobs": {"j": {"name": "j-${var.n}", "max_concurrent_runs": "${var.n}"}}},
    }
    job = parse_jobs(document)["j"]
    assert job["name"] == "j-3" and job["max_concurrent_runs"] == 3
    assert job["access_control_list"] == [{"permission_level": "CAN_VIEW", "user_name": "all@example.com"}]
