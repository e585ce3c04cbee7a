"""Flows that start a Databricks run and wait for it: submit, run-now, repair, or a run started elsewhere.

The three 0.4 flows keep their names, parameters and return values; waiting has no hidden cap,
cancels the remote run when the flow is cancelled, crashes or times out, shares one poller per
workspace, and raises a `DatabricksRunError` naming each failed task. Called in a sync flow or
task they run synchronously; elsewhere they are awaitable, as in 0.4.
"""

# No `from __future__ import annotations` here: a runner may ship these flows by value (cloudpickle),
# without this module's globals, and Prefect validates parameters from the annotations, so they
# must be real types rather than names to resolve.

from typing import Any

from prefect_databricks.credentials import DatabricksCredentials
from prefect_databricks.jobs import jobs_run_now, jobs_runs_get, jobs_runs_get_output, jobs_runs_submit
from prefect_databricks.jobs_as_code.flow_steps import cancel_previous, job_to_run
from prefect_databricks.models._wire import wire_fields
from prefect_databricks.waiting.compose import (
    Handler,
    Waiting,
    flow_result,
    start_and_wait,
    wait_all,
    wait_and_finish,
)
from prefect_databricks.waiting.dual import waiting_flow
from prefect_databricks.waiting.follow import follow_run
from prefect_databricks.waiting.ledger import cancel_databricks_runs
from prefect_databricks.waiting.outcome import (
    DatabricksRunCanceled,
    DatabricksRunError,
    DatabricksRunFailed,
    DatabricksRunSkipped,
    DatabricksRunTimedOut,
)
from prefect_databricks.waiting.start import derive_token, extra_fields
from prefect_databricks.waiting.steps import start_repair

__all__ = [
    "DatabricksJobInternalError",
    "DatabricksJobRunTimedOut",
    "DatabricksJobSkipped",
    "DatabricksJobTerminated",
    "DatabricksRunCanceled",
    "DatabricksRunError",
    "DatabricksRunFailed",
    "DatabricksRunSkipped",
    "DatabricksRunTimedOut",
    "cancel_databricks_runs",
    "jobs_run_now",
    "jobs_run_now_and_wait",
    "jobs_runs_get",
    "jobs_runs_get_output",
    "jobs_runs_repair_and_wait",
    "jobs_runs_submit",
    "jobs_runs_submit_and_wait_for_completion",
    "jobs_runs_submit_by_id_and_wait_for_completion",
    "jobs_runs_wait_for_completion",
    "wait_for_run",
    "wait_for_runs",
]

DatabricksJobTerminated = DatabricksRunError
"""0.4 name: any run that did not succeed."""
DatabricksJobSkipped = DatabricksRunSkipped
"""0.4 name: a skipped run."""
DatabricksJobInternalError = DatabricksRunFailed
"""0.4 name: a run that ended in INTERNAL_ERROR (now: any failed run)."""
DatabricksJobRunTimedOut = DatabricksRunTimedOut
"""0.4 name: `max_wait_seconds` reached."""


@waiting_flow(name="Submit jobs runs and wait for completion")
async def jobs_runs_submit_and_wait_for_completion(
    databricks_credentials: DatabricksCredentials,
    tasks: list[Any],
    run_name: str | None = None,
    max_wait_seconds: int | None = None,
    poll_frequency_seconds: int = 10,
    git_source: Any = None,
    timeout_seconds: int | None = None,
    idempotency_token: str | None = None,
    access_control_list: list[Any] | None = None,
    return_metadata: bool = False,
    job_submission_handler: Handler | None = None,
    cancel_on_timeout: bool = True,
    fail_on_success_with_failures: bool = False,
    max_repairs: int = 0,
    **jobs_runs_submit_kwargs: Any,
) -> Any:
    """Submit a one-time run and wait for it; returns task_key → notebook output (and the run).

    Args:
        databricks_credentials: the workspace.
        tasks: the run's tasks (models or dicts); run_name, git_source, timeout_seconds and
            access_control_list as in `runs/submit`, plus any other field as a keyword.
        max_wait_seconds: stop waiting after this long (no limit by default), cancelling the
            run unless `cancel_on_timeout=False`.
        poll_frequency_seconds: the longest interval between two polls.
        idempotency_token: by default derived from the calling flow run and the call, so a retry
            (of this flow or of its caller) re-attaches to the run it started, and repairs it if
            it failed.
        return_metadata: also return the run (with every task's `output`).
        job_submission_handler: called with the submit response (awaited if async).
        fail_on_success_with_failures: treat SUCCESS_WITH_FAILURES as a failure.
        max_repairs: repair the failed tasks (and their dependents) up to this many times before raising.
    """
    body = wire_fields(
        tasks=tasks,
        run_name=run_name,
        git_source=git_source,
        timeout_seconds=timeout_seconds,
        idempotency_token=derive_token("runs/submit", idempotency_token),
        access_control_list=access_control_list,
        **extra_fields(jobs_runs_submit_kwargs, "jobs_runs_submit_kwargs"),
    )
    how = Waiting(
        max_wait_seconds,
        poll_frequency_seconds,
        cancel_on_timeout,
        fail_on_success_with_failures,
        max_repairs,
    )
    label = f"submit-{run_name or 'run'}"
    run = await start_and_wait(
        databricks_credentials, "jobs/runs/submit", body, label, job_submission_handler, how
    )
    return flow_result(run, return_metadata)


