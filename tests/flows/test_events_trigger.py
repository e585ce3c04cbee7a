"""Waits that hold nothing, as `examples/react_to_run_events.py` writes them, on a real Prefect server.

A flow starts a job run without waiting and ends; `prefect-databricks events` watches the workspace;
the example's `after_job`, served with its `DeploymentEventTrigger`, runs once with the run's id.
The harness server (`prefect_test_harness`, an ephemeral subprocess server) already runs what this
needs: `ReactiveTriggers` and `Actions` are `RunInEphemeralServers` services, on by default
(`server.services.triggers.enabled`; prefect/server/events/services/triggers.py and actions.py).
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from flow_helpers import py_task
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName
from prefect.settings import PREFECT_API_URL

from polling import wait_until
from prefect_databricks import DatabricksCredentials
from prefect_databricks.local import LocalWorkspace

pytestmark = pytest.mark.usefixtures("prefect_harness")
_EXAMPLE = Path(__file__).parents[2] / "examples" / "react_to_run_events.py"
_EXE = str(Path(sys.executable).with_name("prefect-databricks"))


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("example_react_to_run_events", _EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _wait(check: Callable[[], Any], what: str, timeout: float = 90) -> Any:
    return wait_until(check, what, timeout, interval=0.5)


def _query(work: Callable[[Any], Any]) -> Any:
    async def run() -> Any:
        async with get_client() as client:
            return await work(client)

    return asyncio.run(run())


def _downstream_runs() -> list[Any]:
    only = DeploymentFilter(name=DeploymentFilterName(any_=["after-job"]))
    return list(_query(lambda client: client.read_flow_runs(deployment_filter=only)))


def _automations() -> list[Any]:
    return list(_query(lambda client: client.read_automations_by_name("after-job__automation_1")))


@pytest.fixture
def processes(workspace: LocalWorkspace, tmp_path: Path) -> Iterator[Callable[[list[str]], None]]:
    """Start children that reach the workspace and the Prefect server; all stopped at the end."""
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()), "PREFECT_HOME": str(tmp_path),
           "PREFECT_RUNNER_POLL_FREQUENCY": "1", "DATABRICKS_HOST": workspace.host,
           "DATABRICKS_TOKEN": workspace.token, "DATABRICKS_CONFIG_FILE": str(tmp_path / "none")}
    started: list[subprocess.Popen[bytes]] = []

    def start(args: list[str]) -> None:
        started.append(subprocess.Popen(args, env=env, cwd=tmp_path))

    yield start
    for proc in started:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_deployment_trigger_runs_the_next_flow_after_a_start_whose_flow_ended(
    creds: DatabricksCredentials, scripts: Path, http: httpx.Client, tmp_path: Path,
    processes: Callable[[list[str]], None],
) -> None:
    example = _example()
    job_name = f"nightly-{uuid.uuid4().hex[:8]}"
    task = py_task("t", scripts / "ok.py", 3)
    http.post("/api/2.2/jobs/create", json={"name": job_name, "tasks": [task]}).raise_for_status()
    processes([sys.executable, str(_EXAMPLE), job_name])
    _wait(_automations, "the served deployment's automation")
    processes([_EXE, "events", "--interval", "0.5", "--state-file", str(tmp_path / "cursor.json")])

    run_id = example.start_job(job_name, creds)
    assert not any(run.parameters.get("run_id") == run_id for run in _downstream_runs())
    state = http.get("/api/2.2/jobs/runs/get", params={"run_id": run_id}).json()
    assert state["state"]["life_cycle_state"] != "TERMINATED", "the run should outlive the flow starting it"

    def completed() -> list[Any]:
        return [r for r in _downstream_runs() if r.parameters.get("run_id") == run_id
                and r.state is not None and r.state.is_completed()]

    (downstream,) = _wait(completed, "the downstream flow run to complete")
    assert downstream.parameters["run_page_url"] == state["run_page_url"]
    time.sleep(2)  # a few more polls of the command: the run's end is not reported twice
    assert [r.id for r in _downstream_runs() if r.parameters.get("run_id") == run_id] == [downstream.id]


def test_the_readme_trigger_is_the_example_s() -> None:
    """The README shows the example's trigger; the example is what the test above runs."""
    readme = (_EXAMPLE.parents[1] / "README.md").read_text()
    section = readme.split("\n## Events: waits that hold nothing\n", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```python\n(.*?)\n *```", section, flags=re.S)
    shown = textwrap.indent(textwrap.dedent(block), "    ").replace("Deploy", "return Deploy", 1)
    assert shown in _EXAMPLE.read_text()
