"""Job permissions: `/api/2.0/permissions/jobs/{job_id}` (GET, PUT, PATCH) and its permission levels.

A job's direct access control list is stored with the job; its owner (`IS_OWNER`) is the creator unless
changed, and only a workspace admin changes it. `access.py` enforces the levels. Fidelity gaps:
`display_name` is not filled; the `admins` group's inherited CAN_MANAGE is always shown; an admin asking
for a missing job is answered 404 RESOURCE_DOES_NOT_EXIST (not verified against the real service).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import InvalidParameterValue, ResourceDoesNotExist
from ..state import Workspace
from .access import require_owner_change
from .shapes import check_shape

__all__ = [
    "LEVELS", "checked_acl", "get_permissions", "grant_on_create", "permission_levels", "set_permissions",
]

LEVELS = {
    "CAN_VIEW": "Can view the job and its runs",
    "CAN_MANAGE_RUN": "Can view, trigger and cancel runs of the job",
    "CAN_MANAGE": "Can view, run, edit, delete and change permissions of the job",
    "IS_OWNER": "Owns the job: every permission, and runs are attributed to the owner",
}
_PRINCIPALS = ("user_name", "group_name", "service_principal_name")
_ADMINS = {
    "group_name": "admins",
    "all_permissions": [
        {"permission_level": "CAN_MANAGE", "inherited": True, "inherited_from_object": ["/jobs/"]}
    ],
}


def grant_on_create(ws: Workspace, job_id: int, owner: str, acl: Any) -> None:
    """The first permissions of a new job: its creator owns it, plus `access_control_list` if given."""
    entries = checked_acl(acl or [], "access_control_list")
    if not any(e["permission_level"] == "IS_OWNER" for e in entries):
        entries.insert(0, {_principal_kind(owner): owner, "permission_level": "IS_OWNER"})
    ws.store.put_permissions(job_id, entries)


def get_permissions(ws: Workspace, job_id: int) -> dict[str, Any]:
    """`JobPermissions` of a job: its direct entries and the inherited admins entry."""
    entries = _direct(ws, job_id)
    acl = [_response_entry(e) for e in entries] + [_ADMINS]
    return {"object_id": f"/jobs/{job_id}", "object_type": "job", "access_control_list": acl}


def set_permissions(
    ws: Workspace, job_id: int, acl: Any, *, replace: bool, by: str
) -> dict[str, Any]:
    """PUT (`replace`) or PATCH the direct entries for caller `by`; the owner stays unless another is named.

    Naming another owner takes a workspace admin. On PATCH the previous owner keeps CAN_MANAGE (docs,
    "Jobs access control": after a transfer "the previous owner is granted CAN MANAGE"); PUT replaces
    every direct entry, as recorded in databricks/cli acceptance `destroy_without_mgmtperms`, where the
    previous owner is left without access.
    """
    current = _direct(ws, job_id)
    changes = checked_acl(acl or [], "access_control_list")
    owner = next((e for e in current if e["permission_level"] == "IS_OWNER"), None)
    new_owner = next((e for e in changes if e["permission_level"] == "IS_OWNER"), None)
    moved = new_owner is not None and (owner is None or _principal(new_owner) != _principal(owner))
    if moved:
        require_owner_change(ws, by, job_id)
    kept = [] if replace else [e for e in current if e["permission_level"] != "IS_OWNER"]
    if moved and not replace and owner is not None:
        kind, name = _principal(owner)
        kept.append({kind: name, "permission_level": "CAN_MANAGE"})
    merged = {_principal(e): e for e in [*kept, *changes]}
    if owner is not None and new_owner is None:
        merged[_principal(owner)] = owner
    with ws.store.transaction():
        ws.store.put_permissions(job_id, list(merged.values()))
        _run_as_owner(ws, job_id, merged.values())
    return get_permissions(ws, job_id)


def _run_as_owner(ws: Workspace, job_id: int, entries: Iterable[dict[str, Any]]) -> None:
    """Without an explicit `run_as`, a job runs as its owner: `run_as_user_name` follows a new owner."""
    owner = next((e for e in entries if e["permission_level"] == "IS_OWNER"), None)
    job = ws.store.get_job(job_id)
    if owner is None or job is None or job["settings"].get("run_as"):
        return
    job["run_as_user_name"] = _principal(owner)[1]
    ws.store.put_job(job)


def _direct(ws: Workspace, job_id: int) -> list[dict[str, Any]]:
    job = ws.store.get_job(job_id)
    if job is None:
        raise ResourceDoesNotExist(f"Job {job_id} does not exist.")
    stored = ws.store.get_permissions(job_id)
    if stored is None:
        owner = job.get("creator_user_name", "")
        return [{_principal_kind(owner): owner, "permission_level": "IS_OWNER"}]
    return stored


def checked_acl(acl: Any, path: str) -> list[dict[str, Any]]:
    """Entries with exactly one principal and a known level; at most one owner, never a group."""
    check_shape(acl, "list:JobAccessControlRequest", path)
    entries = []
    for index, entry in enumerate(acl):
        where = f"{path}[{index}]"
        named = [key for key in _PRINCIPALS if entry.get(key)]
        if len(named) != 1:
            raise InvalidParameterValue(
                f"Invalid value for field {where}: exactly one of user_name, group_name and "
                "service_principal_name is required."
            )
        level = entry.get("permission_level")
        if level is None:
            raise InvalidParameterValue(f"Missing required field: {where}.permission_level")
        if level == "IS_OWNER" and named[0] == "group_name":
            raise InvalidParameterValue(f"Invalid value for field {where}: a group cannot own a job.")
        entries.append({named[0]: entry[named[0]], "permission_level": level})
    if sum(e["permission_level"] == "IS_OWNER" for e in entries) > 1:
        raise InvalidParameterValue(f"Invalid value for field {path}: a job has exactly one owner.")
    return entries


def _principal(entry: dict[str, Any]) -> tuple[str, str]:
    kind = next(key for key in _PRINCIPALS if key in entry)
    return kind, entry[kind]


def _principal_kind(name: str) -> str:
    """Users are e-mail addresses; service principals are application ids."""
    return "user_name" if "@" in name else "service_principal_name"


def _response_entry(entry: dict[str, Any]) -> dict[str, Any]:
    kind, name = _principal(entry)
    permission = {"permission_level": entry["permission_level"], "inherited": False}
    return {kind: name, "all_permissions": [permission]}


def permission_levels(ws: Workspace, job_id: int) -> dict[str, Any]:
    """The permission levels a job's access control list may grant (404 for a missing job)."""
    _direct(ws, job_id)
    return {"permission_levels": [{"permission_level": k, "description": v} for k, v in LEVELS.items()]}
