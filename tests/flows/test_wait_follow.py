"""Following a run outside any flow: log lines, signals, for-each outputs, fairness of a truncated list."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from flow_helpers import assert_canceled_and_killed, eventually, pid_written, py_task
from prefect.settings import PREFECT_API_URL

from prefect_databricks import DatabricksCredentials
from prefect_databricks.client.errors import ClientValidationError
from prefect_databricks.local import LocalWorkspace
from prefect_databricks.waiting.compose import Waiting
from prefect_databricks.waiting.follow import follow_run
from prefect_databricks.waiting.outcome import Outcome, classify
from prefect_databricks.waiting.outputs import attach_outputs
from prefect_databricks.waiting.watcher import RunWatcher

_FOLLOW_IN_CHILD = """
import asyncio, json, sys
from prefect_databricks import DatabricksCredentials
from prefect_databricks.flows import wait_for_run
from prefect_databricks.client.errors import ClientValidationError
from prefect_databricks.waiting.compose import Waiting
from prefect_databricks.waiting.follow import follow_run

creds = DatabricksCredentials(databricks_instance=sys.argv[1], token=sys.argv[2])

async def main():
    body = {"run_name": "signalled", "tasks": [json.loads(sys.argv[3])]}
    started = await creds.get_jobs_client().call("jobs/runs/submit", params=body)
    print(started["run_id"], flush=True)
    if sys.argv[4] == "flow":
        await wait_for_run(creds, started["run_id"], poll_frequency_seconds=1)
    else:
        await follow_run(creds, started["run_id"], poll_frequency_seconds=1)

asyncio.run(main())
"""


async def _submit(creds: DatabricksCredentials, *tasks: dict[str, Any], name: str = "f") -> int:
    response = await creds.get_jobs_client().call(
        "jobs/runs/submit", params={"run_name": name, "tasks": list(tasks)}
    )
    return int(response["run_id"])


async def test_logs_each_state_change_once_not_each_poll(
    creds: DatabricksCredentials, scripts: Path, caplog: pytest.LogCaptureFixture
) -> None:
    run_id = await _submit(creds, py_task("slow", scripts / "ok.py", 3))
    with caplog.at_level(logging.INFO, logger="prefect_databricks.flows"):
        run = await asyncio.wait_for(follow_run(creds, run_id, poll_frequency_seconds=1), 60)
    lines = [r.getMessage() for r in caplog.records if r.name == "prefect_databricks.flows"]
    assert str(run_id) in lines[0] and run["run_page_url"] in lines[0]
    assert sum("'slow'" in line and "RUNNING" in line for line in lines) == 1, lines
    assert any("'slow'" in line and "TERMINATED/SUCCESS" in line for line in lines)
    assert lines[-1].startswith(f"Databricks run {run_id} finished TERMINATED/SUCCESS")


@pytest.mark.parametrize(
    ("where", "signum"),
    [("script", signal.SIGTERM), ("script", signal.SIGINT), ("flow", signal.SIGTERM)],
)
def test_a_signal_cancels_the_run(
    workspace: LocalWorkspace,
    scripts: Path,
    tmp_path: Path,
    where: str,
    signum: signal.Signals,
    request: pytest.FixtureRequest,
) -> None:
    """A process waiting on a run is stopped by a signal, in a plain script or inside a flow run
    (where Prefect turns SIGTERM into a crash and `on_crashed` runs): the remote run is cancelled."""
    pid_file = tmp_path / "pid"
    task = json.dumps(py_task("s", scripts / "sleeper.py", pid_file))
    args = [sys.executable, "-c", _FOLLOW_IN_CHILD, workspace.host, workspace.token, task, where]
    env = None
    if where == "flow":
        request.getfixturevalue("prefect_harness")
        env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value())}
    child = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert child.stdout is not None
        run_id = int(child.stdout.readline())
        asyncio.run(pid_written(pid_file))
        if where == "flow":
            time.sleep(3)  # the flow run has started following the run
        child.send_signal(signum)
        assert child.wait(timeout=60) != 0
    finally:
        child.kill()
    asyncio.run(assert_canceled_and_killed(workspace.credentials(), run_id, pid_file))


async def test_for_each_iterations_get_their_outputs(creds: DatabricksCredentials, scripts: Path) -> None:
    loop_task = {
        "task_key": "loop",
        "for_each_task": {
            "inputs": "[1, 2, 3]",
            "concurrency": 3,
            "task": py_task("item", scripts / "ok.py", "{{input}}"),
        },
    }
    run_id = await _submit(creds, loop_task)
    run = await asyncio.wait_for(follow_run(creds, run_id, poll_frequency_seconds=1), 60)
    await attach_outputs(creds.get_jobs_client(), run)
    iterations = run["tasks"][0]["iterations"]
    assert len(iterations) == 3
    assert sorted(it["output"]["logs"].strip() for it in iterations) == ["ok 1", "ok 2", "ok 3"]


async def test_truncated_listing_still_reaches_every_run(creds: DatabricksCredentials, scripts: Path) -> None:
    """Newer active runs push ours off the pages read: each of ours still gets its runs/get in turn."""
    watcher = RunWatcher(creds.get_jobs_client, initial_interval=0.2, page_size=1)
    ours = [await _submit(creds, py_task("t", scripts / "ok.py", 1.5), name="ours") for _ in range(2)]
    foreign = [await _submit(creds, py_task("x", scripts / "ok.py", 20), name="foreign") for _ in range(3)]
    try:
        finals = await asyncio.wait_for(
            asyncio.gather(*(watcher.wait(run_id, poll_frequency_seconds=1) for run_id in ours)), 60
        )
    finally:
        client = creds.get_jobs_client()
        await asyncio.gather(*(client.call("jobs/runs/cancel", params={"run_id": r}) for r in foreign))
    assert [classify(run) for run in finals] == [Outcome.SUCCESS] * 2
    assert watcher.stats.get_requests > len(ours), "the truncated list was never made up for"

    async def settled() -> bool:
        return watcher.watched == 0

    await eventually(settled, "the watcher to forget finished runs")


@pytest.mark.parametrize(
    ("limits", "field"),
    [
        ({"max_wait_seconds": 0}, "max_wait_seconds"),
        ({"poll_frequency_seconds": -1}, "poll_frequency_seconds"),
    ],
)
async def test_impossible_limits_are_refused_naming_the_field(
    creds: DatabricksCredentials, limits: dict[str, float], field: str
) -> None:
    with pytest.raises(ClientValidationError, match=field):
        await follow_run(creds, 1, **limits)
    with pytest.raises(ClientValidationError, match=field):
        Waiting(
            **{"max_wait_seconds": None, "poll_frequency_seconds": 10, **limits},
            cancel_on_timeout=True,
            fail_on_success_with_failures=False,
        )
