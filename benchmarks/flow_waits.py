"""What one wait costs Prefect: task runs, Prefect API requests, and the start time of N concurrent waits.

Against a temporary Prefect server and a local workspace in its own process, one parent flow waits
on N runs (60 s sleeps) at once, in one of three ways (`--mode`): `each`, N concurrent `wait_for_run`
sub-flows; `fanout`, one `wait_for_runs` following all N; `empty`, Prefect's own floor: N empty
concurrent async sub-flows. It prints the seconds until every wait is following its run (each has
published its link artifact; for `empty`: every sub-flow has begun), the task runs and Prefect API
requests per wait, then cancels the runs. Run:
`.venv/bin/python benchmarks/flow_waits.py [--waits 50] [--mode each|fanout|empty]`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from _servers import local_workspace

from prefect_databricks import DatabricksCredentials

_SLEEP = "import time; time.sleep(60)\n"
_PREFECT_REQUESTS: Counter[str] = Counter()


def _count_prefect_requests(api_url: str) -> None:
    """Count every request the Prefect client sends to `api_url` (wraps httpx's send; a benchmark only)."""
    original = httpx.AsyncClient.send

    async def send(self: httpx.AsyncClient, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        path = request.url.path.split("/api/", 1)[-1]
        if str(request.url).startswith(api_url) and path != "artifacts/filter":  # not this script's polling
            _PREFECT_REQUESTS[f"{request.method} {path.split('/')[0]}"] += 1
        return await original(self, request, **kwargs)

    httpx.AsyncClient.send = send  # type: ignore[method-assign]


async def _started(client: Any, parent_id: Any, n: int) -> None:
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    mine = ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[parent_id]))
    while len(await client.read_artifacts(artifact_filter=mine)) < n:
        await asyncio.sleep(0.2)


async def _parent(mode: str, creds: DatabricksCredentials, run_ids: list[int], begun: list[int]) -> Any:
    """The parent flow of `mode`; `begun` counts the empty sub-flows that have started."""
    from prefect import flow

    from prefect_databricks.flows import wait_for_run, wait_for_runs

    @flow
    async def empty() -> None:
        begun.append(1)
        while len(begun) < len(run_ids):
            await asyncio.sleep(0.05)

    @flow
    async def parent() -> None:
        if mode == "each":
            await asyncio.gather(*(wait_for_run(creds, r, poll_frequency_seconds=10) for r in run_ids))
        elif mode == "fanout":
            await wait_for_runs(creds, run_ids, poll_frequency_seconds=10)
        else:
            await asyncio.gather(*(empty() for _ in run_ids))

    return parent


async def measure(creds: DatabricksCredentials, script: Path, n: int, mode: str) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentTaskRunId, TaskRunFilter

    jobs = creds.get_jobs_client()
    body = {"tasks": [{"task_key": "t", "spark_python_task": {"python_file": str(script)}}]}
    run_ids = [(await jobs.call("jobs/runs/submit", params=body))["run_id"] for _ in range(n)]
    begun: list[int] = []
    parent = await _parent(mode, creds, run_ids, begun)

    _PREFECT_REQUESTS.clear()
    began = time.monotonic()
    waiting = asyncio.ensure_future(parent())
    async with get_client() as client:
        top = FlowRunFilter(parent_task_run_id=FlowRunFilterParentTaskRunId(is_null_=True))
        while not (parents := await client.read_flow_runs(flow_run_filter=top)):
            await asyncio.sleep(0.05)
        if mode == "empty":
            while len(begun) < n:
                await asyncio.sleep(0.05)
        else:
            await _started(client, parents[0].id, n)
        started = time.monotonic() - began
        counted = Counter(_PREFECT_REQUESTS)
        task_runs = len(await client.read_task_runs(task_run_filter=TaskRunFilter(), limit=200))
    for run_id in run_ids:
        await jobs.call("jobs/runs/cancel", params={"run_id": run_id})
    await asyncio.gather(waiting, return_exceptions=True)
    print(f"{n} concurrent waits ({mode}): all following their run after {started:.1f} s")
    per_wait = counted.total() / n
    print(f"task runs per wait: {task_runs / n:.2f}; Prefect API requests per wait: {per_wait:.2f}")
    print("most frequent requests:", ", ".join(f"{k} x{v}" for k, v in counted.most_common(6)))


async def main(args: argparse.Namespace) -> None:
    from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with tempfile.TemporaryDirectory() as tmp, local_workspace(Path(tmp) / "ws") as info:
        script = Path(tmp) / "sleep.py"
        script.write_text(_SLEEP)
        creds = DatabricksCredentials(databricks_instance=info["host"], token=info["token"])
        with (
            prefect_test_harness(server_startup_timeout=120),
            temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
        ):
            _count_prefect_requests(str(PREFECT_API_URL.value()))
            await measure(creds, script, args.waits, args.mode)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--waits", type=int, default=50)
    parser.add_argument("--mode", choices=["each", "fanout", "empty"], default="each")
    asyncio.run(main(parser.parse_args()))
