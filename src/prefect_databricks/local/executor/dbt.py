"""`dbt_task` as a runner spec: its `commands` run by dbt with dbt-spark, on the workspace's Spark server.

dbt is not an extra of this package: dbt-core and dbt-spark pin versions the lock does not allow, so it
lives in an environment of its own, found as `PREFECT_DATABRICKS_LOCAL_DBT` (the `dbt` executable) or
`dbt` on PATH. The project, a workspace folder (exported) or a local directory (copied), runs in the task
run's directory, so `target/` (the artifacts) stays with the run; without `profiles_directory` a profile for
the warehouse is generated (dbt-spark's session method, `SPARK_REMOTE` pointing at the workspace's server).
"""

from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path
from typing import Any

from .model import TaskContext, UnsupportedTask
from .sources import SourceMissing, local_path

__all__ = ["ARTIFACTS_FILE", "DBT_HINT", "dbt_commands_rule", "dbt_output", "dbt_spec"]

ARTIFACTS_FILE = "dbt-artifacts.tar.gz"
DBT_HINT = (
    "dbt_task needs dbt with dbt-spark in an environment of its own: uv venv dbt && "
    "uv pip install -p dbt 'dbt-core>=1.8,<1.11' 'dbt-spark[session]' 'pyspark[connect]', then "
    "PREFECT_DATABRICKS_LOCAL_DBT=dbt/bin/dbt (or put that dbt on PATH)"
)
_PROJECT_DIR = "dbt-project"  # in the task run's directory: dbt runs there, on a copy or an export
_PROFILES_DIR = "dbt-workspace-profiles"
_CATALOGS = frozenset({"hive_metastore", "spark_catalog"})
_MAX_COMMANDS = 10


def dbt_commands_rule(commands: Any) -> str | None:
    """The rule `commands` breaks, if any: "All commands must start with ``dbt``", 1 to 10 of them
    (`DbtTask.commands`, which run-now's and repair's `dbt_commands` replace)."""
    if not isinstance(commands, list) or not commands or len(commands) > _MAX_COMMANDS:
        return "must list 1 to 10 dbt commands"
    if any(not isinstance(command, str) or _argv(command)[:1] != ["dbt"] for command in commands):
        return "all commands must start with dbt"
    return None


def dbt_spec(settings: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
    """The spec of a `dbt_task` (fields per Jobs API 2.2 `DbtTask`); each bad field is named.

    The commands are `ctx.args` when the run overrides them (`dbt_commands`), else the task's own.
    """
    commands = ctx.args or settings.get("commands")
    broken = dbt_commands_rule(commands)
    if broken is not None:
        raise UnsupportedTask(f"dbt_task.commands of task {ctx.task_key!r}: {broken}")
    argvs = [_argv(command) for command in commands or []]
    catalog = settings.get("catalog")
    if catalog is not None and catalog not in _CATALOGS:
        raise UnsupportedTask(
            f"dbt_task.catalog {catalog!r} of task {ctx.task_key!r}: the local workspace has only the "
            "hive_metastore (spark_catalog) catalog"
        )
    project = _project(settings.get("project_directory"), ctx)
    profiles = settings.get("profiles_directory")
    profiles_dir = str(_profiles(profiles, project, ctx)) if isinstance(profiles, str) and profiles else ""
    return {"kind": "dbt", "dbt": _executable(), "commands": [argv[1:] for argv in argvs],
            "project": str(project), "run_in": str(ctx.workdir / _PROJECT_DIR), "profiles_dir": profiles_dir,
            "schema": settings.get("schema") or "default", "artifacts": str(ctx.workdir / ARTIFACTS_FILE)}


def dbt_output(workdir: Path) -> dict[str, Any] | None:
    """runs/get-output's `dbt_output` if the run packed artifacts (`ARTIFACTS_FILE` in `workdir`); the
    pre-signed `artifacts_link` is added when the output is read, as it expires."""
    return {"artifacts_headers": {}} if (workdir / ARTIFACTS_FILE).is_file() else None


def _argv(command: str) -> list[str]:
    try:
        return shlex.split(command)
    except ValueError:
        return []


def _project(value: Any, ctx: TaskContext) -> Path:
    if not isinstance(value, str) or not value:
        raise UnsupportedTask(
            f"dbt_task.project_directory of task {ctx.task_key!r} is required for WORKSPACE sources"
        )
    path = _directory(value, "dbt_task.project_directory", ctx, _PROJECT_DIR)
    if not (path / "dbt_project.yml").is_file():
        raise SourceMissing(f"dbt_task.project_directory {value!r} is not a dbt project (no dbt_project.yml)")
    return path


def _profiles(value: str, project: Path, ctx: TaskContext) -> Path:
    """`profiles_directory`: relative to the project, or a workspace folder or local directory [I]."""
    if not value.startswith(("/", "file:")):
        path = project / value
        if not path.is_dir():
            raise SourceMissing(f"dbt_task.profiles_directory {value!r} does not exist in the dbt project")
        return path
    return _directory(value, "dbt_task.profiles_directory", ctx, _PROFILES_DIR)


def _directory(value: str, field: str, ctx: TaskContext, copy: str) -> Path:
    """The directory at `value`: a workspace folder (exported into the task run's `copy`), else the same
    path on this machine, as `sources` finds a task's code; missing in both, the task run fails."""
    local = local_path(value, field)
    if local is None:
        if ctx.export_directory(value, ctx.workdir / copy):
            return ctx.workdir / copy
        local = Path(value)
    if not local.is_dir():
        raise SourceMissing(f"{field} {value!r} does not exist in the local workspace or on this machine")
    return local


def _executable() -> str:
    found = os.environ.get("PREFECT_DATABRICKS_LOCAL_DBT") or shutil.which("dbt")
    if not found or not os.access(found, os.X_OK):
        raise UnsupportedTask(DBT_HINT)
    return found
