"""What a Databricks run's state means for a waiter: terminal or not, and how it ended.

Terminal-ness is read from the v2 `status` when the run has one, else from the legacy
`state`; how the run ended from the most specific of `result_state` and the termination code.
Pure functions over the API's dicts, so they are tested without a server.

Errors raised when a waited run did not succeed (messages name each failed task, its error
text and the run page; never credentials, as Prefect pickles a failed flow's exception):

DatabricksRunError                 run_id, run_page_url, state, failures
  + DatabricksRunFailed            FAILED / INTERNAL_ERROR / any error termination
  + DatabricksRunCanceled          CANCELED, UPSTREAM_CANCELED, USER_CANCELED
  + DatabricksRunTimedOut          TIMEDOUT, or the waiter's `max_wait_seconds` reached
  + DatabricksRunSkipped           SKIPPED (e.g. maximum concurrent runs reached)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from prefect_databricks.models import (
    RunLifeCycleState,
    RunLifecycleStateV2State,
    RunResultState,
    TerminationCodeCode,
)
from prefect_databricks.waiting.states import message_of, state_text

__all__ = [
    "DatabricksRunCanceled",
    "DatabricksRunError",
    "DatabricksRunFailed",
    "DatabricksRunSkipped",
    "DatabricksRunTimedOut",
    "Outcome",
    "TaskFailure",
    "classify",
    "error_for",
    "is_terminal",
    "latest_attempts",
    "life_cycle",
    "task_failures",
]


class Outcome(str, Enum):
    """How a terminal run or task run ended, as a waiter sees it."""

    SUCCESS = "SUCCESS"
    SUCCESS_WITH_FAILURES = "SUCCESS_WITH_FAILURES"
    EXCLUDED = "EXCLUDED"
    FAILED = "FAILED"
    UPSTREAM = "UPSTREAM"
    CANCELED = "CANCELED"
    TIMED_OUT = "TIMED_OUT"
    SKIPPED = "SKIPPED"

    @property
    def is_success(self) -> bool:
        """Succeeded, possibly with failed non-leaf tasks, or excluded by `run_if` (counts as success)."""
        return self in (Outcome.SUCCESS, Outcome.SUCCESS_WITH_FAILURES, Outcome.EXCLUDED)


_TERMINAL_V1 = frozenset(
    {RunLifeCycleState.TERMINATED, RunLifeCycleState.SKIPPED, RunLifeCycleState.INTERNAL_ERROR}
)
_TERMINAL_V2 = frozenset({RunLifecycleStateV2State.TERMINATED})

_BY_RESULT: Mapping[str, Outcome] = {
    RunResultState.SUCCESS: Outcome.SUCCESS,
    RunResultState.SUCCESS_WITH_FAILURES: Outcome.SUCCESS_WITH_FAILURES,
    RunResultState.EXCLUDED: Outcome.EXCLUDED,
    RunResultState.FAILED: Outcome.FAILED,
    RunResultState.TIMEDOUT: Outcome.TIMED_OUT,
    RunResultState.CANCELED: Outcome.CANCELED,
    RunResultState.UPSTREAM_FAILED: Outcome.UPSTREAM,
    RunResultState.UPSTREAM_CANCELED: Outcome.UPSTREAM,
    RunResultState.MAXIMUM_CONCURRENT_RUNS_REACHED: Outcome.SKIPPED,
    RunResultState.DISABLED: Outcome.SKIPPED,
}

_BY_CODE: Mapping[str, Outcome] = {
    TerminationCodeCode.SUCCESS: Outcome.SUCCESS,
    TerminationCodeCode.SUCCESS_WITH_FAILURES: Outcome.SUCCESS_WITH_FAILURES,
    TerminationCodeCode.USER_CANCELED: Outcome.CANCELED,
    TerminationCodeCode.CANCELED: Outcome.CANCELED,
    TerminationCodeCode.SKIPPED: Outcome.SKIPPED,
    TerminationCodeCode.DISABLED: Outcome.SKIPPED,
    TerminationCodeCode.MAX_CONCURRENT_RUNS_EXCEEDED: Outcome.SKIPPED,
    TerminationCodeCode.MAX_JOB_QUEUE_SIZE_EXCEEDED: Outcome.SKIPPED,
}


def _state(run: Mapping[str, Any]) -> Mapping[str, Any]:
    return run.get("state") or {}


def _status(run: Mapping[str, Any]) -> Mapping[str, Any]:
    return run.get("status") or {}


def life_cycle(run: Mapping[str, Any]) -> str | None:
    """The run's life-cycle state: `status.state` when present, else `state.life_cycle_state`."""
    return _status(run).get("state") or _state(run).get("life_cycle_state")


def is_terminal(run: Mapping[str, Any]) -> bool:
    """True once the run (or task run) will not change any more; unknown states keep waiting."""
    v2 = _status(run).get("state")
    if v2:
        return v2 in _TERMINAL_V2
    return _state(run).get("life_cycle_state") in _TERMINAL_V1


def classify(run: Mapping[str, Any]) -> Outcome | None:
    """How a terminal run ended (None while it is not terminal)."""
    if not is_terminal(run):
        return None
    by_result = _BY_RESULT.get(_state(run).get("result_state") or "")
    if by_result is not None:
        return by_result
    by_code = _BY_CODE.get((_status(run).get("termination_details") or {}).get("code") or "")
    if by_code is not None:
        return by_code
    if _state(run).get("life_cycle_state") == RunLifeCycleState.SKIPPED:
        return Outcome.SKIPPED
    return Outcome.FAILED


