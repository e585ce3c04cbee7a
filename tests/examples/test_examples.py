"""Every flow of `examples/` runs against the session's local workspace, as a user would run it."""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from example_helpers import EXAMPLES

from prefect_databricks import DatabricksCredentials
from prefect_databricks.local import LocalWorkspace

Load = Callable[[str], ModuleType]
pytestmark = pytest.mark.usefixtures("prefect_harness")

_REGION_SCRIPT = """
    import sys
    region = sys.argv[1]
    if region == "atlantis":
        raise LookupError(f"no such region: {region}")
    print(f"processed {region}")
"""


def _job(http: httpx.Client, *tasks: dict, **settings: object) -> tuple[int, str]:
    name = f"example-{uuid.uuid4().hex[:8]}"
    response = http.post("/api/2.2/jobs/create", json={"name": name, "tasks": list(tasks), **settings})
    response.raise_for_status()
    return response.json()["job_id"], name


def _upload_word_count(http: httpx.Client) -> str:
    path = f"/Shared/tests/word_count_{uuid.uuid4().hex[:6]}"
    http.post("/api/2.0/workspace/mkdirs", json={"path": "/Shared/tests"}).raise_for_status()
    content = base64.b64encode((EXAMPLES / "notebooks" / "word_count.py").read_bytes()).decode()
    body = {"path": path, "content": content, "format": "SOURCE", "language": "PYTHON"}
    http.post("/api/2.0/workspace/import", json=body).raise_for_status()
    return path


def test_run_job_by_name_returns_the_notebook_outputs(
    load_example: Load, creds: DatabricksCredentials, http: httpx.Client
) -> None:
    notebook = {
        "notebook_path": _upload_word_count(http),
        "base_parameters": {"text": "{{job.parameters.text}}"},
    }
    _, name = _job(
        http, {"task_key": "count", "notebook_task": notebook}, parameters=[{"name": "text", "default": ""}]
    )
    outputs = load_example("run_job_by_name").run_job_by_name(name, {"text": "one two three"}, creds)
    assert outputs["count"]["result"] == "3"


def test_submit_notebook_uploads_submits_and_returns_the_result(
    load_example: Load, creds: DatabricksCredentials
) -> None:
    count = asyncio.run(load_example("submit_notebook").count_words("to be or not to be", creds))
    assert count == 6


def test_fan_out_waits_for_every_run_and_reports_each_outcome(
    load_example: Load, creds: DatabricksCredentials, http: httpx.Client, tmp_path: Path
) -> None:
    script = tmp_path / "region.py"
    script.write_text(textwrap.dedent(_REGION_SCRIPT))
    task = {"python_file": str(script), "parameters": ["{{job.parameters.region}}"]}
    job_id, _ = _job(
        http,
        {"task_key": "process", "spark_python_task": task},
        parameters=[{"name": "region", "default": "x"}],
        max_concurrent_runs=10,
    )
    regions = ["emea", "apac", "atlantis", "amer"]
    outcomes = asyncio.run(load_example("fan_out").run_for_each_region(job_id, regions, creds))
    assert outcomes == {
        "emea": "SUCCESS",
        "apac": "SUCCESS",
        "atlantis": "process (FAILED): LookupError: no such region: atlantis",
        "amer": "SUCCESS",
    }


def test_legacy_0_4_code_runs_unchanged(
    load_example: Load, workspace: LocalWorkspace, http: httpx.Client
) -> None:
    block = f"example-{uuid.uuid4().hex[:8]}"
    DatabricksCredentials(databricks_instance=workspace.host, token=workspace.token).save(block)
    legacy = load_example("legacy_0_4")
    notebook = _upload_word_count(http)
    started = legacy.jobs_runs_submit_flow(notebook, block_name=block, text="a b")
    assert isinstance(started["run_id"], int)
    outputs = asyncio.run(
        legacy.jobs_runs_submit_and_wait_for_completion_flow(notebook, block_name=block, text="a b c d")
    )
    assert outputs["prefect-task"]["result"] == "4"


def test_the_pytest_example_passes_on_the_shared_prefect_server(prefect_harness: str) -> None:
    env = {**os.environ, "PREFECT_API_URL": prefect_harness}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", str(EXAMPLES / "test_with_local_workspace.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "3 passed" in result.stdout
