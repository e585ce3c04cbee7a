"""`prefect-databricks runs list|get|watch|cancel|output|repair`: job runs, straight through the client."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from prefect_databricks.cli.support import (
    IntervalOption,
    JsonOption,
    ProfileOption,
    execute,
    print_json,
    show,
)

if TYPE_CHECKING:
    from prefect_databricks.client import DatabricksClient

__all__ = ["runs_app"]

runs_app = typer.Typer(help="List, show, follow, cancel and repair job runs.", no_args_is_help=True)

RunId = Annotated[int, typer.Argument(help="The run's id (a job run or one task run).")]


@runs_app.command("list")
def list_runs(
    job_id: Annotated[int | None, typer.Option(help="Only runs of this job.")] = None,
    active_only: Annotated[
        bool, typer.Option("--active-only", help="Only pending and running runs.")
    ] = False,
    completed_only: Annotated[bool, typer.Option("--completed-only", help="Only ended runs.")] = False,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many runs.")] = 25,
    as_json: JsonOption = False,
    profile: ProfileOption = None,
) -> None:
    """List runs, newest first (every page is followed up to --limit)."""
    filters = {"job_id": job_id, "active_only": active_only or None, "completed_only": completed_only or None}

    async def work(client: DatabricksClient) -> None:
        runs = []
        async for run in client.iter_runs(**filters, limit=min(limit, 25)):
            runs.append(run)
            if len(runs) >= limit:
                break
        show(runs, as_json, "print_runs")

    execute(profile, work)


@runs_app.command("get")
def get_run(run_id: RunId, as_json: JsonOption = False, profile: ProfileOption = None) -> None:
    """Show a run: each task's state, attempt and duration (all pages merged)."""

    async def work(client: DatabricksClient) -> None:
        show(await client.get_run(run_id), as_json, "print_run")

    execute(profile, work)


@runs_app.command("watch")
def watch(
    run_id: RunId, interval: IntervalOption = 2.0, as_json: JsonOption = False, profile: ProfileOption = None
) -> None:
    """Follow a run to its end, showing its tasks live; exit 0 if it succeeded, 1 if not."""

    async def work(client: DatabricksClient) -> int:
        from prefect_databricks.cli.progress import watch_run

        return await watch_run(client, run_id, interval, as_json)

    execute(profile, work)


@runs_app.command("cancel")
def cancel(
    run_id: RunId,
    wait: Annotated[bool, typer.Option("--wait", help="Wait until the run has ended.")] = False,
    interval: IntervalOption = 1.0,
    as_json: JsonOption = False,
    profile: ProfileOption = None,
) -> None:
    """Cancel a run (it ends asynchronously; --wait waits for its end state)."""

    async def work(client: DatabricksClient) -> None:
        from prefect_databricks.waiting.states import state_name

        await client.call("jobs/runs/cancel", params={"run_id": run_id})
        run = await _ended(client, run_id, interval) if wait else None
        if as_json:
            print_json({"run_id": run_id, **({"state": run.get("state")} if run else {})})
        else:
            print(f"Run {run_id} ended: {state_name(run)}." if run else f"Cancel requested for run {run_id}.")

    execute(profile, work)


async def _ended(client: DatabricksClient, run_id: int, interval: float) -> dict[str, Any]:
    """The run once it has ended, polled without showing progress."""
    from prefect_databricks.cli.progress import ProgressView, follow
    from prefect_databricks.cli.view import console

    return await follow(client, run_id, ProgressView(console(), run_id, quiet=True), interval)


@runs_app.command("output")
def output(run_id: RunId, as_json: JsonOption = False, profile: ProfileOption = None) -> None:
    """Print the output of each task run: notebook result, logs, error."""

    async def work(client: DatabricksClient) -> None:
        from prefect_databricks.waiting.outputs import attach_outputs

        run = await attach_outputs(client, await client.get_run(run_id))
        if as_json:
            print_json(
                {str(entry.get("task_key")): entry.get("output", {}) for entry in run.get("tasks") or ()}
            )
        else:
            show(run, False, "print_outputs")

    execute(profile, work)


@runs_app.command("repair")
def repair(
    run_id: RunId,
    task: Annotated[
        list[str] | None,
        typer.Option("--task", "-t", help="Re-run this task (repeatable); default: all failed."),
    ] = None,
    dependents: Annotated[
        bool, typer.Option("--rerun-dependents", help="Also re-run the tasks that depend on them.")
    ] = False,
    wait: Annotated[
        bool, typer.Option("--wait", help="Follow the repair to its end; exit 1 unless it succeeds.")
    ] = False,
    interval: IntervalOption = 2.0,
    as_json: JsonOption = False,
    profile: ProfileOption = None,
) -> None:
    """Re-run the failed tasks of an ended run (or the --task ones) as a repair of the same run."""
    body: dict[str, Any] = {"rerun_tasks": task} if task else {"rerun_all_failed_tasks": True}
    if dependents:
        body["rerun_dependent_tasks"] = True

    async def work(client: DatabricksClient) -> int | None:
        from prefect_databricks.waiting.repair import send_repair, wait_repair_shown

        repair_id = (await send_repair(client, run_id, body)).get("repair_id")
        if wait:
            from prefect_databricks.cli.progress import watch_run

            await wait_repair_shown(client, run_id, repair_id)
            return await watch_run(client, run_id, interval, as_json)
        if as_json:
            print_json({"run_id": run_id, "repair_id": repair_id})
        else:
            print(f"Repair {repair_id} of run {run_id} started: prefect-databricks runs watch {run_id}")
        return None

    execute(profile, work)

