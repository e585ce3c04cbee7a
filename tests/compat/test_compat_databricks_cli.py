"""The legacy databricks-cli 0.18: its commands on Jobs API 2.0 in the single-task format.

The CLI keeps only the scheme and hostname of DATABRICKS_HOST (`ApiClient` builds `scheme://hostname/api/`),
so the workspace here listens on port 80 of its own loopback address, as a user would serve it
(`workspace serve --host 127.0.0.2 --port 80`).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from compat_helpers import run_scenarios

from prefect_databricks.local import LocalWorkspace


@pytest.fixture(scope="module")
def standard_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalWorkspace]:
    """A workspace on port 80 of a random 127.x address (the whole 127/8 is loopback on Linux)."""
    for _ in range(5):
        address = f"127.{random.randint(2, 254)}.{random.randint(0, 254)}.{random.randint(1, 254)}"
        try:
            ws = LocalWorkspace(tmp_path_factory.mktemp("cli-ws"), host=address, port=80).start()
        except PermissionError:
            pytest.skip("serving on port 80 needs root or CAP_NET_BIND_SERVICE")
        except OSError:
            continue
        try:
            yield ws
        finally:
            ws.stop()
        return
    pytest.fail("no free loopback address with port 80 found in 5 tries")


@pytest.fixture(scope="module")
def results(
    standard_port: LocalWorkspace, notebooks: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Any:
    tmp = tmp_path_factory.mktemp("databricks-cli")
    host = standard_port.host.rsplit(":", 1)[0]
    env = {
        **notebooks,
        "DATABRICKS_HOST": host,
        "DATABRICKS_TOKEN": standard_port.token,
        "COMPAT_NAME": f"cli-{tmp.name}",
        "COMPAT_MARKER": str(tmp / "flaky-marker"),
    }
    return run_scenarios("databricks-cli", "databricks_cli_scenarios.py", env, Path(tmp))


def test_jobs_create_in_the_single_task_format_reads_back_in_it(
    results: Any, notebooks: dict[str, str]
) -> None:
    created = results["create"]
    assert created["format"] == "SINGLE_TASK" and created["notebook_path"] == notebooks["COMPAT_ECHO"]
    assert created["new_cluster"]["num_workers"] == 1


def test_run_now_and_get_output_of_the_job_run(results: Any) -> None:
    assert results["run_now"] == {"result_state": "SUCCESS", "result": "hello cli", "task": ["notebook_task"]}


def test_jobs_list_and_runs_list(results: Any) -> None:
    assert len(results["list"]["names"]) == 1 and len(results["list"]["runs"]) == 1


def test_repair_through_the_cli_jobs_service(results: Any) -> None:
    repair = results["repair"]
    assert (repair["first"], repair["after"], repair["result"]) == ("FAILED", "SUCCESS", "repaired")
    assert repair["history"] == ["ORIGINAL", "REPAIR"] and isinstance(repair["repair_id"], int)


def test_runs_cancel(results: Any) -> None:
    assert results["cancel"] == {"result_state": "CANCELED"}


def test_runs_submit_in_the_single_task_format(results: Any) -> None:
    assert results["submit"] == {"result_state": "SUCCESS", "result": "hello submit"}


def test_jobs_delete(results: Any) -> None:
    assert results["delete"] == {"left": []}
