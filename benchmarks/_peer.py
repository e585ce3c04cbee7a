"""One client's measurements, in the interpreter that has it: `python _peer.py CLIENT MEASURE ARGS_JSON`.

CLIENT is `raw` (httpx), `ours`, `sdk` (databricks-sdk) or `old` (prefect-databricks 0.4.2, in its own
venv); MEASURE is `list`, `get`, `wait1` or `wait200`. Prints one JSON object. Imports only what the
client needs, so the same file runs in the throwaway venv of the old package.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

__all__ = ["ROUNDS", "measure_get", "measure_list", "measure_wait1", "measure_wait200"]

ROUNDS = 3
_TERMINAL = {"TERMINATED", "SKIPPED", "INTERNAL_ERROR"}


def _timed(make: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = make()
    return time.perf_counter() - start, result


def _rounds(make: Callable[[], Any]) -> dict[str, Any]:
    """Median seconds of ROUNDS runs after one warm-up, and what the last run returned."""
    make()
    samples = [_timed(make) for _ in range(ROUNDS)]
    return {"seconds": statistics.median(s for s, _ in samples), "items": samples[-1][1]}


def _raw(args: dict[str, Any]) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {args['token']}"}
    return httpx.AsyncClient(base_url=args["http"], headers=headers, timeout=60)


async def _raw_pages(
    args: dict[str, Any], path: str, params: dict[str, Any], count: Callable[[dict], int]
) -> int:
    total = 0
    async with _raw(args) as client:
        while True:
            page = (await client.get(path, params=params)).raise_for_status().json()
            total += count(page)
            if not page.get("next_page_token"):
                return total
            params = {**params, "page_token": page["next_page_token"]}


def _ours_creds(args: dict[str, Any]) -> Any:
    from prefect_databricks import DatabricksCredentials

    return DatabricksCredentials(databricks_instance=args["http"], token=args["token"])


def _old_creds(args: dict[str, Any]) -> Any:
    from prefect_databricks import DatabricksCredentials

    return DatabricksCredentials(
        databricks_instance=args["https"], token=args["token"], client_kwargs={"verify": False}
    )


def _sdk(args: dict[str, Any]) -> Any:
    from databricks.sdk import WorkspaceClient

    return WorkspaceClient(host=args["http"], token=args["token"], auth_type="pat")


async def _old_list(args: dict[str, Any]) -> int:
    """0.4.2 has no page tokens: its `jobs_runs_list` task over `offset` until `has_more` is false."""
    from prefect_databricks.jobs import jobs_runs_list

    creds, total = _old_creds(args), 0
    while True:
        page = await jobs_runs_list.fn(
            databricks_credentials=creds, job_id=args["runs_job"], limit=25, offset=total
        )
        total += len(page.get("runs") or [])
        if not page.get("has_more") or not page.get("runs"):
            return total


def _runs_in(page: dict[str, Any]) -> int:
    return len(page.get("runs") or [])


def _tasks_in(page: dict[str, Any]) -> int:
    return len(page["settings"].get("tasks") or [])


def measure_list(client: str, args: dict[str, Any]) -> dict[str, Any]:
    job = args["runs_job"]
    if client == "raw":
        params = {"job_id": job, "limit": 25}
        return _rounds(lambda: asyncio.run(_raw_pages(args, "/api/2.2/jobs/runs/list", params, _runs_in)))
    if client == "ours":
        from prefect_databricks.jobs import ajobs_runs_list_all

        return _rounds(
            lambda: len(asyncio.run(ajobs_runs_list_all.fn(_ours_creds(args), job_id=job, limit=25)))
        )
    if client == "sdk":
        return _rounds(lambda: sum(1 for _ in _sdk(args).jobs.list_runs(job_id=job, limit=25)))
    return _rounds(lambda: asyncio.run(_old_list(args)))


def measure_get(client: str, args: dict[str, Any]) -> dict[str, Any]:
    job = args["big_job"]
    if client == "raw":
        return _rounds(lambda: asyncio.run(_raw_pages(args, "/api/2.2/jobs/get", {"job_id": job}, _tasks_in)))
    if client == "ours":
        from prefect_databricks.jobs import ajobs_get

        return _rounds(lambda: len(asyncio.run(ajobs_get.fn(job, _ours_creds(args)))["settings"]["tasks"]))
    if client == "sdk":
        return _rounds(lambda: len(_sdk(args).jobs.get(job).settings.tasks or []))
    return _rounds(lambda: _old_get(args))


def _old_get(args: dict[str, Any]) -> int:
    from prefect_databricks.jobs import jobs_get

    body = asyncio.run(jobs_get.fn(job_id=args["big_job"], databricks_credentials=_old_creds(args)))
    return len(body["settings"].get("tasks") or [])


def _task(args: dict[str, Any], script: str, *params: str) -> dict[str, Any]:
    return {"task_key": "t", "spark_python_task": {"python_file": script, "parameters": list(params)}}


async def _raw_wait(client: httpx.AsyncClient, run_id: int, poll: float) -> dict[str, Any]:
    while True:
        run = (await client.get("/api/2.2/jobs/runs/get", params={"run_id": run_id})).json()
        if run["state"]["life_cycle_state"] in _TERMINAL:
            return run
        await asyncio.sleep(poll)


async def _raw_submit_and_wait(args: dict[str, Any]) -> dict[str, Any]:
    async with _raw(args) as client:
        body = {"run_name": "bench", "tasks": [_task(args, args["trivial"])]}
        run_id = (await client.post("/api/2.2/jobs/runs/submit", json=body)).json()["run_id"]
        return await _raw_wait(client, run_id, 1.0)


async def _flow_submit_and_wait(args: dict[str, Any], old: bool) -> dict[str, Any]:
    from prefect_databricks.flows import jobs_runs_submit_and_wait_for_completion

    creds = _old_creds(args) if old else _ours_creds(args)
    tasks = [_task(args, args["trivial"])]
    _, run = await jobs_runs_submit_and_wait_for_completion(
        creds, tasks, run_name="bench", poll_frequency_seconds=1, return_metadata=True
    )
    return run


def _sdk_submit_and_wait(args: dict[str, Any]) -> dict[str, Any]:
    from databricks.sdk.service.jobs import SparkPythonTask, SubmitTask

    task = SubmitTask(task_key="t", spark_python_task=SparkPythonTask(python_file=args["trivial"]))
    run = _sdk(args).jobs.submit(run_name="bench", tasks=[task]).result()
    return {"start_time": run.start_time, "end_time": run.end_time}


def measure_wait1(client: str, args: dict[str, Any]) -> dict[str, Any]:
    """Submit one trivial run and wait for it: wall time minus the run's own duration (start to end)."""
    one: Callable[[], dict[str, Any]] = {
        "raw": lambda: asyncio.run(_raw_submit_and_wait(args)),
        "ours": lambda: asyncio.run(_flow_submit_and_wait(args, old=False)),
        "old": lambda: asyncio.run(_flow_submit_and_wait(args, old=True)),
        "sdk": lambda: _sdk_submit_and_wait(args),
    }[client]
    one()
    overheads, durations = [], []
    for _ in range(ROUNDS):
        wall, run = _timed(one)
        durations.append((run["end_time"] - run["start_time"]) / 1000)
        overheads.append(wall - durations[-1])
    return {"seconds": statistics.median(overheads), "run_seconds": statistics.median(durations)}


