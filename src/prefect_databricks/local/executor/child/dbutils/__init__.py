"""The ``dbutils`` of a local task process: widgets, notebook, jobs.taskValues, fs and secrets.

Runs in the child interpreter, so it imports only the standard library. The runner configures it
from the task spec and reads back what the task recorded (exit value, task values); secret values the
task read are redacted from its output (see ``_redact``).
"""

from __future__ import annotations

from typing import Any

from ._fs import FileInfo, FileSystem, local_path
from ._jobs import Jobs
from ._library import pip_magic
from ._notebook import Notebook, NotebookExit, NotebookRunFailed
from ._redact import install as install_redaction
from ._redact import redact
from ._secrets import Secrets
from ._widgets import InputWidgetNotDefined, Widgets

__all__ = [
    "DBUtils",
    "FileInfo",
    "InputWidgetNotDefined",
    "NotebookExit",
    "NotebookRunFailed",
    "configure",
    "dbutils",
    "display",
    "displayHTML",
    "install_redaction",
    "local_path",
    "pip_magic",
    "recorded_task_values",
    "redact",
]


class DBUtils:
    """The subset of Databricks' ``dbutils`` that a local task can use."""

    def __init__(self) -> None:
        self.widgets = Widgets()
        self.notebook = Notebook()
        self.jobs = Jobs()
        self.fs = FileSystem()
        self.secrets = Secrets()

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(
            f"dbutils.{name} is not available in the local workspace "
            "(it has widgets, notebook, jobs.taskValues, fs and secrets)"
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


def configure(
    parameters: dict[str, str], task_key: str, upstream: dict[str, dict[str, Any]], notebook_path: str = ""
) -> None:
    """Set what this task run sees: widget values, its own key, upstream values, its notebook's path."""
    dbutils.widgets._parameters = {str(k): str(v) for k, v in parameters.items()}
    dbutils.jobs.taskValues._task_key = task_key
    dbutils.jobs.taskValues._upstream = upstream
    dbutils.notebook.path = notebook_path


def recorded_task_values() -> dict[str, Any]:
    """The values this task set with ``dbutils.jobs.taskValues.set``."""
    return dict(dbutils.jobs.taskValues._recorded)
