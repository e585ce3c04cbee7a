"""Pure DAG rules: `run_if` over upstream results, condition tasks, the job run roll-up, `only`.

Semantics from jobs-api-2.2.md §5.5–§5.7: excluded tasks count as successful, a task whose
dependencies are all excluded is excluded, cancellation propagates as UPSTREAM_CANCELED while
failure-handling `run_if` values still run. Disabled parents follow Databricks' "Disabled tasks in
Lakeflow Jobs" page: a disabled parent neither succeeds nor fails; a task whose `run_if` cannot be met
because of disabled parents is itself DISABLED for the run (ALL_SUCCESS and ALL_FAILED with any disabled
parent; the others when only disabled parents remain), and ALL_DONE counts a disabled parent as done.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import InvalidParameterValue
from .lifecycle import LifeCycle, Result

__all__ = ["RUN", "condition_holds", "downstream_of", "gate", "roll_up", "select_only"]

RUN = "RUN"
_SUCCEEDED = {Result.SUCCESS, Result.SUCCESS_WITH_FAILURES, Result.EXCLUDED, Result.DISABLED}
_CANCELED = {Result.CANCELED, Result.UPSTREAM_CANCELED}
_FAILED_TASK = {Result.FAILED, Result.TIMEDOUT}
_NEED_ALL = {"ALL_SUCCESS", "ALL_FAILED"}
"""`run_if` values that no disabled parent can satisfy."""


def gate(entry: Mapping[str, Any], latest: Mapping[str, Mapping[str, Any]]) -> str | Result | None:
    """None while a dependency is unfinished; else RUN, or the result the task is skipped with."""
    outcomes = []
    for dep in entry.get("depends_on") or []:
        upstream = latest.get(dep["task_key"])
        if upstream is None:
            continue
        if not LifeCycle(upstream["state"]["life_cycle_state"]).is_terminal:
            return None
        outcomes.append(_outcome(upstream, dep.get("outcome")))
    if not outcomes:
        return RUN
    run_if = entry.get("run_if") or "ALL_SUCCESS"
    others: list[Result] = [o for o in outcomes if o != Result.DISABLED]
    if len(others) < len(outcomes) and (not others or run_if in _NEED_ALL):
        return RUN if run_if == "ALL_DONE" else Result.DISABLED
    if len(others) == len(outcomes) and all(o == Result.EXCLUDED for o in others):
        return Result.EXCLUDED
    return _run_if(run_if, others)


def _outcome(upstream: Mapping[str, Any], wanted: str | None) -> Result:
    result = Result(upstream["state"].get("result_state", Result.FAILED.value))
    if wanted is not None and result in _SUCCEEDED:
        got = upstream.get("condition_task", {}).get("outcome")
        return Result.SUCCESS if got == wanted else Result.EXCLUDED
    return result


def _run_if(run_if: str, outcomes: list[Result]) -> str | Result:
    ok = sum(o in _SUCCEEDED for o in outcomes)
    canceled = sum(o in _CANCELED for o in outcomes)
    failed = len(outcomes) - ok - canceled
    not_met = Result.UPSTREAM_CANCELED if canceled and not failed else Result.UPSTREAM_FAILED
    rules = {
        "ALL_SUCCESS": (ok == len(outcomes), not_met),
        "AT_LEAST_ONE_SUCCESS": (ok >= 1, not_met),
        "NONE_FAILED": (failed == 0 and canceled == 0, not_met),
        "ALL_DONE": (True, not_met),
        "AT_LEAST_ONE_FAILED": (failed + canceled >= 1, Result.EXCLUDED),
        "ALL_FAILED": (failed + canceled == len(outcomes), Result.EXCLUDED),
    }
    holds, otherwise = rules[run_if]
    return RUN if holds else otherwise


def condition_holds(op: str, left: str, right: str) -> bool:
    """A condition task: EQUAL_TO/NOT_EQUAL compare strings, the rest numbers (ValueError if not)."""
    if op == "EQUAL_TO":
        return left == right
    if op == "NOT_EQUAL":
        return left != right
    a, b = _number(left), _number(right)
    return {
        "GREATER_THAN": a > b, "GREATER_THAN_OR_EQUAL": a >= b,
        "LESS_THAN": a < b, "LESS_THAN_OR_EQUAL": a <= b,
    }[op]


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"Cannot compare '{text}' as a number.") from None


def roll_up(latest: Mapping[str, Mapping[str, Any]]) -> tuple[LifeCycle, Result, str]:
    """The job run's end state from the latest attempt of each task (all terminal)."""
    results = {key: Result(e["state"].get("result_state", "FAILED")) for key, e in latest.items()}
    if any(r == Result.CANCELED for r in results.values()):
        return LifeCycle.TERMINATED, Result.CANCELED, "Run was canceled."
    failed = [key for key, r in results.items() if r in _FAILED_TASK]
    if not failed:
        return LifeCycle.TERMINATED, Result.SUCCESS, ""
    if all(results[key] in _SUCCEEDED for key in _leaves(latest)):
        return LifeCycle.TERMINATED, Result.SUCCESS_WITH_FAILURES, ""
    first = latest[failed[0]]
    message = str(first["state"].get("state_message", "")).rstrip(".")
    return LifeCycle.INTERNAL_ERROR, Result.FAILED, f"Task {failed[0]} failed with message: {message}."


def _leaves(latest: Mapping[str, Mapping[str, Any]]) -> list[str]:
    upstream = {d["task_key"] for e in latest.values() for d in e.get("depends_on") or []}
    return [key for key in latest if key not in upstream]


def downstream_of(tasks: Iterable[Mapping[str, Any]], keys: Iterable[str]) -> set[str]:
    """`keys` and every task that depends on them, transitively."""
    children: dict[str, set[str]] = {}
    for task in tasks:
        for dep in task.get("depends_on") or []:
            children.setdefault(dep["task_key"], set()).add(task["task_key"])
    found, todo = set(keys), list(keys)
    while todo:
        for child in children.get(todo.pop(), set()) - found:
            found.add(child)
            todo.append(child)
    return found


def select_only(tasks: list[dict[str, Any]], only: list[str] | None) -> list[dict[str, Any]]:
    """The tasks `run-now.only` selects: `key`, `+key` (and upstream), `key+` (and downstream)."""
    if not only:
        return tasks
    parents = {t["task_key"]: [d["task_key"] for d in t.get("depends_on") or []] for t in tasks}
    chosen: set[str] = set()
    for item in only:
        key = item.strip("+")
        if key not in parents:
            raise InvalidParameterValue(f"Task {key} specified in 'only' does not exist in the job.")
        chosen.add(key)
        if item.startswith("+"):
            chosen |= _upstream_of(parents, key)
        if item.endswith("+"):
            chosen |= downstream_of(tasks, [key])
    return [t for t in tasks if t["task_key"] in chosen]


def _upstream_of(parents: Mapping[str, list[str]], key: str) -> set[str]:
    found, todo = set(), [key]
    while todo:
        for parent in parents.get(todo.pop(), []):
            if parent not in found:
                found.add(parent)
                todo.append(parent)
    return found
