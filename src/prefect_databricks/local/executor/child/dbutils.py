"""The ``dbutils`` of a local task process: widgets, ``notebook.exit`` and ``jobs.taskValues``.

Runs in the child interpreter, so it imports only the standard library. The runner configures it
from the task spec and reads back what the task recorded (exit value, task values).
"""

from __future__ import annotations

import json
from typing import Any

__all__ = [
    "DBUtils",
    "InputWidgetNotDefined",
    "NotebookExit",
    "configure",
    "dbutils",
    "display",
    "displayHTML",
    "recorded_task_values",
]

TASK_VALUE_LIMIT = 48 * 1024


class NotebookExit(BaseException):
    """Ends the notebook from ``dbutils.notebook.exit`` (a BaseException: ``except Exception`` misses it)."""

    def __init__(self, value: str) -> None:
        super().__init__(value)
        self.value = value


class InputWidgetNotDefined(Exception):
    """``dbutils.widgets.get`` of a name that is neither a parameter nor a created widget."""


class _Widgets:
    """Job parameters seen as notebook widgets; a created widget only supplies a default."""

    def __init__(self) -> None:
        self._parameters: dict[str, str] = {}
        self._defaults: dict[str, str] = {}

    def text(self, name: str, defaultValue: str = "", label: str | None = None) -> None:
        self._defaults[name] = str(defaultValue)

    def dropdown(self, name: str, defaultValue: str, choices: list[str], label: str | None = None) -> None:
        if defaultValue not in choices:
            raise ValueError(f"Default value {defaultValue!r} of widget {name!r} must be one of {choices!r}")
        self._defaults[name] = str(defaultValue)

    def combobox(self, name: str, defaultValue: str, choices: list[str], label: str | None = None) -> None:
        self._defaults[name] = str(defaultValue)

    def multiselect(self, name: str, defaultValue: str, choices: list[str], label: str | None = None) -> None:
        self.dropdown(name, defaultValue, choices, label)

    def get(self, name: str) -> str:
        if name in self._parameters:
            return self._parameters[name]
        if name in self._defaults:
            return self._defaults[name]
        raise InputWidgetNotDefined(f"No input widget named {name} is defined")

    def getArgument(self, name: str, optional: str | None = None) -> str | None:
        return self._parameters.get(name, self._defaults.get(name, optional))

    def getAll(self) -> dict[str, str]:
        return {**self._defaults, **self._parameters}

    def remove(self, name: str) -> None:
        self._defaults.pop(name, None)

    def removeAll(self) -> None:
        self._defaults.clear()


class _Notebook:
    def exit(self, value: Any) -> None:
        raise NotebookExit(str(value))

    def run(self, path: str, timeout_seconds: int = 0, arguments: dict[str, str] | None = None) -> str:
        raise NotImplementedError(f"dbutils.notebook.run({path!r}) is not available in the local workspace")


class _TaskValues:
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


class _Jobs:
    def __init__(self) -> None:
        self.taskValues = _TaskValues()


class DBUtils:
    """The subset of Databricks' ``dbutils`` that a local task can use."""

    def __init__(self) -> None:
        self.widgets = _Widgets()
        self.notebook = _Notebook()
        self.jobs = _Jobs()

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(
            f"dbutils.{name} is not available in the local workspace "
            "(it has widgets, notebook and jobs.taskValues)"
        )


def display(*objects: Any, **_options: Any) -> None:
    """Show data the way a job's log would: ``.show()`` for Spark DataFrames, ``print`` otherwise."""
    for item in objects:
        show = getattr(item, "show", None)
        if callable(show) and type(item).__module__.startswith("pyspark"):
            show()
        else:
            print(item)


def displayHTML(html: str) -> None:
    """Print the HTML (a local run has no notebook view to render it in)."""
    print(html)


dbutils = DBUtils()


def configure(parameters: dict[str, str], task_key: str, upstream: dict[str, dict[str, Any]]) -> None:
    """Set what this task run sees: its widget values, its own key and its upstream tasks' values."""
    dbutils.widgets._parameters = {str(k): str(v) for k, v in parameters.items()}
    dbutils.jobs.taskValues._task_key = task_key
    dbutils.jobs.taskValues._upstream = upstream


def recorded_task_values() -> dict[str, Any]:
    """The values this task set with ``dbutils.jobs.taskValues.set``."""
    return dict(dbutils.jobs.taskValues._recorded)
