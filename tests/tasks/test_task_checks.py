"""Client-side checks: each documented rule fails before any request, naming the field and rule."""

from __future__ import annotations

import json
from typing import Any

import pytest
from task_helpers import RecordingTransport

from prefect_databricks import jobs
from prefect_databricks.client.checks import RULES, check_request
from prefect_databricks.client.errors import ClientValidationError, DatabricksError
from prefect_databricks.credentials import DatabricksCredentials

_BIG = {"k": "x" * 10_000}
_BIG_LIST = ["x" * 10_000]
_TASK = {"task_key": "t"}

# (task name, positional args after the credentials, keyword args, field named, words of the rule)
CASES: list[tuple[str, tuple[Any, ...], dict[str, Any], str, str]] = [
    ("jobs_list", (), {"limit": 0}, "limit", "from 1 to 100"),
    ("jobs_list", (), {"limit": 101}, "limit", "from 1 to 100"),
    ("jobs_list_all", (), {"limit": 500}, "limit", "from 1 to 100"),
    ("jobs_runs_list", (), {"limit": 26}, "limit", "from 0 to 25"),
    ("jobs_runs_list", (), {"limit": -1}, "limit", "0 means the maximum"),
    ("jobs_runs_list", (), {"limit": "10"}, "limit", "integer"),
    ("jobs_runs_list_all", (), {"limit": 30}, "limit", "from 0 to 25"),
    ("jobs_runs_list", (), {"active_only": True, "completed_only": True}, "active_only", "completed_only"),
    ("jobs_runs_list_all", (), {"active_only": True, "completed_only": True}, "active_only", "together"),
    ("jobs_run_now", (1,), {"jar_params": ["a"], "notebook_params": {"a": "b"}}, "jar_params", "together"),
    ("jobs_run_now", (1,), {"notebook_params": _BIG}, "notebook_params", "10,000 bytes"),
    ("jobs_run_now", (1,), {"jar_params": _BIG_LIST}, "jar_params", "10,000 bytes"),
    ("jobs_run_now", (1,), {"python_params": _BIG_LIST}, "python_params", "10,000 bytes"),
    ("jobs_run_now", (1,), {"spark_submit_params": _BIG_LIST}, "spark_submit_params", "10,000"),
    ("jobs_run_now", (1,), {"python_named_params": _BIG}, "python_named_params", "10,000 bytes"),
    ("jobs_run_now", (1,), {"python_params": ["café"]}, "python_params", "ASCII"),
    ("jobs_run_now", (1,), {"spark_submit_params": ["naïve"]}, "spark_submit_params", "ASCII"),
    ("jobs_run_now", (1,), {"idempotency_token": "x" * 65}, "idempotency_token", "at most 64"),
    ("jobs_runs_submit", ([_TASK],), {"idempotency_token": "t" * 65}, "idempotency_token", "64"),
    ("jobs_runs_submit", ([{"task_key": "a b"}],), {}, "tasks[0].task_key", r"^[\w\-]+$"),
    ("jobs_runs_submit", ([_TASK, _TASK],), {}, "tasks[1].task_key", "unique"),
    ("jobs_runs_submit", ([{"notebook_task": {}}],), {}, "tasks[0].task_key", "1 to 100"),
    ("jobs_create", (), {"tasks": [{"task_key": "k" * 101}]}, "tasks[0].task_key", "1 to 100"),
    ("jobs_create", (), {"tags": {f"t{i}": "v" for i in range(26)}}, "tags", "at most 25"),
    ("jobs_create", (), {"max_concurrent_runs": 1001}, "max_concurrent_runs", "0 to 1000"),
    ("jobs_create", (), {"max_concurrent_runs": -1}, "max_concurrent_runs", "0 to 1000"),
    (
        "jobs_reset",
        (1, {"max_concurrent_runs": 5000}),
        {},
        "new_settings.max_concurrent_runs",
        "0 to 1000",
    ),
    ("jobs_update", (1, {"tasks": [_TASK, _TASK]}), {}, "new_settings.tasks[1].task_key", "unique"),
    (
        "jobs_update",
        (1,),
        {"new_settings": {"tags": {str(i): "" for i in range(30)}}},
        "new_settings.tags",
        "25",
    ),
    (
        "jobs_runs_repair",
        (1,),
        {"rerun_tasks": ["a"], "rerun_all_failed_tasks": True},
        "rerun_tasks",
        "rerun_all_failed_tasks",
    ),
    ("jobs_runs_repair", (1,), {"latest_repair_id": "12"}, "latest_repair_id", "integer"),
    ("jobs_runs_repair", (1,), {"latest_repair_id": 1.5}, "latest_repair_id", "integer"),
    ("jobs_runs_repair", (1,), {"python_params": ["ünï"]}, "python_params", "ASCII"),
    ("jobs_runs_repair", (1,), {"notebook_params": _BIG}, "notebook_params", "10,000"),
]


