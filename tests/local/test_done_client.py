"""Issue 4's "done when" list driven through this project's own async client (`DatabricksClient`).

Nothing is mocked: the client talks HTTP to the session's local workspace, which runs every task
as a real local process (condition and for-each tasks are evaluated by its scheduler).
"""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from done_jobs import (
    DAG_RESULTS,
    FAIL,
    NOTEBOOK,
    OK,
    assert_dead,
    condition_tasks,
    dag_tasks,
    fails_once,
    for_each_task,
    pid_sleeper,
    read_pid,
    reference_task,
    results,
    wheel,
)
from runs_helpers import py_task, script, unique

from prefect_databricks.client import DatabricksClient
from prefect_databricks.local import LocalWorkspace

TERMINAL = ("TERMINATED", "SKIPPED", "INTERNAL_ERROR")


@pytest.fixture
def client(workspace: LocalWorkspace) -> DatabricksClient:
    """The pooled client of the workspace's credentials for the session's event loop."""
    return workspace.credentials().get_jobs_client()


async def _job(client: DatabricksClient, tasks: list[dict[str, Any]], **settings: Any) -> int:
    body = {"name": unique("client"), "tasks": tasks, **settings}
    return int((await client.call("jobs/create", params=body))["job_id"])


async def _run(client: DatabricksClient, job_id: int, **body: Any) -> int:
    return int((await client.call("jobs/run-now", params={"job_id": job_id, **body}))["run_id"])


