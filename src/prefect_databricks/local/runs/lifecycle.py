"""The run lifecycle as data: states, allowed transitions, and the `state`/`status` pair a run reports.

The deprecated v1 `state` and the v2 `status` are always built together from one (life cycle,
result) pair, per the mapping table of jobs-api-2.2.md §5.3, so the two can never disagree.
Where Databricks does not document a code or type the choice is ours and marked [I] below.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

__all__ = [
    "TRANSITIONS",
    "LifeCycle",
    "Result",
    "can_move",
    "state_and_status",
]


class LifeCycle(str, Enum):
    """`state.life_cycle_state` of a run or task run."""

    QUEUED = "QUEUED"
    PENDING = "PENDING"
    BLOCKED = "BLOCKED"
    WAITING_FOR_RETRY = "WAITING_FOR_RETRY"
    RUNNING = "RUNNING"
    TERMINATING = "TERMINATING"
    TERMINATED = "TERMINATED"
    SKIPPED = "SKIPPED"
    INTERNAL_ERROR = "INTERNAL_ERROR"

    @property
    def is_terminal(self) -> bool:
        """True once the run can no longer change (until a repair)."""
        return self in _TERMINAL


class Result(str, Enum):
    """`state.result_state`, set only in a terminal life cycle state."""

    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    TIMEDOUT = "TIMEDOUT"
    CANCELED = "CANCELED"
    SUCCESS_WITH_FAILURES = "SUCCESS_WITH_FAILURES"
    EXCLUDED = "EXCLUDED"
    UPSTREAM_FAILED = "UPSTREAM_FAILED"
    UPSTREAM_CANCELED = "UPSTREAM_CANCELED"
    DISABLED = "DISABLED"
    MAXIMUM_CONCURRENT_RUNS_REACHED = "MAXIMUM_CONCURRENT_RUNS_REACHED"


_TERMINAL = frozenset({LifeCycle.TERMINATED, LifeCycle.SKIPPED, LifeCycle.INTERNAL_ERROR})
_L = LifeCycle

TRANSITIONS: dict[LifeCycle, frozenset[LifeCycle]] = {
    _L.QUEUED: frozenset({_L.PENDING, _L.BLOCKED, _L.TERMINATED, _L.SKIPPED, _L.INTERNAL_ERROR}),
    _L.PENDING: frozenset({_L.RUNNING, _L.TERMINATED, _L.INTERNAL_ERROR}),
    _L.BLOCKED: frozenset({_L.PENDING, _L.TERMINATED, _L.INTERNAL_ERROR}),
    _L.WAITING_FOR_RETRY: frozenset({_L.PENDING, _L.TERMINATED, _L.INTERNAL_ERROR}),
    _L.RUNNING: frozenset({_L.TERMINATING, _L.TERMINATED, _L.INTERNAL_ERROR}),
    _L.TERMINATING: frozenset({_L.TERMINATED, _L.INTERNAL_ERROR}),
    _L.TERMINATED: frozenset({_L.RUNNING}),
    _L.SKIPPED: frozenset(),
    _L.INTERNAL_ERROR: frozenset({_L.RUNNING}),
}
"""Which life cycle state may follow which; a finished job run goes back to RUNNING only by a repair."""

_V2_STATE = {
    _L.QUEUED: "QUEUED",
    _L.PENDING: "PENDING",
    _L.BLOCKED: "BLOCKED",
    _L.WAITING_FOR_RETRY: "WAITING",
    _L.RUNNING: "RUNNING",
    _L.TERMINATING: "TERMINATING",
    _L.TERMINATED: "TERMINATED",
    _L.SKIPPED: "TERMINATED",
    _L.INTERNAL_ERROR: "TERMINATED",
}

_TERMINATION: dict[Result, tuple[str, str]] = {
    Result.SUCCESS: ("SUCCESS", "SUCCESS"),
    Result.SUCCESS_WITH_FAILURES: ("SUCCESS_WITH_FAILURES", "SUCCESS"),
    Result.FAILED: ("RUN_EXECUTION_ERROR", "CLIENT_ERROR"),
    Result.TIMEDOUT: ("CANCELED", "CLIENT_ERROR"),  # [I] "canceled by the platform"
    Result.CANCELED: ("USER_CANCELED", "CLIENT_ERROR"),  # [I] type
    Result.EXCLUDED: ("SKIPPED", "SUCCESS"),  # [I] excluded tasks count as successful
    Result.UPSTREAM_FAILED: ("SKIPPED", "CLIENT_ERROR"),
    Result.UPSTREAM_CANCELED: ("SKIPPED", "CLIENT_ERROR"),
    Result.DISABLED: ("DISABLED", "CLIENT_ERROR"),  # [I]
    Result.MAXIMUM_CONCURRENT_RUNS_REACHED: ("MAX_CONCURRENT_RUNS_EXCEEDED", "CLIENT_ERROR"),
}


def can_move(current: LifeCycle, new: LifeCycle) -> bool:
    """True if `new` may follow `current` (staying in the same state is always allowed)."""
    return new == current or new in TRANSITIONS[current]


def state_and_status(
    life: LifeCycle,
    result: Result | None = None,
    message: str = "",
    *,
    user_cancelled_or_timedout: bool = False,
    queue_code: str | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The v1 `state` and the v2 `status` of a run in this life cycle state and result."""
    state: dict[str, Any] = {
        "life_cycle_state": life.value,
        "state_message": message,
        "user_cancelled_or_timedout": user_cancelled_or_timedout,
    }
    status: dict[str, Any] = {"state": _V2_STATE[life]}
    if life.is_terminal and result is not None and life != LifeCycle.SKIPPED:
        state["result_state"] = result.value
    if queue_code is not None:
        state["queue_reason"] = message
        status["queue_details"] = {"code": queue_code, "message": message}
    if life.is_terminal:
        status["termination_details"] = _termination(life, result, message)
    return state, status


def _termination(life: LifeCycle, result: Result | None, message: str) -> dict[str, Any]:
    if life == LifeCycle.SKIPPED:
        code, kind = _TERMINATION[Result.MAXIMUM_CONCURRENT_RUNS_REACHED]
    elif life == LifeCycle.INTERNAL_ERROR and result is None:
        code, kind = "INTERNAL_ERROR", "INTERNAL_ERROR"
    else:
        code, kind = _TERMINATION[result or Result.SUCCESS]
    return {"code": code, "type": kind, "message": message}
