"""The documented rules of job settings (types, limits, references), each broken rule a 400 naming the field.

Cluster specs, libraries and task-type bodies are checked for types and required fields only; triggers
that cannot fire here are refused by `fidelity.py`.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import InvalidParameterValue
from .fidelity import check_triggers_emulated
from .quartz import parse, zone
from .schema import FIELDS
from .shapes import check_shape, field_path

__all__ = [
    "MAX_TASKS_BEFORE_22",
    "TASK_TYPES",
    "check_git_provider",
    "check_settings",
    "check_task_count_for_version",
    "check_tasks",
]

TASK_TYPES = frozenset(name for name in FIELDS["Task"] if name.endswith("_task"))
MAX_TASKS_BEFORE_22 = 100
_MAX_TASKS = 1000
_KEY = re.compile(r"^[\w\-]{1,100}$")
_PARAMETER_NAME = re.compile(r"^[\w\-.]+$")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LIMITS = {"tags": 25, "environment_variables": 10}
_PERIODIC_UNITS = ("MINUTES", "HOURS", "DAYS", "WEEKS")


_GIT_PROVIDERS = (
    "github", "gitlab", "bitbucketcloud", "gitlabenterpriseedition", "bitbucketserver", "azuredevopsservices",
    "githubenterprise", "awscodecommit",
)


def check_settings(settings: Any, path: str = "") -> None:
    """Validate complete job settings (after defaults and merges): shape, limits and references."""
    check_shape(settings, "JobSettings", path)
    _check_text(settings, path)
    _check_counts(settings, path)
    _check_triggers(settings, path)
    _check_parameters(settings.get("parameters") or [], field_path(path, "parameters"))
    clusters = settings.get("job_clusters") or []
    _check_keys(clusters, "job_cluster_key", field_path(path, "job_clusters"))
    _check_webhooks(settings.get("webhook_notifications"), field_path(path, "webhook_notifications"))
    references = {
        "job_cluster_key": {c["job_cluster_key"] for c in clusters},
        "environment_key": {e["environment_key"] for e in settings.get("environments") or []},
        "environment_variables_key": {
            e["environment_variables_key"] for e in settings.get("environment_variables") or []
        },
    }
    _check_variables(settings.get("environment_variables") or [], field_path(path, "environment_variables"))
    check_tasks(settings.get("tasks") or [], field_path(path, "tasks"), references=references)


def check_tasks(
    tasks: Any, path: str, *, item_type: str = "Task", references: dict[str, set[str]] | None = None
) -> None:
    """Shape, unique well-formed keys, exactly one known task type each, dependencies on existing tasks.

    `references` maps a task field (`job_cluster_key`, `environment_key`) to the keys it may name.
    """
    check_shape(tasks, f"list:{item_type}", path)
    if len(tasks) > _MAX_TASKS:
        raise _bad(path, f"at most {_MAX_TASKS} tasks per job.")
    _check_keys(tasks, "task_key", path)
    keys = {task["task_key"] for task in tasks}
    conditions = {task["task_key"] for task in tasks if task.get("condition_task") is not None}
    for index, task in enumerate(tasks):
        _check_task(task, keys, field_path(path, index))
        _check_graph(task, conditions, field_path(path, index))
        _check_references(task, references or {}, field_path(path, index))
    _check_acyclic(tasks, path)


def _check_references(task: dict[str, Any], references: dict[str, set[str]], path: str) -> None:
    for field, known in references.items():
        value = task.get(field)
        if value is not None and value not in known:
            raise _bad(f"{path}.{field}", f"'{value}' is not defined in this job.")


def check_task_count_for_version(count: int, version: str) -> None:
    """API 2.0/2.1 refuse jobs of more than 100 tasks, with the service's message."""
    if version != "2.2" and count > MAX_TASKS_BEFORE_22:
        raise InvalidParameterValue(
            "Resources with more than 100 tasks can only be handled by API 2.2 and above. "
            f"Your resource has {count} tasks"
        )


