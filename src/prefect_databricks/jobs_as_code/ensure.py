"""Ensure a job by name: create it, reset it only when its settings differ, and keep its permissions.

Runs on a `DatabricksClient` alone (no Prefect), so the Prefect task and the CLI share it.
`jobs/reset` takes no `access_control_list`, so the wanted list is applied through the
Permissions API (`PUT permissions/jobs/{id}`) whenever the stored one differs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from prefect_databricks.client.checks import check_request
from prefect_databricks.client.errors import ClientValidationError
from prefect_databricks.jobs_as_code.compare import acl_differs, differences
from prefect_databricks.models._wire import to_wire

if TYPE_CHECKING:
    from prefect_databricks.client import DatabricksClient

__all__ = ["Action", "EnsuredJob", "ensure_job", "wanted_settings"]

Action = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True)
class EnsuredJob:
    """What ensuring a job did: its id, `created`/`updated`/`unchanged`, and the fields that differed."""

    job_id: int
    action: Action
    changed: tuple[str, ...] = ()


def wanted_settings(settings: Any) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    """Job settings (a model or a dict) as wire JSON, and their `access_control_list` taken apart.

    A `name` is required: the job is found by it.
    """
    wire = to_wire(settings)
    if not isinstance(wire, dict):
        raise ClientValidationError("job_settings", f"must be job settings, a dict or model (got {wire!r})")
    wanted = {key: value for key, value in wire.items() if value is not None}
    acl = wanted.pop("access_control_list", None)
    name = wanted.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ClientValidationError("name", "is required: a job is found and kept by its exact name")
    if acl is not None and not isinstance(acl, list):
        raise ClientValidationError("access_control_list", f"must be a list (got {acl!r})")
    check_request("jobs/create", wanted)
    return wanted, acl


async def ensure_job(client: DatabricksClient, settings: Any) -> EnsuredJob:
    """Create the job named `settings["name"]`, or reset it if its stored settings differ.

    Several jobs of that name is a `ClientValidationError` naming their ids; nothing is changed then.
    """
    wanted, acl = wanted_settings(settings)
    ids = await client.find_job_ids(wanted["name"])
    if len(ids) > 1:
        listed = ", ".join(map(str, ids))
        raise ClientValidationError(
            "name",
            f"{len(ids)} jobs are named {wanted['name']!r} ({listed}); keep one, delete or rename the others",
        )
    if not ids:
        body = {**wanted, **({"access_control_list": acl} if acl is not None else {})}
        created = await client.call("jobs/create", params=body)
        return EnsuredJob(int(created["job_id"]), "created")
    job_id = ids[0]
    current = await client.get_job(job_id)
    changed = differences(current.get("settings") or {}, wanted)
    if changed:
        await client.call("jobs/reset", params={"job_id": job_id, "new_settings": wanted})
    if acl is not None and await _apply_acl(client, job_id, acl):
        changed.append("access_control_list")
    return EnsuredJob(job_id, "updated" if changed else "unchanged", tuple(changed))


async def _apply_acl(client: DatabricksClient, job_id: int, acl: Sequence[Mapping[str, Any]]) -> bool:
    """PUT the wanted permissions if the stored direct ones differ; True if they were sent."""
    path = {"job_id": job_id}
    stored = await client.call("permissions/jobs/get", path=path)
    if not acl_differs(stored, acl):
        return False
    await client.call("permissions/jobs/set", params={"access_control_list": acl}, path=path)
    return True