@pytest.mark.parametrize(("name", "args", "kwargs", "field", "rule"), CASES)
def test_rule_is_enforced_before_any_request(
    recorded_creds: DatabricksCredentials,
    recorder: RecordingTransport,
    name: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    field: str,
    rule: str,
) -> None:
    task = getattr(jobs, name)
    with pytest.raises(ClientValidationError) as caught:
        task.fn(recorded_creds, *args, **kwargs)
    assert caught.value.field == field
    assert rule in caught.value.rule
    assert str(caught.value).startswith(f"{field}: ")
    assert recorder.requests == []


async def test_async_variant_checks_before_any_request_too(
    recorded_creds: DatabricksCredentials, recorder: RecordingTransport
) -> None:
    with pytest.raises(ClientValidationError, match="limit"):
        await jobs.ajobs_runs_list.fn(recorded_creds, limit=99)
    assert recorder.requests == []


def test_the_error_is_a_value_error_and_a_databricks_error() -> None:
    with pytest.raises(ValueError) as caught:
        check_request("jobs/list", {"limit": 0})
    assert isinstance(caught.value, DatabricksError)


@pytest.mark.parametrize(
    ("endpoint", "payload"),
    [
        ("jobs/list", {"limit": 1}),
        ("jobs/list", {"limit": 100}),
        ("jobs/runs/list", {"limit": 0}),
        ("jobs/runs/list", {"limit": 25, "active_only": True, "completed_only": False}),
        ("jobs/run-now", {"idempotency_token": "x" * 64, "jar_params": ["a"], "notebook_params": None}),
        ("jobs/run-now", {"python_params": ["ascii only"], "notebook_params": {"k": "é" * 10}}),
        ("jobs/create", {"tags": {str(i): "" for i in range(25)}, "max_concurrent_runs": 0}),
        ("jobs/create", {"max_concurrent_runs": 1000, "tasks": [{"task_key": "a-b_c"}]}),
        ("jobs/runs/repair", {"rerun_all_failed_tasks": True, "latest_repair_id": 3}),
        ("jobs/runs/repair", {"rerun_tasks": ["a"], "rerun_all_failed_tasks": False}),
    ],
)
def test_boundaries_pass(endpoint: str, payload: dict[str, Any]) -> None:
    check_request(endpoint, payload)


def test_the_json_limit_is_inclusive() -> None:
    value = {"k": "x" * (10_000 - len(json.dumps({"k": ""}, separators=(",", ":"))))}
    check_request("jobs/run-now", {"notebook_params": value})
    with pytest.raises(ClientValidationError):
        check_request("jobs/run-now", {"notebook_params": {**value, "": ""}})


def test_rules_are_declared_for_the_endpoints_that_have_them() -> None:
    assert set(RULES) == {
        "jobs/create",
        "jobs/reset",
        "jobs/update",
        "jobs/list",
        "jobs/runs/list",
        "jobs/run-now",
        "jobs/runs/submit",
        "jobs/runs/repair",
    }
