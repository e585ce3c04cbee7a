"""Flows deployed with `serve()`, driven through the Prefect API like the UI: cancel, timeout, kill, deploy.

One runner child process (`runner_serve.py`) serves every deployment of this module, against the
session's Prefect server. The parents wait with the default-like poll interval of 10 s; each
cancel must reach Databricks before that interval is over, so no poll can have carried it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from flow_helpers import (
    assert_canceled_and_killed,
    cancel_as_the_ui_does,
    eventually,
    final_flow_run,
    flow_run_logs,
    prefect_process,
    py_task,
    state_names,
    waiting_parent,
)
from prefect.client.orchestration import PrefectClient, get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId
from prefect.client.schemas.objects import FlowRun
from runner_serve import POLL, TIMEOUT, WAITING

from prefect_databricks import DatabricksCredentials
from prefect_databricks import flows as waiting
from prefect_databricks.local import LocalWorkspace
from prefect_databricks.waiting.outcome import is_terminal

pytestmark = pytest.mark.usefixtures("prefect_harness")

_SERVE = Path(__file__).with_name("runner_serve.py")
_PARENTS = ("sync-parent", "async-parent", "sync-parent-timeout", "async-parent-timeout")


@pytest.fixture(scope="module")
def runner(workspace: LocalWorkspace, prefect_harness: str) -> Iterator[subprocess.Popen[bytes]]:
    """The runner serving every deployment; stopped with SIGTERM at the end of the module."""
    command = [sys.executable, str(_SERVE)]
    with prefect_process(command, _SERVE.parent, workspace.host, workspace.token) as process:
        yield process


@pytest.fixture
async def prefect(runner: subprocess.Popen[bytes]) -> AsyncIterator[PrefectClient]:
    """A Prefect client, once the runner has registered all its deployments."""
    async with get_client() as client:

        async def registered() -> bool:
            return len(await client.read_deployments()) >= len(_PARENTS) + len(WAITING)

        await eventually(registered, "the runner to register its deployments", timeout=90)
        yield client


async def _start(client: PrefectClient, flow_name: str, parameters: dict[str, Any]) -> FlowRun:
    deployment = await client.read_deployment_by_name(f"{flow_name}/test")
    return await client.create_flow_run_from_deployment(deployment.id, parameters=parameters)


@pytest.mark.parametrize("parent", ["sync-parent", "async-parent"])
async def test_cancel_from_the_api_cancels_the_run_within_one_poll(
    prefect: PrefectClient, creds: DatabricksCredentials, scripts: Path, tmp_path: Path, parent: str
) -> None:
    """Cancelling, as the UI sets it: the run is CANCELED within one poll interval, the flow run Cancelled.

    The flow run's logs in the Prefect API (what the UI shows) say so in one line per cancel attempt, and
    there is one attempt (the runner's hook then finds the run ended), with no traceback.
    """
    flow_run, run_id, task_pid, _ = await waiting_parent(prefect, creds, scripts, tmp_path, f"{parent}/test")
    await cancel_as_the_ui_does(prefect, creds, flow_run.id, run_id, task_pid, poll=POLL)

    async def outcome_logged() -> list[str]:
        logs = await flow_run_logs(prefect, flow_run.id)
        return logs if f"Cancelled Databricks run {run_id}." in logs else []

    logs = await eventually(outcome_logged, "the cancel outcome in the flow run's logs")
    assert not [line for line in logs if "Traceback" in line], "\n".join(logs)
    assert logs.count(f"Cancelled Databricks run {run_id}.") == 1, "\n".join(logs)


@pytest.mark.parametrize("parent", ["sync-parent-timeout", "async-parent-timeout"])
async def test_flow_timeout_cancels_the_run_within_one_poll(
    prefect: PrefectClient, creds: DatabricksCredentials, scripts: Path, tmp_path: Path, parent: str
) -> None:
    """A parent's `timeout_seconds` ends it TimedOut and cancels its run before the next poll.

    Under the sync parent the waiting sub-flow run ends Cancelled, not Crashed, so no crash hook or alert
    fires for a timeout. Under the async parent Prefect cancels the sub-flow's task itself and names it
    Crashed; telling that apart from any other asyncio cancel (`asyncio.wait_for`) is not possible.
    """
    flow_run, run_id, task_pid, _ = await waiting_parent(prefect, creds, scripts, tmp_path, f"{parent}/test")
    await assert_canceled_and_killed(creds, run_id, task_pid, timeout=TIMEOUT + POLL)
    final = await final_flow_run(prefect, flow_run.id)
    history = await state_names(prefect, flow_run.id)
    assert final.state is not None and final.state.name == "TimedOut", history
    assert "Crashed" not in history, history
    children = FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[flow_run.id]))
    (child,) = await prefect.read_flow_runs(flow_run_filter=children)
    child = await final_flow_run(prefect, child.id, timeout=15)
    if parent.startswith("sync"):
        assert child.state is not None and child.state.is_cancelled(), await state_names(prefect, child.id)


async def test_kill_9_of_the_flow_process_still_cancels_the_run(
    prefect: PrefectClient, creds: DatabricksCredentials, scripts: Path, tmp_path: Path
) -> None:
    """the runner marks it Crashed, and its `cancel_databricks_runs` hook cancels."""
    started = await waiting_parent(prefect, creds, scripts, tmp_path, "sync-parent/test")
    flow_run, run_id, task_pid, flow_pid = started
    os.kill(int(flow_pid.read_text()), signal.SIGKILL)
    await assert_canceled_and_killed(creds, run_id, task_pid, timeout=30)
    final = await final_flow_run(prefect, flow_run.id)
    assert final.state is not None and final.state.is_crashed()


async def test_every_waiting_flow_deploys_and_runs_with_only_its_required_parameters(
    prefect: PrefectClient, creds: DatabricksCredentials, scripts: Path, tmp_path: Path
) -> None:
    """`create_flow_run_from_deployment` with the required parameters only (a saved block as the credentials).

    The server checks the parameters against the deployment's schema (it answered 409 "'run_now_kwargs' is
    a required property" before); each flow run must then complete.
    """
    block = f"served-{uuid.uuid4().hex[:8]}"
    await creds.model_copy().save(block, overwrite=True)
    document = await prefect.read_block_document_by_name(block, "databricks-credentials")
    ref = {"$ref": {"block_document_id": str(document.id)}}
    client = creds.get_jobs_client()
    task = py_task("t", scripts / "ok.py")
    job_id = (await client.call("jobs/create", params={"name": block, "tasks": [task]}))["job_id"]
    flaky = {"run_name": block, "tasks": [py_task("f", scripts / "flaky.py", tmp_path / "marker")]}
    failed = (await client.call("jobs/runs/submit", params=flaky))["run_id"]
    done = (await client.call("jobs/runs/submit", params={"run_name": block, "tasks": [task]}))["run_id"]

    async def ended() -> bool:
        return all([is_terminal(await client.get_run(run_id)) for run_id in (failed, done)])

    await eventually(ended, "the runs to repair and to wait for to end")
    required = {
        "jobs_run_now_and_wait": {"job_id": job_id},
        "jobs_runs_submit_and_wait_for_completion": {"tasks": [task]},
        "jobs_runs_submit_by_id_and_wait_for_completion": {"job_id": job_id},
        "jobs_runs_repair_and_wait": {"run_id": failed},
        "wait_for_run": {"run_id": done},
        "wait_for_runs": {"run_ids": [done]},
        "jobs_runs_wait_for_completion": {"multi_task_jobs_runs_id": done},
    }
    runs = {}
    for name in WAITING:
        flow = getattr(waiting, name)
        runs[name] = await _start(prefect, flow.name, {"databricks_credentials": ref, **required[name]})
    ends = await asyncio.gather(*(final_flow_run(prefect, run.id, timeout=120) for run in runs.values()))
    states = {name: end.state.name if end.state else None for name, end in zip(runs, ends, strict=True)}
    assert set(states.values()) == {"Completed"}, states
