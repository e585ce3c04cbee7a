"""The client's checks (`prefect_databricks.client.checks`) under random and rule-breaking input.

Strategies are derived from the `RULES` table itself: for each rule, values that break it. A
broken rule must raise `ClientValidationError` naming the field, through the task as well, with
no request reaching the workspace (its own request counter is compared); any input at all must
give either a pass or a `ClientValidationError`, never another exception.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prefect_databricks import DatabricksCredentials, jobs
from prefect_databricks.client import ClientValidationError
from prefect_databricks.client.checks import (
    RULES,
    AsciiOnly,
    Exclusive,
    IntRange,
    IntType,
    MaxItems,
    MaxJsonBytes,
    MaxLength,
    Nested,
    TaskKeys,
    check_request,
)
from prefect_databricks.local import LocalWorkspace

_TASKS = {
    "jobs/create": ("ajobs_create", {}),
    "jobs/reset": ("ajobs_reset", {"job_id": 1}),
    "jobs/update": ("ajobs_update", {"job_id": 1}),
    "jobs/list": ("ajobs_list", {}),
    "jobs/runs/list": ("ajobs_runs_list", {}),
    "jobs/run-now": ("ajobs_run_now", {"job_id": 1}),
    "jobs/runs/submit": ("ajobs_runs_submit", {}),
    "jobs/runs/repair": ("ajobs_runs_repair", {"run_id": 1}),
}
"""Endpoint with rules → the task that sends it, and the arguments it requires."""

_ANY = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**66), max_value=2**66)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=10,
)
_NOT_INT = st.text(max_size=5) | st.floats() | st.booleans() | st.lists(st.integers(), max_size=2)
_TRUTHY = st.just(True) | st.lists(st.text(alphabet="ab", min_size=1), min_size=1, max_size=2)
_BAD_KEYS = st.text(max_size=3).filter(lambda k: k == "" or not k.replace("-", "").replace("_", "").isalnum())
_FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _rule_fields(rules: Any) -> set[str]:
    names: set[str] = set()
    for rule in rules:
        names.add(rule.field)
        names |= {rule.other} if isinstance(rule, Exclusive) else set()
        names |= _rule_fields(rule.rules) if isinstance(rule, Nested) else set()
    return names


def _bad_tasks(draw: st.DrawFn) -> list[Any]:
    good = [{"task_key": f"k{i}"} for i in range(draw(st.integers(0, 2)))]
    bad = draw(
        st.sampled_from(good[:1] or [{"task_key": None}])
        | st.fixed_dictionaries({"task_key": _BAD_KEYS | st.integers() | st.none() | st.just("x" * 101)})
    )
    return [*good, bad]


def _breaking(draw: st.DrawFn, rule: Any) -> tuple[dict[str, Any], str]:
    """A payload breaking `rule` alone, and the field the error must name."""
    field = rule.field
    if isinstance(rule, IntRange):
        outside = st.integers(max_value=rule.low - 1) | st.integers(min_value=rule.high + 1)
        return {field: draw(outside | _NOT_INT)}, field
    if isinstance(rule, Exclusive):
        return {field: draw(_TRUTHY), rule.other: draw(_TRUTHY)}, field
    if isinstance(rule, MaxJsonBytes):
        return {field: {"k": "x" * (rule.limit + draw(st.integers(0, 50)))}}, field
    if isinstance(rule, AsciiOnly):
        return {field: ["ok", draw(st.text(min_size=1, max_size=4).map(lambda s: s + "é"))]}, field
    if isinstance(rule, MaxLength):
        return {field: "t" * (rule.limit + draw(st.integers(1, 30)))}, field
    if isinstance(rule, MaxItems):
        return {field: {f"k{i}": "v" for i in range(rule.limit + draw(st.integers(1, 5)))}}, field
    if isinstance(rule, IntType):
        return {field: draw(_NOT_INT)}, field
    if isinstance(rule, TaskKeys):
        return {field: _bad_tasks(draw)}, field + "["
    assert isinstance(rule, Nested), f"no strategy for rule {rule!r}: add one here"
    inner, inner_field = _breaking(draw, draw(st.sampled_from(list(rule.rules))))
    return {field: inner}, f"{field}.{inner_field}"


@st.composite
def _broken(draw: st.DrawFn) -> tuple[str, dict[str, Any], str]:
    endpoint = draw(st.sampled_from(sorted(RULES)))
    payload, field = _breaking(draw, draw(st.sampled_from(list(RULES[endpoint]))))
    return endpoint, payload, field


def _names_field(error: ClientValidationError, field: str) -> bool:
    return error.field.startswith(field) if field.endswith("[") else error.field == field


def test_every_endpoint_with_rules_has_a_task() -> None:
    assert set(RULES) == set(_TASKS)


@_FUZZ
@given(case=_broken())
def test_a_broken_rule_names_its_field(case: tuple[str, dict[str, Any], str]) -> None:
    endpoint, payload, field = case
    with pytest.raises(ClientValidationError) as caught:
        check_request(endpoint, payload)
    assert _names_field(caught.value, field), (caught.value.field, field)
    assert str(caught.value).startswith(caught.value.field + ": ")


@pytest.mark.parametrize("endpoint", sorted(RULES))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_any_input_passes_or_names_a_field(endpoint: str, data: st.DataObject) -> None:
    fields = sorted(_rule_fields(RULES[endpoint]))
    payload = data.draw(st.dictionaries(st.sampled_from(fields), _ANY, max_size=4))
    try:
        check_request(endpoint, payload)
    except ClientValidationError as error:
        assert error.field.split(".")[0].split("[")[0] in fields, error.field


@pytest.fixture(scope="module")
def counted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DatabricksCredentials, httpx.Client]]:
    """Credentials of a workspace of this module, and a client reading its request counter."""
    data_dir: Path = tmp_path_factory.mktemp("checks-ws")
    with LocalWorkspace(data_dir) as ws:
        headers = {"Authorization": f"Bearer {ws.token}"}
        with httpx.Client(base_url=ws.host, headers=headers, timeout=30) as http:
            yield ws.credentials(), http


@_FUZZ
@given(case=_broken())
def test_tasks_refuse_before_sending(
    counted: tuple[DatabricksCredentials, httpx.Client], case: tuple[str, dict[str, Any], str]
) -> None:
    creds, http = counted
    endpoint, payload, field = case
    name, required = _TASKS[endpoint]
    before = http.get("/local-api/requests").json()["total"]
    task = getattr(jobs, name)
    with pytest.raises(ClientValidationError) as caught:
        asyncio.run(task.fn(creds, **{**required, **payload}))
    assert _names_field(caught.value, field), (caught.value.field, field)
    assert http.get("/local-api/requests").json()["total"] == before, "a request was sent"