def _check_text(settings: dict[str, Any], path: str) -> None:
    if len((settings.get("name") or "").encode()) > 4096:
        raise _bad(field_path(path, "name"), "at most 4096 bytes.")
    if len(settings.get("description") or "") > 27700:
        field = field_path(path, "description")
        raise _bad(field, "at most 27700 characters.")


def _check_counts(settings: dict[str, Any], path: str) -> None:
    for name, limit in _LIMITS.items():
        if len(settings.get(name) or ()) > limit:
            field = field_path(path, name)
            raise _bad(field, f"at most {limit} entries.")
    runs = settings.get("max_concurrent_runs")
    if runs is not None and not 0 <= runs <= 1000:
        field = field_path(path, "max_concurrent_runs")
        raise _bad(field, "must be between 0 and 1000.")
    if (settings.get("timeout_seconds") or 0) < 0:
        field = field_path(path, "timeout_seconds")
        raise _bad(field, "must not be negative.")


def _check_triggers(settings: dict[str, Any], path: str) -> None:
    present = [
        name for name in ("schedule", "continuous", "trigger", "triggers") if settings.get(name) is not None
    ]
    if "schedule" in present and "continuous" in present:
        raise _bad(field_path(path, "continuous"), "only one of schedule and continuous can be set.")
    if "triggers" in present and len(present) > 1:
        raise _bad(field_path(path, "triggers"), "cannot be combined with schedule, trigger or continuous.")
    if "schedule" in present:
        _check_schedule(settings["schedule"], field_path(path, "schedule"))
    if "trigger" in present and settings["trigger"].get("periodic") is not None:
        _check_periodic(settings["trigger"]["periodic"], field_path(path, "trigger.periodic"))
    check_triggers_emulated(settings, path)


def _check_schedule(schedule: dict[str, Any], path: str) -> None:
    """The Quartz expression and the Java time zone id, parsed as the scheduler will use them."""
    for field, check in (("quartz_cron_expression", parse), ("timezone_id", zone)):
        try:
            check(schedule[field])
        except ValueError as exc:
            raise _bad(f"{path}.{field}", str(exc)) from None


def _check_periodic(periodic: dict[str, Any], path: str) -> None:
    if periodic["interval"] < 1:
        raise _bad(f"{path}.interval", "must be at least 1.")
    if periodic["unit"] not in _PERIODIC_UNITS:
        raise _bad(f"{path}.unit", f"must be one of {', '.join(_PERIODIC_UNITS)}.")


def _check_variables(entries: list[dict[str, Any]], path: str) -> None:
    """The documented limits of inline variables: at most 100 per entry, names `^[A-Za-z_][A-Za-z0-9_]*$`
    of 1 to 256 characters, values of at most 512 characters (jobs docs, "environment variables")."""
    _check_keys(entries, "environment_variables_key", path)
    for index, entry in enumerate(entries):
        where = f"{field_path(path, index)}.spec.variables"
        variables = (entry.get("spec") or {}).get("variables") or {}
        if len(variables) > 100:
            raise _bad(where, "at most 100 variables.")
        for name, value in variables.items():
            if not _VARIABLE.match(name) or len(name) > 256:
                raise _bad(f"{where}.{name}", f"names must match {_VARIABLE.pattern} (1 to 256 characters).")
            if len(str(value)) > 512:
                raise _bad(f"{where}.{name}", "at most 512 characters.")


def _check_parameters(parameters: list[dict[str, Any]], path: str) -> None:
    seen: set[str] = set()
    for index, parameter in enumerate(parameters):
        name, where = parameter["name"], field_path(field_path(path, index), "name")
        if not _PARAMETER_NAME.match(name):
            raise _bad(where, f"'{name}' may only contain alphanumerics, _, - and .")
        if name in seen:
            raise _bad(where, f"duplicate parameter '{name}'.")
        seen.add(name)