@waiting_flow(name="Submit existing job runs and wait for completion")
async def jobs_runs_submit_by_id_and_wait_for_completion(
    databricks_credentials: DatabricksCredentials,
    job_id: int,
    idempotency_token: str | None = None,
    jar_params: list[str] | None = None,
    max_wait_seconds: int | None = None,
    poll_frequency_seconds: int = 10,
    notebook_params: dict[str, Any] | None = None,
    python_params: list[str] | None = None,
    spark_submit_params: list[str] | None = None,
    python_named_params: dict[str, Any] | None = None,
    pipeline_params: dict[str, Any] | str | None = None,
    sql_params: dict[str, Any] | None = None,
    dbt_commands: list[str] | None = None,
    job_submission_handler: Handler | None = None,
    return_metadata: bool = False,
    cancel_on_timeout: bool = True,
    fail_on_success_with_failures: bool = False,
    max_repairs: int = 0,
    **jobs_runs_submit_kwargs: Any,
) -> Any:
    """Run an existing job now (`run-now`) and wait for it; as `jobs_run_now_and_wait` by job id.

    Any other `run-now` field (`job_parameters`, `only`, `queue`, ...) is passed as a keyword.
    """
    return await jobs_run_now_and_wait.fn(
        databricks_credentials,
        job_id=job_id,
        idempotency_token=idempotency_token,
        max_wait_seconds=max_wait_seconds,
        poll_frequency_seconds=poll_frequency_seconds,
        return_metadata=return_metadata,
        job_submission_handler=job_submission_handler,
        cancel_on_timeout=cancel_on_timeout,
        fail_on_success_with_failures=fail_on_success_with_failures,
        max_repairs=max_repairs,
        jar_params=jar_params,
        notebook_params=notebook_params,
        python_params=python_params,
        spark_submit_params=spark_submit_params,
        python_named_params=python_named_params,
        pipeline_params=pipeline_params,
        sql_params=sql_params,
        dbt_commands=dbt_commands,
        **extra_fields(jobs_runs_submit_kwargs, "jobs_runs_submit_kwargs"),
    )


@waiting_flow(name="Run a job and wait for completion")
async def jobs_run_now_and_wait(
    databricks_credentials: DatabricksCredentials,
    job_id: int | None = None,
    job_name: str | None = None,
    job_parameters: dict[str, Any] | None = None,
    idempotency_token: str | None = None,
    max_wait_seconds: int | None = None,
    poll_frequency_seconds: int = 10,
    return_metadata: bool = False,
    job_submission_handler: Handler | None = None,
    cancel_on_timeout: bool = True,
    fail_on_success_with_failures: bool = False,
    max_repairs: int = 0,
    job_settings: Any = None,
    cancel_previous_runs: bool = False,
    **run_now_kwargs: Any,
) -> Any:
    """Run a job now, by `job_id` or by exact `job_name` (one job must match), and wait for it.

    Other `run-now` fields (`only`, `queue`, legacy `notebook_params`, ...) go as keywords;
    returns task_key → notebook output, and the run too with `return_metadata=True`;
    `max_repairs=N` repairs the failed tasks in place up to N times before raising.
    `job_settings=` (with a `name`) ensures the job first, as `jobs_create_or_update`;
    `cancel_previous_runs=True` cancels the job's active runs and waits until they ended.
    """
    resolved = await job_to_run(databricks_credentials, job_id, job_name, job_settings)
    if cancel_previous_runs:
        await cancel_previous(databricks_credentials, resolved, poll_frequency_seconds)
    body = wire_fields(
        job_id=resolved,
        job_parameters=job_parameters,
        idempotency_token=derive_token(f"run-now:{resolved}", idempotency_token),
        **extra_fields(run_now_kwargs, "run_now_kwargs"),
    )
    how = Waiting(
        max_wait_seconds,
        poll_frequency_seconds,
        cancel_on_timeout,
        fail_on_success_with_failures,
        max_repairs,
    )
    run = await start_and_wait(
        databricks_credentials, "jobs/run-now", body, f"job-{resolved}", job_submission_handler, how
    )
    return flow_result(run, return_metadata)