async def _wait(
    client: DatabricksClient, run_id: int, states: tuple[str, ...] = TERMINAL, timeout: float = 30,
    **params: Any,
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        run = await client.get_run(run_id, **params)
        if run["state"]["life_cycle_state"] in states:
            return run
        assert time.monotonic() < deadline, f"run {run_id} stuck in {run['state']}"
        await asyncio.sleep(0.05)


async def _output(client: DatabricksClient, task_run_id: int) -> dict[str, Any]:
    return await client.call("jobs/runs/get-output", params={"run_id": task_run_id})


def _task_run(run: dict[str, Any], key: str, attempt: int = -1) -> dict[str, Any]:
    return [t for t in run["tasks"] if t["task_key"] == key][attempt]


async def test_dag_with_a_failing_task_and_each_run_if(client: DatabricksClient, tmp_path: Path) -> None:
    run = await _wait(client, await _run(client, await _job(client, dag_tasks(tmp_path))))
    assert results(run) == DAG_RESULTS
    assert (run["state"]["life_cycle_state"], run["state"]["result_state"]) == ("INTERNAL_ERROR", "FAILED")
    assert run["status"]["termination_details"]["code"] == "RUN_EXECUTION_ERROR"
    output = await _output(client, _task_run(run, "bad")["run_id"])
    assert output["error"] == "RuntimeError: intentional failure" and "Traceback" in output["error_trace"]


async def test_condition_branch(client: DatabricksClient, tmp_path: Path) -> None:
    job_id = await _job(client, condition_tasks(tmp_path), parameters=[{"name": "n", "default": "5"}])
    small = await _wait(client, await _run(client, job_id))
    big = await _wait(client, await _run(client, job_id, job_parameters={"n": "42"}))
    assert results(small) == {"check": "SUCCESS", "big": "EXCLUDED", "small": "SUCCESS"}
    assert results(big) == {"check": "SUCCESS", "big": "SUCCESS", "small": "EXCLUDED"}
    assert big["tasks"][0]["condition_task"]["outcome"] == "true"


async def test_for_each_over_150_inputs_pages_its_iterations(client: DatabricksClient) -> None:
    submitted = await client.call("jobs/runs/submit", params={"tasks": [for_each_task(150)]})
    run = await _wait(client, submitted["run_id"])
    assert run["state"]["result_state"] == "SUCCESS", run["tasks"][0]["state"]
    loop_id = run["tasks"][0]["run_id"]
    first_page = await client.call("jobs/runs/get", params={"run_id": loop_id})
    assert len(first_page["iterations"]) == 100 and first_page["next_page_token"]
    merged = await client.get_run(loop_id)
    assert len(merged["iterations"]) == 150 and "next_page_token" not in merged
    assert len({i["run_id"] for i in merged["iterations"]}) == 150
    assert all(i["state"]["result_state"] == "SUCCESS" for i in merged["iterations"])
    stats = merged["tasks"][0]["for_each_task"]["stats"]["task_run_stats"]
    assert stats["total_iterations"] == stats["succeeded_iterations"] == 150


async def test_run_job_task(client: DatabricksClient, tmp_path: Path) -> None:
    echo = py_task("echo", script(tmp_path, "import sys\nprint(sys.argv[1])\n"))
    echo["spark_python_task"]["parameters"] = ["{{job.parameters.greeting}}"]
    child_job = await _job(client, [echo], parameters=[{"name": "greeting", "default": "hi"}])
    call = {"task_key": "call", "run_job_task": {"job_id": child_job, "job_parameters": {"greeting": "hey"}}}
    run = await _wait(client, await _run(client, await _job(client, [call])))
    assert run["state"]["result_state"] == "SUCCESS"
    child_id = (await _output(client, run["tasks"][0]["run_id"]))["run_job_output"]["run_id"]
    child = await client.get_run(child_id)
    assert child["job_id"] == child_job and child["trigger"] == "RUN_JOB_TASK"
    assert (await _output(client, child["tasks"][0]["run_id"]))["logs"] == "hey\n"


async def test_retries_then_success(client: DatabricksClient, tmp_path: Path) -> None:
    task = py_task("flaky", fails_once(tmp_path), max_retries=2, min_retry_interval_millis=300)
    run = await _wait(client, await _run(client, await _job(client, [task])))
    assert [(t["attempt_number"], t["state"]["result_state"]) for t in run["tasks"]] == [
        (0, "FAILED"), (1, "SUCCESS")]
    assert run["tasks"][1]["start_time"] - run["tasks"][0]["start_time"] >= 300
    assert run["state"]["result_state"] == "SUCCESS"


async def test_timeout(client: DatabricksClient, tmp_path: Path) -> None:
    task = py_task("slow", script(tmp_path, "import time\ntime.sleep(30)\n"), timeout_seconds=1)
    started = time.monotonic()
    run = await _wait(client, await _run(client, await _job(client, [task])), timeout=10)
    assert time.monotonic() - started < 5
    assert run["tasks"][0]["state"]["result_state"] == "TIMEDOUT"
    assert run["tasks"][0]["state"]["user_cancelled_or_timedout"] is True


async def test_cancel_kills_the_sleeping_process(client: DatabricksClient, tmp_path: Path) -> None:
    sleeper, pid_file = pid_sleeper(tmp_path)
    run_id = await _run(client, await _job(client, [py_task("sleep", sleeper)]))
    pid = read_pid(pid_file)
    await client.call("jobs/runs/cancel", params={"run_id": run_id})
    run = await _wait(client, run_id, timeout=5)
    assert run["state"]["result_state"] == "CANCELED"
    assert_dead(pid)


async def test_repair_of_only_the_failed_task(client: DatabricksClient, tmp_path: Path) -> None:
    tasks = [py_task("steady", script(tmp_path, OK)), py_task("flaky", fails_once(tmp_path))]
    run_id = await _run(client, await _job(client, tasks))
    failed = await _wait(client, run_id)
    assert results(failed) == {"steady": "SUCCESS", "flaky": "FAILED"}
    await client.call("jobs/runs/repair", params={"run_id": run_id, "rerun_tasks": ["flaky"]})
    run = await _wait(client, run_id, include_history=True)
    assert [(t["task_key"], t["attempt_number"]) for t in run["tasks"]] == [
        ("steady", 0), ("flaky", 0), ("flaky", 1)]
    assert run["tasks"][0]["run_id"] == failed["tasks"][0]["run_id"]
    assert run["state"]["result_state"] == "SUCCESS" and len(run["repair_history"]) == 2


async def test_queueing_with_max_concurrent_runs_1(client: DatabricksClient, tmp_path: Path) -> None:
    task = py_task("main", script(tmp_path, "import time\ntime.sleep(0.5)\n"))
    job_id = await _job(client, [task], max_concurrent_runs=1, queue={"enabled": True})
    first, second = await _run(client, job_id), await _run(client, job_id)
    queued = await client.get_run(second)
    assert queued["state"]["life_cycle_state"] == "QUEUED"
    assert queued["status"]["queue_details"]["code"] == "MAX_CONCURRENT_RUNS_REACHED"
    done_first, done_second = await _wait(client, first), await _wait(client, second)
    assert done_first["state"]["result_state"] == done_second["state"]["result_state"] == "SUCCESS"
    assert done_second["tasks"][0]["start_time"] >= done_first["end_time"]


async def test_job_parameters_and_dynamic_references_are_resolved(
    client: DatabricksClient, tmp_path: Path
) -> None:
    name = unique("refs")
    job_id = await _job(client, [reference_task(tmp_path)], parameters=[{"name": "who", "default": "world"}])
    await client.call("jobs/update", params={"job_id": job_id, "new_settings": {"name": name}})
    run_id = await _run(client, job_id, job_parameters={"who": "local"})
    run = await _wait(client, run_id, include_resolved_values=True)
    task_run = run["tasks"][0]
    year = time.gmtime(run["start_time"] / 1000).tm_year
    expected = ["local", str(job_id), name, str(run_id), "echo", str(task_run["run_id"]), str(year)]
    assert task_run["resolved_values"] == {"spark_python_task": {"parameters": expected}}
    assert (await _output(client, task_run["run_id"]))["logs"] == "|".join(expected) + "\n"
    assert run["job_parameters"] == [{"name": "who", "default": "world", "value": "local"}]


async def test_a_notebook_a_python_file_and_a_wheel_built_here(
    client: DatabricksClient, tmp_path: Path
) -> None:
    folder = f"/Users/client-tests/{uuid.uuid4().hex[:8]}"
    await client.call("workspace/mkdirs", params={"path": folder})
    content = base64.b64encode(NOTEBOOK).decode()
    await client.call("workspace/import", params={"path": f"{folder}/greet", "format": "SOURCE",
                                                  "language": "PYTHON", "content": content})
    built = wheel(tmp_path)
    package = built.name.split("-")[0]
    tasks = [
        {"task_key": "notebook", "notebook_task": {"notebook_path": f"{folder}/greet",
                                                   "base_parameters": {"who": "{{job.parameters.who}}"}}},
        py_task("file", script(tmp_path, "import sys\nprint('file got', sys.argv[1:])\n"),
                depends_on=[{"task_key": "notebook"}]),
        {"task_key": "wheel", "depends_on": [{"task_key": "file"}], "libraries": [{"whl": str(built)}],
         "python_wheel_task": {"package_name": package, "entry_point": "greet", "parameters": ["a", "b"]}},
        py_task("failing", script(tmp_path, FAIL)),
    ]
    tasks[1]["spark_python_task"]["parameters"] = ["x"]
    job_id = await _job(client, tasks, parameters=[{"name": "who", "default": "you"}])
    run = await _wait(client, await _run(client, job_id))
    assert results(run) == {"notebook": "SUCCESS", "file": "SUCCESS", "wheel": "SUCCESS", "failing": "FAILED"}
    outputs = {t["task_key"]: await _output(client, t["run_id"]) for t in run["tasks"]}
    assert outputs["notebook"]["notebook_output"] == {
        "result": "notebook says hello to you", "truncated": False}
    assert outputs["file"]["logs"] == "file got ['x']\n"
    assert outputs["wheel"]["logs"] == "wheel greets a b --who=you\n", "job parameters are pushed down"
    assert outputs["failing"]["error"] == "RuntimeError: intentional failure"
