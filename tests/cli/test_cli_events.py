"""`prefect-databricks events`: one Prefect event per run state change, a cursor that outlives the command,
and a workspace restart waited through. Events are read back from the session's real Prefect server.

What is asserted of the runs is the Jobs API's lifecycle (RUNNING, then TERMINATED with a result state);
that a run in flight when the workspace stops ends INTERNAL_ERROR is the local workspace's documented
restart rule (tests/reliability/test_restart_keeps_runs.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from cli_helpers import Invoke, MakeJob, py_task
from prefect.client.orchestration import get_client
from prefect.events.filters import EventFilter, EventResourceFilter
from prefect.settings import PREFECT_API_URL

from polling import wait_until
from prefect_databricks.local import LocalWorkspace
from prefect_databricks.waiting.events import run_resource_id

pytestmark = pytest.mark.usefixtures("prefect_harness")
_TOKEN = "dapi-events-restart-token-3f9c1a"
_CHECK = {"task_key": "c", "condition_task": {"op": "EQUAL_TO", "left": "1", "right": "1"}}
_EXE = str(Path(sys.executable).with_name("prefect-databricks"))


def _wait(check: Callable[[], Any], what: str, timeout: float = 60) -> Any:
    return wait_until(check, what, timeout, interval=0.2)


def _ended(http: httpx.Client, run_id: int) -> bool:
    state = http.get("/api/2.2/jobs/runs/get", params={"run_id": run_id}).json()["state"]
    return state["life_cycle_state"] in ("TERMINATED", "INTERNAL_ERROR", "SKIPPED")


def _lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def _of(lines: list[dict[str, Any]], run_id: int) -> list[str]:
    return [line["event"] for line in lines if line["payload"]["run_id"] == run_id]


def _stored(resource_id: str) -> list[str]:
    async def read() -> list[str]:
        async with get_client() as client:
            query = EventFilter(resource=EventResourceFilter(id=[resource_id]))
            page = await client.read_events(query, limit=50)  # the server refuses its client's default of 100
        return [event.event for event in page.events]

    return asyncio.run(read())


def test_once_emits_each_change_once_and_the_cursor_stops_a_second_emit(
    invoke: Invoke, make_job: MakeJob, run_now: Callable[[int], int], http: httpx.Client,
    cli_scripts: Path, tmp_path: Path,
) -> None:
    job_id, _ = make_job(py_task("t", cli_scripts / "ok.py"))
    run_id = run_now(job_id)
    _wait(lambda: _ended(http, run_id), "the run to end")
    state_file = tmp_path / "cursor" / "events.json"
    first = invoke("events", "--once", "--json", "--state-file", str(state_file))
    assert first.exit_code == 0, first.output
    lines = [line for line in _lines(first.stdout) if line["payload"]["run_id"] == run_id]
    assert [line["event"] for line in lines] == ["databricks.run.succeeded"]
    assert lines[0]["payload"]["job_id"] == job_id and lines[0]["payload"]["result_state"] == "SUCCESS"
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(state_file.parent.stat().st_mode) == 0o700
    second = invoke("events", "--once", "--json", "--state-file", str(state_file))
    assert second.exit_code == 0, second.output
    assert _of(_lines(second.stdout), run_id) == []
    resource = run_resource_id(str(http.base_url), run_id)
    assert _wait(lambda: _stored(resource), "the event on the Prefect server", timeout=30) == [
        "databricks.run.succeeded"
    ]


def test_a_run_deleted_between_two_polls_is_forgotten_not_fatal(
    invoke: Invoke, make_job: MakeJob, run_now: Callable[[int], int], http: httpx.Client,
    cli_scripts: Path, tmp_path: Path,
) -> None:
    """runs/get of a deleted run is 400 INVALID_PARAMETER_VALUE on Databricks; the command carries on."""
    job_id, _ = make_job(py_task("t", cli_scripts / "slow.py"))
    run_id = run_now(job_id)
    state_file = tmp_path / "events.json"

    def seen_active() -> bool:
        assert invoke("events", "--once", "--state-file", str(state_file)).exit_code == 0
        return str(run_id) in json.loads(state_file.read_text())["active"]

    _wait(seen_active, "the run to be seen active")
    http.post("/api/2.2/jobs/runs/cancel", json={"run_id": run_id}).raise_for_status()
    _wait(lambda: _ended(http, run_id), "the run to be canceled")
    http.post("/api/2.2/jobs/runs/delete", json={"run_id": run_id}).raise_for_status()
    later = invoke("events", "--once", "--json", "--state-file", str(state_file))
    assert later.exit_code == 0, later.output
    assert f"run {run_id} is no longer readable" in later.stderr
    assert str(run_id) not in json.loads(state_file.read_text())["active"]


def test_without_a_prefect_server_it_says_so(tmp_path: Path, workspace: LocalWorkspace) -> None:
    env = {**os.environ, "PREFECT_API_URL": "", "PREFECT_HOME": str(tmp_path),
           "DATABRICKS_HOST": workspace.host, "DATABRICKS_TOKEN": workspace.token}
    done = subprocess.run([_EXE, "events", "--once"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "PREFECT_API_URL is not set" in done.stderr and workspace.token not in done.stderr
    port = _free_port()
    env["PREFECT_API_URL"] = f"http://127.0.0.1:{port}/api"
    down = subprocess.run([_EXE, "events", "--once"], env=env, capture_output=True, text=True, timeout=120)
    assert down.returncode == 3, down.stderr
    assert f"cannot reach Prefect at http://127.0.0.1:{port}/api" in down.stderr
    assert "Traceback" not in down.stderr and workspace.token not in down.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Command:
    """`prefect-databricks events` as a child process, its stdout lines collected as they come."""

    def __init__(self, host: str, state_file: Path, home: Path) -> None:
        env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()), "PREFECT_HOME": str(home),
               "DATABRICKS_HOST": host, "DATABRICKS_TOKEN": _TOKEN,
               "DATABRICKS_CONFIG_FILE": str(home / "no-databrickscfg")}
        args = [_EXE, "events", "--interval", "0.5", "--json", "--state-file", str(state_file)]
        self.proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: list[dict[str, Any]] = []
        self.errors: list[str] = []
        threading.Thread(target=self._read, args=(self.proc.stdout, True), daemon=True).start()
        threading.Thread(target=self._read, args=(self.proc.stderr, False), daemon=True).start()

    def _read(self, stream: Any, out: bool) -> None:
        for line in stream:
            (self.lines.append(json.loads(line)) if out else self.errors.append(line))

    def saw(self, run_id: int, event: str) -> bool:
        assert self.proc.poll() is None, ("the command exited", self.errors)
        return f"databricks.run.{event}" in _of(self.lines, run_id)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def test_the_command_survives_a_workspace_restart_and_emits_the_later_change_once(
    tmp_path: Path, cli_scripts: Path
) -> None:
    """The workspace stops mid-run and comes back on the same data dir and port; the run it was running
    ends INTERNAL_ERROR there, and the command, still running, emits that end once, then a new run's."""
    data = tmp_path / "ws"
    ws = LocalWorkspace(data, token=_TOKEN).start()
    port = int(ws.host.rsplit(":", 1)[1])
    headers = {"Authorization": f"Bearer {_TOKEN}"}
    with httpx.Client(base_url=ws.host, headers=headers, timeout=30) as http:
        body = {"run_name": "in-flight", "tasks": [py_task("s", cli_scripts / "slow.py")]}
        long_run = http.post("/api/2.2/jobs/runs/submit", json=body).json()["run_id"]
    command = _Command(ws.host, tmp_path / "cursor.json", tmp_path)
    try:
        _wait(lambda: command.saw(long_run, "started"), "the run's started event")
        ws.stop()
        time.sleep(2)
        ws = LocalWorkspace(data, port=port, token=_TOKEN).start()
        _wait(lambda: command.saw(long_run, "failed"), "the run's end after the restart")
        with httpx.Client(base_url=ws.host, headers=headers, timeout=30) as http:
            quick = http.post("/api/2.2/jobs/runs/submit", json={"run_name": "after", "tasks": [_CHECK]})
            quick_run = quick.json()["run_id"]
        _wait(lambda: command.saw(quick_run, "succeeded"), "the new run's end")
        time.sleep(1.5)  # three more polls: nothing more to say about either run
        command.stop()
        assert _of(command.lines, long_run) == ["databricks.run.started", "databricks.run.failed"]
        assert _of(command.lines, quick_run)[-1] == "databricks.run.succeeded"
        assert len(set(_of(command.lines, quick_run))) == len(_of(command.lines, quick_run))
        assert not any("Traceback" in line for line in command.errors), command.errors
        assert sum("warning" in line for line in command.errors) <= 1, command.errors
        again = _Command(ws.host, tmp_path / "cursor.json", tmp_path)
        time.sleep(2)
        again.stop()
        assert _of(again.lines, long_run) == [] and _of(again.lines, quick_run) == []
    finally:
        if command.proc.poll() is None:
            command.stop()
        ws.stop()


