"""`dbutils.jobs.taskValues`: values shared with downstream tasks of the same job run."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["TASK_VALUE_LIMIT", "Jobs", "TaskValues"]

TASK_VALUE_LIMIT = 48 * 1024


class TaskValues:
    """Values shared with downstream tasks: JSON-serialisable, at most 48 KiB each."""

    def __init__(self) -> None:
        self._task_key = ""
        self._upstream: dict[str, dict[str, Any]] = {}
        self._recorded: dict[str, Any] = {}

    def set(self, key: str, value: Any) -> None:
        if not isinstance(key, str) or not key:
            raise TypeError(f"Task value key must be a non-empty string, got {key!r}")
        try:
            encoded = json.dumps(value)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"Task value {key!r} must be JSON serialisable: {exc}") from None
        if len(encoded.encode()) > TASK_VALUE_LIMIT:
            raise ValueError(f"Task value {key!r} is larger than 48 KiB as JSON")
        self._recorded[key] = json.loads(encoded)

    def get(self, taskKey: str, key: str, default: Any = None, debugValue: Any = None) -> Any:
        values = self._recorded if taskKey == self._task_key else self._upstream.get(taskKey, {})
        if key in values:
            return values[key]
        if default is not None:
            return default
        raise ValueError(f"No task value {key!r} was set by task {taskKey!r} and no default was given")


class Jobs:
    """`dbutils.jobs`: only its task values."""

    def __init__(self) -> None:
        self.taskValues = TaskValues()
