"""Async tasks for jobs as code: ensure a job by name, or every job of a bundle file (see `jobs_as_code`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from ..jobs_as_code.bundle import load_jobs
from ..jobs_as_code.ensure import EnsuredJob, ensure_job

if TYPE_CHECKING:
    from ..credentials import DatabricksCredentials
    from ..models import JobSettings

__all__ = ["ajobs_create_or_update", "ajobs_create_or_update_from_file"]


@task(cache_policy=NO_CACHE)
async def ajobs_create_or_update(
    databricks_credentials: DatabricksCredentials, job_settings: JobSettings | dict[str, Any]
) -> EnsuredJob:
    """Create the job named `job_settings["name"]`, or reset it only if its settings differ.

    Args:
        databricks_credentials: Credentials of the workspace.
        job_settings: The job's settings (model or dict) with its `name`; an `access_control_list`
            in them is applied with the Permissions API whenever the job's differs.

    Returns the `job_id` and the `action`: "created", "updated" or "unchanged". Several jobs of
    the name raise a `ClientValidationError` naming their ids.
    """
    return await ensure_job(databricks_credentials.get_jobs_client(), job_settings)


@task(cache_policy=NO_CACHE)
async def ajobs_create_or_update_from_file(
    databricks_credentials: DatabricksCredentials,
    path: str | Path,
    variables: dict[str, Any] | None = None,
) -> dict[str, EnsuredJob]:
    """Ensure every job of a bundle-style YAML/JSON file (`resources.jobs.<key>`); job key → result.

    Args:
        databricks_credentials: Credentials of the workspace.
        path: The file; `${var.x}` take the file's `variables:` defaults, or `variables`.
        variables: Values of the file's declared variables.
    """
    client = databricks_credentials.get_jobs_client()
    jobs = load_jobs(path, variables)
    return {key: await ensure_job(client, settings) for key, settings in jobs.items()}
