"""Handlers of saved jobs and their permissions: request fields read into the jobs service's arguments."""

from __future__ import annotations

from typing import Any

from ..jobs.permissions import get_permissions, permission_levels, set_permissions
from ..jobs.service import create_job, delete_job, get_job, list_jobs, reset_job, update_job
from .app import Call
from .params import Params

__all__ = [
    "create", "delete", "get", "get_permissions_of", "list_", "patch_permissions", "permission_levels_of",
    "reset", "set_permissions_of", "update",
]


async def create(call: Call) -> dict[str, int]:
    """jobs/create."""
    return create_job(call.ws, dict(call.params.data), version=call.version, creator=call.caller)


async def get(call: Call) -> dict[str, Any]:
    """jobs/get."""
    job_id = _job_id(call.params)
    call.check(job_id)
    return get_job(call.ws, job_id, version=call.version, page_token=call.params.str("page_token"))


async def list_(call: Call) -> dict[str, Any]:
    """jobs/list: only the jobs the caller may view (all of them for an admin)."""
    params = call.params
    return list_jobs(
        call.ws,
        viewer=call.viewer(),
        version=call.version,
        limit=params.int("limit"),
        offset=params.int("offset", default=0) or 0,
        name=params.str("name"),
        expand_tasks=params.bool("expand_tasks"),
        page_token=params.str("page_token"),
    )


async def reset(call: Call) -> dict[str, Any]:
    """jobs/reset."""
    job_id = _job_id(call.params)
    call.check(job_id)
    reset_job(call.ws, job_id, call.params.obj("new_settings", required=True), version=call.version)
    return {}


async def update(call: Call) -> dict[str, Any]:
    """jobs/update."""
    job_id = _job_id(call.params)
    call.check(job_id)
    new_settings = call.params.obj("new_settings") or {}
    removals = call.params.list("fields_to_remove") or []
    update_job(call.ws, job_id, new_settings, removals, version=call.version)
    return {}


async def delete(call: Call) -> dict[str, Any]:
    """jobs/delete."""
    job_id = _job_id(call.params)
    call.check(job_id)
    delete_job(call.ws, job_id)
    return {}


async def get_permissions_of(call: Call) -> dict[str, Any]:
    """GET permissions/jobs/{job_id}."""
    return get_permissions(call.ws, _checked_path_job_id(call))


async def set_permissions_of(call: Call) -> dict[str, Any]:
    """PUT permissions/jobs/{job_id}: replaces the direct access control list."""
    acl = call.params.raw("access_control_list")
    return set_permissions(call.ws, _checked_path_job_id(call), acl, replace=True, by=call.caller)


async def patch_permissions(call: Call) -> dict[str, Any]:
    """PATCH permissions/jobs/{job_id}: adds to the direct access control list."""
    acl = call.params.raw("access_control_list")
    return set_permissions(call.ws, _checked_path_job_id(call), acl, replace=False, by=call.caller)


async def permission_levels_of(call: Call) -> dict[str, Any]:
    """GET permissions/jobs/{job_id}/permissionLevels."""
    return permission_levels(call.ws, _checked_path_job_id(call))


def _job_id(params: Params) -> int:
    return params.int("job_id", required=True) or 0


def _checked_path_job_id(call: Call) -> int:
    """The job id of a Permissions API path, once the caller may manage its permissions."""
    job_id = _job_id(Params({"job_id": call.path["job_id"]}, from_query=True))
    call.check(job_id)
    return job_id
