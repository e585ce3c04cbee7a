"""`prefect-databricks jobs list|get|run-now|deploy`: the workspace's jobs, straight through the client."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from prefect_databricks.cli.support import (
    IntervalOption,
    JsonOption,
    ProfileOption,
    UsageError,
    execute,
    print_json,
    show,
)

if TYPE_CHECKING:
    from prefect_databricks.client import DatabricksClient

__all__ = ["jobs_app", "parse_params", "resolve_job"]

jobs_app = typer.Typer(help="List, show, run and deploy the jobs of a workspace.", no_args_is_help=True)


@jobs_app.command("list")
def list_jobs(
    name: Annotated[str | None, typer.Option(help="Only jobs with exactly this name.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many jobs.")] = 100,
    as_json: JsonOption = False,
    profile: ProfileOption = None,
) -> None:
    """List jobs, newest first (every page is followed up to --limit)."""

    async def work(client: DatabricksClient) -> None:
        jobs = []
        async for job in client.iter_jobs(name=name, limit=min(limit, 100)):
            jobs.append(job)
            if len(jobs) >= limit:
                break
        show(jobs, as_json, "print_jobs")

    execute(profile, work)


@jobs_app.command("get")
def get_job(
    job_id: Annotated[int, typer.Argument(help="The job's id.")],
    as_json: JsonOption = False,
    profile: ProfileOption = None,
) -> None:
    """Show a job's settings: its tasks and their dependencies (all pages merged)."""

    async def work(client: DatabricksClient) -> None:
        show(await client.get_job(job_id), as_json, "print_job")

    execute(profile, work)


@jobs_app.command("run-now")
def run_now(
    job_id: Annotated[int | None, typer.Argument(help="The job's id (or give --job-name).")] = None,
    job_name: Annotated[str | None, typer.Option(help="The job's exact name (one job must match).")] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="A job parameter as KEY=VALUE (repeatable).")
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Follow the run to its end; exit 1 unless it succeeds.")
    ] = False,
    cancel_previous: Annotated[
        bool,
        typer.Option("--cancel-previous", help="First cancel the job's active runs and wait until they end."),
    ] = False,
    interval: IntervalOption = 2.0,
    as_json: JsonOption = False,
    profile: ProfileOption = None,
) -> None:
    """Start a run of a job now; with --wait, show its tasks live and end with the result."""
    parameters = parse_params(param or [])

    async def work(client: DatabricksClient) -> int | None:
        resolved = await resolve_job(client, job_id, job_name)
        if cancel_previous:
            from prefect_databricks.jobs_as_code.previous import cancel_active_runs

            cancelled = await cancel_active_runs(client, resolved, poll_seconds=interval)
            if cancelled:
                print(f"Cancelled runs {', '.join(map(str, cancelled))} of job {resolved}.", file=sys.stderr)
        body: dict[str, Any] = {"job_id": resolved, **({"job_parameters": parameters} if parameters else {})}
        started = await client.call("jobs/run-now", params=body)
        if wait:
            from prefect_databricks.cli.progress import watch_run

            return await watch_run(client, int(started["run_id"]), interval, as_json)
        _started(started, resolved, as_json)
        return None

    execute(profile, work)


@jobs_app.command("deploy")
def deploy(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="A bundle-style YAML/JSON file.")
    ],
    var: Annotated[
        list[str] | None, typer.Option("--var", help="A variable of the file as KEY=VALUE (repeatable).")
    ] = None,
    as_json: JsonOption = False,
    profile: ProfileOption = None,
) -> None:
    """Create or update each job of FILE (`resources.jobs.<key>`) by name; an unchanged job is left alone."""
    values = parse_params(var or [], "--var")

    async def work(client: DatabricksClient) -> None:
        from prefect_databricks.jobs_as_code import ensure_job, load_jobs

        jobs = load_jobs(file, values)
        rows = []
        for key, settings in jobs.items():
            ensured = await ensure_job(client, settings)
            rows.append({"key": key, "job_id": ensured.job_id, "action": ensured.action})
            if not as_json:
                print(f"{key:<24} {ensured.job_id:<18} {ensured.action}", flush=True)
        if as_json:
            print_json(rows)

    execute(profile, work)


def parse_params(pairs: list[str], option: str = "--param") -> dict[str, str]:
    """`KEY=VALUE` options as a mapping; a usage error names the malformed one."""
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint=option)
        params[key] = value
    return params


async def resolve_job(client: DatabricksClient, job_id: int | None, job_name: str | None) -> int:
    """`job_id`, or the id of the one job named exactly `job_name`."""
    if job_name is None and job_id is not None:
        return job_id
    if job_id is not None or job_name is None:
        raise UsageError("give a JOB_ID or --job-name, not both and not neither")
    from prefect_databricks.client.errors import ClientValidationError

    try:
        return await client.find_job_id(job_name)
    except ClientValidationError as exc:
        raise UsageError(f"--job-name {exc.rule}") from None


def _started(response: dict[str, Any], job_id: int, as_json: bool) -> None:
    if as_json:
        print_json(response)
        return
    run_id = response["run_id"]
    print(f"Started run {run_id} of job {job_id}. Follow it: prefect-databricks runs watch {run_id}")
