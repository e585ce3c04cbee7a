"""Apache Airflow 3.3 with apache-airflow-providers-databricks 7.23: the hook, its async side, and the
three main operators executed directly with a context, against the session's local workspace.

The operators turn every number into a string before sending it (`normalise_json_content`), and
`DatabricksRunNowOperator(repair_run=True)` reads `repair_history` (`get_latest_repair_id`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from compat_helpers import run_scenarios

from prefect_databricks.local import LocalWorkspace


@pytest.fixture(scope="module")
def results(
    workspace: LocalWorkspace, notebooks: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Any:
    tmp = tmp_path_factory.mktemp("airflow")
    url = urlsplit(workspace.host)
    connection = {
        "conn_type": "databricks",
        "host": url.hostname,
        "port": url.port,
        "schema": url.scheme,
        "password": workspace.token,
    }
    env = {
        **notebooks,
        "AIRFLOW_HOME": str(tmp),
        "AIRFLOW_CONN_DATABRICKS_DEFAULT": json.dumps(connection),
        "COMPAT_NAME": f"airflow-{tmp.name}",
        "COMPAT_MARKER": str(tmp / "flaky-marker"),
    }
    return run_scenarios("airflow", "airflow_scenarios.py", env, Path(tmp))


def test_create_job_operator_sends_numbers_as_strings(results: Any) -> None:
    assert results["create"]["max_concurrent_runs"] == 2 and results["create"]["timeout_seconds"] == 900


def test_run_now_operator_waits_and_the_notebook_exit_value_is_read(results: Any) -> None:
    run = results["run_now"]
    assert run == {
        "result_state": "SUCCESS",
        "outputs": {"echo": "hello airflow"},
        "job_id": results["create"]["job_id"],
    }


def test_the_hook_lists_and_finds_the_job_by_name(results: Any) -> None:
    assert results["list"] == {"found": results["create"]["job_id"], "listed": [results["create"]["job_id"]]}


def test_run_now_operator_repairs_a_failed_run(results: Any) -> None:
    """7.23 still raises the first failure after its repair succeeded (the operator, not the workspace)."""
    repair = results["repair"]
    assert repair["result_state"] == "SUCCESS" and repair["history"] == ["ORIGINAL", "REPAIR"]
    assert repair["outputs"] == {"flaky": "repaired"} and isinstance(repair["latest_repair_id"], int)
    assert repair["raised"] == "repair"


def test_the_hook_cancels_a_long_run(results: Any) -> None:
    assert results["cancel"] == {"result_state": "CANCELED"}


def test_submit_run_operator_runs_a_one_time_run(results: Any) -> None:
    assert results["submit"] == {"result_state": "SUCCESS", "outputs": {"once": "hello submit"}}


def test_the_async_hook_reads_state_run_and_output(results: Any) -> None:
    assert results["async"]["result_state"] == "SUCCESS" and results["async"]["result"] == "hello airflow"


def test_deleted_jobs_are_gone(results: Any) -> None:
    assert results["delete"] == {"left": []}
