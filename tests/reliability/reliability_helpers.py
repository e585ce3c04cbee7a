"""Helpers of the reliability suite: task dicts, a state snapshot, a killable served workspace."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from polling import wait_until

__all__ = [
    "KNOWN_TOKEN",
    "SP_ID",
    "SP_SECRET",
    "ServedWorkspace",
    "echo_task",
    "free_port",
    "py_task",
    "snapshot",
    "wait_until",
]

KNOWN_TOKEN = "dapi-reliability-known-token-5c1e0b7d9a"
SP_ID = "sp-reliability"
SP_SECRET = "sp-reliability-known-secret-e4a9f3"


def echo_task(key: str, notebook: Path, i: int) -> dict[str, Any]:
    """A notebook task whose output is `out-<i>`."""
    return {
        "task_key": key,
        "notebook_task": {"notebook_path": str(notebook), "base_parameters": {"i": str(i)}},
    }


def py_task(key: str, script: Path, *params: Any) -> dict[str, Any]:
    """A `spark_python_task` running `script` with `params`."""
    return {
        "task_key": key,
        "spark_python_task": {"python_file": str(script), "parameters": [str(p) for p in params]},
    }


def _all_pages(http: httpx.Client, path: str, key: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    query = dict(params)
    while True:
        page = http.get(path, params=query)
        page.raise_for_status()
        body = page.json()
        items += body.get(key) or []
        if not body.get("next_page_token"):
            return items
        query["page_token"] = body["next_page_token"]


def snapshot(http: httpx.Client) -> dict[str, Any]:
    """Every job (with settings) and every run (with tasks) the workspace holds, by id."""
    jobs = _all_pages(http, "/api/2.2/jobs/list", "jobs", {"limit": 100, "expand_tasks": "true"})
    runs = _all_pages(http, "/api/2.2/jobs/runs/list", "runs", {"limit": 25, "expand_tasks": "true"})
    return {"jobs": {j["job_id"]: j for j in jobs}, "runs": {r["run_id"]: r for r in runs}}


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServedWorkspace:
    """`prefect-databricks workspace serve` as a child process, to SIGKILL and restart."""

    def __init__(
        self, data_dir: Path, port: int, token: str, *args: str, env: dict[str, str] | None = None
    ) -> None:
        self.data_dir = data_dir
        self.port = port
        self.token = token
        self.host = f"http://127.0.0.1:{port}"
        self.args = args
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        """The serve command line: the token goes in a file beside the data dir, never in argv."""
        token_file = self.data_dir.with_name(self.data_dir.name + ".token")
        token_file.write_text(self.token + "\n")
        token_file.chmod(0o600)
        exe = Path(sys.executable).with_name("prefect-databricks")
        command = [str(exe), "workspace", "serve", "--port", str(self.port)]
        return [*command, "--data-dir", str(self.data_dir), "--token-file", str(token_file), *self.args]

    def start(self) -> ServedWorkspace:
        """Start serving and return once the API answers."""
        env = {**os.environ, **self.env} if self.env is not None else None
        quiet = subprocess.DEVNULL
        self.proc = subprocess.Popen(self.command(), stdout=quiet, stderr=quiet, env=env)
        wait_until(self._answers, f"the workspace on port {self.port} to answer", timeout=30)
        return self

    def _answers(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"the workspace process exited with {self.proc.returncode}")
        try:
            return httpx.get(f"{self.host}/.well-known/databricks-config", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def kill9(self) -> None:
        """SIGKILL the server: no shutdown code runs (its task processes are left behind)."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        """Stop the server if it still runs (SIGTERM, then SIGKILL)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def __enter__(self) -> ServedWorkspace:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
