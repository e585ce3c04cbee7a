"""The task process bound (`max_task_processes`, default cores × 2) from LocalWorkspace and the serve CLI,
and the exit watch that wakes the scheduler when a task process ends.

Nothing is mocked: the bounded workspace runs real Python task processes.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from runs_helpers import py_task, script, wait_run, wait_state
from typer.testing import CliRunner

from prefect_databricks.cli import app
from prefect_databricks.local import LocalWorkspace
from prefect_databricks.local.engine.process_exits import ExitWatch
from prefect_databricks.local.engine.scheduler import task_process_limit
from prefect_databricks.local.server import open_workspace


def test_max_task_processes_bounds_the_running_tasks(tmp_path: Path) -> None:
    sleep = script(tmp_path, "import time\ntime.sleep(30)\n")
    with LocalWorkspace(tmp_path / "ws", max_task_processes=2) as ws:
        assert task_process_limit(ws.workspace) == 2
        headers = {"Authorization": f"Bearer {ws.token}"}
        with httpx.Client(base_url=ws.host, headers=headers, timeout=10) as http:
            tasks = [py_task(f"t{i}", sleep) for i in range(4)]
            run_id = http.post("/api/2.2/jobs/runs/submit", json={"tasks": tasks}).json()["run_id"]
            wait_state(http, run_id, ("RUNNING",))
            time.sleep(0.3)
            run = http.get("/api/2.2/jobs/runs/get", params={"run_id": run_id}).json()
            lives = sorted(t["state"]["life_cycle_state"] for t in run["tasks"])
            assert lives == ["PENDING", "PENDING", "RUNNING", "RUNNING"]
            http.post("/api/2.2/jobs/runs/cancel", json={"run_id": run_id})
            assert wait_run(http, run_id)["state"]["result_state"] == "CANCELED"


def test_default_bound_is_twice_the_cores_and_zero_is_refused(tmp_path: Path) -> None:
    ws = open_workspace(tmp_path / "a")
    assert task_process_limit(ws) == (os.cpu_count() or 1) * 2
    ws.store.close()
    with pytest.raises(ValueError, match="max_task_processes must be at least 1"):
        open_workspace(tmp_path / "b", max_task_processes=0)


def test_serve_documents_and_checks_the_option() -> None:
    help_text = CliRunner().invoke(app, ["workspace", "serve", "--help"], terminal_width=200).output
    assert "--max-task-processes" in help_text
    refused = CliRunner().invoke(app, ["workspace", "serve", "--max-task-processes", "0"])
    assert refused.exit_code != 0


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="pidfds are Linux-only; the tick polls instead")
async def test_exit_watch_sets_the_event_when_a_process_exits() -> None:
    event = asyncio.Event()
    watch = ExitWatch(event)
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.2)"])
    try:
        watch.watch([process.pid, process.pid])
        await asyncio.wait_for(event.wait(), 5)
    finally:
        watch.close()
        process.wait()
    assert process.returncode == 0