@waiting_flow(name="Repair a job run and wait for completion")
async def jobs_runs_repair_and_wait(
    databricks_credentials: DatabricksCredentials,
    run_id: int,
    rerun_tasks: list[str] | None = None,
    rerun_all_failed_tasks: bool | None = None,
    rerun_dependent_tasks: bool | None = None,
    latest_repair_id: int | None = None,
    max_wait_seconds: int | None = None,
    poll_frequency_seconds: int = 10,
    return_metadata: bool = False,
    cancel_on_timeout: bool = True,
    fail_on_success_with_failures: bool = False,
    **repair_kwargs: Any,
) -> Any:
    """Re-run the chosen tasks of a finished run (all failed ones by default) and wait for it.

    The latest repair id is looked up when not given; other `runs/repair` fields go as keywords.
    """
    if rerun_tasks is None and rerun_all_failed_tasks is None:
        rerun_all_failed_tasks = True
    body = wire_fields(
        rerun_tasks=rerun_tasks,
        rerun_all_failed_tasks=rerun_all_failed_tasks,
        rerun_dependent_tasks=rerun_dependent_tasks,
        latest_repair_id=latest_repair_id,
        **extra_fields(repair_kwargs, "repair_kwargs"),
    )
    how = Waiting(max_wait_seconds, poll_frequency_seconds, cancel_on_timeout, fail_on_success_with_failures)
    await start_repair(databricks_credentials, run_id, body)
    run = await wait_and_finish(databricks_credentials, run_id, how)
    return flow_result(run, return_metadata)


@waiting_flow(name="Wait for a Databricks run")
async def wait_for_run(
    databricks_credentials: DatabricksCredentials,
    run_id: int,
    max_wait_seconds: int | None = None,
    poll_frequency_seconds: int = 10,
    return_metadata: bool = False,
    cancel_on_timeout: bool = True,
    fail_on_success_with_failures: bool = False,
) -> Any:
    """Wait for a run started elsewhere; returns task_key → notebook output (and the run), or raises."""
    how = Waiting(max_wait_seconds, poll_frequency_seconds, cancel_on_timeout, fail_on_success_with_failures)
    run = await wait_and_finish(databricks_credentials, run_id, how)
    return flow_result(run, return_metadata)


@waiting_flow(name="Wait for Databricks runs")
async def wait_for_runs(
    databricks_credentials: DatabricksCredentials,
    run_ids: list[int],
    max_wait_seconds: int | None = None,
    poll_frequency_seconds: int = 10,
    return_metadata: bool = False,
    cancel_on_timeout: bool = True,
    fail_on_success_with_failures: bool = False,
) -> list[Any]:
    """Wait for many runs in one flow run (the light fan-out); a result per run, in order, as `wait_for_run`.

    Once every run ended, the first that did not succeed raises (the others are logged).
    """
    how = Waiting(max_wait_seconds, poll_frequency_seconds, cancel_on_timeout, fail_on_success_with_failures)
    runs = await wait_all(databricks_credentials, run_ids, how)
    return [flow_result(run, return_metadata) for run in runs]


@waiting_flow(name="Wait for completion of jobs runs")
async def jobs_runs_wait_for_completion(
    multi_task_jobs_runs_id: int,
    databricks_credentials: DatabricksCredentials,
    run_name: str | None = None,
    max_wait_seconds: int | None = None,
    poll_frequency_seconds: int = 10,
    cancel_on_timeout: bool = True,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Wait for a run to end and return `(state, run)` as 0.4 did, without raising on failure.

    Reaching `max_wait_seconds` (no limit by default) raises `DatabricksRunTimedOut`.
    """
    run = await follow_run(
        databricks_credentials,
        multi_task_jobs_runs_id,
        max_wait_seconds=max_wait_seconds,
        poll_frequency_seconds=poll_frequency_seconds,
        cancel_on_timeout=cancel_on_timeout,
    )
    return run.get("state") or {}, run
