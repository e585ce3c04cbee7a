"""Client speed: own import cost, listing 10,000 runs, and jobs_get of a 1,000-task job, each against
a raw httpx loop over the same pages.

Run: `.venv/bin/python benchmarks/client.py` (goals: import ≤ 30 ms over `import prefect`;
list and get ≤ 1.15× raw).
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from _servers import local_workspace
from workspace import _seed_runs

_RUNS = 10_000
_TASKS = 1_000


_TIMED_IMPORT = """
import time
{before}
start = time.perf_counter()
{measured}
print((time.perf_counter() - start) * 1000)
"""


def _import_ms(before: str, measured: str, rounds: int = 9) -> float:
    """Median milliseconds `measured` takes in a fresh process once `before` has run."""
    script = _TIMED_IMPORT.format(before=before, measured=measured)
    samples = [
        float(
            subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True).stdout
        )
        for _ in range(rounds)
    ]
    return statistics.median(samples)


async def _raw_list(host: str, token: str) -> int:
    """Every run of job 42 through a bare httpx loop over page tokens."""
    count, params = 0, {"job_id": 42, "limit": 25}
    async with httpx.AsyncClient(base_url=host, headers={"Authorization": f"Bearer {token}"}) as client:
        while True:
            page = (await client.get("/api/2.2/jobs/runs/list", params=params)).json()
            count += len(page.get("runs", []))
            if not page.get("next_page_token"):
                return count
            params["page_token"] = page["next_page_token"]


async def _raw_get(host: str, token: str, job_id: int) -> int:
    """A job's tasks through a bare httpx loop over the array pages."""
    tasks, params = 0, {"job_id": job_id}
    async with httpx.AsyncClient(base_url=host, headers={"Authorization": f"Bearer {token}"}) as client:
        while True:
            page = (await client.get("/api/2.2/jobs/get", params=params)).json()
            tasks += len(page["settings"].get("tasks", []))
            if not page.get("next_page_token"):
                return tasks
            params["page_token"] = page["next_page_token"]


async def _ours_list(creds: Any) -> int:
    from prefect_databricks.jobs import ajobs_runs_list_all

    return len(await ajobs_runs_list_all.fn(creds, job_id=42, limit=25))


async def _ours_get(creds: Any, job_id: int) -> int:
    from prefect_databricks.jobs import ajobs_get

    return len((await ajobs_get.fn(job_id, creds))["settings"]["tasks"])


def _pair(
    raw: Callable[[], Awaitable[int]], ours: Callable[[], Awaitable[int]], expected: int, rounds: int = 7
) -> tuple[float, float]:
    """Median seconds of raw and ours, run in alternation, each checked to return `expected` items."""
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(rounds):
        for make, into in ((raw, samples[0]), (ours, samples[1])):
            start = time.perf_counter()
            got = asyncio.run(make())
            into.append(time.perf_counter() - start)
            assert got == expected, f"expected {expected} items, got {got}"
    return statistics.median(samples[0]), statistics.median(samples[1])


def _create_big_job(host: str, token: str) -> int:
    task = {"spark_python_task": {"python_file": "/tmp/x.py"}}
    tasks = [{"task_key": f"t{i:04d}", **task} for i in range(_TASKS)]
    reply = httpx.post(
        f"{host}/api/2.2/jobs/create",
        headers={"Authorization": f"Bearer {token}"},
        json={"name": "big", "tasks": tasks},
        timeout=60,
    )
    reply.raise_for_status()
    return int(reply.json()["job_id"])


def main() -> None:
    """Print the figures and their ratios to the goals."""
    from prefect_databricks import DatabricksCredentials

    prefect_ms = _import_ms("", "import prefect")
    ours_ms = _import_ms("import prefect", "import prefect_databricks.jobs")
    task_ms = _import_ms(
        "from prefect import flow, task", "from prefect_databricks.jobs import jobs_runs_submit"
    )
    with tempfile.TemporaryDirectory() as data_dir:
        _seed_runs(Path(data_dir), _RUNS)
        with local_workspace(Path(data_dir)) as ws:
            host, token = ws["host"], ws["token"]
            creds = DatabricksCredentials(databricks_instance=host, token=token)
            job_id = _create_big_job(host, token)
            raw_list, our_list = _pair(lambda: _raw_list(host, token), lambda: _ours_list(creds), _RUNS)
            raw_get, our_get = _pair(
                lambda: _raw_get(host, token, job_id), lambda: _ours_get(creds, job_id), _TASKS
            )
    rows = [
        ("import prefect", f"{prefect_ms:.1f} ms", ""),
        ("then import prefect_databricks.jobs", f"{ours_ms:.1f} ms", "own import cost (goal <= 30 ms)"),
        ("then first task (jobs_runs_submit)", f"{task_ms:.1f} ms", "after `from prefect import flow, task`"),
        (f"list {_RUNS:,} runs: raw httpx", f"{raw_list:.3f} s", ""),
        (f"list {_RUNS:,} runs: jobs_runs_list_all", f"{our_list:.3f} s", _ratio(our_list, raw_list)),
        (f"jobs_get {_TASKS:,} tasks: raw httpx", f"{raw_get:.3f} s", ""),
        (f"jobs_get {_TASKS:,} tasks: jobs_get", f"{our_get:.3f} s", _ratio(our_get, raw_get)),
    ]
    for label, value, note in rows:
        print(f"{label:<40} {value:>12}   {note}")


def _ratio(ours: float, raw: float) -> str:
    return f"ratio {ours / raw:.2f}x (goal <= 1.15x)"


if __name__ == "__main__":
    main()
