"""Local workspace speed: runs/get throughput against a hello-world Starlette endpoint, and runs/list
latency with 100,000 runs stored against 100.

Run: `.venv/bin/python benchmarks/workspace.py` (prints figures and ratios; goals: throughput ≥ 0.5×,
latency ratio ≤ 1.5×).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from _servers import hello_world, local_workspace

from prefect_databricks.local.store import Store

_SUCCESS = {"code": "SUCCESS", "type": "SUCCESS"}
_REQUESTS = 2000
_CONCURRENCY = 16


def _seed_runs(data_dir: Path, count: int) -> int:
    """Store `count` finished runs of one job directly; returns one run id to fetch."""
    store = Store(data_dir / "workspace.db")
    with store.transaction():
        for i in range(count):
            run = {
                "run_id": 10**15 + i, "job_id": 42, "start_time": 1_700_000_000_000 + i,
                "run_type": "JOB_RUN", "run_name": f"run {i}",
                "state": {"life_cycle_state": "TERMINATED", "result_state": "SUCCESS", "state_message": ""},
                "status": {"state": "TERMINATED", "termination_details": _SUCCESS},
                "tasks": [{"task_key": "t", "run_id": 2 * 10**15 + i}],
            }
            store.put_run(run, active=False)
    store.close()
    return 10**15 + count // 2


async def _throughput(base: str, path: str, headers: dict[str, str]) -> float:
    """Requests per second for `_REQUESTS` GETs of `path` at `_CONCURRENCY` in flight."""
    async with httpx.AsyncClient(base_url=base, headers=headers) as client:
        remaining = iter(range(_REQUESTS))

        async def worker() -> None:
            for _ in remaining:
                (await client.get(path)).raise_for_status()

        await asyncio.gather(*(worker() for _ in range(4)))
        start = time.perf_counter()
        remaining = iter(range(_REQUESTS))
        await asyncio.gather(*(worker() for _ in range(_CONCURRENCY)))
        return _REQUESTS / (time.perf_counter() - start)


def _latency_ms(base: str, token: str, rounds: int = 200) -> float:
    """Median milliseconds of one `runs/list` page (newest 25) of job 42."""
    samples = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
        for _ in range(rounds):
            start = time.perf_counter()
            client.get("/api/2.2/jobs/runs/list", params={"job_id": 42, "limit": 25}).raise_for_status()
            samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _interleaved(rounds: int, **targets: tuple[str, str, dict[str, str]]) -> dict[str, float]:
    """Median req/s of each target, measured in alternation so machine load hits them alike."""
    samples: dict[str, list[float]] = {name: [] for name in targets}
    for _ in range(rounds):
        for name, (base, path, headers) in targets.items():
            samples[name].append(asyncio.run(_throughput(base, path, headers)))
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    """Print the figures and their ratios to the goals."""
    with tempfile.TemporaryDirectory() as small, tempfile.TemporaryDirectory() as large:
        run_id = _seed_runs(Path(small), 100)
        _seed_runs(Path(large), 100_000)
        with hello_world() as hello, local_workspace(Path(small)) as ws:
            auth = {"Authorization": f"Bearer {ws['token']}"}
            rps = _interleaved(
                3,
                hello=(hello["host"], "/hello", {}),
                get=(ws["host"], f"/api/2.2/jobs/runs/get?run_id={run_id}", auth),
            )
            small_ms = _latency_ms(ws["host"], ws["token"])
        with local_workspace(Path(large)) as ws:
            large_ms = _latency_ms(ws["host"], ws["token"])
    print(f"hello-world Starlette        {rps['hello']:8.0f} req/s")
    print(f"runs/get (local workspace)   {rps['get']:8.0f} req/s", end="")
    print(f"   ratio {rps['get'] / rps['hello']:.2f}x  (goal >= 0.5x)")
    print(f"runs/list, 100 runs stored   {small_ms:8.2f} ms")
    print(f"runs/list, 100,000 runs      {large_ms:8.2f} ms", end="")
    print(f"    ratio {large_ms / small_ms:.2f}x  (goal <= 1.5x)")


if __name__ == "__main__":
    main()