async def test_an_outage_longer_than_the_client_s_retries_is_logged_once_and_polled_through(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The poll loop of the command, with a client that does not retry: the workspace is down for several
    polls, then back on the same port; one warning, one line when polling resumes, the new run's end sent."""
    from prefect.events.clients import get_events_client

    from prefect_databricks.cli.events import EventFeed, _watch
    from prefect_databricks.client import DatabricksClient, PatAuth
    from prefect_databricks.client.retry import RetryPolicy

    ws = LocalWorkspace(tmp_path / "ws", token=_TOKEN).start()
    host, port = ws.host, int(ws.host.rsplit(":", 1)[1])
    ws.stop()
    feed = EventFeed(host, tmp_path / "cursor.json")
    no_retry = RetryPolicy(attempts=1, timeout=2, wait_initial=0.01, wait_jitter=0)
    async with DatabricksClient(host, PatAuth(_TOKEN), retry=no_retry) as client, get_events_client() as sink:
        watching = asyncio.ensure_future(_watch(client, feed, sink, 0.2, False, True))
        try:
            await asyncio.sleep(2)
            ws = LocalWorkspace(tmp_path / "ws", port=port, token=_TOKEN).start()
            run = await client.call("jobs/runs/submit", params={"run_name": "back", "tasks": [_CHECK]})
            deadline = time.monotonic() + 30
            while str(run["run_id"]) not in feed.ended and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
        finally:
            watching.cancel()
            ws.stop()
    err = capsys.readouterr().err.splitlines()
    assert str(run["run_id"]) in feed.ended, err
    assert sum(line.startswith("warning:") for line in err) == 1, err
    assert err.count("polling again") == 1, err
