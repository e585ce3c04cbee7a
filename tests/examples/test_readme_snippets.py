"""The README's Python snippets run as written: task tour, waiting flow, jobs as code, local workspace."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from example_helpers import README

from prefect_databricks.local import LocalWorkspace

pytestmark = pytest.mark.usefixtures("prefect_harness")


def _python_blocks(section: str) -> list[str]:
    """The ```python blocks under the README heading `## <section>`."""
    text = README.read_text()
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)\n```", body, flags=re.S)


def _run(code: str, name: str) -> dict[str, object]:
    namespace: dict[str, object] = {"__name__": "__main__"}
    exec(compile(code, f"README.md ({name})", "exec"), namespace)
    return namespace


@pytest.fixture
def env_of(workspace: LocalWorkspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment a README reader sets: the session workspace's host and token."""
    monkeypatch.setenv("DATABRICKS_HOST", workspace.host)
    monkeypatch.setenv("DATABRICKS_TOKEN", workspace.token)
    monkeypatch.delenv("DATABRICKS_CONFIG_PROFILE", raising=False)


@pytest.mark.usefixtures("env_of")
def test_the_task_tour_runs_every_task(http: httpx.Client) -> None:
    (tour,) = _python_blocks("Tasks")
    assert tour.count("jobs_") >= 2 * 22  # every task is imported and called
    _run(tour, "Tasks")
    assert (
        http.get("/api/2.2/jobs/list", params={"name": "tour"}).json().get("jobs") is None
    )  # deleted at the end


@pytest.mark.usefixtures("env_of")
def test_the_waiting_flow_snippet(http: httpx.Client, tmp_path: Path) -> None:
    script = tmp_path / "nightly.py"
    script.write_text("print('nightly done')\n")
    task = {"task_key": "ingest", "spark_python_task": {"python_file": str(script)}}
    job_id = http.post("/api/2.2/jobs/create", json={"name": "nightly", "tasks": [task]}).json()["job_id"]
    try:
        (snippet,) = _python_blocks("Waiting flows")
        _run(snippet, "Waiting flows")["nightly"]()  # type: ignore[operator]
    finally:
        http.post("/api/2.2/jobs/delete", json={"job_id": job_id}).raise_for_status()


def test_the_local_workspace_snippet() -> None:
    (snippet,) = _python_blocks("The local workspace")
    namespace = _run(snippet, "The local workspace")
    assert namespace["creds"].host.startswith("http://127.0.0.1:")  # type: ignore[attr-defined]


@pytest.mark.usefixtures("env_of")
def test_the_jobs_as_code_snippet(http: httpx.Client) -> None:
    (snippet,) = _python_blocks("Jobs as code")
    _run(snippet, "Jobs as code")
    (job,) = http.get("/api/2.2/jobs/list", params={"name": "orders-ingest"}).json()["jobs"]
    try:
        runs = http.get("/api/2.2/jobs/runs/list", params={"job_id": job["job_id"]}).json()["runs"]
        assert [run["state"]["result_state"] for run in runs] == ["SUCCESS"]
    finally:
        http.post("/api/2.2/jobs/delete", json={"job_id": job["job_id"]}).raise_for_status()
