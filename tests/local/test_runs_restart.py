"""Runs survive a restart and a `kill -9`: finished runs kept, active ones reconciled, queued ones resumed.

Each test serves its own workspace on its own data dir (a real server, real processes, a real kill).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from runs_helpers import create_job, py_task, run_now, script, wait_run, wait_state

from prefect_databricks.local import LocalWorkspace

CRASH = "The local workspace stopped while this run was active"


def _client(ws: LocalWorkspace) -> httpx.Client:
    return httpx.Client(base_url=ws.host, headers={"Authorization": f"Bearer {ws.token}"}, timeout=30)


def _sleeps_first_time(tmp_path: Path) -> str:
    marker = tmp_path / "slept"
    return script(tmp_path, (
        f"import pathlib, time\nm = pathlib.Path({str(marker)!r})\n"
        "if not m.exists():\n    m.write_text('x')\n    time.sleep(60)\nprint('quick')\n"
    ))


def test_restart_keeps_runs_ends_active_ones_and_resumes_queued(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with LocalWorkspace(data_dir) as ws, _client(ws) as http:
        done = wait_run(http, run_now(http, create_job(http, [py_task("t", script(tmp_path, "print(1)"))])))
        job_id = create_job(http, [py_task("main", _sleeps_first_time(tmp_path))])
        active = run_now(http, job_id)
        wait_state(http, active, ("RUNNING",))
        queued = run_now(http, job_id)
    with LocalWorkspace(data_dir) as ws, _client(ws) as http:
        ended = http.get("/api/2.2/jobs/runs/get", params={"run_id": active}).json()
        assert ended["state"]["life_cycle_state"] == "INTERNAL_ERROR"
        assert ended["state"]["state_message"].startswith(CRASH)
        assert ended["status"]["termination_details"]["type"] == "INTERNAL_ERROR"
        assert ended["tasks"][0]["state"]["life_cycle_state"] == "INTERNAL_ERROR"
        assert wait_run(http, queued)["state"]["result_state"] == "SUCCESS"
        kept = http.get("/api/2.2/jobs/runs/get", params={"run_id": done["run_id"]}).json()
        assert kept["state"] == done["state"] and kept["tasks"] == done["tasks"]
        output = http.get("/api/2.2/jobs/runs/get-output", params={"run_id": done["tasks"][0]["run_id"]})
        assert output.json()["logs"] == "1\n"


_SERVE = """
import sys, time
from prefect_databricks.local import LocalWorkspace
ws = LocalWorkspace(sys.argv[1], token="kill-nine-token").start()
print(ws.host, flush=True)
time.sleep(600)
"""


def test_kill_9_loses_nothing_and_the_next_start_reconciles(tmp_path: Path) -> None:
    data_dir, pid_file = tmp_path / "data", tmp_path / "task.pid"
    command = [sys.executable, "-c", _SERVE, str(data_dir)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        host = server.stdout.readline().strip() if server.stdout else ""
        http = httpx.Client(base_url=host, headers={"Authorization": "Bearer kill-nine-token"}, timeout=30)
        code = f"import os, time\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))\ntime.sleep(60)\n"
        job_id = create_job(http, [py_task("main", script(tmp_path, code))])
        run_id = run_now(http, job_id)
        wait_state(http, run_id, ("RUNNING",))
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
    orphan = _orphan(pid_file)
    os.kill(orphan, 0)
    with LocalWorkspace(data_dir) as ws, _client(ws) as http:
        _assert_gone(orphan)
        assert http.get("/api/2.2/jobs/get", params={"job_id": job_id}).status_code == 200
        run = http.get("/api/2.2/jobs/runs/get", params={"run_id": run_id}).json()
        assert run["state"]["life_cycle_state"] == "INTERNAL_ERROR"
        assert run["state"]["state_message"].startswith(CRASH)
        listed = http.get("/api/2.2/jobs/runs/list", params={"job_id": job_id, "active_only": "true"}).json()
        assert "runs" not in listed


def _orphan(pid_file: Path) -> int:
    """The task process, which outlives a kill -9 of the server."""
    deadline = time.monotonic() + 5
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, "the task never started"
        time.sleep(0.05)
    return int(pid_file.read_text())


def _assert_gone(pid: int) -> None:
    """The restarted workspace killed the leftover process group (it is gone or a zombie of init)."""
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        stat = Path(f"/proc/{pid}/stat")
        if not stat.exists() or stat.read_text().split()[2] == "Z":
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    raise AssertionError(f"the leftover task process {pid} is still running")
