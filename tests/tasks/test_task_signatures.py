"""The task signatures: 0.4 names and positional order, every 2.2 request field, the a-variants."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest

from prefect_databricks import jobs

SPEC = Path(__file__).resolve().parents[2].parent / "shared" / "spec" / "jobs-api-2.2.sdk-digest.json"

# From reference/seed-0.4.2-signatures.json: parameter names of prefect-databricks 0.4.2, in order.
SEED_POSITIONALS = {
    "jobs_create": (
        "databricks_credentials",
        "name",
        "tags",
        "tasks",
        "job_clusters",
        "email_notifications",
        "webhook_notifications",
        "timeout_seconds",
        "schedule",
        "max_concurrent_runs",
        "git_source",
        "format",
        "access_control_list",
        "parameters",
    ),
    "jobs_delete": (
        "databricks_credentials",
        "job_id",
    ),
    "jobs_get": (
        "job_id",
        "databricks_credentials",
    ),
    "jobs_list": (
        "databricks_credentials",
        "limit",
        "offset",
        "name",
        "expand_tasks",
    ),
    "jobs_reset": (
        "databricks_credentials",
        "job_id",
        "new_settings",
    ),
    "jobs_run_now": (
        "databricks_credentials",
        "job_id",
        "idempotency_token",
        "jar_params",
        "notebook_params",
        "python_params",
        "spark_submit_params",
        "python_named_params",
        "pipeline_params",
        "sql_params",
        "dbt_commands",
        "job_parameters",
    ),
    "jobs_runs_cancel": (
        "databricks_credentials",
        "run_id",
    ),
    "jobs_runs_cancel_all": (
        "databricks_credentials",
        "job_id",
    ),
    "jobs_runs_delete": (
        "databricks_credentials",
        "run_id",
    ),
    "jobs_runs_export": (
        "run_id",
        "databricks_credentials",
        "views_to_export",
    ),
    "jobs_runs_get": (
        "run_id",
        "databricks_credentials",
        "include_history",
    ),
    "jobs_runs_get_output": (
        "run_id",
        "databricks_credentials",
    ),
    "jobs_runs_list": (
        "databricks_credentials",
        "active_only",
        "completed_only",
        "job_id",
        "offset",
        "limit",
        "run_type",
        "expand_tasks",
        "start_time_from",
        "start_time_to",
    ),
    "jobs_runs_repair": (
        "databricks_credentials",
        "run_id",
        "rerun_tasks",
        "latest_repair_id",
        "rerun_all_failed_tasks",
        "jar_params",
        "notebook_params",
        "python_params",
        "spark_submit_params",
        "python_named_params",
        "pipeline_params",
        "sql_params",
        "dbt_commands",
        "job_parameters",
    ),
    "jobs_runs_submit": (
        "databricks_credentials",
        "tasks",
        "run_name",
        "webhook_notifications",
        "git_source",
        "timeout_seconds",
        "idempotency_token",
        "access_control_list",
    ),
    "jobs_update": (
        "databricks_credentials",
        "job_id",
        "new_settings",
        "fields_to_remove",
    ),
}

TASK_OF_SDK_METHOD = {
    "JobsAPI.cancel_all_runs": "jobs_runs_cancel_all",
    "JobsAPI.cancel_run": "jobs_runs_cancel",
    "JobsAPI.create": "jobs_create",
    "JobsAPI.delete": "jobs_delete",
    "JobsAPI.delete_run": "jobs_runs_delete",
    "JobsAPI.export_run": "jobs_runs_export",
    "JobsAPI.get": "jobs_get",
    "JobsAPI.get_permission_levels": "jobs_permissions_levels",
    "JobsAPI.get_permissions": "jobs_permissions_get",
    "JobsAPI.get_run": "jobs_runs_get",
    "JobsAPI.get_run_output": "jobs_runs_get_output",
    "JobsAPI.list": "jobs_list",
    "JobsAPI.list_runs": "jobs_runs_list",
    "JobsAPI.repair_run": "jobs_runs_repair",
    "JobsAPI.reset": "jobs_reset",
    "JobsAPI.run_now": "jobs_run_now",
    "JobsAPI.set_permissions": "jobs_permissions_set",
    "JobsAPI.submit": "jobs_runs_submit",
    "JobsAPI.update": "jobs_update",
    "JobsAPI.update_permissions": "jobs_permissions_update",
}


def _parameters(name: str) -> dict[str, inspect.Parameter]:
    return dict(inspect.signature(getattr(jobs, name).fn).parameters)


@pytest.mark.parametrize("name", sorted(SEED_POSITIONALS))
def test_seed_names_and_positional_order_are_kept(name: str) -> None:
    parameters = _parameters(name)
    positional = [p.name for p in parameters.values() if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert tuple(positional) == SEED_POSITIONALS[name]
    assert all(p.kind is not p.POSITIONAL_ONLY for p in parameters.values())


@pytest.mark.skipif(not SPEC.exists(), reason="the spec digest lives outside the repository")
def test_every_2_2_request_field_is_a_parameter() -> None:
    endpoints = json.loads(SPEC.read_text())["endpoints"]
    for endpoint in endpoints:
        task = TASK_OF_SDK_METHOD.get(endpoint["sdk_method"])
        if task is None:
            continue  # cluster-policy compliance endpoints have no task
        fields = endpoint["path_params"] + endpoint["query_params"] + endpoint["body_fields"]
        names = {f if isinstance(f, str) else f["name"] for f in fields}
        missing = names - set(_parameters(task))
        assert not missing, f"{task} lacks {sorted(missing)}"


# Jobs as code: tasks over several endpoints, taking whole job settings rather than one request's fields.
_NOT_ENDPOINTS = ("jobs_create_or_update", "jobs_create_or_update_from_file")


def test_fields_added_later_have_a_passthrough() -> None:
    for name in jobs.__all__:
        if name.startswith("jobs_") and not name.startswith(
            ("jobs_permissions_get", "jobs_permissions_levels", *_NOT_ENDPOINTS)
        ):
            kinds = [p.kind for p in _parameters(name).values()]
            assert inspect.Parameter.VAR_KEYWORD in kinds, name


def test_each_task_has_an_async_variant_and_status_reads_are_not_cached() -> None:
    from prefect.cache_policies import NO_CACHE

    names = [name for name in jobs.__all__ if name.startswith("jobs_")]
    assert len(names) == 22 + len(_NOT_ENDPOINTS)
    assert sorted(jobs.__all__) == sorted(names + [f"a{name}" for name in names])
    for name in names:
        twin, variant = getattr(jobs, name), getattr(jobs, f"a{name}")
        assert twin.aio is variant
        assert inspect.iscoroutinefunction(variant.fn)
        assert twin.cache_policy is NO_CACHE and variant.cache_policy is NO_CACHE
    assert jobs.__getattr__("jobs_get") is jobs.__getattr__("jobs_get")  # built once
