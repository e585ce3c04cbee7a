"""Starting one task run through the executor, and recording what it produced for runs/get-output.

Parameters are resolved here (task parameters, legacy run-now parameters, job parameters pushed
down, dynamic value references); the resolved values are kept on the task entry for
`include_resolved_values`.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

from ..executor import TaskContext, TaskOutcome, TaskProcess, start_task
from ..files.service import export_directory, read_workspace_object
from ..runs.bookkeeping import run_local, task_local
from ..runs.references import reference_names, resolve
from ..state import LOCAL_USER, Workspace

__all__ = [
    "kill_leftover", "launch", "output_doc", "resolved_names",
]


def resolved_names(ws: Workspace, run: dict[str, Any], entry: dict[str, Any]) -> dict[str, str]:
    """The dynamic value references `entry` of `run` can use now (with its own, e.g. a for-each `input`)."""
    values = run_local(run).get("task_values", {})
    names = reference_names(run, entry, values, workspace_id=ws.workspace_id, host=ws.config.host)
    return {**names, **task_local(entry).get("names", {})}


def launch(ws: Workspace, run: dict[str, Any], entry: dict[str, Any]) -> TaskProcess:
    """Start `entry` as a local process; raises the executor's UnsupportedTask for kinds it cannot run."""
    names = resolved_names(ws, run, entry) if _has_references(run, entry) else {}
    parameters, args, resolved = _inputs(run, entry, names)
    entry["resolved_values"] = resolved
    workdir = ws.run_workdir(run["run_id"]) / str(entry["run_id"])
    context = TaskContext(
        workdir=workdir,
        task_key=entry["task_key"],
        parameters=parameters,
        args=args,
        task_values=run_local(run).get("task_values", {}),
        env=_env(ws, run, entry),
        read_object=lambda path: read_workspace_object(ws, path),
        export_directory=lambda path, target: export_directory(ws, path, target),
        secrets=(ws.config.token, *ws.config.service_principals.values()),
        environment=_named(run_local(run).get("environments", []), "environment_key", entry),
        variables=_named(run_local(run).get("environment_variables", []), "environment_variables_key", entry),
        environments_dir=Path(ws.config.data_dir) / "environments",
    )
    task = {k: v for k, v in entry.items() if not k.startswith("_")}
    return start_task(resolve(task, names), context)


def _has_references(run: dict[str, Any], entry: dict[str, Any]) -> bool:
    """Whether anything resolved for `entry` holds a `{{reference}}` (else resolving changes nothing and
    the names, costly to build for a run of many tasks, are not needed)."""
    inputs = [{k: v for k, v in entry.items() if not k.startswith("_")}, run.get("job_parameters"),
              run.get("overriding_parameters")]
    return "{{" in json.dumps(inputs)


def _named(entries: list[dict[str, Any]], field: str, entry: dict[str, Any]) -> dict[str, Any] | None:
    """The `spec` of the job's entry (an environment, a variables entry) that the task's `field` names."""
    key = entry.get(field)
    found = (item.get("spec") or {} for item in entries if key and item.get(field) == key)
    return next(found, None)


def kill_leftover(ws: Workspace, run_id: int, entry: dict[str, Any]) -> None:
    """Kill the process group a crashed server left running for `entry`, if it is still that task's.

    The group is killed only while its leader still works in the task run's directory, so a pid
    reused by an unrelated process is never touched (Linux `/proc`; elsewhere nothing is killed).
    """
    pgid = task_local(entry).get("pgid")
    workdir = ws.run_workdir(run_id) / str(entry["run_id"])
    try:
        if pgid and Path(f"/proc/{pgid}/cwd").resolve() == workdir.resolve():
            os.killpg(pgid, signal.SIGKILL)
    except OSError:
        return


def output_doc(outcome: TaskOutcome) -> dict[str, Any]:
    """A TaskOutcome in runs/get-output's shape (without `metadata`, added when read)."""
    doc: dict[str, Any] = {"logs": outcome.logs, "logs_truncated": outcome.logs_truncated}
    if outcome.notebook_result is not None:
        doc["notebook_output"] = {"result": outcome.notebook_result, "truncated": outcome.truncated}
    if outcome.sql_output is not None:
        doc["sql_output"] = outcome.sql_output
    if outcome.dbt_output is not None:
        doc["dbt_output"] = outcome.dbt_output
    if outcome.error is not None:
        doc["error"] = outcome.error
    if outcome.error_trace is not None:
        doc["error_trace"] = outcome.error_trace
    return doc


def _inputs(
    run: dict[str, Any], entry: dict[str, Any], names: dict[str, str]
) -> tuple[dict[str, str], list[str], dict[str, Any]]:
    job_params = {p["name"]: p["value"] for p in run.get("job_parameters", [])}
    legacy = run.get("overriding_parameters", {})
    if "notebook_task" in entry:
        merged = {**entry["notebook_task"].get("base_parameters", {}),
                  **legacy.get("notebook_params", {}), **job_params}
        params = resolve(merged, names)
        return params, [], {"notebook_task": {"base_parameters": params}}
    if "spark_python_task" in entry:
        args = resolve(legacy.get("python_params") or entry["spark_python_task"].get("parameters", []), names)
        return resolve(job_params, names), args, {"spark_python_task": {"parameters": args}}
    if "python_wheel_task" in entry:
        wheel = entry["python_wheel_task"]
        named = resolve({**wheel.get("named_parameters", {}), **legacy.get("python_named_params", {}),
                         **job_params}, names)
        args = resolve(legacy.get("python_params") or wheel.get("parameters", []), names)
        return named, args, {"python_wheel_task": {"named_parameters": named, "parameters": args}}
    for kind, legacy_name in (("spark_jar_task", "jar_params"), ("spark_submit_task", "spark_submit_params")):
        if kind in entry:
            args = resolve(legacy.get(legacy_name) or entry[kind].get("parameters") or [], names)
            return resolve(job_params, names), args, {kind: {"parameters": args}}
    if "dbt_task" in entry:
        commands = resolve(legacy.get("dbt_commands") or entry["dbt_task"].get("commands") or [], names)
        return resolve(job_params, names), commands, {"dbt_task": {"commands": commands}}
    if "sql_task" in entry:
        params = resolve({**entry["sql_task"].get("parameters", {}), **legacy.get("sql_params", {}),
                          **job_params}, names)
        return params, [], {"sql_task": {"parameters": params}}
    return resolve(job_params, names), [], {}


_TASK_TOKEN_TTL = 7 * 24 * 3600


def _env(ws: Workspace, run: dict[str, Any], entry: dict[str, Any]) -> dict[str, str]:
    """What a task process is told: where the workspace is, a token of its own, ids and the DBFS root.

    The token (for `dbutils.secrets` and `dbutils.notebook.run`) goes only in the environment, which
    `/proc` shows to the same user only, never in argv or a file.
    """
    return {
        "DATABRICKS_HOST": ws.config.host,
        "DATABRICKS_TOKEN": ws.issue_oauth_token(LOCAL_USER, _TASK_TOKEN_TTL, task_run_id=entry["run_id"]),
        "DATABRICKS_LOCAL_DBFS_ROOT": str(ws.dbfs_root()),
        "DATABRICKS_JOB_ID": str(run.get("job_id")),
        "DATABRICKS_JOB_RUN_ID": str(run["run_id"]),
        "DATABRICKS_TASK_RUN_ID": str(entry["run_id"]),
        "DATABRICKS_TASK_KEY": entry["task_key"],
    }
