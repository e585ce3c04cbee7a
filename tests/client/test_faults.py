"""Retries against the local workspace's fault switch: 429 with Retry-After, 503, dropped and lost
connections, latency; submits under faults never create a second run."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from client_helpers import CountingTransport

from prefect_databricks.client import (
    DatabricksClient,
    PatAuth,
    RequestLimitExceeded,
    RetryPolicy,
    TransportError,
)
from prefect_databricks.client import transport as transport_module
from prefect_databricks.local import LocalWorkspace

SPEC = "429=0.2,503=0.1,drop=0.05,lost=0.05,latency=0.1:50,seed=7,retry_after=1"
PATIENT = RetryPolicy(attempts=30, timeout=120, wait_initial=0, wait_max=0, wait_jitter=0)


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalWorkspace]:
    """A workspace of its own, started with faults on submit and runs/get."""
    spec = f"{SPEC},only=jobs/runs/submit|jobs/runs/get"
    with LocalWorkspace(Path(tmp_path_factory.mktemp("faulty")), faults=spec) as ws:
        yield ws


@pytest.fixture
def counting() -> CountingTransport:
    return CountingTransport()


@pytest.fixture
async def client(faulty: LocalWorkspace, counting: CountingTransport) -> AsyncIterator[DatabricksClient]:
    async with DatabricksClient(faulty.host, PatAuth(faulty.token), retry=PATIENT, transport=counting) as c:
        yield c


def _set_faults(ws: LocalWorkspace, spec: str | None) -> None:
    headers = {"Authorization": f"Bearer {ws.token}"}
    response = httpx.post(f"{ws.host}/local-api/faults", json={"spec": spec}, headers=headers)
    response.raise_for_status()


def _condition_task() -> dict[str, object]:
    return {"task_key": "c", "condition_task": {"op": "EQUAL_TO", "left": "1", "right": "1"}}


async def test_submits_under_faults_create_each_run_exactly_once(
    faulty: LocalWorkspace, client: DatabricksClient, counting: CountingTransport, no_sleep: None
) -> None:
    names = [f"fault-{uuid.uuid4().hex[:8]}" for _ in range(20)]
    run_ids = []
    for name in names:
        run_ids.append(
            (await client.call("jobs/runs/submit", params={"run_name": name, "tasks": [_condition_task()]}))[
                "run_id"
            ]
        )
        assert (await client.get_run(run_ids[-1]))["run_id"] == run_ids[-1]
    _set_faults(faulty, None)
    try:
        runs = [run async for run in client.iter_runs()]
    finally:
        _set_faults(faulty, f"{SPEC},only=jobs/runs/submit|jobs/runs/get")
    submits = [path for path in counting.paths if path.endswith("/jobs/runs/submit")]
    assert len(submits) > len(names), "the fault switch injected no failure into runs/submit"
    ours = [run for run in runs if run.get("run_name") in names]
    assert sorted(run["run_id"] for run in ours) == sorted(run_ids)
    assert len({run["run_name"] for run in ours}) == 20


async def test_a_lost_answer_to_create_is_not_retried(
    faulty: LocalWorkspace, client: DatabricksClient
) -> None:
    """The server acted, then dropped the connection: retrying create would make a second job."""
    name = f"lost-{uuid.uuid4().hex[:8]}"
    _set_faults(faulty, "lost=1,only=jobs/create")
    try:
        with pytest.raises(TransportError, match="POST jobs/create: no answer after 1 attempt"):
            await client.call("jobs/create", params={"name": name})
    finally:
        _set_faults(faulty, None)
    assert len([job async for job in client.iter_jobs(name=name)]) == 1


async def test_dropped_and_throttled_reads_are_retried(
    faulty: LocalWorkspace, client: DatabricksClient, counting: CountingTransport, no_sleep: None
) -> None:
    _set_faults(faulty, "drop=0.3,429=0.2,503=0.2,seed=3,only=jobs/list")
    try:
        for _ in range(10):
            assert isinstance(await client.call("jobs/list"), dict)
    finally:
        _set_faults(faulty, None)
    assert len(counting.paths) > 10, "the fault switch injected no failure into jobs/list"


async def test_the_servers_retry_after_is_honoured(
    faulty: LocalWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(transport_module, "_sleep", record)
    _set_faults(faulty, "429=1,retry_after=2,only=jobs/list")
    try:
        async with DatabricksClient(
            faulty.host, PatAuth(faulty.token), retry=RetryPolicy(attempts=3, wait_jitter=0)
        ) as client:
            with pytest.raises(RequestLimitExceeded) as info:
                await client.call("jobs/list")
    finally:
        _set_faults(faulty, None)
    assert waits == [2.0, 2.0]
    assert info.value.status == 429
