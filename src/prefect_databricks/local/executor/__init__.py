"""Runs one task of a local job run as a local process: notebooks, Python files, wheels, SQL files.

The scheduler resolves parameters (widgets for notebooks, argv for files and wheels), calls
``start_task`` and polls the returned ``TaskProcess``; kinds that cannot run here raise
``UnsupportedTask``. Nothing here imports the rest of prefect_databricks, and the child process
imports only the standard library (plus the task's own code).

Notebooks get ``dbutils`` (widgets, notebook.exit/run, jobs.taskValues, fs over the local DBFS root,
secrets read from the workspace and redacted in outputs), ``%run`` (inlined here) and ``%pip install``
(into the task run's own directory). A task's environment and Python libraries are installed into a
cached virtual environment first (``venvs``). What is refused: README, "What it cannot run".
``spark`` (notebooks), ``%sql`` cells and ``sql_task`` files use a Spark Connect session to the
workspace's one server (the spark extra), opened on first use; Python files get it from
``SparkSession.builder``. Without the extra they fail with the install hint.
"""

from __future__ import annotations

import os
from typing import Any

from .dbt import ARTIFACTS_FILE, dbt_commands_rule
from .environments import environment_spec
from .export import export_notebook_html
from .forkserver import WARM
from .kinds import prepare, task_kind
from .model import OUTPUT_LIMIT, TaskContext, TaskOutcome, TaskProcess, UnsupportedTask
from .process import FinishedTask, LocalTaskProcess
from .sources import SourceMissing
from .staged import StagedTask
from .variables import task_variables
from .venvs import built_python

__all__ = [
    "ARTIFACTS_FILE",
    "OUTPUT_LIMIT",
    "WARM",
    "TaskContext",
    "TaskOutcome",
    "TaskProcess",
    "UnsupportedTask",
    "dbt_commands_rule",
    "export_notebook_html",
    "start_task",
]


def start_task(task: dict[str, Any], ctx: TaskContext, *, output_limit: int = OUTPUT_LIMIT) -> TaskProcess:
    """Start the task (its settings dict) in ``ctx.workdir``; ``UnsupportedTask`` for kinds not run here.

    ``output_limit`` caps the notebook result (first bytes) and the logs (last bytes); it is only
    lowered by tests. A task whose code cannot be found gives an already failed process.
    """
    try:
        launch = prepare(task, ctx)
        spec = environment_spec(task, task_kind(task), ctx)
        ctx.env = {**task_variables(ctx), **ctx.env}
    except SourceMissing as exc:
        return FinishedTask(TaskOutcome(success=False, error=f"FileNotFoundError: {exc}"))
    if spec is None:
        return LocalTaskProcess(launch, ctx, output_limit=output_limit)
    cache = ctx.environments_dir or ctx.workdir / "environments"
    python = built_python(spec, cache)
    if python is None:
        return StagedTask(launch, ctx, spec, cache, output_limit=output_limit, environ=dict(os.environ))
    launch.python = str(python)
    return LocalTaskProcess(launch, ctx, output_limit=output_limit)
