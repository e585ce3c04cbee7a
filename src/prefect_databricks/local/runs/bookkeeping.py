"""What run documents keep beside the API's fields, under `_local` (every view strips it), typed.

The store keeps run documents as JSON, so the bookkeeping stays a dict on the document; these
TypedDicts name every key and its type, and the two accessors are the only way code reaches it.
"""

from __future__ import annotations

from typing import Any, TypedDict, cast

__all__ = ["RunBookkeeping", "TaskBookkeeping", "run_local", "task_local"]


class RunBookkeeping(TypedDict, total=False):
    """A job run's: cancel and timeout flags, admission inputs, repairs, task values set so far, the
    job's environments (what its tasks' `environment_key` names), settings that will not take effect,
    and the running task that submitted it (`dbutils.notebook.run`), whose process slot it uses."""

    cancel: bool
    timed_out: bool
    timeout_seconds: int
    max_concurrent_runs: int
    queue: bool
    admitted_at: int
    latest_repair_id: int
    task_values: dict[str, dict[str, Any]]
    environments: list[dict[str, Any]]
    environment_variables: list[dict[str, Any]]
    warnings: list[str]
    started_by_task_run: int


class TaskBookkeeping(TypedDict, total=False):
    """A task run's: cancel flag, retry time and first attempt, its process group or child run, for-each
    inputs."""

    cancel: bool
    retry_at: int
    first_attempt_run_id: int
    pgid: int | None
    child_run_id: int
    ended: list[Any]
    iterations: list[dict[str, Any]]
    names: dict[str, str]
    index: int


def run_local(run: dict[str, Any]) -> RunBookkeeping:
    """The bookkeeping of a job run document (created empty if missing)."""
    return cast(RunBookkeeping, run.setdefault("_local", {}))


def task_local(entry: dict[str, Any]) -> TaskBookkeeping:
    """The bookkeeping of a task run entry or for-each iteration (created empty if missing)."""
    return cast(TaskBookkeeping, entry.setdefault("_local", {}))
