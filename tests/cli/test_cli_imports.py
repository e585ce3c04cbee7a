"""`jobs …` / `runs …` commands never import Prefect: real processes, read with `python -X importtime`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import MakeJob, json_of, py_task

_SCRIPT = str(Path(sys.executable).parent / "prefect-databricks")


def _prefect_modules(*args: str, env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run the console script under `-X importtime`; return its result and the `prefect` modules it loaded."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", _SCRIPT, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    names = [
        line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")
    ]
    return result, [name for name in names if name == "prefect" or name.startswith("prefect.")]


@pytest.mark.parametrize(
    "args", [("runs", "list", "--json", "--limit", "2"), ("jobs", "list", "--json", "--limit", "2")]
)
def test_listing_imports_no_prefect(args: tuple[str, ...], cli_env: dict[str, str]) -> None:
    result, loaded = _prefect_modules(*args, env=cli_env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert isinstance(json_of(result.stdout), list)
    assert loaded == []


def test_run_now_wait_and_runs_get_import_no_prefect(
    make_job: MakeJob, cli_env: dict[str, str], cli_scripts: Path
) -> None:
    _, name = make_job(py_task("ok", cli_scripts / "ok.py"))
    started, loaded = _prefect_modules(
        "jobs", "run-now", "--job-name", name, "--wait", "--json", "--interval", "0.2", env=cli_env
    )
    assert started.returncode == 0, started.stderr[-2000:]
    assert loaded == []
    run_id = str(json_of(started.stdout)["run_id"])
    shown, loaded = _prefect_modules("runs", "get", run_id, "--json", env=cli_env)
    assert shown.returncode == 0 and json_of(shown.stdout)["run_id"] == int(run_id)
    assert loaded == []


def test_a_configuration_error_imports_no_prefect(cli_env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "databrickscfg"
    config.write_text("[local]\nhost = 127.0.0.1\n")
    env = {**cli_env, "DATABRICKS_HOST": "", "DATABRICKS_TOKEN": "", "DATABRICKS_CONFIG_FILE": str(config)}
    result, loaded = _prefect_modules("runs", "list", "--profile", "local", env=env)
    assert result.returncode == 2
    assert f"error: Invalid credentials in profile [local] of {config}: No credentials" in result.stderr
    assert loaded == []