def latest_attempts(tasks: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """One entry per task key: its latest attempt (retries are separate entries of the same key)."""
    latest: dict[str, Mapping[str, Any]] = {}
    for task in tasks:
        key = str(task.get("task_key", task.get("run_id")))
        if key not in latest or task.get("attempt_number", 0) >= latest[key].get("attempt_number", 0):
            latest[key] = task
    return list(latest.values())


@dataclass(frozen=True)
class TaskFailure:
    """A task that made the run fail: its key, how it ended, its error text and its page."""

    task_key: str
    outcome: str
    error: str
    run_page_url: str | None = None

    def describe(self) -> str:
        """One line: `key (FAILED): error text`."""
        return f"{self.task_key} ({self.outcome}): {self.error or 'no error message'}"


_FAILING = frozenset({Outcome.FAILED, Outcome.TIMED_OUT, Outcome.CANCELED})


def task_failures(run: Mapping[str, Any], errors: Mapping[int, str] | None = None) -> list[TaskFailure]:
    """The failed, timed-out or canceled tasks (latest attempts), with the error text of each.

    `errors` maps a task run id to the `error` of its output, which says more than `state_message`.
    """
    found = []
    for task in latest_attempts(run.get("tasks") or ()):
        outcome = classify(task)
        if outcome in _FAILING:
            text = (errors or {}).get(task.get("run_id", -1)) or message_of(task)
            found.append(
                TaskFailure(str(task.get("task_key")), outcome.value, text, task.get("run_page_url"))
            )
    return found


@dataclass(frozen=True)
class _Details:
    run_id: int | None
    run_page_url: str | None
    state: str
    failures: tuple[TaskFailure, ...]


class DatabricksRunError(Exception):
    """A waited Databricks run did not succeed; the message names each failed task and the run page."""

    def __init__(
        self,
        message: str,
        *,
        run_id: int | None = None,
        run_page_url: str | None = None,
        state: str = "",
        failures: Iterable[TaskFailure] = (),
    ) -> None:
        super().__init__(message)
        self.run_id = run_id
        self.run_page_url = run_page_url
        self.state = state
        self.failures = tuple(failures)

    def __reduce__(self) -> tuple[Any, ...]:
        details = _Details(self.run_id, self.run_page_url, self.state, self.failures)
        return (_rebuild, (type(self), str(self), details))


def _rebuild(cls: type[DatabricksRunError], message: str, details: _Details) -> DatabricksRunError:
    return cls(
        message,
        run_id=details.run_id,
        run_page_url=details.run_page_url,
        state=details.state,
        failures=details.failures,
    )


class DatabricksRunFailed(DatabricksRunError):
    """The run ended with a failure (FAILED, INTERNAL_ERROR or an error termination code)."""


class DatabricksRunCanceled(DatabricksRunError):
    """The run was canceled, by a user, the platform or an upstream cancellation."""


class DatabricksRunTimedOut(DatabricksRunError):
    """The run timed out on Databricks, or the waiter's `max_wait_seconds` was reached."""


class DatabricksRunSkipped(DatabricksRunError):
    """The run never executed (SKIPPED, e.g. its job's maximum concurrent runs was reached)."""


_ERRORS: Mapping[Outcome, type[DatabricksRunError]] = {
    Outcome.CANCELED: DatabricksRunCanceled,
    Outcome.TIMED_OUT: DatabricksRunTimedOut,
    Outcome.SKIPPED: DatabricksRunSkipped,
}


def error_for(
    run: Mapping[str, Any],
    *,
    errors: Mapping[int, str] | None = None,
    fail_on_success_with_failures: bool = False,
) -> DatabricksRunError | None:
    """The error a waiter raises for this terminal run, or None when it succeeded."""
    outcome = classify(run)
    if outcome is None:
        raise ValueError(f"run {run.get('run_id')} is not terminal ({state_text(run)})")
    strict = fail_on_success_with_failures and outcome is Outcome.SUCCESS_WITH_FAILURES
    if outcome.is_success and not strict:
        return None
    failures = task_failures(run, errors)
    cls = _ERRORS.get(outcome, DatabricksRunFailed)
    return cls(
        _message(run, outcome, failures),
        run_id=run.get("run_id"),
        run_page_url=run.get("run_page_url"),
        state=state_text(run),
        failures=failures,
    )


_VERBS: Mapping[Outcome, str] = {
    Outcome.CANCELED: "was canceled",
    Outcome.TIMED_OUT: "timed out",
    Outcome.SKIPPED: "was skipped",
    Outcome.SUCCESS_WITH_FAILURES: "succeeded with failures (fail_on_success_with_failures=True)",
}


def _message(run: Mapping[str, Any], outcome: Outcome, failures: list[TaskFailure]) -> str:
    head = f"Databricks run {run.get('run_id')} {_VERBS.get(outcome, 'failed')} ({state_text(run)})"
    lines = [f"{head}: {message_of(run)}" if message_of(run) else head]
    lines += [f"  - {failure.describe()}" for failure in failures]
    lines.append(f"Run page: {run.get('run_page_url') or 'unknown'}")
    return "\n".join(lines)
