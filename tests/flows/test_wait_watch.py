"""The shared poller against the real local workspace, measured with the workspace's own request counter."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import httpx
from flow_helpers import py_task, request_counts, reset_request_counts, set_faults

from prefect_databricks import DatabricksCredentials
from prefect_databricks.waiting.outcome import Outcome, classify
from prefect_databricks.waiting.watcher import RunWatcher, watcher_for


async def _submit(creds: DatabricksCredentials, *tasks: dict) -> int:
    response = await creds.get_jobs_client().call(
        "jobs/runs/submit", params={"run_name": "w", "tasks": list(tasks)}
    )
    return int(response["run_id"])


async def test_watcher_follows_a_run_to_its_end(creds: DatabricksCredentials, scripts: Path) -> None:
    watcher = RunWatcher(creds.get_jobs_client, initial_interval=0.3)
    run_id = await _submit(creds, py_task("a", scripts / "ok.py", 0.5))
    states = [run async for run in watcher.updates(run_id, poll_frequency_seconds=1)]
    final = states[-1]
    assert classify(final) is Outcome.SUCCESS, final.get("state")
    assert final["run_id"] == run_id
    assert final["tasks"][0]["task_key"] == "a"
    assert watcher.watched == 0 or await asyncio.sleep(0.1) is None


async def test_one_watcher_per_workspace(creds: DatabricksCredentials, workspace) -> None:
    assert watcher_for(creds) is watcher_for(workspace.credentials())


async def test_hundred_concurrent_waits_cost_a_batch_per_cycle(
    creds: DatabricksCredentials, scripts: Path, http: httpx.Client
) -> None:
    """100 runs waited at once: list pages of 25, plus one runs/get per finished run. Each run sleeps
    0.5 s, so that the 100 end over several poll cycles (with instant tasks the workspace ends them all
    within one cycle, where one batch cannot beat one runs/get a run)."""
    watcher = RunWatcher(creds.get_jobs_client, initial_interval=0.5)
    task = py_task("t", scripts / "ok.py", 0.5)
    run_ids = await asyncio.gather(*(_submit(creds, task) for _ in range(100)))
    reset_request_counts(http)
    finals = await asyncio.wait_for(
        asyncio.gather(*(watcher.wait(run_id, poll_frequency_seconds=2) for run_id in run_ids)), 180
    )
    counts = request_counts(http)
    assert all(classify(run) is Outcome.SUCCESS for run in finals)
    cycles = watcher.stats.cycles
    lists, gets = counts.get("jobs/runs/list", 0), counts.get("jobs/runs/get", 0)
    print(f"cycles={cycles} runs/list={lists} runs/get={gets} per cycle={(lists + gets) / cycles:.1f}")
    assert lists <= cycles * (math.ceil(100 / 25) + 1)
    assert gets <= 100 + watcher.stats.cycles  # one per finished run, plus the truncated-list budget
    assert cycles >= 2 and lists + gets < cycles * 100, "no better than polling each run every cycle"
    assert (lists + gets) == watcher.stats.requests


async def test_waits_survive_the_fault_switch(
    creds: DatabricksCredentials, scripts: Path, http: httpx.Client
) -> None:
    """20 % of requests answered 429/503 or dropped: the client retries, the waits never fail."""
    run_ids = await asyncio.gather(*(_submit(creds, py_task("t", scripts / "ok.py", 0.2)) for _ in range(5)))
    watcher = RunWatcher(creds.get_jobs_client, initial_interval=0.3)
    set_faults(http, "429=0.08,503=0.07,drop=0.05,seed=11,retry_after=0")
    try:
        finals = await asyncio.wait_for(
            asyncio.gather(*(watcher.wait(run_id, poll_frequency_seconds=1) for run_id in run_ids)), 120
        )
    finally:
        set_faults(http, None)
    assert [classify(run) for run in finals] == [Outcome.SUCCESS] * 5


async def test_unknown_run_fails_its_wait(creds: DatabricksCredentials) -> None:
    """A run id that does not exist is an error for its waiter, not an endless wait."""
    watcher = RunWatcher(creds.get_jobs_client, initial_interval=0.2)
    try:
        await asyncio.wait_for(watcher.wait(1234567, poll_frequency_seconds=1), 30)
    except Exception as exc:
        assert "1234567" in str(exc)
    else:
        raise AssertionError("waiting on an unknown run returned")
