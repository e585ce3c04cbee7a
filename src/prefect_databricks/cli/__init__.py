"""The `prefect-databricks` command line: a typer app whose sub-apps import their work lazily.

workspace  `workspace serve`: the local workspace on this machine
jobs       `jobs list|get|run-now`
runs       `runs list|get|watch|cancel|output|repair`
events     `events`: a Prefect event per run state change seen in the workspace, for triggers
support    what the commands share: credentials, the client, one-line errors, exit codes
view       how jobs, runs and outputs are printed for people
progress   following a run: a live table on a terminal, a line per change elsewhere
demo/      `demo`, the main job: its settings, its flow, what it prints and its task code (assets/)

No command imports Prefect except `demo` and `events` (inside the command); `--help` loads neither
Prefect nor the client.
"""

from __future__ import annotations

import typer

from .events import events
from .jobs import jobs_app
from .runs import runs_app
from .workspace import workspace_app

__all__ = ["app", "main"]

app = typer.Typer(help="Prefect and Databricks Jobs tools.", no_args_is_help=True)
app.add_typer(workspace_app, name="workspace")
app.add_typer(jobs_app, name="jobs")
app.add_typer(runs_app, name="runs")
app.command("events")(events)


@app.command("demo")
def demo() -> None:
    """Run the main job: a multi-task Databricks job from a Prefect flow, on a local workspace by default."""
    from .demo import main as run_demo

    raise typer.Exit(run_demo())


def main() -> None:
    """Entry point of the `prefect-databricks` console script."""
    app()
