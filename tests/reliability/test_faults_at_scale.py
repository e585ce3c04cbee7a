"""Submit-and-wait under a 20 % fault rate: exactly one run per submission, none lost, every output collected.

The faults (429 with Retry-After, 503, dropped connections, and `lost`: acted on but never answered)
hit runs/submit, runs/list, runs/get and runs/get-output. The 200 waits go through the same code
the waiting flows use (client submit with its idempotency token, the shared watcher via
`follow_run`, `attach_outputs`) concurrently in one event loop: 200 separate Prefect flow runs
cost ~1 s each here, too slow for CI, so a smaller batch of real flow runs covers the flow layer.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from reliability_helpers import echo_task, snapshot

from prefect_databricks import DatabricksCredentials
from prefect_databricks.local import LocalWorkspace
from prefect_databricks.waiting.follow import follow_run
from prefect_databricks.waiting.outputs import attach_outputs, notebook_outputs

WAITS = 200
FLOWS = 12
FAULTS = (
    "429=0.06,503=0.05,drop=0.04,lost=0.05,seed=11,retry_after=1,"
    "only=jobs/runs/submit|jobs/runs/list|jobs/runs/get|jobs/runs/get-output"
)


async def _submit_and_wait(creds: DatabricksCredentials, notebook: Path, i: int) -> dict[str, Any]:
    client = creds.get_jobs_client()
    body = {"run_name": f"rel-{i}", "tasks": [echo_task("t", notebook, i)]}
    run_id = (await client.call("jobs/runs/submit", params=body))["run_id"]
    run = await follow_run(creds, run_id, poll_frequency_seconds=1)
    return await attach_outputs(client, run)


def _faults(http: httpx.Client, spec: str | None) -> None:
    http.post("/local-api/faults", json={"spec": spec}).raise_for_status()


def _assert_one_run_each(http: httpx.Client, prefix: str, count: int, run_ids: list[int]) -> None:
    runs = [r for r in snapshot(http)["runs"].values() if r["run_name"].startswith(prefix)]
    names = Counter(r["run_name"] for r in runs)
    duplicated = {name: n for name, n in names.items() if n > 1}
    assert not duplicated, f"duplicated runs: {duplicated}"
    assert len(runs) == count, f"{len(runs)} runs exist for {count} submissions"
    assert sorted(r["run_id"] for r in runs) == sorted(run_ids)
    assert {r["state"].get("result_state") for r in runs} == {"SUCCESS"}


async def test_200_waits_under_20_percent_faults(
    fresh_workspace: LocalWorkspace, sources: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    creds = fresh_workspace.credentials()
    headers = {"Authorization": f"Bearer {fresh_workspace.token}"}
    with httpx.Client(base_url=fresh_workspace.host, headers=headers, timeout=30) as http:
        _faults(http, FAULTS)
        started = time.perf_counter()
        try:
            runs = await asyncio.gather(
                *(_submit_and_wait(creds, sources / "echo.py", i) for i in range(WAITS))
            )
        finally:
            _faults(http, None)
        wall = time.perf_counter() - started
        counts = http.get("/local-api/requests").json()["by_endpoint"]
        for i, run in enumerate(runs):
            assert notebook_outputs(run)["t"].get("result") == f"out-{i}", run.get("tasks")
        _assert_one_run_each(http, "rel-", WAITS, [run["run_id"] for run in runs])
    assert counts["jobs/runs/submit"] > WAITS, "the fault switch never hit runs/submit"
    with capsys.disabled():
        print(f"\n{WAITS} submit-and-wait under 20 % faults: {wall:.1f} s wall; requests {counts}")


@pytest.mark.usefixtures("prefect_harness")
async def test_flow_runs_under_20_percent_faults(fresh_workspace: LocalWorkspace, sources: Path) -> None:
    """Real Prefect flow runs (ids derived from the flow run), concurrently, through the same faults."""
    from prefect_databricks.flows import jobs_runs_submit_and_wait_for_completion

    creds = fresh_workspace.credentials()
    headers = {"Authorization": f"Bearer {fresh_workspace.token}"}
    with httpx.Client(base_url=fresh_workspace.host, headers=headers, timeout=30) as http:
        _faults(http, FAULTS)
        try:
            results = await asyncio.gather(
                *(
                    jobs_runs_submit_and_wait_for_completion(
                        creds,
                        [echo_task("t", sources / "echo.py", i)],
                        run_name=f"flow-{i}",
                        poll_frequency_seconds=1,
                        return_metadata=True,
                    )
                    for i in range(FLOWS)
                )
            )
        finally:
            _faults(http, None)
        for i, (outputs, _) in enumerate(results):
            assert outputs["t"].get("result") == f"out-{i}", outputs
        _assert_one_run_each(http, "flow-", FLOWS, [run["run_id"] for _, run in results])
