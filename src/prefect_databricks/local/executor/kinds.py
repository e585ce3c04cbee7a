"""Which task kinds run as a local process, and the runner spec each one becomes.

A spec is the JSON the child runner reads: the kind's own fields plus the widgets and the upstream
task values. Kinds that cannot run here raise ``UnsupportedTask`` with the state_message to show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .dbt import dbt_spec
from .includes import notebook_cells
from .model import TaskContext, UnsupportedTask
from .sources import read_source, source_file
from .spark_submit import jar_libraries, spark_jar, spark_submit

__all__ = ["RUNNABLE_KINDS", "SCHEDULER_KINDS", "Launch", "prepare", "task_kind"]

SCHEDULER_KINDS = frozenset({"condition_task", "for_each_task", "run_job_task"})
"""Kinds the scheduler evaluates itself: they never reach a process."""


@dataclass
class Launch:
    """What to start: the runner spec, whether it is a notebook, the interpreter (the task environment's,
    else the workspace's), and for SQL tasks the `sql_output` runs/get-output shows."""

    spec: dict[str, Any]
    notebook: bool = False
    python: str | None = None
    sql_output: dict[str, Any] | None = None


def task_kind(task: dict[str, Any]) -> str | None:
    """The task's kind: its first ``*_task`` field that is set (e.g. ``notebook_task``)."""
    return next((key for key, value in task.items() if key.endswith("_task") and value is not None), None)


def prepare(task: dict[str, Any], ctx: TaskContext) -> Launch:
    """The launch of a runnable task; raises ``UnsupportedTask`` for every other kind."""
    kind = task_kind(task)
    if kind not in RUNNABLE_KINDS:
        raise UnsupportedTask(_refusal(kind, ctx.task_key))
    settings = task[kind]
    if not isinstance(settings, dict):
        raise UnsupportedTask(f"{kind} of task {ctx.task_key!r} must be an object, got {settings!r}")
    if (settings.get("source") or "WORKSPACE") != "WORKSPACE":
        raise UnsupportedTask(
            f"The local workspace cannot run {kind} task {ctx.task_key!r} from source "
            f"{settings['source']}: only WORKSPACE sources (workspace paths and local files) are read"
        )
    launch = RUNNABLE_KINDS[kind](settings, ctx)
    if launch.spec["kind"] == "spark_submit":
        jar_libraries(launch.spec, task, ctx)
    launch.spec.update(task_key=ctx.task_key, parameters=ctx.parameters, task_values=ctx.task_values,
                       spark_conf=dict((task.get("new_cluster") or {}).get("spark_conf") or {}))
    return launch


def _refusal(kind: str | None, task_key: str) -> str:
    runnable = ", ".join(RUNNABLE_KINDS)
    if kind is None:
        return f"Task {task_key!r} has no task kind the local workspace can run (it runs {runnable})"
    if kind in SCHEDULER_KINDS:
        return (
            f"Task {task_key!r} is a {kind}: the local workspace evaluates it in its scheduler and "
            "cannot run it as a process"
        )
    return f"The local workspace cannot run {kind} tasks (task {task_key!r}); it runs only {runnable}"


def _notebook(settings: dict[str, Any], ctx: TaskContext) -> Launch:
    path = _required(settings, "notebook_task", "notebook_path")
    cells = notebook_cells(path, ctx)
    return Launch({"kind": "notebook", "path": path, "cells": cells}, notebook=True)


def _python_file(settings: dict[str, Any], ctx: TaskContext) -> Launch:
    path = _required(settings, "spark_python_task", "python_file")
    local = source_file(path, ctx, "spark_python_task.python_file")
    return Launch({"kind": "file", "path": str(local), "argv": list(ctx.args)})


def _wheel(settings: dict[str, Any], ctx: TaskContext) -> Launch:
    package = _required(settings, "python_wheel_task", "package_name")
    entry_point = _required(settings, "python_wheel_task", "entry_point")
    spec = {"kind": "entry_point", "package": package, "entry_point": entry_point, "argv": _wheel_argv(ctx)}
    return Launch(spec)


def _sql(settings: dict[str, Any], ctx: TaskContext) -> Launch:
    """A `sql_task` whose `file` is run by Spark SQL; saved queries, dashboards and alerts are refused."""
    warehouse = _required(settings, "sql_task", "warehouse_id")
    file = settings.get("file")
    if not isinstance(file, dict):
        other = next((key for key in ("query", "dashboard", "alert") if key in settings), "file")
        raise UnsupportedTask(
            f"sql_task.{other} of task {ctx.task_key!r}: the local workspace runs only sql_task.file "
            "(a workspace or local .sql file); it has no saved queries, dashboards or alerts"
        )
    if (file.get("source") or "WORKSPACE") != "WORKSPACE":
        raise UnsupportedTask(f"sql_task.file of task {ctx.task_key!r}: only WORKSPACE sources are read")
    path = _required(file, "sql_task.file", "path")
    query = read_source(path, ctx, "sql_task.file.path")[0].decode("utf-8-sig")
    spec = {"kind": "sql", "query": query}
    statements = [{"lookup_key": f"{ctx.task_key}-{index}"} for index in range(max(1, query.count(";")))]
    output = {"query_output": {"query_text": query, "warehouse_id": warehouse, "endpoint_id": warehouse,
                               "sql_statements": statements}}
    return Launch(spec, sql_output=output)


def _spark_submit(settings: dict[str, Any], ctx: TaskContext) -> Launch:
    return Launch(spark_submit(settings, ctx))


def _spark_jar(settings: dict[str, Any], ctx: TaskContext) -> Launch:
    return Launch(spark_jar(settings, ctx))


def _dbt(settings: dict[str, Any], ctx: TaskContext) -> Launch:
    return Launch(dbt_spec(settings, ctx))


def _wheel_argv(ctx: TaskContext) -> list[str]:
    """``ctx.args``, then the named parameters in ``ctx.parameters`` as ``--key=value`` (if not there)."""
    named = [f"--{key}={value}" for key, value in ctx.parameters.items()]
    return [*ctx.args, *(arg for arg in named if arg not in ctx.args)]


def _required(settings: dict[str, Any], kind: str, name: str) -> str:
    value = settings.get(name)
    if not isinstance(value, str) or not value:
        raise UnsupportedTask(f"{kind}.{name} is required and must be a non-empty string")
    return value


RUNNABLE_KINDS: dict[str, Callable[[dict[str, Any], TaskContext], Launch]] = {
    "notebook_task": _notebook,
    "spark_python_task": _python_file,
    "python_wheel_task": _wheel,
    "sql_task": _sql,
    "spark_submit_task": _spark_submit,
    "spark_jar_task": _spark_jar,
    "dbt_task": _dbt,
}
