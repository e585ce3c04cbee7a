"""Job parameters and dynamic value references (`{{job.run_id}}`, `{{tasks.a.values.b}}`, …).

References are plain string substitution (jobs-api-2.2.md §8.2): unknown names and syntax errors
stay as literal text. The names a run knows are built once per task as a flat dictionary.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from ..errors import InvalidParameterValue
from ..executor import dbt_commands_rule

__all__ = ["job_parameters", "overriding_parameters", "reference_names", "resolve", "value_text"]

LEGACY_PARAMS = (
    "notebook_params", "python_params", "python_named_params", "jar_params", "spark_submit_params",
    "sql_params", "dbt_commands", "pipeline_params",
)
_REFERENCE = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
_TIME_FORMATS: dict[str, Callable[[datetime], str]] = {
    "iso_date": lambda t: t.date().isoformat(),
    "iso_datetime": lambda t: t.isoformat(timespec="seconds"),
    "iso_weekday": lambda t: str(t.isoweekday()),
    "is_weekday": lambda t: str(t.isoweekday() <= 5).lower(),
    "year": lambda t: str(t.year),
    "month": lambda t: str(t.month),
    "day": lambda t: str(t.day),
    "hour": lambda t: str(t.hour),
    "minute": lambda t: str(t.minute),
    "second": lambda t: str(t.second),
}


def job_parameters(
    definitions: list[dict[str, Any]] | None, overrides: Mapping[str, Any] | None
) -> list[dict[str, Any]]:
    """`Run.job_parameters`: every defined parameter with its default and the value used, by name."""
    overrides = dict(overrides or {})
    out = {d["name"]: {"name": d["name"], "default": d.get("default", "")} for d in definitions or []}
    for item in out.values():
        item["value"] = value_text(overrides.pop(item["name"], item["default"]))
    for name, value in overrides.items():
        out[name] = {"name": name, "value": value_text(value)}
    return [out[name] for name in sorted(out)]


def overriding_parameters(request: Mapping[str, Any]) -> dict[str, Any]:
    """The legacy per-task-type parameters of a run-now or repair request, echoed on the run.

    `dbt_commands` replace the commands of the run's dbt tasks, so they follow `dbt_task.commands`' rule
    (a 400 naming the field otherwise).
    """
    given = {key: request[key] for key in LEGACY_PARAMS if request.get(key) is not None}
    broken = dbt_commands_rule(given["dbt_commands"]) if "dbt_commands" in given else None
    if broken is not None:
        raise InvalidParameterValue(f"Invalid value for field dbt_commands: {broken}.")
    return given


def value_text(value: Any) -> str:
    """A parameter or task value as the string a task sees (JSON for non-strings)."""
    return value if isinstance(value, str) else json.dumps(value)


def reference_names(
    run: Mapping[str, Any], entry: Mapping[str, Any], task_values: Mapping[str, Mapping[str, Any]],
    *, workspace_id: int, host: str,
) -> dict[str, str]:
    """Every reference a task of `run` may use, as `name → text`."""
    names = {
        "job.id": str(run.get("job_id")), "job.run_id": str(run["run_id"]),
        "job.name": str(run.get("run_name", "")), "job.trigger.type": str(run.get("trigger", "")),
        "job.repair_count": str(max(0, len(run.get("repair_history", [])) - 1)),
        "task.name": entry["task_key"], "task.run_id": str(entry["run_id"]),
        "task.execution_count": str(entry.get("attempt_number", 0) + 1),
        "workspace.id": str(workspace_id), "workspace.url": host,
        "job_id": str(run.get("job_id")), "run_id": str(entry["run_id"]),
        "parent_run_id": str(run["run_id"]), "task_key": entry["task_key"],
        "task_retry_count": str(entry.get("attempt_number", 0)),
    }
    started = datetime.fromtimestamp(run.get("start_time", 0) / 1000, tz=timezone.utc)
    names.update({f"job.start_time.{k}": f(started) for k, f in _TIME_FORMATS.items()})
    names["job.start_time.timestamp_ms"] = str(run.get("start_time", 0))
    names["start_date"], names["start_time"] = started.date().isoformat(), str(run.get("start_time", 0))
    names.update({f"job.parameters.{p['name']}": p["value"] for p in run.get("job_parameters", [])})
    for key, values in task_values.items():
        names.update({f"tasks.{key}.values.{k}": value_text(v) for k, v in values.items()})
    for other in run.get("tasks", []):
        names[f"tasks.{other['task_key']}.run_id"] = str(other["run_id"])
        result = other.get("state", {}).get("result_state")
        if result:
            names[f"tasks.{other['task_key']}.result_state"] = result.lower()
    return names


def resolve(value: Any, names: Mapping[str, str]) -> Any:
    """`value` with every known `{{reference}}` substituted (recursively through lists and dicts)."""
    if isinstance(value, str):
        return _REFERENCE.sub(lambda m: names.get(_normalized(m.group(1)), m.group(0)), value)
    if isinstance(value, list):
        return [resolve(v, names) for v in value]
    if isinstance(value, dict):
        return {k: resolve(v, names) for k, v in value.items()}
    return value


def _normalized(reference: str) -> str:
    return ".".join(part.strip("`") for part in re.split(r"\.(?=(?:[^`]*`[^`]*`)*[^`]*$)", reference))
