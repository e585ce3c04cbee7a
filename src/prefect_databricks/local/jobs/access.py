"""Who may do what to a job: the checks of the Jobs and Permissions APIs, with Databricks' messages.

What each level allows is Databricks' "Jobs access control" table: CAN_VIEW views the job and its runs,
CAN_MANAGE_RUN also runs and cancels, CAN_MANAGE and IS_OWNER also edit, delete and change permissions;
workspace admins pass every check. An identity's levels are its direct ACL entries and those of its
groups (everyone is in `users`). The check comes before the job is looked up, so a caller without access
gets 403 even for a deleted job (recorded: databricks/cli acceptance
`bundle/resources/permissions/jobs/destroy_without_mgmtperms`). One-time runs (runs/submit) are checked
against the ACL stored under their job id: the submitter owns them, plus the submit's `access_control_list`.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from ..errors import PermissionDenied
from ..state import Workspace
from ..store import Viewer

__all__ = ["Need", "allows", "levels_of", "require", "require_owner_change", "viewer_of"]

_VIEWERS = frozenset({"CAN_VIEW", "CAN_MANAGE_RUN", "CAN_MANAGE", "IS_OWNER"})
_RUNNERS = frozenset({"CAN_MANAGE_RUN", "CAN_MANAGE", "IS_OWNER"})
_MANAGERS = frozenset({"CAN_MANAGE", "IS_OWNER"})
_ELASTIC = "{who} does not have {what} permissions on Job with ID: ElasticJobId({job}). " \
    "Please contact the owner or an administrator for access."
_DELETE = "User {who} does not have Admin or Owner permissions on job {job}"


class Need(Enum):
    """What a request needs on its job; each declares the levels that pass and Databricks' 403 message."""

    VIEW = "view"
    RUN = "run"
    MANAGE = "manage"
    DELETE = "delete"
    PERMISSIONS = "permissions"

    def denied(self, who: str, job_id: int) -> PermissionDenied:
        """The 403 PERMISSION_DENIED answered to `who` lacking this on `job_id`."""
        return PermissionDenied(_RULES[self][1].format(who=who, job=job_id))


_RULES: dict[Need, tuple[frozenset[str], str]] = {
    # Recorded: databricks/cli acceptance destroy_without_mgmtperms (jobs/get of a job without access).
    Need.VIEW: (
        _VIEWERS, "User {who} does not have View or Admin or Manage Run or Owner permissions on job {job}"
    ),
    # Real 403 of run-now quoted secondhand (shared/reference jobs-api-2.2.md, [S T1]), quotes included.
    Need.RUN: (_RUNNERS, 'User "{who}" does not have Manage Run or Owner or Admin permissions on job {job}'),
    # [I] reset/update answer the delete message: the docs' table gives edit and delete the same levels.
    Need.MANAGE: (_MANAGERS, _DELETE),
    # Recorded: databricks/cli acceptance destroy_without_mgmtperms (jobs/delete).
    Need.DELETE: (_MANAGERS, _DELETE),
    # Recorded: databricks/cli acceptance destroy_without_mgmtperms (GET permissions/jobs/N).
    Need.PERMISSIONS: (_MANAGERS, _ELASTIC.replace("{what}", "Manage")),
}


def allows(ws: Workspace, who: str, job_id: int, need: Need) -> bool:
    """Whether `who` is an admin or holds a level `need` accepts on `job_id`."""
    return ws.is_admin(who) or bool(levels_of(ws, who, job_id) & _RULES[need][0])


def require(ws: Workspace, who: str, job_id: int, need: Need) -> None:
    """Pass if `allows(...)`; else the 403 Databricks answers for `need`."""
    if not allows(ws, who, job_id, need):
        raise need.denied(who, job_id)


def require_owner_change(ws: Workspace, who: str, job_id: int) -> None:
    """Only workspace admins change a job's owner (docs: "Workspace admins can change the job owner").

    [I] A non-admin naming another owner gets 403 in the shape of the Permissions API's messages, with
    "Owner" (seen in databricks/cli `bundle/permissions/terraform_errors_test.go`).
    """
    if not ws.is_admin(who):
        raise PermissionDenied(_ELASTIC.format(who=who, what="Owner", job=job_id))


def levels_of(ws: Workspace, who: str, job_id: int) -> set[str]:
    """The permission levels `who` holds on `job_id` directly or through its groups (admins aside)."""
    groups = ws.groups_of(who)
    return {entry["permission_level"] for entry in _acl(ws, job_id) if _names(entry, who, groups)}


def viewer_of(ws: Workspace, who: str) -> Viewer | None:
    """The list filter for `who`: None for an admin (sees every job and run), else its name and groups."""
    return None if ws.is_admin(who) else (who, ws.groups_of(who))


def _acl(ws: Workspace, job_id: int) -> list[dict[str, Any]]:
    stored = ws.store.get_permissions(job_id)
    if stored is not None:
        return stored
    job = ws.store.get_job(job_id)
    owner = job.get("creator_user_name", "") if job else ""
    return [{"user_name": owner, "permission_level": "IS_OWNER"}] if owner else []


def _names(entry: dict[str, Any], who: str, groups: tuple[str, ...]) -> bool:
    return who in (entry.get("user_name"), entry.get("service_principal_name")) or (
        entry.get("group_name") in groups
    )
