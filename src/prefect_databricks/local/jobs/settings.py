"""Job settings as the service keeps them: server-side defaults, `jobs/update` merges and field removal."""

from __future__ import annotations

import copy
from typing import Any

from ..errors import InvalidParameterValue

__all__ = ["ARRAY_KEYS", "PAGED_ARRAYS", "apply_update", "with_defaults"]

ARRAY_KEYS = {"tasks": "task_key", "job_clusters": "job_cluster_key"}
PAGED_ARRAYS = (
    ("settings", "tasks"),
    ("settings", "job_clusters"),
    ("settings", "parameters"),
    ("settings", "environments"),
)
_JOB_DEFAULTS: dict[str, Any] = {
    "email_notifications": {},
    "webhook_notifications": {},
    "timeout_seconds": 0,
    "max_concurrent_runs": 1,
}
_TASK_DEFAULTS: dict[str, Any] = {"run_if": "ALL_SUCCESS", "timeout_seconds": 0, "email_notifications": {}}
_SOURCED_TASKS = ("notebook_task", "spark_python_task", "dbt_task")


def with_defaults(
    settings: dict[str, Any], *, queue_enabled: bool, single_task: bool = False
) -> dict[str, Any]:
    """A copy of `settings` with the values the service fills in (as `jobs/get` shows them).

    `format` is the service's to set (a request's is ignored): SINGLE_TASK for a job given in 2.0's format.
    """
    out = {key: value for key, value in copy.deepcopy(settings).items() if value is not None}
    for key, value in _JOB_DEFAULTS.items():
        out.setdefault(key, copy.deepcopy(value))
    out["format"] = "SINGLE_TASK" if single_task else "MULTI_TASK"
    out.setdefault("queue", {"enabled": queue_enabled})
    source = "GIT" if out.get("git_source") else "WORKSPACE"
    out["tasks"] = [_task_with_defaults(task, source) for task in out.get("tasks") or []]
    if not out["tasks"]:
        del out["tasks"]
    return out


def _task_with_defaults(task: dict[str, Any], source: str) -> dict[str, Any]:
    for key, value in _TASK_DEFAULTS.items():
        task.setdefault(key, copy.deepcopy(value))
    if task.get("depends_on"):
        task["depends_on"] = sorted(task["depends_on"], key=lambda d: d["task_key"])
    for kind in _SOURCED_TASKS:
        if isinstance(task.get(kind), dict):
            task[kind].setdefault("source", source)
    return task


def apply_update(
    settings: dict[str, Any], new_settings: dict[str, Any], fields_to_remove: list[str]
) -> dict[str, Any]:
    """`jobs/update`: top-level fields replaced, `tasks`/`job_clusters` merged by key, then removals.

    A field sent as `null` is treated as absent (left unchanged), as protobuf-backed JSON APIs do.
    """
    out = copy.deepcopy(settings)
    for key, value in new_settings.items():
        if value is None:
            continue
        if key in ARRAY_KEYS and isinstance(value, list):
            out[key] = _merge_by_key(out.get(key) or [], value, ARRAY_KEYS[key])
        else:
            out[key] = copy.deepcopy(value)
    for index, field in enumerate(fields_to_remove):
        _remove(out, field, f"fields_to_remove[{index}]")
    return out


def _merge_by_key(old: list[dict[str, Any]], new: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Entries of `new` replace those of `old` with the same key; the others are kept, new ones appended."""
    merged = {item.get(key): item for item in old}
    for item in new:
        merged[item.get(key)] = copy.deepcopy(item)
    return list(merged.values())


def _remove(settings: dict[str, Any], field: str, where: str) -> None:
    """Remove a top-level field, or one task or job cluster as `tasks/<key>`, `job_clusters/<key>`."""
    array, _, key = field.partition("/")
    if not key:
        settings.pop(field, None)
        return
    if array not in ARRAY_KEYS or "/" in key:
        raise InvalidParameterValue(
            f"Invalid value for field {where}: '{field}' — only top-level fields, tasks/<task_key> and "
            "job_clusters/<job_cluster_key> can be removed."
        )
    items = settings.get(array) or []
    kept = [item for item in items if item.get(ARRAY_KEYS[array]) != key]
    if len(kept) == len(items):
        raise InvalidParameterValue(f"Invalid value for field {where}: '{field}' does not exist in this job.")
    settings[array] = kept
