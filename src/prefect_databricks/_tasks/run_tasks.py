"""Async tasks for job runs (`a`-variants; see `prefect_databricks.jobs`).

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
        GitSource,
        JobAccessControlRequest,
        JobCluster,
        JobEmailNotifications,
        JobEnvironment,
        JobEnvironmentVariables,
        JobNotificationSettings,
        JobRunAs,
        JobsHealthRules,
        PipelineParams,
        QueueSettings,
        SubmitTask,
        WebhookNotifications,
    )

    Obj = Mapping[str, Any]

__all__ = [
    "ajobs_run_now",
    "ajobs_runs_cancel",
    "ajobs_runs_cancel_all",
    "ajobs_runs_delete",
    "ajobs_runs_export",
    "ajobs_runs_get",
    "ajobs_runs_get_output",
    "ajobs_runs_list",
    "ajobs_runs_list_all",
    "ajobs_runs_repair",
    "ajobs_runs_submit",
]


@task(cache_policy=NO_CACHE)
async def ajobs_run_now(
    databricks_credentials: DatabricksCredentials,
    job_id: int,
    idempotency_token: str | None = None,
    jar_params: list[str] | None = None,
    notebook_params: dict[str, str] | None = None,
    python_params: list[str] | None = None,
    spark_submit_params: list[str] | None = None,
    python_named_params: dict[str, str] | None = None,
    pipeline_params: PipelineParams | Obj | None = None,
    sql_params: dict[str, str] | None = None,
    dbt_commands: list[str] | None = None,
    job_parameters: dict[str, str] | None = None,
    *,
    duration_target: str | None = None,
    only: list[str] | None = None,
    performance_target: str | None = None,
    queue: QueueSettings | Obj | None = None,
    **extra_fields: Any,
) -> dict[str, Any]:
    """Trigger a run of a saved job (`jobs/run-now`); returns `{"run_id", "number_in_job"}`.

    Args:
        databricks_credentials: Credentials of the workspace.
        job_id: The job to run.
        idempotency_token: At most 64 characters; the same token never starts a second run.
        job_parameters: Job-level parameter values (preferred over the legacy maps).
        only: Task keys to run instead of the whole job.
        queue: Queue settings for this run.
        **extra_fields: Any other run-now field, sent as given. Legacy `*_params` maps are
            limited to 10,000 bytes of JSON; `jar_params` excludes `notebook_params`.
    """
    return await send(databricks_credentials, "jobs/run-now", request_fields(locals()))


@task(cache_policy=NO_CACHE)
async def ajobs_runs_submit(
    databricks_credentials: DatabricksCredentials,
    tasks: list[SubmitTask | Obj] | None = None,
    run_name: str | None = None,
    webhook_notifications: WebhookNotifications | Obj | None = None,
    git_source: GitSource | Obj | None = None,
    timeout_seconds: int | None = None,
    idempotency_token: str | None = None,
    access_control_list: list[JobAccessControlRequest | Obj] | None = None,
    *,
    budget_policy_id: str | None = None,
    duration_target: str | None = None,
    email_notifications: JobEmailNotifications | Obj | None = None,
    environment_variables: list[JobEnvironmentVariables | Obj] | None = None,
    environments: list[JobEnvironment | Obj] | None = None,
    health: JobsHealthRules | Obj | None = None,
    job_clusters: list[JobCluster | Obj] | None = None,
    notification_settings: JobNotificationSettings | Obj | None = None,
    performance_target: str | None = None,
    queue: QueueSettings | Obj | None = None,
    run_as: JobRunAs | Obj | None = None,
    usage_policy_id: str | None = None,
    **extra_fields: Any,
) -> dict[str, Any]:
    """Submit a one-time run (`jobs/runs/submit`); returns `{"run_id": ...}`.

    Args:
        databricks_credentials: Credentials of the workspace.
        tasks: Task specs (models or dicts); task keys must be unique.
        run_name: Run name (the API defaults it to "Untitled").
        idempotency_token: At most 64 characters; the same token never starts a second run.
        **extra_fields: Any other runs/submit field, sent as given. Every other keyword is the
            request field of the same name; only fields given are sent.
    """
    return await send(databricks_credentials, "jobs/runs/submit", request_fields(locals()))


@task(cache_policy=NO_CACHE)
async def ajobs_runs_cancel(
    databricks_credentials: DatabricksCredentials, run_id: int, **extra_fields: Any
) -> dict[str, Any]:
    """Cancel a job run or task run (`jobs/runs/cancel`, asynchronous); returns `{}`.

    Args:
        databricks_credentials: Credentials of the workspace.
        run_id: The run to cancel.
    """
    return await send(databricks_credentials, "jobs/runs/cancel", request_fields(locals()))


@task(cache_policy=NO_CACHE)
async def ajobs_runs_cancel_all(
    databricks_credentials: DatabricksCredentials,
    job_id: int | None = None,
    *,
    all_queued_runs: bool | None = None,
    **extra_fields: Any,
) -> dict[str, Any]:
    """Cancel every active run of a job (`jobs/runs/cancel-all`); returns `{}`.

    Args:
        databricks_credentials: Credentials of the workspace.
        job_id: The job whose runs to cancel.
        all_queued_runs: Cancel queued runs (of every job when `job_id` is not given).
    """
    return await send(databricks_credentials, "jobs/runs/cancel-all", request_fields(locals()))


@task(cache_policy=NO_CACHE)
async def ajobs_runs_delete(
    databricks_credentials: DatabricksCredentials, run_id: int, **extra_fields: Any
) -> dict[str, Any]:
    """Delete a finished run (`jobs/runs/delete`); returns `{}`.

    Args:
        databricks_credentials: Credentials of the workspace.
        run_id: The run to delete; it must not be active.
    """
    return await send(databricks_credentials, "jobs/runs/delete", request_fields(locals()))


@task(cache_policy=NO_CACHE)
async def ajobs_runs_export(
    run_id: int,
    databricks_credentials: DatabricksCredentials,
    views_to_export: str | None = None,
    **extra_fields: Any,
) -> dict[str, Any]:
    """Export a task run's views (`jobs/runs/export`); returns `{"views": [...]}`.

    Args:
        run_id: The task run to export.
        databricks_credentials: Credentials of the workspace.
        views_to_export: `CODE` (API default), `DASHBOARDS` or `ALL`.
    """
    return await send(databricks_credentials, "jobs/runs/export", request_fields(locals()))


@task(cache_policy=NO_CACHE)
async def ajobs_runs_get(
    run_id: int,
    databricks_credentials: DatabricksCredentials,
    include_history: bool | None = None,
    *,
    include_resolved_values: bool | None = None,
    page_token: str | None = None,
    **extra_fields: Any,
) -> dict[str, Any]:
    """Get a run (`jobs/runs/get`) with every page of its arrays merged into one object.

    Args:
        run_id: The run to read.
        databricks_credentials: Credentials of the workspace.
        include_history: Also return `repair_history`.
        include_resolved_values: Also return each task's resolved parameter values.
        page_token: Return only this page, unmerged, as the API sends it.
    """
    fields = request_fields(locals())
    client = checked_client(databricks_credentials, "jobs/runs/get", fields)
    return await client.get_run(fields.pop("run_id"), **fields)


@task(cache_policy=NO_CACHE)
async def ajobs_runs_get_output(
    run_id: int, databricks_credentials: DatabricksCredentials, **extra_fields: Any
) -> dict[str, Any]:
    """Get the output of one task run (`jobs/runs/get-output`).

    Args:
        run_id: The task run (a job run with several tasks is refused by the API).
        databricks_credentials: Credentials of the workspace.
    """
    return await send(databricks_credentials, "jobs/runs/get-output", request_fields(locals()))


@task(cache_policy=NO_CACHE)
async def ajobs_runs_list(
    databricks_credentials: DatabricksCredentials,
    active_only: bool | None = None,
    completed_only: bool | None = None,
    job_id: int | None = None,
    offset: int | None = None,
    limit: int | None = None,
    run_type: str | None = None,
    expand_tasks: bool | None = None,
    start_time_from: int | None = None,
    start_time_to: int | None = None,
    *,
    page_token: str | None = None,
    **extra_fields: Any,
) -> dict[str, Any]:
    """List one page of runs, newest first (`jobs/runs/list`), with `next_page_token`.

    Args:
        databricks_credentials: Credentials of the workspace.
        active_only: Only active runs (not with `completed_only`).
        completed_only: Only completed runs.
        job_id: Only runs of this job.
        limit: Runs per page, 0 to 25 (0 means the maximum).
        run_type: `JOB_RUN`, `WORKFLOW_RUN` or `SUBMIT_RUN`.
        start_time_from: Epoch ms lower bound of the start time.
        start_time_to: Epoch ms upper bound of the start time.
        page_token: The page to read, from a previous `next_page_token`.
    """
    return await send(databricks_credentials, "jobs/runs/list", request_fields(locals()))


@task(cache_policy=NO_CACHE)
async def ajobs_runs_list_all(
    databricks_credentials: DatabricksCredentials,
    active_only: bool | None = None,
    completed_only: bool | None = None,
    job_id: int | None = None,
    limit: int | None = None,
    run_type: str | None = None,
    expand_tasks: bool | None = None,
    start_time_from: int | None = None,
    start_time_to: int | None = None,
    **extra_fields: Any,
) -> list[dict[str, Any]]:
    """Every run of `jobs/runs/list`, walking all pages; returns the list of runs.

    Args:
        databricks_credentials: Credentials of the workspace.
        active_only: Only active runs (not with `completed_only`).
        completed_only: Only completed runs.
        job_id: Only runs of this job.
        limit: Runs per page, 0 to 25.
    """
    fields = request_fields(locals())
    client = checked_client(databricks_credentials, "jobs/runs/list", fields)
    return [run async for run in client.iter_runs(**fields)]


@task(cache_policy=NO_CACHE)
async def ajobs_runs_repair(
    databricks_credentials: DatabricksCredentials,
    run_id: int,
    rerun_tasks: list[str] | None = None,
    latest_repair_id: int | None = None,
    rerun_all_failed_tasks: bool | None = None,
    jar_params: list[str] | None = None,
    notebook_params: dict[str, str] | None = None,
    python_params: list[str] | None = None,
    spark_submit_params: list[str] | None = None,
    python_named_params: dict[str, str] | None = None,
    pipeline_params: PipelineParams | Obj | None = None,
    sql_params: dict[str, str] | None = None,
    dbt_commands: list[str] | None = None,
    job_parameters: dict[str, str] | None = None,
    *,
    duration_target: str | None = None,
    performance_target: str | None = None,
    rerun_dependent_tasks: bool | None = None,
    **extra_fields: Any,
) -> dict[str, Any]:
    """Re-run tasks of a finished run (`jobs/runs/repair`); returns `{"repair_id": ...}`.

    Args:
        databricks_credentials: Credentials of the workspace.
        run_id: The job run to repair; it must not be in progress.
        rerun_tasks: Task keys to re-run (not with `rerun_all_failed_tasks`).
        latest_repair_id: The last `repair_id`; required from the second repair on.
        rerun_all_failed_tasks: Re-run every failed task.
        rerun_dependent_tasks: Also re-run tasks downstream of those re-run.
        job_parameters: Job-level parameter values for the repair.
        **extra_fields: Any other repair field, sent as given.
    """
    return await send(databricks_credentials, "jobs/runs/repair", request_fields(locals()))
