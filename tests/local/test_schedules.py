"""Scheduled jobs over real HTTP: seconds-level Quartz crons fire PERIODIC runs, pausing stops them,
bad schedules are 400s naming the field, other triggers are stored only.

Nothing is mocked: the session's workspace runs its scheduler loop; the project's client and the
official databricks-sdk are the callers.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.service import jobs
from runs_helpers import create_job, py_task, script, unique, wait_run

from prefect_databricks.client import DatabricksClient
from prefect_databricks.local import LocalWorkspace
from prefect_databricks.local.engine.timetable import MIN_INTERVAL_MS, REFRESH_MS, Timetable
from prefect_databricks.local.server import open_workspace

EVERY_SECOND = "* * * * * ?"


async def _periodic_runs(client: DatabricksClient, job_id: int) -> list[dict[str, Any]]:
    return [run async for run in client.iter_runs(job_id=job_id) if run["trigger"] == "PERIODIC"]


async def _until(
    client: DatabricksClient, job_id: int, count: int, timeout: float = 5
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    runs = await _periodic_runs(client, job_id)
    while len(runs) < count:
        assert time.monotonic() < deadline, f"only {len(runs)} scheduled runs of job {job_id}"
        await asyncio.sleep(0.1)
        runs = await _periodic_runs(client, job_id)
    return runs


async def test_seconds_level_schedule_fires_on_time_until_paused(
    workspace: LocalWorkspace, http: httpx.Client, tmp_path: Path
) -> None:
    client = workspace.credentials().get_jobs_client()
    schedule = {"quartz_cron_expression": EVERY_SECOND, "timezone_id": "Europe/Paris"}
    body = {"name": unique("scheduled"), "schedule": schedule,
            "tasks": [py_task("tick", script(tmp_path, "print('tick')\n"))]}
    job_id = (await client.call("jobs/create", params=body))["job_id"]
    runs = await _until(client, job_id, 1)
    first = wait_run(http, runs[-1]["run_id"])
    assert first["state"]["result_state"] == "SUCCESS" and first["run_type"] == "JOB_RUN"
    assert first["start_time"] % 1000 < 700, "a run starts soon after its fire time (whole seconds)"
    await asyncio.sleep(2.5)
    assert len(await _periodic_runs(client, job_id)) == 1, "scheduled runs start at least 10 s apart"
    paused = {**schedule, "pause_status": "PAUSED"}
    await client.call("jobs/update", params={"job_id": job_id, "new_settings": {"schedule": paused}})
    await asyncio.sleep(0.4)  # a refresh of the timetable
    count = len(await _periodic_runs(client, job_id))
    await asyncio.sleep(1.5)
    assert len(await _periodic_runs(client, job_id)) == count
    job = await client.get_job(job_id)
    assert job["settings"]["schedule"]["pause_status"] == "PAUSED"


def test_the_sdk_creates_a_schedule_that_fires_and_a_deleted_job_stops(
    workspace: LocalWorkspace, http: httpx.Client
) -> None:
    sdk = WorkspaceClient(host=workspace.host, token=workspace.token)
    task = jobs.Task(task_key="c", condition_task=jobs.ConditionTask(
        op=jobs.ConditionTaskOp.EQUAL_TO, left="1", right="1"))
    schedule = jobs.CronSchedule(quartz_cron_expression="*/1 * * * * ? *", timezone_id="UTC",
                                 pause_status=jobs.PauseStatus.UNPAUSED)
    job_id = sdk.jobs.create(name=unique("sdk-scheduled"), tasks=[task], schedule=schedule).job_id
    deadline = time.monotonic() + 5
    while not (runs := list(sdk.jobs.list_runs(job_id=job_id))):
        assert time.monotonic() < deadline, "the schedule never fired"
        time.sleep(0.1)
    assert runs[0].trigger == jobs.TriggerType.PERIODIC
    wait_run(http, runs[0].run_id)
    assert sdk.jobs.get_run(runs[0].run_id).state.result_state == jobs.RunResultState.SUCCESS
    assert sdk.jobs.get(job_id).settings.schedule.quartz_cron_expression == "*/1 * * * * ? *"
    sdk.jobs.delete(job_id)
    time.sleep(0.4)
    count = len(list(sdk.jobs.list_runs(job_id=job_id)))
    time.sleep(1.2)
    assert len(list(sdk.jobs.list_runs(job_id=job_id))) == count


def test_fire_times_missed_while_stopped_are_not_back_filled(tmp_path: Path) -> None:
    tasks = [{"task_key": "c", "condition_task": {"op": "EQUAL_TO", "left": "1", "right": "1"}}]
    schedule = {"quartz_cron_expression": EVERY_SECOND, "timezone_id": "UTC"}
    with LocalWorkspace(tmp_path / "ws") as ws, httpx.Client(
            base_url=ws.host, headers={"Authorization": f"Bearer {ws.token}"}) as http:
        job_id = create_job(http, tasks, schedule=schedule)
    time.sleep(2.2)
    with LocalWorkspace(tmp_path / "ws") as ws, httpx.Client(
            base_url=ws.host, headers={"Authorization": f"Bearer {ws.token}"}) as http:
        restarted = ws.workspace.now_ms()
        time.sleep(1.3)
        runs = http.get("/api/2.2/jobs/runs/list", params={"job_id": job_id}).json().get("runs", [])
    late = [r["start_time"] for r in runs if r["start_time"] >= restarted]
    assert 1 <= len(late) <= 2 and len(runs) - len(late) <= 1, [r["start_time"] - restarted for r in runs]


def test_a_paused_schedule_never_fires(http: httpx.Client, tmp_path: Path) -> None:
    schedule = {"quartz_cron_expression": EVERY_SECOND, "timezone_id": "UTC", "pause_status": "PAUSED"}
    job_id = create_job(http, [py_task("t", script(tmp_path, "pass\n"))], schedule=schedule)
    time.sleep(1.5)
    assert http.get("/api/2.2/jobs/runs/list", params={"job_id": job_id}).json().get("runs", []) == []


@pytest.mark.parametrize(("schedule", "field", "rule"), [
    ({"quartz_cron_expression": "0 0 12 * * MON", "timezone_id": "UTC"}, "schedule.quartz_cron_expression",
     "exactly one of day-of-month and day-of-week must be '?'"),
    ({"quartz_cron_expression": "0 0 12 ? * 6#6", "timezone_id": "UTC"}, "schedule.quartz_cron_expression",
     "day-of-week value 6 is outside 1-5"),
    ({"quartz_cron_expression": "0 0 25 * * ?", "timezone_id": "UTC"}, "schedule.quartz_cron_expression",
     "hours value 25"),
    ({"quartz_cron_expression": "0 0 12 * * ?", "timezone_id": "Europe/Atlantis"}, "schedule.timezone_id",
     "unknown time zone 'Europe/Atlantis'"),
])
def test_bad_schedules_are_refused_on_create_reset_and_update(
    http: httpx.Client, schedule: dict[str, Any], field: str, rule: str
) -> None:
    tasks = [{"task_key": "c", "condition_task": {"op": "EQUAL_TO", "left": "1", "right": "1"}}]
    job_id = create_job(http, tasks)
    attempts = [
        ("create", {"name": unique("bad"), "tasks": tasks, "schedule": schedule}),
        ("reset", {"job_id": job_id, "new_settings": {"name": "x", "tasks": tasks, "schedule": schedule}}),
        ("update", {"job_id": job_id, "new_settings": {"schedule": schedule}}),
    ]
    for name, body in attempts:
        response = http.post(f"/api/2.2/jobs/{name}", json=body)
        assert response.status_code == 400, (name, response.text)
        assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        assert field in response.json()["message"] and rule in response.json()["message"], name


def test_other_triggers_are_refused_unless_paused(http: httpx.Client) -> None:
    """A trigger the scheduler cannot fire is refused while unpaused (it would silently never start a
    run); paused, it is stored and starts nothing, as on Databricks. [I]"""
    tasks = [{"task_key": "c", "condition_task": {"op": "EQUAL_TO", "left": "1", "right": "1"}}]
    unpaused = {"pause_status": "UNPAUSED", "file_arrival": {"url": "/Volumes/main/landing/in/"}}
    body = {"name": unique("fa"), "tasks": tasks, "trigger": unpaused}
    refused = http.post("/api/2.2/jobs/create", json=body)
    assert refused.status_code == 400 and refused.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "trigger.file_arrival: the local workspace cannot start runs from file arrival triggers" in (
        refused.json()["message"])
    trigger = {**unpaused, "pause_status": "PAUSED"}
    with_trigger = create_job(http, tasks, trigger=trigger)
    bad = http.post("/api/2.2/jobs/create", json={"name": unique("bad"), "tasks": tasks,
                                                  "trigger": {"periodic": {"interval": 0, "unit": "HOURS"}}})
    assert bad.status_code == 400 and "trigger.periodic.interval" in bad.json()["message"]
    time.sleep(0.6)
    assert http.get("/api/2.2/jobs/runs/list", params={"job_id": with_trigger}).json().get("runs", []) == []
    settings = http.get("/api/2.2/jobs/get", params={"job_id": with_trigger}).json()["settings"]
    assert settings["trigger"] == trigger


def test_a_continuous_job_always_has_one_active_run_until_paused(
    workspace: LocalWorkspace, tmp_path: Path
) -> None:
    """Databricks: a continuous job "ensures there is always one active run"; a new run starts when the
    last ends; PAUSED stops it (jobs docs, "Run jobs continuously"). Checked through the official SDK."""
    sdk = WorkspaceClient(host=workspace.host, token=workspace.token)
    quick = script(tmp_path, "import time\ntime.sleep(0.7)\n")
    task = jobs.Task(task_key="c", spark_python_task=jobs.SparkPythonTask(python_file=quick))
    unpaused = jobs.Continuous(pause_status=jobs.PauseStatus.UNPAUSED)
    job_id = sdk.jobs.create(name=unique("continuous"), tasks=[task], continuous=unpaused).job_id
    deadline, seen = time.monotonic() + 30, []
    time.sleep(0.6)  # the first check
    while time.monotonic() < deadline:
        active = list(sdk.jobs.list_runs(job_id=job_id, active_only=True))
        assert len(active) <= 1, [r.run_id for r in active]
        seen.append(len(active))
        time.sleep(0.25)
    every = list(sdk.jobs.list_runs(job_id=job_id))
    assert len(every) >= 10 and {r.trigger for r in every} == {jobs.TriggerType.CONTINUOUS}
    print(f"checks={len(seen)} without an active run={seen.count(0)}")
    assert seen.count(0) <= len(seen) // 6, "a new run follows as soon as the last one ends"
    paused = jobs.Continuous(pause_status=jobs.PauseStatus.PAUSED)
    sdk.jobs.update(job_id, new_settings=jobs.JobSettings(continuous=paused))
    time.sleep(5)
    assert list(sdk.jobs.list_runs(job_id=job_id, active_only=True)) == []
    count = len(list(sdk.jobs.list_runs(job_id=job_id)))
    time.sleep(1)
    assert len(list(sdk.jobs.list_runs(job_id=job_id))) == count


def test_a_schedule_never_starts_runs_closer_than_ten_seconds(tmp_path: Path) -> None:
    """Databricks: "a minimum interval of 10 seconds between subsequent runs triggered by the schedule of a
    job regardless of the seconds configuration in the cron expression" (jobs scheduling docs)."""
    ws = open_workspace(tmp_path / "ws")
    tasks = [{"task_key": "c", "condition_task": {"op": "EQUAL_TO", "left": "1", "right": "1"}}]
    schedule = {"quartz_cron_expression": EVERY_SECOND, "timezone_id": "UTC"}
    settings = {"name": "s", "tasks": tasks, "max_concurrent_runs": 50, "schedule": schedule}
    job = {"job_id": 8, "created_time": 0, "settings": settings}
    ws.store.put_job(job)
    table, start = Timetable(ws), 1_700_000_000_000
    fired = [now for now in range(start, start + 41_000, 100) if table.fire(now)]
    assert len(fired) == 4 and all(b - a >= MIN_INTERVAL_MS for a, b in itertools.pairwise(fired))
    ws.store.close()


