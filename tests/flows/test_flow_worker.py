"""A sync parent deployed to a `process` work pool and run by `prefect worker start`: kill -9 and cancel.

One worker child process per module, against the session's Prefect server. The deployment is
`runner_serve.py:sync_parent` pulled from this folder (`flow.from_source` on a local path), so the
worker starts each flow run in a process of its own and runs the flow's hooks when that process dies.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from flow_helpers import (
    assert_canceled_and_killed,
    cancel_as_the_ui_does,
    eventually,
    final_flow_run,
    flow_run_logs,
    prefect_process,
    state_names,
    waiting_parent,
)
from prefect import Flow
from prefect.client.orchestration import PrefectClient, get_client
from runner_serve import POLL

from prefect_databricks import DatabricksCredentials
from prefect_databricks.local import LocalWorkspace

pytestmark = pytest.mark.usefixtures("prefect_harness")

_HERE = Path(__file__).parent
_POOL = f"dbx-process-{uuid.uuid4().hex[:6]}"
_DEPLOYMENT = "sync-parent/worker"


@pytest.fixture(scope="module")
def worker(workspace: LocalWorkspace, prefect_harness: str) -> Iterator[subprocess.Popen[bytes]]:
    """`prefect worker start --type process` on a pool of its own; SIGTERM stops it at the module's end."""
    command = [sys.executable, "-m", "prefect", "worker", "start", "--pool", _POOL, "--type", "process"]
    with prefect_process(command, _HERE, workspace.host, workspace.token,
                         PREFECT_WORKER_QUERY_SECONDS="1") as process:
        yield process


@pytest.fixture
async def prefect(worker: subprocess.Popen[bytes]) -> AsyncIterator[PrefectClient]:
    """A Prefect client, once the worker created its pool and the sync parent is deployed to it."""
    async with get_client() as client:

        async def pool_ready() -> bool:
            return any(pool.name == _POOL for pool in await client.read_work_pools())

        await eventually(pool_ready, "the worker to create its work pool", timeout=90)
        source = await Flow.afrom_source(source=str(_HERE), entrypoint="runner_serve.py:sync_parent")
        await source.adeploy(name="worker", work_pool_name=_POOL, print_next_steps=False)
        yield client


async def test_kill_9_of_the_flow_process_under_a_worker_cancels_the_run(
    prefect: PrefectClient, creds: DatabricksCredentials, scripts: Path, tmp_path: Path
) -> None:
    """The worker reports the flow run Crashed and runs its `on_crashed` hook, which cancels the run."""
    started = await waiting_parent(prefect, creds, scripts, tmp_path, _DEPLOYMENT)
    flow_run, run_id, task_pid, flow_pid = started
    os.kill(int(flow_pid.read_text()), signal.SIGKILL)
    await assert_canceled_and_killed(creds, run_id, task_pid, timeout=30)
    final = await final_flow_run(prefect, flow_run.id)
    assert final.state is not None and final.state.is_crashed(), await state_names(prefect, flow_run.id)

    async def hook_logged() -> list[str]:
        logs = await flow_run_logs(prefect, flow_run.id)
        return logs if f"Flow run is Crashed: cancelling Databricks run {run_id}." in logs else []

    logs = await eventually(hook_logged, "the worker-side hook's cancel in the flow run's logs")
    assert f"Cancelled Databricks run {run_id}." in logs, "\n".join(logs)


async def test_cancel_from_the_api_under_a_worker_ends_cancelled(
    prefect: PrefectClient, creds: DatabricksCredentials, scripts: Path, tmp_path: Path
) -> None:
    """Cancelling as the UI does: the run is CANCELED within one poll interval, the flow run Cancelled."""
    flow_run, run_id, task_pid, _ = await waiting_parent(prefect, creds, scripts, tmp_path, _DEPLOYMENT)
    await cancel_as_the_ui_does(prefect, creds, flow_run.id, run_id, task_pid, poll=POLL)
    logs = await flow_run_logs(prefect, flow_run.id)
    assert not [line for line in logs if "Traceback" in line], "\n".join(logs)
