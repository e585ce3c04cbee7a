"""`dbt_task` as a runner spec: its `commands` run by dbt with dbt-spark, on the workspace's Spark server.

dbt is not an extra of this package: dbt-core and dbt-spark pin versions the lock does not allow, so it
lives in an environment of its own, found as `PREFECT_DATABRICKS_LOCAL_DBT` (the `dbt` executable) or
`dbt` on PATH. The project is a local directory, copied into the task run's directory so `target/` (the
artifacts) stays with the run; without `profiles_directory` a profile for the warehouse is generated
(dbt-spark's session method, `SPARK_REMOTE` pointing at the workspace's server).
"""

from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path
from typing import Any

from .model import TaskContext, UnsupportedTask
from .sources import SourceMissing

__all__ = ["ARTIFACTS_FILE", "DBT_HINT", "dbt_output", "dbt_spec"]

ARTIFACTS_FILE = "dbt-artifacts.tar.gz"
DBT_HINT = (
    "dbt_task needs dbt with dbt-spark in an environment of its own: uv venv dbt && "
    "uv pip install -p dbt 'dbt-core>=1.8,<1.11' 'dbt-spark[session]' 'pyspark[connect]', then "
    "PREFECT_DATABRICKS_LOCAL_DBT=dbt/bin/dbt (or put that dbt on PATH)"
)
_CATALOGS = frozenset({"hive_metastore", "spark_catalog"})
_MAX_COMMANDS = 10


def dbt_spec(settings: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
    """The spec of a `dbt_task` (fields per Jobs API 2.2 `DbtTask`); each bad field is named."""
    commands = settings.get("commands")
    if not isinstance(commands, list) or not commands or len(commands) > _MAX_COMMANDS:
        raise UnsupportedTask(f"dbt_task.commands of task {ctx.task_key!r} must list 1 to 10 dbt commands")
    argvs = [shlex.split(command) if isinstance(command, str) else [] for command in commands]
    if any(argv[:1] != ["dbt"] for argv in argvs):
        raise UnsupportedTask(
            f"dbt_task.commands of task {ctx.task_key!r}: all commands must start with dbt"
        )
    catalog = settings.get("catalog")
    if catalog is not None and catalog not in _CATALOGS:
        raise UnsupportedTask(
            f"dbt_task.catalog {catalog!r} of task {ctx.task_key!r}: the local workspace has only the "
            "hive_metastore (spark_catalog) catalog"
        )
    project = _project(settings.get("project_directory"), ctx.task_key)
    profiles = settings.get("profiles_directory")
    profiles_dir = str(project / profiles) if isinstance(profiles, str) and profiles else ""
    return {"kind": "dbt", "dbt": _executable(), "commands": [argv[1:] for argv in argvs],
            "project": str(project), "profiles_dir": profiles_dir,
            "schema": settings.get("schema") or "default", "artifacts": str(ctx.workdir / ARTIFACTS_FILE)}


def dbt_output(workdir: Path) -> dict[str, Any] | None:
    """runs/get-output's `dbt_output`: a `file:` link to the run's compressed artifacts, if any [I]."""
    artifacts = workdir / ARTIFACTS_FILE
    return {"artifacts_link": artifacts.as_uri(), "artifacts_headers": {}} if artifacts.is_file() else None


def _project(value: Any, task_key: str) -> Path:
    if not isinstance(value, str) or not value:
        raise UnsupportedTask(
            f"dbt_task.project_directory of task {task_key!r} is required for WORKSPACE sources"
        )
    path = Path(value.removeprefix("file:"))
    if not (path / "dbt_project.yml").is_file():
        raise SourceMissing(
            f"dbt_task.project_directory {value!r} is not a dbt project on this machine "
            "(no dbt_project.yml); "
            "the local workspace runs dbt projects from local directories"
        )
    return path


def _executable() -> str:
    found = os.environ.get("PREFECT_DATABRICKS_LOCAL_DBT") or shutil.which("dbt")
    if not found or not os.access(found, os.X_OK):
        raise UnsupportedTask(DBT_HINT)
    return found