def _check_keys(items: list[dict[str, Any]], key: str, path: str) -> None:
    seen: set[str] = set()
    for index, item in enumerate(items):
        value, where = item.get(key), field_path(field_path(path, index), key)
        if not isinstance(value, str) or not _KEY.match(value):
            raise _bad(where, "must be 1 to 100 characters among letters, digits, _ and -.")
        if value in seen:
            raise _bad(where, f"duplicate {key} '{value}'.")
        seen.add(value)


def _check_task(task: dict[str, Any], keys: set[str], path: str) -> None:
    unknown = sorted(name for name in task if name.endswith("_task") and name not in TASK_TYPES)
    if unknown:
        raise _bad(f"{path}.{unknown[0]}", "unknown task type.")
    kinds = sorted(name for name in task if name in TASK_TYPES and task[name] is not None)
    if len(kinds) != 1:
        found = ", ".join(kinds) or "none"
        raise _bad(path, f"exactly one task type is required, got {found}.")
    if len((task.get("description") or "").encode()) > 4096:
        raise _bad(f"{path}.description", "at most 4096 bytes.")
    for index, dependency in enumerate(task.get("depends_on") or []):
        if dependency["task_key"] not in keys or dependency["task_key"] == task["task_key"]:
            where = f"{path}.depends_on[{index}].task_key"
            raise _bad(where, f"task '{dependency['task_key']}' is not another task of this job.")
    _check_webhooks(task.get("webhook_notifications"), f"{path}.webhook_notifications")


def _check_graph(task: dict[str, Any], conditions: set[str], path: str) -> None:
    """Branch outcomes only on condition tasks, as "true" or "false"; no for-each inside a for-each."""
    for index, dependency in enumerate(task.get("depends_on") or []):
        outcome = dependency.get("outcome")
        where = f"{path}.depends_on[{index}].outcome"
        if outcome is not None and dependency["task_key"] not in conditions:
            raise _bad(where, f"an outcome can only be set on a dependency on a condition task, and "
                              f"'{dependency['task_key']}' is not one.")
        if outcome is not None and outcome not in ("true", "false"):
            raise _bad(where, "must be 'true' or 'false'.")
    nested = (task.get("for_each_task") or {}).get("task") or {}
    if nested.get("for_each_task") is not None:
        raise _bad(f"{path}.for_each_task.task.for_each_task",
                   "You cannot add another For each task as the nested task.")


def check_git_provider(git_source: Any) -> None:
    """Databricks' own message for a missing or unknown provider (recorded on the real service, issue 13)."""
    if not isinstance(git_source, dict):
        return
    provider = git_source.get("git_provider")
    if not isinstance(provider, str) or provider.lower() not in _GIT_PROVIDERS:
        raise InvalidParameterValue(f"git_source.git_provider must be one of: {','.join(_GIT_PROVIDERS)}")


def _check_webhooks(notifications: dict[str, Any] | None, path: str) -> None:
    for event, destinations in (notifications or {}).items():
        if isinstance(destinations, list) and len(destinations) > 3:
            raise _bad(f"{path}.{event}", "at most 3 destinations.")


def _check_acyclic(tasks: list[dict[str, Any]], path: str) -> None:
    """Kahn's algorithm: the tasks whose dependencies never all finish sit on a cycle."""
    pending = {t["task_key"]: len({d["task_key"] for d in t.get("depends_on") or []}) for t in tasks}
    downstream: dict[str, list[str]] = {key: [] for key in pending}
    for task in tasks:
        for parent in {d["task_key"] for d in task.get("depends_on") or []}:
            downstream[parent].append(task["task_key"])
    ready = [key for key, count in pending.items() if count == 0]
    while ready:
        for child in downstream[ready.pop()]:
            pending[child] -= 1
            if pending[child] == 0:
                ready.append(child)
    stuck = sorted(key for key, count in pending.items() if count > 0)
    if stuck:
        raise _bad(path, f"the dependencies form a cycle through '{stuck[0]}'.")


def _bad(field: str, rule: str) -> InvalidParameterValue:
    return InvalidParameterValue(f"Invalid value for field {field}: {rule}")
