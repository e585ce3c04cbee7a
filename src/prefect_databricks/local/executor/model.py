"""The executor's contract with the scheduler: what a task run gets, what it gives back, how it is driven.

The scheduler resolves parameters and dependencies; the executor only runs one task and reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

__all__ = ["OUTPUT_LIMIT", "TaskContext", "TaskOutcome", "TaskProcess", "UnsupportedTask"]

OUTPUT_LIMIT = 5 * 1024 * 1024
"""Bytes kept of a notebook result (the first) and of the logs (the last): "5 MB" in runs/get-output."""


class UnsupportedTask(Exception):
    """A task the local workspace cannot run; ``str(exc)`` is the task run's state_message."""


@dataclass
class TaskContext:
    """Everything one task run needs from the scheduler, already resolved."""

    workdir: Path
    task_key: str
    parameters: dict[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)
    """The argv of files, wheels, JARs and spark-submit; a dbt task's commands."""
    task_values: dict[str, dict[str, Any]] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    read_object: Callable[[str], bytes | None] = field(default=lambda _path: None)
    export_directory: Callable[[str, Path], bool] = field(default=lambda _path, _target: False)
    """Writes the workspace folder at a path under a local directory; False if there is no such folder."""
    secrets: tuple[str, ...] = ()
    """Values no variable of the task's environment may hold (the server's token and client secrets)."""
    environment: dict[str, Any] | None = None
    """The `spec` of the job environment the task's `environment_key` names."""
    variables: dict[str, Any] | None = None
    """The `spec` of the job's `environment_variables` entry the task's `environment_variables_key` names."""
    environments_dir: Path | None = None
    """Where built task environments are cached (in the workspace's data dir)."""


@dataclass
class TaskOutcome:
    """How a finished task run ended, in the terms of runs/get-output."""

    success: bool
    notebook_result: str | None = None
    truncated: bool = False
    logs: str = ""
    logs_truncated: bool = False
    error: str | None = None
    error_trace: str | None = None
    task_values: dict[str, Any] = field(default_factory=dict)
    sql_output: dict[str, Any] | None = None
    dbt_output: dict[str, Any] | None = None
    message: str | None = None
    """The task run's state_message when it is not the generic failure (e.g. an install error)."""


class TaskProcess(Protocol):
    """A started task run, driven by the scheduler's loop."""

    def poll(self) -> TaskOutcome | None:
        """The outcome once the run has ended, ``None`` while it runs; never blocks."""
        ...

    def kill(self) -> None:
        """Kill the run's whole process group; the next poll returns a failed outcome."""
        ...
