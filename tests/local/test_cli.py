"""The `prefect-databricks` command line: entry point, sub-apps, lazy imports."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points

from typer.testing import CliRunner

from prefect_databricks.cli import app


def test_console_script_points_at_main() -> None:
    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "prefect-databricks"]
    assert script.value == "prefect_databricks.cli:main"


def test_workspace_serve_is_documented() -> None:
    result = CliRunner().invoke(app, ["workspace", "serve", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--data-dir", "--token", "--faults", "--service-principal"):
        assert option in result.output


def test_importing_the_cli_loads_no_server() -> None:
    code = (
        "import sys, prefect_databricks.cli; "
        "print(sorted(m for m in sys.modules if 'uvicorn' in m or '.local.' in m))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"
