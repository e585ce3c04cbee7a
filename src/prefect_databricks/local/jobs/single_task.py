"""The Jobs API 2.0 single-task format: a task type at the top level, kept as a job of one task.

As "Updating from Jobs API 2.0 to 2.1" documents it: 2.0 takes a job or a one-time run with its task type
(`notebook_task`, `spark_python_task`, ...) and `new_cluster`/`existing_cluster_id`/`libraries` at the top
level, and answers 2.0 reads in that shape; 2.1 and later show the same job as multi-task, its one task in
`tasks`, with `format: SINGLE_TASK`. Requests of 2.1 and later must use `tasks`.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import InvalidParameterValue
from .rules import TASK_TYPES
from .shapes import field_path

__all__ = ["SINGLE_TASK", "as_single_task", "is_single_task", "merge_into_task", "to_tasks"]

SINGLE_TASK = "SINGLE_TASK"
_TASK_LEVEL = ("new_cluster", "existing_cluster_id", "libraries", "max_retries", "min_retry_interval_millis",
               "retry_on_timeout")
_NOT_A_KEY = re.compile(r"[^\w\-]+")


def is_single_task(body: dict[str, Any]) -> bool:
    """True when `body` names a task type at its top level (the 2.0 single-task format)."""
    return bool(TASK_TYPES & body.keys())


def to_tasks(
    body: dict[str, Any], *, version: str, path: str, name_field: str = "name", task_key: str | None = None
) -> dict[str, Any]:
    """`body` in the multi-task format: its top-level task and cluster fields moved into `tasks[0]`.

    The task is keyed `task_key`, else after the job's (or run's) name. 400 on 2.1 and later, with `tasks`,
    or with two task types.
    """
    found = sorted(TASK_TYPES & body.keys())
    if not found:
        return body
    where = field_path(path, found[0])
    if version != "2.0":
        raise InvalidParameterValue(
            f"Invalid value for field {where}: the single-task format is served on API 2.0 only; "
            f"on {version} declare the task in `tasks` with a task_key."
        )
    if body.get("tasks"):
        raise InvalidParameterValue(f"Invalid value for field {where}: cannot be used together with tasks.")
    if len(found) > 1:
        raise InvalidParameterValue(
            f"Invalid value for field {field_path(path, found[1])}: a single-task job has one task type "
            f"(it also sets {found[0]})."
        )
    moved = (*found, *_TASK_LEVEL)
    task = {key: body[key] for key in moved if key in body}
    task["task_key"] = task_key or _key_from(body.get(name_field))
    return {**{k: v for k, v in body.items() if k not in moved}, "tasks": [task]}


def merge_into_task(settings: dict[str, Any], new_settings: dict[str, Any]) -> dict[str, Any]:
    """A 2.0 `jobs/update` of a SINGLE_TASK job: its top-level task fields laid over the job's one task."""
    moved = {k: v for k, v in new_settings.items() if k in TASK_TYPES or k in _TASK_LEVEL}
    tasks = settings.get("tasks") or []
    if not moved or len(tasks) != 1 or new_settings.get("tasks"):
        return new_settings
    task = {k: v for k, v in tasks[0].items() if not (k in TASK_TYPES and TASK_TYPES & moved.keys())}
    rest = {k: v for k, v in new_settings.items() if k not in moved}
    return {**rest, "tasks": [{**task, **moved}]}


def as_single_task(settings: dict[str, Any]) -> dict[str, Any]:
    """Settings of a SINGLE_TASK job as 2.0 shows them: the one task's fields at the top level."""
    tasks = settings.get("tasks") or []
    if settings.get("format") != SINGLE_TASK or len(tasks) != 1:
        return settings
    task = tasks[0]
    top = {k: v for k, v in task.items() if k in TASK_TYPES or k in _TASK_LEVEL}
    return {**{k: v for k, v in settings.items() if k != "tasks"}, **top}


def _key_from(name: Any) -> str:
    """A task key from a job or run name: each run of characters a key may not hold becomes `_`."""
    key = _NOT_A_KEY.sub("_", name).strip("_")[:100] if isinstance(name, str) else ""
    return key or "task"
