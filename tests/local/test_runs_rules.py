"""Pure rules under the scheduler: lifecycle, state/status pairs, run_if, conditions, roll-up, references."""

from __future__ import annotations

from typing import Any

import pytest

from prefect_databricks.local.errors import InvalidParameterValue
from prefect_databricks.local.runs.dag import RUN, condition_holds, gate, roll_up, select_only
from prefect_databricks.local.runs.lifecycle import TRANSITIONS, LifeCycle, Result, can_move, state_and_status
from prefect_databricks.local.runs.references import job_parameters, resolve


def _done(result: str, **extra: Any) -> dict[str, Any]:
    return {"state": {"life_cycle_state": "TERMINATED", "result_state": result}, **extra}


@pytest.mark.parametrize("life", list(LifeCycle))
@pytest.mark.parametrize("result", [None, *Result])
def test_state_and_status_always_agree(life: LifeCycle, result: Result | None) -> None:
    state, status = state_and_status(life, result, "msg")
    assert state["life_cycle_state"] == life.value
    has_result = life.is_terminal and life != LifeCycle.SKIPPED and result is not None
    assert ("result_state" in state) == has_result
    assert ("termination_details" in status) == life.is_terminal
    assert status["state"] == ("WAITING" if life == LifeCycle.WAITING_FOR_RETRY else
                               "TERMINATED" if life.is_terminal else life.value)


def test_transition_table_reaches_an_end_from_every_state() -> None:
    for life, following in TRANSITIONS.items():
        assert can_move(life, life)
        if not life.is_terminal:
            assert any(f.is_terminal for f in following), life
    assert TRANSITIONS[LifeCycle.TERMINATED] == {LifeCycle.RUNNING}
    assert not can_move(LifeCycle.SKIPPED, LifeCycle.RUNNING)


def test_queue_details_and_skip_codes() -> None:
    code = "MAX_CONCURRENT_RUNS_REACHED"
    state, status = state_and_status(LifeCycle.QUEUED, message="full", queue_code=code)
    assert state["queue_reason"] == "full" and status["queue_details"]["code"] == code
    _, skipped = state_and_status(LifeCycle.SKIPPED, message="limit")
    assert skipped["termination_details"]["code"] == "MAX_CONCURRENT_RUNS_EXCEEDED"
    _, crashed = state_and_status(LifeCycle.INTERNAL_ERROR, message="boom")
    assert crashed["termination_details"]["type"] == "INTERNAL_ERROR"


@pytest.mark.parametrize(
    ("run_if", "upstream", "expected"),
    [
        ("ALL_SUCCESS", ["SUCCESS", "SUCCESS"], RUN),
        ("ALL_SUCCESS", ["SUCCESS", "FAILED"], Result.UPSTREAM_FAILED),
        ("ALL_SUCCESS", ["SUCCESS", "CANCELED"], Result.UPSTREAM_CANCELED),
        ("AT_LEAST_ONE_SUCCESS", ["FAILED", "SUCCESS"], RUN),
        ("AT_LEAST_ONE_SUCCESS", ["FAILED", "TIMEDOUT"], Result.UPSTREAM_FAILED),
        ("NONE_FAILED", ["SUCCESS", "EXCLUDED"], RUN),
        ("NONE_FAILED", ["SUCCESS", "UPSTREAM_FAILED"], Result.UPSTREAM_FAILED),
        ("ALL_DONE", ["FAILED", "CANCELED"], RUN),
        ("AT_LEAST_ONE_FAILED", ["SUCCESS", "SUCCESS"], Result.EXCLUDED),
        ("AT_LEAST_ONE_FAILED", ["SUCCESS", "CANCELED"], RUN),
        ("ALL_FAILED", ["FAILED", "SUCCESS"], Result.EXCLUDED),
        ("ALL_FAILED", ["FAILED", "UPSTREAM_FAILED"], RUN),
        ("ALL_DONE", ["EXCLUDED", "EXCLUDED"], Result.EXCLUDED),
    ],
)
def test_run_if(run_if: str, upstream: list[str], expected: object) -> None:
    latest = {f"u{i}": _done(r) for i, r in enumerate(upstream)}
    entry = {"run_if": run_if, "depends_on": [{"task_key": k} for k in latest]}
    assert gate(entry, latest) == expected


def test_gate_waits_for_unfinished_upstream_and_follows_condition_outcomes() -> None:
    running = {"a": {"state": {"life_cycle_state": "RUNNING"}}}
    assert gate({"depends_on": [{"task_key": "a"}]}, running) is None
    cond = {"c": _done("SUCCESS", condition_task={"outcome": "false"})}
    assert gate({"depends_on": [{"task_key": "c", "outcome": "false"}]}, cond) == RUN
    assert gate({"depends_on": [{"task_key": "c", "outcome": "true"}]}, cond) == Result.EXCLUDED


def test_condition_compares_strings_for_equality_and_numbers_for_order() -> None:
    assert not condition_holds("EQUAL_TO", "12.0", "12")
    assert condition_holds("NOT_EQUAL", "12.0", "12")
    assert condition_holds("GREATER_THAN_OR_EQUAL", "12.0", "12")
    assert condition_holds("LESS_THAN", "-1", "2e1")
    with pytest.raises(ValueError, match="abc"):
        condition_holds("GREATER_THAN", "abc", "1")


def test_roll_up_shapes() -> None:
    failed = {"a": _done("FAILED", state={"life_cycle_state": "TERMINATED", "result_state": "FAILED",
                                          "state_message": "Workload failed, see run output for details"})}
    assert roll_up(failed) == (LifeCycle.INTERNAL_ERROR, Result.FAILED,
                               "Task a failed with message: Workload failed, see run output for details.")
    handled = {**failed, "b": _done("SUCCESS", depends_on=[{"task_key": "a"}])}
    assert roll_up(handled)[1] == Result.SUCCESS_WITH_FAILURES
    assert roll_up({"a": _done("SUCCESS"), "b": _done("EXCLUDED")})[1] == Result.SUCCESS


def test_only_selects_upstream_and_downstream() -> None:
    tasks = [{"task_key": "a"}, {"task_key": "b", "depends_on": [{"task_key": "a"}]},
             {"task_key": "c", "depends_on": [{"task_key": "b"}]}]
    assert [t["task_key"] for t in select_only(tasks, ["b"])] == ["b"]
    assert [t["task_key"] for t in select_only(tasks, ["+b"])] == ["a", "b"]
    assert [t["task_key"] for t in select_only(tasks, ["b+"])] == ["b", "c"]
    with pytest.raises(InvalidParameterValue, match="nope"):
        select_only(tasks, ["nope"])


def test_references_substitute_known_names_only() -> None:
    names = {"job.parameters.x$y": "1", "job.run_id": "42"}
    text = "{{job.run_id}}-{{ job.parameters.`x$y` }}-{{job.naem}}-{{broken}"
    assert resolve(text, names) == "42-1-{{job.naem}}-{{broken}"
    assert resolve({"a": ["{{job.run_id}}"]}, names) == {"a": ["42"]}


def test_job_parameters_apply_overrides_sorted_by_name() -> None:
    definitions = [{"name": "z", "default": "1"}, {"name": "a", "default": "2"}]
    assert job_parameters(definitions, {"z": "9", "extra": [1]}) == [
        {"name": "a", "default": "2", "value": "2"},
        {"name": "extra", "value": "[1]"},
        {"name": "z", "default": "1", "value": "9"},
    ]
