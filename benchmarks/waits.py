"""Waiting at scale: requests per poll cycle for 500 concurrent waits, and how soon a finished run is noticed.

Prints, against a local workspace in its own process and measured with its own request counter:
  1. requests per poll cycle while 500 runs are waited on at once (goal <= 25), next to one cycle of
     per-run polling as the 0.4 package and its peers do it (one runs/get per run: 500);
  2. the time from a run's end (its `end_time`) to the waiting flow's return, next to the poll
     interval in force (goal <= one interval).

Run: `.venv/bin/python benchmarks/waits.py [--waits 500] [--cycles 5]`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from _servers import local_workspace

from prefect_databricks import DatabricksCredentials
from prefect_databricks.waiting.watcher import RunWatcher

_SLEEP = "import sys, time; time.sleep(float(sys.argv[1]))\n"


def _task(script: Path, seconds: float) -> dict[str, Any]:
    return {"task_key": "t", "spark_python_task": {"python_file": str(script), "parameters": [str(seconds)]}}


def _counts(http: httpx.Client) -> dict[str, int]:
    return http.get("/local-api/requests").json()["by_endpoint"]


async def _submit_many(creds: DatabricksCredentials, script: Path, n: int, seconds: float) -> list[int]:
    client, limit = creds.get_jobs_client(), asyncio.Semaphore(16)

    async def one(i: int) -> int:
        async with limit:
            body = {"run_name": f"bench-{i}", "tasks": [_task(script, seconds)]}
            return int((await client.call("jobs/runs/submit", params=body))["run_id"])

    return await asyncio.gather(*(one(i) for i in range(n)))


async def _cancel_all(creds: DatabricksCredentials, run_ids: list[int]) -> None:
    client, limit = creds.get_jobs_client(), asyncio.Semaphore(16)

    async def one(run_id: int) -> None:
        async with limit:
            await client.call("jobs/runs/cancel", params={"run_id": run_id})

    await asyncio.gather(*(one(run_id) for run_id in run_ids))


async def requests_per_cycle(
    creds: DatabricksCredentials, http: httpx.Client, script: Path, waits: int, cycles: int
) -> None:
    """Steady state: every run still active, so each cycle is the listing alone."""
    run_ids = await _submit_many(creds, script, waits, 600)
    watcher = RunWatcher(creds.get_jobs_client, initial_interval=1.0)
    waiting = [asyncio.ensure_future(watcher.wait(run_id, poll_frequency_seconds=2)) for run_id in run_ids]
    while watcher.stats.cycles < 1:
        await asyncio.sleep(0.1)
    http.post("/local-api/requests/reset")
    start = watcher.stats.cycles
    while watcher.stats.cycles < start + cycles:
        await asyncio.sleep(0.1)
    ours = sum(_counts(http).values()) / (watcher.stats.cycles - start)
    http.post("/local-api/requests/reset")
    await _per_run_cycle(creds, run_ids)
    naive = sum(_counts(http).values())
    for future in waiting:
        future.cancel()
    await _cancel_all(creds, run_ids)
    print(
        f"{waits} concurrent waits: {ours:.1f} requests per poll cycle (goal <= 25); per-run polling: {naive}"
    )


async def _per_run_cycle(creds: DatabricksCredentials, run_ids: list[int]) -> None:
    client, limit = creds.get_jobs_client(), asyncio.Semaphore(16)

    async def one(run_id: int) -> None:
        async with limit:
            await client.call("jobs/runs/get", params={"run_id": run_id})

    await asyncio.gather(*(one(run_id) for run_id in run_ids))


def _interval_after(seconds: float, initial: float, ceiling: float) -> float:
    """The watcher's interval once `seconds` passed without change (1.5x backoff up to the ceiling)."""
    interval, elapsed = initial, 0.0
    while elapsed + interval < seconds:
        elapsed += interval
        interval = min(interval * 1.5, ceiling)
    return interval


async def end_to_return(
    creds: DatabricksCredentials, script: Path, durations: list[float], poll: float
) -> None:
    """Time from a run's end_time to the flow's return, against the poll interval in force then."""
    from prefect_databricks.flows import jobs_runs_submit_and_wait_for_completion

    for seconds in durations:
        _, run = await jobs_runs_submit_and_wait_for_completion(
            creds,
            [_task(script, seconds)],
            run_name="latency",
            poll_frequency_seconds=poll,
            return_metadata=True,
        )
        lag = time.time() - run["end_time"] / 1000
        interval = _interval_after(seconds, 1.0, poll)
        print(
            f"run of {seconds:>4.1f} s: returned {lag:.2f} s after its end (interval then {interval:.2f} s)"
        )


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp, local_workspace(Path(tmp) / "ws") as info:
        script = Path(tmp) / "sleep.py"
        script.write_text(textwrap.dedent(_SLEEP))
        creds = DatabricksCredentials(databricks_instance=info["host"], token=info["token"])
        headers = {"Authorization": f"Bearer {info['token']}"}
        with httpx.Client(base_url=info["host"], headers=headers, timeout=60) as http:
            await requests_per_cycle(creds, http, script, args.waits, args.cycles)
        await _end_to_return_in_prefect(creds, script, args.poll)


async def _end_to_return_in_prefect(creds: DatabricksCredentials, script: Path, poll: float) -> None:
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with (
        prefect_test_harness(server_startup_timeout=120),
        temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
    ):
        await end_to_return(creds, script, [0.5, 3.0, 8.0], poll)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--waits", type=int, default=500)
    parser.add_argument("--cycles", type=int, default=5)
    parser.add_argument(
        "--poll", type=float, default=10.0, help="poll_frequency_seconds of the latency flows"
    )
    asyncio.run(main(parser.parse_args()))
