"""`kill -9` of the workspace mid-wait, restart on the same data dir and port: nothing lost, clear ends."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import httpx
from reliability_helpers import (
    KNOWN_TOKEN,
    ServedWorkspace,
    echo_task,
    free_port,
    py_task,
    snapshot,
    wait_until,
)

from prefect_databricks import DatabricksCredentials
from prefect_databricks.waiting.follow import follow_run
from prefect_databricks.waiting.outcome import DatabricksRunFailed, error_for, is_terminal
from prefect_databricks.waiting.outputs import attach_outputs, notebook_outputs

ACTIVE = 3
FINISHED = 3


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


async def _finished_job_runs(creds: DatabricksCredentials, notebook: Path) -> tuple[int, list[int]]:
    client = creds.get_jobs_client()
    job = await client.call("jobs/create", params={"name": "kept", "tasks": [echo_task("t", notebook, 7)]})
    run_ids = [
        (await client.call("jobs/run-now", params={"job_id": job["job_id"]}))["run_id"]
        for _ in range(FINISHED)
    ]
    for run_id in run_ids:
        await follow_run(creds, run_id, poll_frequency_seconds=1)
    return int(job["job_id"]), run_ids


async def _active_runs(creds: DatabricksCredentials, sleeper: Path, folder: Path) -> list[tuple[int, Path]]:
    client = creds.get_jobs_client()
    started = []
    for i in range(ACTIVE):
        pid_file = folder / f"pid-{i}"
        body = {"run_name": f"active-{i}", "tasks": [py_task("s", sleeper, pid_file)]}
        started.append(((await client.call("jobs/runs/submit", params=body))["run_id"], pid_file))
    for _, pid_file in started:
        wait_until(lambda p=pid_file: p.exists() and p.read_text(), "a task process to start", timeout=30)
    return started


def _durable(state: dict[str, Any]) -> dict[str, Any]:
    """The jobs, and the finished runs (active ones are expected to end at the restart)."""
    finished = {run_id: run for run_id, run in state["runs"].items() if is_terminal(run)}
    return {"jobs": state["jobs"], "runs": finished}


async def test_kill_9_mid_wait_loses_nothing(sources: Path, tmp_path: Path) -> None:
    served = ServedWorkspace(tmp_path / "ws", free_port(), KNOWN_TOKEN)
    creds = DatabricksCredentials(databricks_instance=served.host, token=KNOWN_TOKEN)
    headers = {"Authorization": f"Bearer {KNOWN_TOKEN}"}
    with served, httpx.Client(base_url=served.host, headers=headers, timeout=30) as http:
        job_id, finished = await _finished_job_runs(creds, sources / "echo.py")
        active = await _active_runs(creds, sources / "sleeper.py", tmp_path)
        waits = [
            asyncio.ensure_future(follow_run(creds, run_id, poll_frequency_seconds=1)) for run_id, _ in active
        ]
        await asyncio.sleep(1.5)
        before = _durable(snapshot(http))
        served.kill9()
        await asyncio.sleep(2)
        assert not any(w.done() for w in waits), [w.exception() for w in waits if w.done()]
        served.start()
        ended = await asyncio.wait_for(asyncio.gather(*waits), timeout=60)
        after = snapshot(http)
        assert after["jobs"] == before["jobs"]
        assert {run_id: after["runs"].get(run_id) for run_id in before["runs"]} == before["runs"]
        assert job_id in after["jobs"] and set(finished) <= set(after["runs"])
        assert {run_id for run_id, _ in active} <= set(after["runs"])
        for run in ended:
            error = error_for(run)
            assert isinstance(error, DatabricksRunFailed), run["state"]
            assert "workspace stopped while this run was active" in str(error), str(error)
        for _, pid_file in active:
            pid = int(pid_file.read_text())
            wait_until(lambda p=pid: not _alive(p), f"task process {pid} to be killed", timeout=15)
        outputs = [
            notebook_outputs(await attach_outputs(creds.get_jobs_client(), after["runs"][r]))
            for r in finished
        ]
        assert outputs == [{"t": {"result": "out-7", "truncated": False}}] * FINISHED
    assert os.path.exists(tmp_path / "ws" / "workspace.db")
