"""Job permissions enforced, driven through the official SDK as a non-admin service principal.

Sources of the asserted 403 bodies (error_code PERMISSION_DENIED, status 403):
- jobs/get, jobs/delete, GET permissions: recorded on the real service in databricks/cli acceptance
  `bundle/resources/permissions/jobs/destroy_without_mgmtperms` (the caller shown by its application
  id; the check comes before the job is looked up, so a deleted job still answers 403).
- run-now: the real 403 quoted in shared/reference/jobs-api-2.2.md ([S T1]), name in quotes.
- What each level allows, and the previous owner keeping CAN MANAGE after a transfer: Databricks docs,
  "Jobs access control". Rules marked [I] in `local/jobs/access.py` are inferred.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import DatabricksError
from databricks.sdk.service import jobs
from runs_helpers import py_task, script, unique, wait_state
from tests.conftest import SP_CLIENT_ID, SP_SECRET

from prefect_databricks.local import LocalWorkspace
from prefect_databricks.local.state import LOCAL_USER

SP = SP_CLIENT_ID


@pytest.fixture(scope="module")
def admin(workspace: LocalWorkspace) -> WorkspaceClient:
    """The workspace token: the workspace's admin user."""
    return WorkspaceClient(host=workspace.host, token=workspace.token)


@pytest.fixture(scope="module")
def sp(workspace: LocalWorkspace) -> WorkspaceClient:
    """The service principal over OAuth M2M: not an admin."""
    return WorkspaceClient(host=workspace.host, client_id=SP_CLIENT_ID, client_secret=SP_SECRET)