def test_timetable_fires_on_the_due_tick_and_rereads_pauses_and_deletes(tmp_path: Path) -> None:
    """The Timetable against a store (no server): `now` is passed in, so nothing sleeps."""
    ws = open_workspace(tmp_path / "ws")
    tasks = [{"task_key": "c", "condition_task": {"op": "EQUAL_TO", "left": "1", "right": "1"}}]
    schedule = {"quartz_cron_expression": "*/10 * * * * ?", "timezone_id": "UTC"}
    job = {"job_id": 7, "created_time": 0, "settings": {"name": "s", "tasks": tasks, "schedule": schedule,
                                                         "max_concurrent_runs": 5}}
    ws.store.put_job(job)
    table, start = Timetable(ws), 1_700_000_003_000  # 3 s past a multiple of 10 s
    assert table.fire(start) == []
    assert table.fire(start + 6_999) == []
    [run_id] = table.fire(start + 7_000)
    run = ws.store.get_run(run_id)
    assert run is not None and run["trigger"] == "PERIODIC" and run["job_id"] == 7
    assert table.fire(start + 16_900) == []  # the last read before the pause
    job["settings"]["schedule"] = {**schedule, "pause_status": "PAUSED"}
    ws.store.put_job(job)
    assert table.fire(start + 17_000) == [], "a pause since the last read is honoured at fire time"
    job["settings"]["schedule"] = schedule
    ws.store.put_job(job)
    assert table.fire(start + 17_100 + REFRESH_MS) == []
    assert len(table.fire(start + 27_000)) == 1
    ws.store.delete_job(7)
    assert table.fire(start + 37_000) == []
    ws.store.close()
