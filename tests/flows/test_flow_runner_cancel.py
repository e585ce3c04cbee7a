"""Prefect cancellation for real: a runner serves a waiting flow whose flow run is set Cancelling."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from flow_helpers import assert_canceled_and_killed, eventually, pid_written, py_task
from prefect.client.orchestration import get_client
from prefect.deployments import run_deployment
from prefect.settings import PREFECT_API_URL
from prefect.states import Cancelling

from prefect_databricks.local import LocalWorkspace

pytestmark = pytest.mark.usefixtures("prefect_harness")

_SERVE = Path(__file__).with_name("runner_serve.py")


def _serve(workspace: LocalWorkspace) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
        "DATABRICKS_HOST": workspace.host,
        "DATABRICKS_TOKEN": workspace.token,
    }
    return subprocess.Popen([sys.executable, str(_SERVE)], env=env, cwd=_SERVE.parent)


async def test_cancelling_a_served_flow_run_cancels_the_remote_run(
    workspace: LocalWorkspace, scripts: Path, tmp_path: Path
) -> None:
    creds = workspace.credentials()
    pid_file = tmp_path / "pid"
    body = {"run_name": "runner-cancel", "tasks": [py_task("s", scripts / "sleeper.py", pid_file)]}
    run_id = (await creds.get_jobs_client().call("jobs/runs/submit", params=body))["run_id"]
    server = _serve(workspace)
    try:
        async with get_client() as client:

            async def deployed() -> bool:
                try:
                    await client.read_deployment_by_name("runner-wait/runner-wait-test")
                except Exception:
                    return False
                return True

            await eventually(deployed, "the runner to register its deployment", timeout=60)
            flow_run = await run_deployment(
                "runner-wait/runner-wait-test", parameters={"run_id": run_id}, timeout=0
            )

            async def running() -> bool:
                state = (await client.read_flow_run(flow_run.id)).state
                return state is not None and state.is_running()

            await eventually(running, "the flow run to start", timeout=60)
            await pid_written(pid_file)
            await asyncio.sleep(3)  # the flow is now following the run
            await client.set_flow_run_state(flow_run.id, Cancelling(), force=True)
            await assert_canceled_and_killed(creds, run_id, pid_file, timeout=60)

            async def cancelled() -> bool:
                state = (await client.read_flow_run(flow_run.id)).state
                return state is not None and state.is_cancelled()

            await eventually(cancelled, "the flow run to be cancelled", timeout=60)
    finally:
        server.terminate()
        server.wait(timeout=30)