async def _submit_sleepers(args: dict[str, Any], count: int) -> list[int]:
    async with _raw(args) as client:
        limit = asyncio.Semaphore(16)

        async def one(i: int) -> int:
            async with limit:
                body = {"run_name": f"wait-{i}", "tasks": [_task(args, args["sleeper"], str(args["sleep"]))]}
                return int((await client.post("/api/2.2/jobs/runs/submit", json=body)).json()["run_id"])

        run_ids = await asyncio.gather(*(one(i) for i in range(count)))
        (await client.post("/local-api/requests/reset")).raise_for_status()
        return run_ids


async def _raw_waits(args: dict[str, Any], run_ids: list[int]) -> None:
    async with _raw(args) as client:
        await asyncio.gather(*(_raw_wait(client, run_id, 1.0) for run_id in run_ids))


async def _ours_waits(args: dict[str, Any], run_ids: list[int]) -> None:
    """This package's waiting machinery without Prefect: the one shared poller of the workspace."""
    from prefect_databricks.waiting.watcher import watcher_for

    watcher = watcher_for(_ours_creds(args))
    await asyncio.gather(*(watcher.wait(run_id, poll_frequency_seconds=1) for run_id in run_ids))


async def _old_waits(args: dict[str, Any], run_ids: list[int]) -> None:
    from prefect_databricks.flows import jobs_runs_wait_for_completion

    creds = _old_creds(args)
    waits = (jobs_runs_wait_for_completion(run_id, creds, poll_frequency_seconds=1) for run_id in run_ids)
    await asyncio.gather(*waits)


async def _warm_up(args: dict[str, Any]) -> None:
    """Start the Prefect server and warm the old flows: one wait on one short run, untimed."""
    await _old_waits(args, await _submit_sleepers({**args, "sleep": 0}, 1))


def _sdk_waits(args: dict[str, Any], run_ids: list[int]) -> None:
    sdk = _sdk(args)
    with ThreadPoolExecutor(len(run_ids)) as pool:
        list(pool.map(sdk.jobs.wait_get_run_job_terminated_or_skipped, run_ids))


def measure_wait200(client: str, args: dict[str, Any]) -> dict[str, Any]:
    """200 runs of `sleep` seconds submitted at once, then waited on concurrently (one round)."""
    if client == "old":
        asyncio.run(_warm_up(args))
    cycles = _watch_cycles(args) if client == "ours" else 0
    run_ids = asyncio.run(_submit_sleepers(args, args["waits"]))
    waits: dict[str, Callable[[], Awaitable[None] | None]] = {
        "raw": lambda: asyncio.run(_raw_waits(args, run_ids)),
        "ours": lambda: asyncio.run(_ours_waits(args, run_ids)),
        "old": lambda: asyncio.run(asyncio.wait_for(_old_waits(args, run_ids), args["budget"])),
        "sdk": lambda: _sdk_waits(args, run_ids),
    }
    wall, _ = _timed(waits[client])
    counts = httpx.get(
        f"{args['http']}/local-api/requests", headers={"Authorization": f"Bearer {args['token']}"}
    )
    result = {"seconds": wall, "requests": counts.json()["by_endpoint"]}
    if client == "ours":
        result["cycles"] = _watch_cycles(args) - cycles
    return result


def _watch_cycles(args: dict[str, Any]) -> int:
    """Poll cycles completed so far by this process's watcher of the workspace (ours only)."""
    from prefect_databricks.waiting.watcher import watcher_for

    return watcher_for(_ours_creds(args)).stats.cycles


if __name__ == "__main__":
    _client, _measure, _args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    _result = globals()[f"measure_{_measure}"](_client, _args)
    print("\n" + json.dumps(_result))
