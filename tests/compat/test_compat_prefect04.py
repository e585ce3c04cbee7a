"""prefect-databricks 0.4.2, unmodified, against `prefect-databricks workspace serve --tls`.

0.4 builds `https://<databricks_instance>/api/` itself, so the only local setting is SSL_CERT_FILE, the
CA file `serve --tls` prints. Its flows report to the session's Prefect server (same Prefect version).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from compat_helpers import run_scenarios

_CLI = "from prefect_databricks.cli import main; main()"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """`workspace serve --tls` in a subprocess; what it printed, by line prefix."""
    data = tmp_path_factory.mktemp("tls-serve")
    command = [
        sys.executable,
        "-c",
        _CLI,
        "workspace",
        "serve",
        "--tls",
        "--port",
        "0",
        "--data-dir",
        str(data),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    printed: dict[str, str] = {}
    try:
        assert process.stdout is not None
        for line in process.stdout:
            key, _, value = line.strip().partition(" ")
            printed[key] = value
            if line.startswith("Press Ctrl-C"):
                break
        yield printed
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def results(
    served: dict[str, str],
    notebooks: dict[str, str],
    prefect_harness: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Any:
    tmp = tmp_path_factory.mktemp("prefect04")
    exports = dict(pair.split("=", 1) for pair in served["export"].split())  # the last export line: the CA
    env = {
        **notebooks,
        "SSL_CERT_FILE": exports["SSL_CERT_FILE"],
        "PREFECT_API_URL": prefect_harness,
        "PREFECT_HOME": str(tmp),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "COMPAT_INSTANCE": served["Local"].rsplit("https://", 1)[1],
        "COMPAT_TOKEN": served["Token:"],
        "COMPAT_NAME": f"p04-{tmp.name}",
        "COMPAT_MARKER": str(tmp / "flaky-marker"),
    }
    return run_scenarios("prefect-databricks-0.4", "prefect04_scenarios.py", env, Path(tmp))


def test_serve_tls_prints_the_ca_exports(served: dict[str, str]) -> None:
    assert served["Local"].startswith("Databricks workspace serving at https://127.0.0.1:")
    assert "SSL_CERT_FILE=" in served["export"] and "REQUESTS_CA_BUNDLE=" in served["export"]
    assert Path(served["CA:"]).is_file()


def test_create_run_now_wait_and_read_the_exit_value(results: Any) -> None:
    assert results["run_now"] == {"state": "SUCCESS", "outputs": {"echo": "hello prefect 0.4"}}
    assert results["list"] == {"listed": [results["create"]["job_id"]]}


def test_repair_a_failed_run(results: Any) -> None:
    repair = results["repair"]
    assert (repair["first"], repair["after"]) == ("FAILED", "SUCCESS")
    assert repair["history"] == ["ORIGINAL", "REPAIR"] and repair["outputs"] == {"flaky": "repaired"}


def test_cancel_a_long_run(results: Any) -> None:
    assert results["cancel"] == {"state": "CANCELED"}


def test_both_waiting_flows_return_the_notebook_outputs(results: Any) -> None:
    assert results["submit_flow"] == {"once": {"result": "hello submit flow", "truncated": False}}
    assert results["submit_by_id_flow"] == {"echo": {"result": "hello by id", "truncated": False}}


def test_delete(results: Any) -> None:
    assert results["delete"] == {"left": []}
