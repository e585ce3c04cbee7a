"""Jobs as code: what ensuring a job costs, in requests and time, and how long cancelling previous runs takes.

Against a local workspace in a child process: `ensure_job` of a 200-task job (created, unchanged,
updated), the unchanged case beside a raw httpx `jobs/list` + `jobs/get` (the least any check
must send), and `cancel_active_runs` on 5 active runs (4 of them running). Requests are counted
by the workspace.

Run: `.venv/bin/python benchmarks/jobs_as_code.py`.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from _servers import local_workspace

from prefect_databricks.client import DatabricksClient
from prefect_databricks.client.config import WorkspaceConfig
from prefect_databricks.jobs_as_code import cancel_active_runs, ensure_job

_TASKS = 200
_ROUNDS = 7
_ACTIVE = 5
_RUNNING = 4


def _settings(name: str, timeout: int = 0) -> dict[str, Any]:
    check = {"op": "EQUAL_TO", "left": "1", "right": "1"}
    tasks = [
        {
            "task_key": f"t{i}",
            "condition_task": check,
            **({"depends_on": [{"task_key": f"t{i - 1}"}]} if i else {}),
            **({"timeout_seconds": timeout} if timeout else {}),
        }
        for i in range(_TASKS)
    ]
    return {"name": name, "tasks": tasks, "tags": {"team": "data"}}


def _requests(http: httpx.Client) -> int:
    return int(http.get("/local-api/requests").json()["total"])


async def _timed(http: httpx.Client, action: Any) -> tuple[float, int]:
    before = _requests(http)
    start = time.perf_counter()
    await action()
    elapsed = (time.perf_counter() - start) * 1000
    return elapsed, _requests(http) - before


async def _running(client: DatabricksClient, job_id: int) -> list[int]:
    """The job's runs whose task process has started (the local workspace runs 4 at once here)."""
    runs = [run async for run in client.iter_runs(job_id=job_id, active_only=True)]
    return [run["run_id"] for run in runs if run["state"]["life_cycle_state"] == "RUNNING"]


async def main() -> None:
    with tempfile.TemporaryDirectory() as data, local_workspace(Path(data)) as info:
        headers = {"Authorization": f"Bearer {info['token']}"}
        http = httpx.Client(base_url=info["host"], headers=headers, timeout=60)
        client: DatabricksClient = WorkspaceConfig(host=info["host"], token=info["token"]).new_client()
        async with client, httpx.AsyncClient(base_url=info["host"], headers=headers, timeout=60) as raw:
            name = f"bench-{uuid.uuid4().hex[:8]}"
            created = await _timed(http, lambda: ensure_job(client, _settings(name)))
            unchanged = [
                await _timed(http, lambda: ensure_job(client, _settings(name))) for _ in range(_ROUNDS)
            ]

            async def raw_check() -> None:
                jobs = (await raw.get("/api/2.2/jobs/list", params={"name": name})).json()["jobs"]
                page = (await raw.get("/api/2.2/jobs/get", params={"job_id": jobs[0]["job_id"]})).json()
                while page.get("next_page_token"):
                    params = {"job_id": jobs[0]["job_id"], "page_token": page["next_page_token"]}
                    page = (await raw.get("/api/2.2/jobs/get", params=params)).json()

            baseline = [await _timed(http, raw_check) for _ in range(_ROUNDS)]
            updated = [
                await _timed(http, lambda i=i: ensure_job(client, _settings(name, timeout=60 + i)))
                for i in range(_ROUNDS)
            ]
            script = Path(data) / "sleep.py"
            script.write_text("import time\ntime.sleep(120)\n")
            sleepy = {"task_key": "nap", "spark_python_task": {"python_file": str(script)}}
            body = {"name": f"sleepy-{name}", "tasks": [sleepy], "max_concurrent_runs": 10}
            job = await client.call("jobs/create", params=body)
            for _ in range(_ACTIVE):
                await client.call("jobs/run-now", params={"job_id": job["job_id"]})
            while len(await _running(client, int(job["job_id"]))) < _RUNNING:
                await asyncio.sleep(0.2)
            cancel = await _timed(
                http, lambda: cancel_active_runs(client, int(job["job_id"]), poll_seconds=0.5)
            )
        http.close()

    def row(label: str, samples: list[tuple[float, int]]) -> str:
        ms = statistics.median(s[0] for s in samples)
        return f"| {label} | {ms:,.1f} | {samples[0][1]} |"

    print(f"| ensure a {_TASKS}-task job | ms (median of {_ROUNDS}) | requests |")
    print("|---|---|---|")
    print(row("created", [created]))
    print(row("unchanged (nothing sent but the lookup)", unchanged))
    print(row("raw httpx jobs/list + jobs/get, every page", baseline))
    print(row("updated (one task field changed)", updated))
    print(row(f"cancel {_ACTIVE} active runs and wait until they ended", [cancel]))
    ratio = statistics.median(s[0] for s in unchanged) / statistics.median(s[0] for s in baseline)
    print(f"\nunchanged over raw lookup: {ratio:.2f}×")


if __name__ == "__main__":
    asyncio.run(main())
