"""Run events: names from the API's run states, resource ids, ids stable per change, and the watcher's emits.

The states are the generated enums of the Jobs API 2.2 spec (`RunLifeCycleState`, `RunLifecycleStateV2State`,
`RunResultState`); what each result means is the API reference's (`RunResultState`: SUCCESS, FAILED, TIMEDOUT,
CANCELED, MAXIMUM_CONCURRENT_RUNS_REACHED, ...). The flow test reads the events from a real Prefect server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from flow_helpers import eventually, py_task
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.events.filters import EventFilter, EventResourceFilter

from prefect_databricks import DatabricksCredentials
from prefect_databricks.flows import wait_for_run
from prefect_databricks.models import RunLifeCycleState, RunLifecycleStateV2State, RunResultState
from prefect_databricks.waiting.events import (
    ACTIVE_EVENTS,
    event_id,
    event_name,
    job_resource_id,
    run_event,
    run_resource_id,
)

_TERMINAL = {"TERMINATED", "SKIPPED", "INTERNAL_ERROR"}


@pytest.mark.parametrize("state", [s.value for s in (*RunLifeCycleState, *RunLifecycleStateV2State)])
def test_every_life_cycle_state_of_the_spec_has_an_event(state: str) -> None:
    name = event_name({"state": {"life_cycle_state": state}} if state in RunLifeCycleState.__members__
                      else {"status": {"state": state}})
    assert name is not None and name.startswith("databricks.run.")
    if state not in _TERMINAL:
        assert name == "databricks.run." + ACTIVE_EVENTS.get(state, state.lower().replace("_", "-"))


def test_running_is_started_and_each_result_state_names_how_the_run_ended() -> None:
    """SUCCESS_WITH_FAILURES counts as success, as in the waiting flows; the payload keeps the result."""
    assert event_name({"state": {"life_cycle_state": "RUNNING"}}) == "databricks.run.started"
    ended = {
        result.value: event_name({"state": {"life_cycle_state": "TERMINATED", "result_state": result.value}})
        for result in RunResultState
    }
    assert ended["SUCCESS"] == ended["SUCCESS_WITH_FAILURES"] == "databricks.run.succeeded"
    assert ended["FAILED"] == ended["UPSTREAM_FAILED"] == "databricks.run.failed"
    assert ended["CANCELED"] == "databricks.run.canceled"
    assert ended["TIMEDOUT"] == "databricks.run.timed-out"
    assert ended["MAXIMUM_CONCURRENT_RUNS_REACHED"] == "databricks.run.skipped"
    assert set(ended.values()) <= {f"databricks.run.{n}" for n in
                                   ("succeeded", "failed", "canceled", "timed-out", "skipped")}
    assert event_name({"state": {"life_cycle_state": "INTERNAL_ERROR"}}) == "databricks.run.failed"


def test_ids_name_the_workspace_and_one_change_has_one_id() -> None:
    run = {"run_id": 7, "job_id": 3, "run_name": "n", "state": {"life_cycle_state": "RUNNING"}}
    a, b = "https://adb-1.azuredatabricks.net", "https://dbc-2.cloud.databricks.com"
    assert run_resource_id(a, 7) == "databricks.run.adb-1.azuredatabricks.net.7"
    assert job_resource_id(b, 3) == "databricks.job.dbc-2.cloud.databricks.com.3"
    assert event_id(a, run, "databricks.run.started") == event_id(a, dict(run), "databricks.run.started")
    assert event_id(a, run, "databricks.run.started") != event_id(b, run, "databricks.run.started")
    repaired = {**run, "repair_history": [{"type": "ORIGINAL", "id": 7}, {"type": "REPAIR", "id": 11}]}
    assert event_id(a, repaired, "databricks.run.started") != event_id(a, run, "databricks.run.started")
    fields = run_event(a, run)
    assert fields is not None and fields["related"][0]["prefect.resource.role"] == "job"


async def _events_of(resource_id: str) -> list[Any]:
    async with get_client() as client:
        page = await client.read_events(EventFilter(resource=EventResourceFilter(id=[resource_id])), limit=50)
    return list(page.events)


@pytest.mark.usefixtures("prefect_harness")
async def test_a_waiting_flow_emits_each_change_once_with_its_flow_run_related(
    creds: DatabricksCredentials, scripts: Path
) -> None:
    """The shared watcher's hook: the events reach the Prefect server, related to the waiting flow's run."""
    name = f"events-{uuid.uuid4().hex[:8]}"
    client = creds.get_jobs_client()
    body = {"run_name": name, "tasks": [py_task("t", scripts / "ok.py", 1)]}
    run_id = (await client.call("jobs/runs/submit", params=body))["run_id"]

    @flow(name=name)
    async def waits() -> None:
        await wait_for_run(creds, run_id, poll_frequency_seconds=1)
        await wait_for_run(creds, run_id, poll_frequency_seconds=1)  # the same end again: no second event

    await waits()
    resource = run_resource_id(creds.host, run_id)

    async def ended() -> list[Any]:
        events = await _events_of(resource)
        return events if any(e.event == "databricks.run.succeeded" for e in events) else []

    events = await eventually(ended, "the succeeded event on the Prefect server")
    names = [e.event for e in events]
    assert names.count("databricks.run.succeeded") == 1, names
    done = next(e for e in events if e.event == "databricks.run.succeeded")
    assert done.payload["run_id"] == run_id and done.payload["result_state"] == "SUCCESS"
    assert done.payload["run_page_url"] and done.payload["end_time"] >= done.payload["start_time"]
    roles = {r.role for r in done.related}
    assert {"job", "flow-run"} <= roles, roles
    assert creds.token is not None
    assert creds.token.get_secret_value() not in json.dumps([e.model_dump(mode="json") for e in events])


def test_with_no_prefect_to_listen_nothing_is_sent_and_no_server_is_started(tmp_path: Path) -> None:
    """Outside a flow and with no PREFECT_API_URL, Prefect would start a temporary server for the event."""
    code = (
        "import time; from prefect_databricks.waiting.events import RunEvents; t = time.monotonic();"
        "sent = RunEvents('https://h').observe({'run_id': 1, 'state': {'life_cycle_state': 'RUNNING'}});"
        "print(sent, round(time.monotonic() - t, 1))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    done = subprocess.run([sys.executable, "-c", code], env={**env, "PREFECT_HOME": str(tmp_path)},
                          capture_output=True, text=True, timeout=60)
    sent, seconds = done.stdout.split()
    assert sent == "None" and float(seconds) < 5, done.stderr
