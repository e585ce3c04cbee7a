"""What one poll of `prefect-databricks events` costs: requests and seconds, for many active and ended runs.

Prints, against a local workspace in its own process and measured with its own request counter: the
requests and wall time of the first poll (every active and recently ended run reported) and of a
quiet poll (nothing changed: nothing sent), and the events each produced. Events are collected in
this process instead of sent to Prefect, so the figures are the Databricks side only.

Run: `.venv/bin/python benchmarks/events.py [--active 60] [--ended 200]`.
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

from prefect_databricks.cli.events import EventFeed
from prefect_databricks.client import DatabricksClient, PatAuth

_CHECK = {"task_key": "c", "condition_task": {"op": "EQUAL_TO", "left": "1", "right": "1"}}


def _submit(http: httpx.Client, tasks: list[dict[str, Any]], n: int) -> None:
    for i in range(n):
        http.post("/api/2.2/jobs/runs/submit", json={"run_name": f"b{i}", "tasks": tasks}).raise_for_status()


def _requests(http: httpx.Client) -> int:
    return int(sum(http.get("/local-api/requests").json()["by_endpoint"].values()))


async def _poll(feed: EventFeed, client: DatabricksClient, http: httpx.Client) -> tuple[int, int, float]:
    sent: list[dict[str, Any]] = []

    async def collect(fields: dict[str, Any]) -> None:
        sent.append(fields)

    http.post("/local-api/requests/reset").raise_for_status()
    started = time.perf_counter()
    await feed.poll(client, collect)
    return _requests(http), len(sent), time.perf_counter() - started


async def main(active: int, ended: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, local_workspace(Path(tmp) / "ws") as ws:
        sleeper = Path(tmp) / "sleep.py"
        sleeper.write_text(textwrap.dedent("import time\ntime.sleep(300)\n"))
        headers = {"Authorization": f"Bearer {ws['token']}"}
        with httpx.Client(base_url=ws["host"], headers=headers, timeout=60) as http:
            _submit(http, [_CHECK], ended)
            task = {"task_key": "s", "spark_python_task": {"python_file": str(sleeper)}}
            _submit(http, [task], active)
            await asyncio.sleep(5)
            feed = EventFeed(ws["host"], Path(tmp) / "cursor.json")
            async with DatabricksClient(ws["host"], PatAuth(ws["token"])) as client:
                for label in ("first poll", "quiet poll"):
                    requests, events, seconds = await _poll(feed, client, http)
                    print(f"{label}: {requests} requests, {events} events, {seconds:.3f} s "
                          f"({active} active, {ended} ended runs)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--active", type=int, default=60)
    parser.add_argument("--ended", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.active, args.ended))
