"""The import paths users rely on stay where they are, whatever moves inside the package."""

from __future__ import annotations

import importlib

import pytest

_TASKS = (
    "jobs_create", "jobs_delete", "jobs_get", "jobs_list", "jobs_list_all", "jobs_permissions_get",
    "jobs_permissions_levels", "jobs_permissions_set", "jobs_permissions_update", "jobs_reset",
    "jobs_run_now", "jobs_runs_cancel", "jobs_runs_cancel_all", "jobs_runs_delete", "jobs_runs_export",
    "jobs_runs_get", "jobs_runs_get_output", "jobs_runs_list", "jobs_runs_list_all", "jobs_runs_repair",
    "jobs_runs_submit", "jobs_update",
)  # fmt: skip
_FLOWS = (
    "jobs_run_now_and_wait", "jobs_runs_repair_and_wait", "jobs_runs_submit_and_wait_for_completion",
    "jobs_runs_submit_by_id_and_wait_for_completion", "jobs_runs_wait_for_completion", "wait_for_run",
    "wait_for_runs",
    "DatabricksRunError", "DatabricksRunFailed", "DatabricksRunCanceled", "DatabricksRunTimedOut",
    "DatabricksRunSkipped", "DatabricksJobTerminated", "DatabricksJobSkipped", "DatabricksJobInternalError",
    "DatabricksJobRunTimedOut",
)  # fmt: skip
_ERRORS = (
    "DatabricksError", "ClientValidationError", "TransportError", "DeadlineExceeded", "ApiError",
    "BadRequest", "InvalidParameterValue", "InvalidState", "NotFound", "ResourceDoesNotExist",
    "PermissionDenied", "Unauthenticated", "RequestLimitExceeded", "ResourceAlreadyExists",
    "ResourceConflict", "TemporarilyUnavailable", "InternalError", "Unimplemented",
)  # fmt: skip

_PATHS = {
    "prefect_databricks": ("DatabricksCredentials", "__version__"),
    "prefect_databricks.credentials": ("DatabricksCredentials",),
    "prefect_databricks.jobs": (*_TASKS, *(f"a{name}" for name in _TASKS)),
    "prefect_databricks.flows": _FLOWS,
    "prefect_databricks.models": ("Task", "JobSettings", "Run", "RunLifeCycleState", "to_wire"),
    "prefect_databricks.models.jobs": ("JobTaskSettings", "RunSubmitTaskSettings", "AccessControlRequest"),
    "prefect_databricks.local": ("LocalWorkspace",),
    "prefect_databricks.client": ("DatabricksClient", *_ERRORS),
    "prefect_databricks.client.errors": _ERRORS,
    "prefect_databricks.cli": ("app", "main"),
}


@pytest.mark.parametrize("module", sorted(_PATHS))
def test_public_names_import_from_their_documented_path(module: str) -> None:
    imported = importlib.import_module(module)
    missing = [name for name in _PATHS[module] if getattr(imported, name, None) is None]
    assert missing == []


def test_client_errors_share_one_base() -> None:
    from prefect_databricks import client

    assert all(issubclass(getattr(client, name), client.DatabricksError) for name in _ERRORS)


def test_tasks_and_flows_are_prefect_objects() -> None:
    from prefect import Flow, Task

    from prefect_databricks import flows, jobs

    assert all(isinstance(getattr(jobs, name), Task) for name in _TASKS)
    assert all(isinstance(getattr(flows, name), Flow) for name in _FLOWS if name.islower())
