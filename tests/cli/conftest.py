"""Fixtures of the CLI tests: the session workspace in the environment, jobs of small Python files."""

from __future__ import annotations

import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cli_helpers import MakeJob
from typer.testing import CliRunner, Result

from prefect_databricks.cli import app
from prefect_databricks.local import LocalWorkspace

_SCRIPTS = {
    "ok.py": """
        import sys
        print("ok", *sys.argv[1:])
    """,
    "fail.py": """
        raise RuntimeError("the data is bad")
    """,
    "slow.py": """
        import time
        time.sleep(60)
    """,
    "flaky.py": """
        import pathlib, sys
        marker = pathlib.Path(sys.argv[1])
        if not marker.exists():
            marker.write_text("failed once")
            raise RuntimeError("first attempt fails")
        print("second attempt works")
    """,
}


@pytest.fixture(scope="session")
def cli_scripts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of scripts that `spark_python_task`s run: ok.py, fail.py, slow.py, flaky.py."""
    folder = tmp_path_factory.mktemp("cli-scripts")
    for name, source in _SCRIPTS.items():
        (folder / name).write_text(textwrap.dedent(source))
    return folder


@pytest.fixture
def cli_env(workspace: LocalWorkspace, tmp_path: Path) -> dict[str, str]:
    """The environment a user sets to reach the session's workspace (no config file to fall back on)."""
    return {
        "DATABRICKS_HOST": workspace.host,
        "DATABRICKS_TOKEN": workspace.token,
        "DATABRICKS_CONFIG_FILE": str(tmp_path / "no-databrickscfg"),
        "DATABRICKS_CONFIG_PROFILE": "",
        "DATABRICKS_CLIENT_ID": "",
        "DATABRICKS_CLIENT_SECRET": "",
    }


@pytest.fixture
def invoke(cli_env: dict[str, str]) -> Iterator[Callable[..., Result]]:
    """Run `prefect-databricks ARGS…` in-process with the workspace's environment."""
    runner = CliRunner()

    def run(*args: str, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(app, list(args), env={**cli_env, **(env or {})})

    yield run


@pytest.fixture
def make_job(http: httpx.Client) -> MakeJob:
    """Create a job of the given tasks under a unique name; returns (job_id, name)."""

    def create(*tasks: dict[str, Any], **settings: Any) -> tuple[int, str]:
        name = f"cli-{uuid.uuid4().hex[:10]}"
        body = {"name": name, "tasks": list(tasks), **settings}
        response = http.post("/api/2.2/jobs/create", json=body)
        response.raise_for_status()
        return int(response.json()["job_id"]), name

    return create


@pytest.fixture
def run_now(http: httpx.Client) -> Callable[[int], int]:
    """Start a run of a job through the API; returns its run id."""

    def start(job_id: int) -> int:
        response = http.post("/api/2.2/jobs/run-now", json={"job_id": job_id})
        response.raise_for_status()
        return int(response.json()["run_id"])

    return start
