"""Async tasks for saved jobs and their permissions (`a`-variants; see `prefect_databricks.jobs`).

Each task: request fields from its arguments -> client-side checks -> one client call -> the
response dict. Parameters keep the 0.4 names and positional order; 2.2 fields are keywords.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from .build import checked_client, request_fields, send

if TYPE_CHECKING:
    from ..credentials import DatabricksCredentials
    from ..models import (
        Continuous,
        CronSchedule,
        GitSource,
        JobAccessControlRequest,
        JobCluster,
        JobDeployment,
        JobEmailNotifications,
        JobEnvironment,
        JobEnvironmentVariables,
        JobNotificationSettings,
        JobParameterDefinition,
        JobRunAs,
        JobSettings,
        JobsHealthRules,
        QueueSettings,
        Task,
        TriggerConfiguration,
        TriggerSettings,
        WebhookNotifications,
    )

    Obj = Mapping[str, Any]

__all__ = [
    "ajobs_create",
    "ajobs_delete",
    "ajobs_get",
    "ajobs_list",
    "ajobs_list_all",
    "ajobs_permissions_get",
    "ajobs_permissions_levels",
    "ajobs_permissions_set",
    "ajobs_permissions_update",
    "ajobs_reset",
    "ajobs_update",
]


@task(cache_policy=NO_CACHE)
async def ajobs_create(
    databricks_credentials: DatabricksCredentials,
    name: str | None = None,
    tags: dict[str, str] | None = None,
    tasks: list[Task | Obj] | None = None,
    job_clusters: list[JobCluster | Obj] | None = None,
    email_notifications: JobEmailNotifications | Obj | None = None,
    webhook_notifications: WebhookNotifications | Obj | None = None,
    timeout_seconds: int | None = None,
    schedule: CronSchedule | Obj | None = None,
    max_concurrent_runs: int | None = None,
    git_source: GitSource | Obj | None = None,
    format: str | None = None,
    access_control_list: list[JobAccessControlRequest | Obj] | None = None,
    parameters: list[JobParameterDefinition | Obj] | None = None,
    *,
    budget_policy_id: str | None = None,
    continuous: Continuous | Obj | None = None,
    deployment: JobDeployment | Obj | None = None,
    description: str | None = None,
    duration_target: str | None = None,
    edit_mode: str | None = None,
    environment_variables: list[JobEnvironmentVariables | Obj] | None = None,
    environments: list[JobEnvironment | Obj] | None = None,
    health: JobsHealthRules | Obj | None = None,
    notification_settings: JobNotificationSettings | Obj | None = None,
    parent_path: str | None = None,
    performance_target: str | None = None,
    queue: QueueSettings | Obj | None = None,
    run_as: JobRunAs | Obj | None = None,
    trigger: TriggerSettings | Obj | None = None,
    triggers: list[TriggerConfiguration | Obj] | None = None,
    usage_policy_id: str | None = None,
    **extra_fields: Any,
) -> dict[str, Any]:
    """Create a job (`jobs/create`); returns `{"job_id": ...}`.

    Args:
        databricks_credentials: Credentials of the workspace.
        name: Job name (the API defaults it to "Untitled").
        tags: Up to 25 tags, forwarded to job clusters.
        tasks: Task specs (models or dicts); task keys must be unique.
        job_clusters: Cluster specs shared by tasks through `job_cluster_key`.
        max_concurrent_runs: 0 to 1000; 0 skips every new run.
        **extra_fields: Any other JobSettings field, sent as given. Every other keyword is
            the JobSettings field of the same name; only fields given are sent.
    """
    return await send(databricks_credentials, "jobs/create", request_fields(locals()))


@task(cache_policy=NO_CACHE)
async def ajobs_delete(
    databricks_credentials: DatabricksCredentials, job_id: int, **extra_fields: Any
) -> dict[str, Any]:
    """Delete a job (`jobs/delete`); returns `{}`.

    Args:
        databricks_credentials: Credentials of the workspace.
        job_id: The job to delete.
    """
    return await send(databricks_credentials, "jobs/delete", request_fields(locals()))


@task(cache_policy=NO_CACHE)
async def ajobs_get(
    job_id: int,
    databricks_credentials: DatabricksCredentials,
    *,
    include_trigger_state: bool | None = None,
    page_token: str | None = None,
    **extra_fields: Any,
) -> dict[str, Any]:
    """Get a job (`jobs/get`) with every page of its arrays merged into one object.

    Args:
        job_id: The job to read.
        databricks_credentials: Credentials of the workspace.
        include_trigger_state: Also return the trigger state.
        page_token: Return only this page, unmerged, as the API sends it.
    """
    fields = request_fields(locals())
    client = checked_client(databricks_credentials, "jobs/get", fields)
    return await client.get_job(fields.pop("job_id"), **fields)


@task(cache_policy=NO_CACHE)
async def ajobs_list(
    databricks_credentials: DatabricksCredentials,
    limit: int | None = None,
    offset: int | None = None,
    name: str | None = None,
    expand_tasks: bool | None = None,
    *,
    page_token: str | None = None,
    **extra_fields: Any,
) -> dict[str, Any]:
    """List one page of jobs (`jobs/list`); `next_page_token` points at the next page.

    Args:
        databricks_credentials: Credentials of the workspace.
        limit: Jobs per page, 1 to 100 (API default 20).
        offset: Deprecated offset; prefer `page_token`.
        name: Exact, case-insensitive name filter.
        expand_tasks: Include task and cluster details.
        page_token: The page to read, from a previous `next_page_token`.
    """
    return await send(databricks_credentials, "jobs/list", request_fields(locals()))


@task(cache_policy=NO_CACHE)
async def ajobs_list_all(
    databricks_credentials: DatabricksCredentials,
    limit: int | None = None,
    name: str | None = None,
    expand_tasks: bool | None = None,
    **extra_fields: Any,
) -> list[dict[str, Any]]:
    """Every job of `jobs/list`, walking all pages; returns the list of jobs.

    Args:
        databricks_credentials: Credentials of the workspace.
        limit: Jobs per page, 1 to 100.
        name: Exact, case-insensitive name filter.
        expand_tasks: Include task and cluster details.
    """
    fields = request_fields(locals())
    client = checked_client(databricks_credentials, "jobs/list", fields)
    return [job async for job in client.iter_jobs(**fields)]


@task(cache_policy=NO_CACHE)
async def ajobs_reset(
    databricks_credentials: DatabricksCredentials,
    job_id: int,
    new_settings: JobSettings | Obj,
    **extra_fields: Any,
) -> dict[str, Any]:
    """Replace all settings of a job (`jobs/reset`); returns `{}`.

    Args:
        databricks_credentials: Credentials of the workspace.
        job_id: The job to reset.
        new_settings: The complete new settings (model or dict).
    """
    return await send(databricks_credentials, "jobs/reset", request_fields(locals()))


@task(cache_policy=NO_CACHE)
async def ajobs_update(
    databricks_credentials: DatabricksCredentials,
    job_id: int,
    new_settings: JobSettings | Obj | None = None,
    fields_to_remove: list[str] | None = None,
    **extra_fields: Any,
) -> dict[str, Any]:
    """Update some settings of a job (`jobs/update`); returns `{}`.

    Args:
        databricks_credentials: Credentials of the workspace.
        job_id: The job to update.
        new_settings: Top-level fields to replace; `tasks`/`job_clusters` merge by key.
        fields_to_remove: Top-level fields to remove, or `tasks/<key>`, `job_clusters/<key>`.
    """
    return await send(databricks_credentials, "jobs/update", request_fields(locals()))


@task(cache_policy=NO_CACHE)
async def ajobs_permissions_get(databricks_credentials: DatabricksCredentials, job_id: int) -> dict[str, Any]:
    """Read the permissions of a job (`GET permissions/jobs/{job_id}`).

    Args:
        databricks_credentials: Credentials of the workspace.
        job_id: The job whose access control list to read.
    """
    return await send(databricks_credentials, "permissions/jobs/get", {}, path={"job_id": job_id})


@task(cache_policy=NO_CACHE)
async def ajobs_permissions_levels(
    databricks_credentials: DatabricksCredentials, job_id: int
) -> dict[str, Any]:
    """List the permission levels a job supports (`permissions/jobs/{job_id}/permissionLevels`).

    Args:
        databricks_credentials: Credentials of the workspace.
        job_id: The job to ask about.
    """
    path = {"job_id": job_id}
    return await send(databricks_credentials, "permissions/jobs/levels", {}, path=path)


@task(cache_policy=NO_CACHE)
async def ajobs_permissions_set(
    databricks_credentials: DatabricksCredentials,
    job_id: int,
    access_control_list: list[JobAccessControlRequest | Obj] | None = None,
    **extra_fields: Any,
) -> dict[str, Any]:
    """Replace the direct permissions of a job (`PUT`); an empty list removes them all.

    Args:
        databricks_credentials: Credentials of the workspace.
        job_id: The job whose permissions to set.
        access_control_list: Entries of `user_name`/`group_name`/`service_principal_name`
            and `permission_level`.
    """
    fields = request_fields({**locals(), "job_id": None})
    path = {"job_id": job_id}
    return await send(databricks_credentials, "permissions/jobs/set", fields, path=path)


@task(cache_policy=NO_CACHE)
async def ajobs_permissions_update(
    databricks_credentials: DatabricksCredentials,
    job_id: int,
    access_control_list: list[JobAccessControlRequest | Obj] | None = None,
    **extra_fields: Any,
) -> dict[str, Any]:
    """Add or change permissions of a job (`PATCH`), keeping the others.

    Args:
        databricks_credentials: Credentials of the workspace.
        job_id: The job whose permissions to update.
        access_control_list: Entries of `user_name`/`group_name`/`service_principal_name`
            and `permission_level`.
    """
    fields = request_fields({**locals(), "job_id": None})
    path = {"job_id": job_id}
    return await send(databricks_credentials, "permissions/jobs/update", fields, path=path)
