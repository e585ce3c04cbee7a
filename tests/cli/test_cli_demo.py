"""`prefect-databricks demo` as a user runs it: the job, its progress, each task's result, the exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prefect_databricks.local import LocalWorkspace


def test_demo_uses_the_workspace_named_by_the_environment(
    workspace: LocalWorkspace, prefect_harness: str
) -> None:
    """With DATABRICKS_HOST set the demo says so and runs there (CI runs the embedded path)."""
    env = {
        **os.environ,
        "PREFECT_API_URL": prefect_harness,
        "DATABRICKS_HOST": workspace.host,
        "DATABRICKS_TOKEN": workspace.token,
    }
    command = [str(Path(sys.executable).parent / "prefect-databricks"), "demo"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert f"Using the workspace at {workspace.host}" in out
    assert "12 orders from emea" in out
    assert "nordics: score" in out and "report: 12 orders" in out
    assert "EXCLUDED" in out  # the branch the condition did not take
    assert "5 rows in default.demo_sales; top region amer: 230" in out  # the Spark step
    assert f"Run page: {workspace.host}/?o=" in out
    assert workspace.token not in out + result.stderr


def test_a_first_run_on_a_fresh_machine_prints_no_traceback(tmp_path: Path) -> None:
    """A new PREFECT_HOME, no Prefect server and no telemetry settings, as a newcomer runs it: the
    temporary server's heartbeat used to log an 80-line `database is locked` traceback here."""
    quiet = ("PREFECT_SERVER_ANALYTICS_ENABLED", "DO_NOT_TRACK", "PREFECT_API_URL", "DATABRICKS_HOST")
    env = {k: v for k, v in os.environ.items() if k not in quiet and not k.startswith("PYTEST")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    command = [str(Path(sys.executable).parent / "prefect-databricks"), "demo"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "Traceback" not in output and "ERROR" not in output, output[-3000:]
    assert "report: 12 orders" in output