@pytest.fixture(scope="module")
def sleeper(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A task file that runs until cancelled (runs here are cancelled at once)."""
    return script(tmp_path_factory.mktemp("perm"), "import time\ntime.sleep(60)\n")


def _job(admin: WorkspaceClient, name: str, sleeper: str, level: str | None = None) -> int:
    """An admin-owned job of one task; `level` grants it to the service principal."""
    task = jobs.Task.from_dict(py_task("t", sleeper))
    acl = [jobs.JobAccessControlRequest.from_dict({"service_principal_name": SP, "permission_level": level})]
    job_id = admin.jobs.create(name=name, tasks=[task], access_control_list=acl if level else None).job_id
    assert job_id is not None
    return job_id


def _denied(call: Any, *args: Any, **kwargs: Any) -> str:
    """Run an SDK call expected to answer 403 PERMISSION_DENIED; the service's message as the SDK shows it
    (`Config.wrap_debug_info` strips a final "." and appends ". Config: ..." describing the client)."""
    with pytest.raises(DatabricksError) as caught:
        call(*args, **kwargs)
    assert caught.value.error_code == "PERMISSION_DENIED", caught.value
    return str(caught.value).split(". Config: ")[0]


def _view_msg(job_id: int) -> str:
    return f"User {SP} does not have View or Admin or Manage Run or Owner permissions on job {job_id}"


def _owner_msg(job_id: int) -> str:
    return f"User {SP} does not have Admin or Owner permissions on job {job_id}"


def _acl_msg(job_id: int, what: str = "Manage") -> str:
    """The Permissions API's message; its final "." is checked over raw HTTP below (the SDK drops it)."""
    return (f"{SP} does not have {what} permissions on Job with ID: ElasticJobId({job_id}). "
            "Please contact the owner or an administrator for access")


def _cancel_all(admin: WorkspaceClient, *job_ids: int) -> None:
    for job_id in job_ids:
        admin.jobs.cancel_all_runs(job_id=job_id)


def test_can_view_reads_but_cannot_delete_run_or_reset(
    admin: WorkspaceClient, sp: WorkspaceClient, sleeper: str, http: httpx.Client
) -> None:
    job_id = _job(admin, unique("view"), sleeper, "CAN_VIEW")
    assert sp.jobs.get(job_id).job_id == job_id
    assert _denied(sp.jobs.delete, job_id) == _owner_msg(job_id)
    run_now = _denied(sp.jobs.run_now, job_id)
    assert run_now == f'User "{SP}" does not have Manage Run or Owner or Admin permissions on job {job_id}'
    assert _denied(sp.jobs.reset, job_id, jobs.JobSettings(name="x")) == _owner_msg(job_id)  # [I]
    assert _denied(sp.jobs.get_permissions, str(job_id)) == _acl_msg(job_id)
    assert _denied(sp.jobs.get_permission_levels, str(job_id)) == _acl_msg(job_id)
    run_id = admin.jobs.run_now(job_id).run_id
    try:
        assert sp.jobs.get_run(run_id).job_id == job_id
        assert [r.run_id for r in sp.jobs.list_runs(job_id=job_id)] == [run_id]
        as_sp = {"Authorization": f"Bearer {_sp_token(sp)}"}
        response = http.post("/api/2.2/jobs/runs/cancel", json={"run_id": run_id}, headers=as_sp)
        assert response.status_code == 403 and response.json()["error_code"] == "PERMISSION_DENIED"
        raw = http.get(f"/api/2.0/permissions/jobs/{job_id}", headers=as_sp)
        assert raw.status_code == 403
        assert raw.json() == {"error_code": "PERMISSION_DENIED", "message": _acl_msg(job_id) + "."}
    finally:
        _cancel_all(admin, job_id)
    wait_state(http, run_id)


def _sp_token(sp: WorkspaceClient) -> str:
    """The service principal's current OAuth access token (from the SDK's own credentials)."""
    header = sp.config.authenticate()["Authorization"]
    return header.removeprefix("Bearer ")


def test_without_permission_get_is_403_even_once_deleted_and_list_omits_it(
    admin: WorkspaceClient, sp: WorkspaceClient, sleeper: str
) -> None:
    name = unique("list")
    hidden = _job(admin, name, sleeper)
    viewed = [_job(admin, name, sleeper, "CAN_VIEW") for _ in range(3)]
    via_users = admin.jobs.create(
        name=name, access_control_list=[jobs.JobAccessControlRequest(
            group_name="users", permission_level=jobs.JobPermissionLevel.CAN_VIEW)],
    ).job_id
    assert _denied(sp.jobs.get, hidden) == _view_msg(hidden)
    listed = [job.job_id for job in sp.jobs.list(name=name, limit=1)]  # one per page: filtered before paging
    assert listed == [via_users, *reversed(viewed)]
    assert {job.job_id for job in admin.jobs.list(name=name)} == {hidden, via_users, *viewed}
    admin.jobs.delete(hidden)
    assert _denied(sp.jobs.get, hidden) == _view_msg(hidden)
    assert _denied(sp.jobs.delete, hidden) == _owner_msg(hidden)
    with pytest.raises(DatabricksError, match=f"Job {hidden} does not exist"):
        admin.jobs.get(hidden)


def test_can_manage_run_runs_and_cancels_but_cannot_reset(
    admin: WorkspaceClient, sp: WorkspaceClient, sleeper: str, http: httpx.Client
) -> None:
    job_id = _job(admin, unique("mrun"), sleeper, "CAN_MANAGE_RUN")
    run_id = sp.jobs.run_now(job_id).run_id
    try:
        sp.jobs.cancel_run(run_id)
        assert wait_state(http, run_id)["state"]["result_state"] == "CANCELED"
    finally:
        _cancel_all(admin, job_id)
    assert _denied(sp.jobs.reset, job_id, jobs.JobSettings(name="x")) == _owner_msg(job_id)
    assert _denied(sp.jobs.update, job_id, new_settings=jobs.JobSettings(name="x")) == _owner_msg(job_id)
    assert _denied(sp.jobs.get_permissions, str(job_id)) == _acl_msg(job_id)


def test_can_manage_resets_reads_permissions_and_deletes(
    admin: WorkspaceClient, sp: WorkspaceClient, sleeper: str
) -> None:
    job_id = _job(admin, unique("mng"), sleeper, "CAN_MANAGE")
    task = jobs.Task.from_dict(py_task("t", sleeper))
    sp.jobs.reset(job_id, jobs.JobSettings(name=unique("renamed"), tasks=[task]))
    levels = {_name(e): e.all_permissions[0].permission_level.value
              for e in sp.jobs.get_permissions(str(job_id)).access_control_list or []}
    assert levels == {LOCAL_USER: "IS_OWNER", SP: "CAN_MANAGE", "admins": "CAN_MANAGE"}
    assert sp.jobs.get_permission_levels(str(job_id)).permission_levels
    sp.jobs.delete(job_id)


def _name(entry: jobs.JobAccessControlResponse) -> str:
    return entry.user_name or entry.service_principal_name or entry.group_name or ""


def test_owner_transfer_only_by_an_admin_and_run_as_follows(
    admin: WorkspaceClient, sp: WorkspaceClient, sleeper: str
) -> None:
    job_id = _job(admin, unique("own"), sleeper, "CAN_MANAGE")
    to_other = [jobs.JobAccessControlRequest(user_name="someone@example.com",
                                             permission_level=jobs.JobPermissionLevel.IS_OWNER)]
    assert _denied(sp.jobs.update_permissions, str(job_id), access_control_list=to_other) == (
        _acl_msg(job_id, "Owner")  # [I]
    )
    to_sp = [jobs.JobAccessControlRequest(service_principal_name=SP,
                                          permission_level=jobs.JobPermissionLevel.IS_OWNER)]
    admin.jobs.set_permissions(str(job_id), access_control_list=to_sp)
    job = sp.jobs.get(job_id)
    assert job.run_as_user_name == SP and job.creator_user_name == LOCAL_USER
    acl = sp.jobs.get_permissions(str(job_id)).access_control_list or []
    assert [(_name(e), e.all_permissions[0].permission_level.value) for e in acl] == [
        (SP, "IS_OWNER"), ("admins", "CAN_MANAGE")  # PUT replaced every direct entry
    ]
    sp.jobs.delete(job_id)


def test_a_job_created_by_the_service_principal_is_its_own(
    sp: WorkspaceClient, admin: WorkspaceClient
) -> None:
    job_id = sp.jobs.create(name=unique("mine")).job_id
    job = sp.jobs.get(job_id)
    assert job.creator_user_name == SP and job.run_as_user_name == SP
    assert job_id in {j.job_id for j in sp.jobs.list(name=job.settings.name)}
    assert admin.jobs.get(job_id).job_id == job_id  # admins pass every check
    sp.jobs.delete(job_id)


def test_one_time_runs_are_their_submitters_and_the_acl_given(
    admin: WorkspaceClient, sp: WorkspaceClient, sleeper: str, http: httpx.Client
) -> None:
    task = jobs.SubmitTask.from_dict(py_task("t", sleeper))
    private = admin.jobs.submit(run_name=unique("priv"), tasks=[task]).run_id
    view = jobs.JobAccessControlRequest(
        service_principal_name=SP, permission_level=jobs.JobPermissionLevel.CAN_VIEW
    )
    shared = admin.jobs.submit(run_name=unique("shared"), tasks=[task], access_control_list=[view]).run_id
    own = sp.jobs.submit(run_name=unique("own"), tasks=[task]).run_id
    try:
        private_job = admin.jobs.get_run(private).job_id
        assert _denied(sp.jobs.get_run, private) == _view_msg(private_job)
        assert sp.jobs.get_run(shared).run_id == shared
        sp.jobs.cancel_run(own)
        seen = {run.run_id for run in sp.jobs.list_runs(run_type=jobs.RunType.SUBMIT_RUN)}
        assert {shared, own} <= seen and private not in seen
        everything = admin.jobs.list_runs(run_type=jobs.RunType.SUBMIT_RUN)
        assert {private, shared, own} <= {run.run_id for run in everything}
    finally:
        for run_id in (private, shared, own):
            admin.jobs.cancel_run(run_id)
    for run_id in (private, shared, own):
        wait_state(http, run_id)


def test_me_reports_groups_and_an_identity_made_admin_passes_every_check(
    admin: WorkspaceClient, sp: WorkspaceClient, sleeper: str, http: httpx.Client
) -> None:
    assert [g.display for g in sp.current_user.me().groups or []] == ["users"]
    assert [g.display for g in admin.current_user.me().groups or []] == ["users", "admins"]
    job_id = _job(admin, unique("adm"), sleeper)
    made = http.post("/local-api/admins", json={"name": SP, "admin": True})
    try:
        assert made.status_code == 200 and made.json()["admins"] == sorted([LOCAL_USER, SP])
        assert [g.display for g in sp.current_user.me().groups or []] == ["users", "admins"]
        assert sp.jobs.get_permissions(str(job_id)).object_id == f"/jobs/{job_id}"
        assert job_id in {j.job_id for j in sp.jobs.list(name=sp.jobs.get(job_id).settings.name)}
    finally:
        http.post("/local-api/admins", json={"name": SP, "admin": False}).raise_for_status()
    assert _denied(sp.jobs.get, job_id) == _view_msg(job_id)
    admin.jobs.delete(job_id)


@pytest.mark.parametrize(
    ("body", "field"),
    [({"admin": True}, "name"), ({"name": SP}, "admin"), ({"name": LOCAL_USER, "admin": False}, "admin")],
)
def test_admin_control_refuses_bad_input(http: httpx.Client, body: dict[str, Any], field: str) -> None:
    response = http.post("/local-api/admins", json=body)
    assert response.status_code == 400 and field in response.json()["message"], response.text


def test_only_the_workspace_token_grants_admin(workspace: LocalWorkspace, sp: WorkspaceClient) -> None:
    response = httpx.post(f"{workspace.host}/local-api/admins", json={"name": SP, "admin": True},
                          headers={"Authorization": f"Bearer {_sp_token(sp)}"})
    assert response.status_code == 403 and response.json()["error_code"] == "PERMISSION_DENIED"



def test_cancel_all_queued_cancels_only_the_runs_it_may_manage(
    admin: WorkspaceClient, sp: WorkspaceClient, sleeper: str, http: httpx.Client
) -> None:
    """[I] runs/cancel-all without job_id, by a non-admin: only the queued runs of jobs it may run."""
    queued = {}
    for level in (None, "CAN_MANAGE_RUN"):
        job_id = _job(admin, unique("q"), sleeper, level)
        admin.jobs.update(job_id, new_settings=jobs.JobSettings(
            max_concurrent_runs=1, queue=jobs.QueueSettings(enabled=True)))
        admin.jobs.run_now(job_id)
        queued[level] = (job_id, admin.jobs.run_now(job_id).run_id)
    try:
        for _, run_id in queued.values():
            wait_state(http, run_id, ("QUEUED",))
        sp.jobs.cancel_all_runs(all_queued_runs=True)
        assert wait_state(http, queued["CAN_MANAGE_RUN"][1])["state"]["result_state"] == "CANCELED"
        assert admin.jobs.get_run(queued[None][1]).state.life_cycle_state == jobs.RunLifeCycleState.QUEUED
    finally:
        _cancel_all(admin, *(job_id for job_id, _ in queued.values()))
