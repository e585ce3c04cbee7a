"""Terminal detection and failure errors: pure functions over run dicts, no server needed."""

from __future__ import annotations

import pickle

import pytest

from prefect_databricks.waiting.outcome import (
    DatabricksRunCanceled,
    DatabricksRunError,
    DatabricksRunFailed,
    DatabricksRunSkipped,
    DatabricksRunTimedOut,
    Outcome,
    classify,
    error_for,
    is_terminal,
    latest_attempts,
)


def v1(life: str, result: str | None = None, message: str = "") -> dict:
    state = {"life_cycle_state": life, "state_message": message}
    if result:
        state["result_state"] = result
    return {"run_id": 7, "run_page_url": "http://ws/#job/1/run/7", "state": state}


def v2(state: str, code: str | None = None) -> dict:
    status: dict = {"state": state}
    if code:
        status["termination_details"] = {"code": code, "type": "SUCCESS", "message": ""}
    return {"run_id": 7, "status": status}


@pytest.mark.parametrize(
    "life", ["QUEUED", "PENDING", "RUNNING", "TERMINATING", "BLOCKED", "WAITING_FOR_RETRY"]
)
def test_active_life_cycle_states_keep_waiting(life: str) -> None:
    assert not is_terminal(v1(life))
    assert classify(v1(life)) is None


@pytest.mark.parametrize("life", ["TERMINATED", "SKIPPED", "INTERNAL_ERROR"])
def test_terminal_life_cycle_states(life: str) -> None:
    assert is_terminal(v1(life))


@pytest.mark.parametrize("state", ["QUEUED", "PENDING", "RUNNING", "BLOCKED", "WAITING", "TERMINATING"])
def test_status_wins_over_state_when_present(state: str) -> None:
    """A run whose v2 status is still active is not terminal, whatever the legacy state says."""
    run = {**v1("TERMINATED", "SUCCESS"), **v2(state)}
    assert not is_terminal(run)


def test_status_only_run_is_read() -> None:
    """0.4 failed with KeyError('life_cycle_state') on a status-only response."""
    assert is_terminal(v2("TERMINATED", "SUCCESS"))
    assert classify(v2("TERMINATED", "SUCCESS")) is Outcome.SUCCESS
    assert classify(v2("TERMINATED", "USER_CANCELED")) is Outcome.CANCELED
    assert classify(v2("TERMINATED", "RUN_EXECUTION_ERROR")) is Outcome.FAILED
    assert classify(v2("TERMINATED", "MAX_CONCURRENT_RUNS_EXCEEDED")) is Outcome.SKIPPED


def test_unknown_states_keep_waiting() -> None:
    assert not is_terminal(v1("SOME_FUTURE_STATE"))
    assert not is_terminal(v2("SOME_FUTURE_STATE"))


@pytest.mark.parametrize(
    ("result", "outcome"),
    [
        ("SUCCESS", Outcome.SUCCESS),
        ("SUCCESS_WITH_FAILURES", Outcome.SUCCESS_WITH_FAILURES),
        ("EXCLUDED", Outcome.EXCLUDED),
        ("FAILED", Outcome.FAILED),
        ("TIMEDOUT", Outcome.TIMED_OUT),
        ("CANCELED", Outcome.CANCELED),
        ("UPSTREAM_FAILED", Outcome.UPSTREAM),
        ("MAXIMUM_CONCURRENT_RUNS_REACHED", Outcome.SKIPPED),
    ],
)
def test_result_states(result: str, outcome: Outcome) -> None:
    assert classify(v1("TERMINATED", result)) is outcome


def test_timeout_is_told_apart_from_cancel_by_result_state() -> None:
    run = {**v1("TERMINATED", "TIMEDOUT"), **v2("TERMINATED", "CANCELED")}
    assert classify(run) is Outcome.TIMED_OUT


def test_skipped_without_result_state() -> None:
    assert classify(v1("SKIPPED", message="limit of 1 maximum concurrent runs")) is Outcome.SKIPPED


def test_success_with_failures_succeeds_unless_asked() -> None:
    run = v1("TERMINATED", "SUCCESS_WITH_FAILURES")
    assert error_for(run) is None
    error = error_for(run, fail_on_success_with_failures=True)
    assert isinstance(error, DatabricksRunFailed)


def test_failure_message_names_each_failed_task_error_and_page() -> None:
    run = v1("INTERNAL_ERROR", "FAILED", "Task b failed with message: Workload failed.")
    run["tasks"] = [
        {**v1("TERMINATED", "SUCCESS"), "task_key": "a", "run_id": 1},
        {**v1("TERMINATED", "FAILED", "first try"), "task_key": "b", "run_id": 2, "attempt_number": 0},
        {**v1("TERMINATED", "FAILED", "Workload failed"), "task_key": "b", "run_id": 3, "attempt_number": 1},
        {**v1("TERMINATED", "EXCLUDED"), "task_key": "c", "run_id": 4},
        {**v1("TERMINATED", "UPSTREAM_FAILED"), "task_key": "d", "run_id": 5},
    ]
    error = error_for(run, errors={3: "ZeroDivisionError: division by zero"})
    assert isinstance(error, DatabricksRunFailed)
    text = str(error)
    assert "b (FAILED): ZeroDivisionError: division by zero" in text
    assert "http://ws/#job/1/run/7" in text
    assert " a (" not in text and " c (" not in text
    assert [f.task_key for f in error.failures] == ["b"]


@pytest.mark.parametrize(
    ("run", "cls"),
    [
        (v1("TERMINATED", "CANCELED"), DatabricksRunCanceled),
        (v1("TERMINATED", "TIMEDOUT"), DatabricksRunTimedOut),
        (v1("SKIPPED"), DatabricksRunSkipped),
        (v1("INTERNAL_ERROR"), DatabricksRunFailed),
    ],
)
def test_error_classes_share_one_base(run: dict, cls: type) -> None:
    error = error_for(run)
    assert type(error) is cls
    assert isinstance(error, DatabricksRunError)


def test_errors_pickle_with_their_details() -> None:
    """Prefect pickles a failed flow's exception to disk."""
    run = v1("TERMINATED", "FAILED", "boom")
    run["tasks"] = [{**v1("TERMINATED", "FAILED", "boom"), "task_key": "t", "run_id": 9}]
    error = error_for(run)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is DatabricksRunFailed
    assert str(copy) == str(error)
    assert copy.run_id == 7 and copy.failures == error.failures


def test_not_terminal_run_has_no_error() -> None:
    with pytest.raises(ValueError, match="not terminal"):
        error_for(v1("RUNNING"))


def test_latest_attempts_keeps_last_attempt_per_key() -> None:
    tasks = [
        {"task_key": "a", "attempt_number": 0, "run_id": 1},
        {"task_key": "a", "attempt_number": 2, "run_id": 3},
        {"task_key": "a", "attempt_number": 1, "run_id": 2},
    ]
    assert [t["run_id"] for t in latest_attempts(tasks)] == [3]
