"""Job permissions over raw HTTP: owner, PUT replaces, PATCH merges, levels, validation."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest


def _job(http: httpx.Client, **extra: Any) -> int:
    response = http.post("/api/2.2/jobs/create", json={"name": f"p-{uuid.uuid4().hex}", **extra})
    assert response.status_code == 200, response.text
    return response.json()["job_id"]


def _levels(body: dict[str, Any]) -> dict[str, str]:
    out = {}
    for entry in body["access_control_list"]:
        name = entry.get("user_name") or entry.get("group_name") or entry.get("service_principal_name")
        out[name] = entry["all_permissions"][0]["permission_level"]
    return out


def test_creator_owns_and_access_control_list_applies_at_creation(http: httpx.Client) -> None:
    acl = [{"group_name": "analysts", "permission_level": "CAN_VIEW"}]
    job_id = _job(http, access_control_list=acl)
    body = http.get(f"/api/2.0/permissions/jobs/{job_id}").json()
    assert body["object_id"] == f"/jobs/{job_id}" and body["object_type"] == "job"
    assert _levels(body) == {
        "local-user@localhost": "IS_OWNER",
        "analysts": "CAN_VIEW",
        "admins": "CAN_MANAGE",
    }


def test_put_replaces_and_patch_merges_keeping_the_owner(http: httpx.Client) -> None:
    job_id = _job(http, access_control_list=[{"group_name": "a", "permission_level": "CAN_VIEW"}])
    path = f"/api/2.0/permissions/jobs/{job_id}"
    put = http.put(
        path, json={"access_control_list": [{"user_name": "b@x.com", "permission_level": "CAN_MANAGE"}]}
    )
    assert _levels(put.json()) == {
        "local-user@localhost": "IS_OWNER",
        "b@x.com": "CAN_MANAGE",
        "admins": "CAN_MANAGE",
    }
    patch = http.patch(
        path, json={"access_control_list": [{"group_name": "c", "permission_level": "CAN_MANAGE_RUN"}]}
    )
    assert _levels(patch.json())["b@x.com"] == "CAN_MANAGE" and _levels(patch.json())["c"] == "CAN_MANAGE_RUN"
    owner = {"service_principal_name": "sp-1", "permission_level": "IS_OWNER"}
    moved = http.patch(path, json={"access_control_list": [owner]}).json()
    # Docs, "Jobs access control": after a transfer "the previous owner is granted CAN MANAGE".
    assert _levels(moved)["sp-1"] == "IS_OWNER" and _levels(moved)["local-user@localhost"] == "CAN_MANAGE"
    job = http.get("/api/2.2/jobs/get", params={"job_id": job_id}).json()
    assert job["run_as_user_name"] == "sp-1" and job["creator_user_name"] == "local-user@localhost"


def test_permission_levels(http: httpx.Client) -> None:
    job_id = _job(http)
    levels = http.get(f"/api/2.0/permissions/jobs/{job_id}/permissionLevels").json()["permission_levels"]
    assert [lvl["permission_level"] for lvl in levels] == [
        "CAN_VIEW",
        "CAN_MANAGE_RUN",
        "CAN_MANAGE",
        "IS_OWNER",
    ]
    assert all(lvl["description"] for lvl in levels)


@pytest.mark.parametrize(
    ("acl", "field"),
    [
        ([{"user_name": "u@x.com", "permission_level": "CAN_FLY"}], "permission_level"),
        ([{"permission_level": "CAN_VIEW"}], "access_control_list[0]"),
        (
            [{"user_name": "u@x.com", "group_name": "g", "permission_level": "CAN_VIEW"}],
            "access_control_list[0]",
        ),
        ([{"user_name": "u@x.com"}], "permission_level"),
        ([{"group_name": "g", "permission_level": "IS_OWNER"}], "group"),
        ("everyone", "access_control_list"),
    ],
)
def test_bad_access_control_lists_are_400s(http: httpx.Client, acl: Any, field: str) -> None:
    job_id = _job(http)
    response = http.put(f"/api/2.0/permissions/jobs/{job_id}", json={"access_control_list": acl})
    assert response.status_code == 400 and field in response.json()["message"]


def test_unknown_job_and_bad_id(http: httpx.Client) -> None:
    assert http.get("/api/2.0/permissions/jobs/1").json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert http.get("/api/2.0/permissions/jobs/abc").status_code == 400
