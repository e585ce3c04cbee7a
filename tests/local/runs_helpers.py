"""Helpers of the runs tests: jobs of real Python tasks, and a poller with a deadline."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import httpx

__all__ = ["create_job", "py_task", "run_now", "script", "unique", "wait_run", "wait_state"]

TERMINAL = ("TERMINATED", "SKIPPED", "INTERNAL_ERROR")


def unique(prefix: str) -> str:
    """A job name no other test uses (the session workspace is shared)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def script(tmp_path: Path, code: str) -> str:
    """Write a Python task file and return its absolute path."""
    path = tmp_path / f"task_{uuid.uuid4().hex[:8]}.py"
    path.write_text(code)
    return str(path)


def py_task(key: str, path: str, **extra: Any) -> dict[str, Any]:
    """A spark_python_task running `path` as a local process."""
    return {"task_key": key, "spark_python_task": {"python_file": path}, **extra}


def create_job(http: httpx.Client, tasks: list[dict[str, Any]], **settings: Any) -> int:
    """Create a job over HTTP (API 2.2) and return its id."""
    body = {"name": unique(settings.pop("prefix", "runs")), "tasks": tasks, **settings}
    response = http.post("/api/2.2/jobs/create", json=body)
    assert response.status_code == 200, response.text
    return int(response.json()["job_id"])


def run_now(http: httpx.Client, job_id: int, **body: Any) -> int:
    """Trigger a run and return its id."""
    response = http.post("/api/2.2/jobs/run-now", json={"job_id": job_id, **body})
    assert response.status_code == 200, response.text
    return int(response.json()["run_id"])


def wait_state(
    http: httpx.Client, run_id: int, states: tuple[str, ...] = TERMINAL, timeout: float = 30
) -> dict[str, Any]:
    """Poll runs/get until the run's life cycle state is one of `states`; fail with the last one seen."""
    deadline = time.monotonic() + timeout
    last: dict[str, Any] = {}
    while time.monotonic() < deadline:
        last = http.get("/api/2.2/jobs/runs/get", params={"run_id": run_id}).json()
        if last.get("state", {}).get("life_cycle_state") in states:
            return last
        time.sleep(0.05)
    raise AssertionError(f"Run {run_id} did not reach {states}; last state: {last.get('state')}")


def wait_run(http: httpx.Client, run_id: int, timeout: float = 30) -> dict[str, Any]:
    """Poll until the run has ended."""
    return wait_state(http, run_id, TERMINAL, timeout)
