"""The scheduler runs real task processes along the DAG: run_if, conditions, retries, timeouts, repair.

Nothing is mocked: every task is a Python file run by the local executor in its own process group.
"""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from runs_helpers import create_job, py_task, run_now, script, wait_run, wait_state

from prefect_databricks.local import LocalWorkspace
from prefect_databricks.local.engine.scheduler import task_process_limit

FAIL = "raise RuntimeError('intentional failure')\n"
OK = "print('ok')\n"


def _results(run: dict[str, Any]) -> dict[str, str]:
    """The result of the latest attempt of each task."""
    return {t["task_key"]: t["state"].get("result_state", t["state"]["life_cycle_state"])
            for t in run["tasks"]}


def _output(http: httpx.Client, task_run_id: int) -> dict[str, Any]:
    return dict(http.get("/api/2.2/jobs/runs/get-output", params={"run_id": task_run_id}).json())


def _fails_once(tmp_path: Path) -> str:
    marker = tmp_path / "attempted"
    return script(tmp_path, (
        "import pathlib, sys\n"
        f"marker = pathlib.Path({str(marker)!r})\n"
        "if not marker.exists():\n"
        "    marker.write_text('1')\n"
        "    raise RuntimeError('first attempt fails')\n"
        "print('second attempt works')\n"
    ))


def test_each_run_if_after_a_failed_and_a_successful_task(http: httpx.Client, tmp_path: Path) -> None:
    ok, fail = script(tmp_path, OK), script(tmp_path, FAIL)
    deps = [{"task_key": "bad"}, {"task_key": "good"}]
    run_ifs = ["ALL_SUCCESS", "AT_LEAST_ONE_SUCCESS", "NONE_FAILED", "ALL_DONE", "AT_LEAST_ONE_FAILED",
               "ALL_FAILED"]
    tasks = [py_task("bad", fail), py_task("good", ok)] + [
        py_task(run_if.lower(), ok, depends_on=deps, run_if=run_if) for run_if in run_ifs
    ]
    run = wait_run(http, run_now(http, create_job(http, tasks)))
    assert _results(run) == {
        "bad": "FAILED", "good": "SUCCESS", "all_success": "UPSTREAM_FAILED",
        "at_least_one_success": "SUCCESS", "none_failed": "UPSTREAM_FAILED", "all_done": "SUCCESS",
        "at_least_one_failed": "SUCCESS", "all_failed": "EXCLUDED",
    }
    assert run["state"] == {
        "life_cycle_state": "INTERNAL_ERROR", "result_state": "FAILED", "user_cancelled_or_timedout": False,
        "state_message": "Task bad failed with message: Workload failed, see run output for details.",
    }
    assert run["status"]["termination_details"]["code"] == "RUN_EXECUTION_ERROR"
    bad = next(t for t in run["tasks"] if t["task_key"] == "bad")
    output = http.get("/api/2.2/jobs/runs/get-output", params={"run_id": bad["run_id"]}).json()
    assert output["error"] == "RuntimeError: intentional failure"
    assert "Traceback" in output["error_trace"]


def test_leaf_success_despite_a_failure_is_success_with_failures(http: httpx.Client, tmp_path: Path) -> None:
    tasks = [py_task("bad", script(tmp_path, FAIL)),
             py_task("cleanup", script(tmp_path, OK), depends_on=[{"task_key": "bad"}], run_if="ALL_DONE")]
    run = wait_run(http, run_now(http, create_job(http, tasks)))
    assert run["state"]["life_cycle_state"] == "TERMINATED"
    assert run["state"]["result_state"] == "SUCCESS_WITH_FAILURES"
    assert run["status"]["termination_details"] == {
        "code": "SUCCESS_WITH_FAILURES", "type": "SUCCESS", "message": ""}


def test_condition_branch_and_disabled_task(http: httpx.Client, tmp_path: Path) -> None:
    ok = script(tmp_path, OK)
    tasks = [
        {"task_key": "check", "condition_task": {"op": "GREATER_THAN", "left": "{{job.parameters.n}}",
                                                 "right": "10"}},
        py_task("big", ok, depends_on=[{"task_key": "check", "outcome": "true"}]),
        py_task("small", ok, depends_on=[{"task_key": "check", "outcome": "false"}]),
        py_task("after_small", ok, depends_on=[{"task_key": "small"}]),
        py_task("off", ok, disabled=True),
        py_task("after_off", ok, depends_on=[{"task_key": "off"}]),
    ]
    job_id = create_job(http, tasks, parameters=[{"name": "n", "default": "5"}])
    run = wait_run(http, run_now(http, job_id, job_parameters={"n": "12.5"}))
    # A disabled parent does not satisfy ALL_SUCCESS: its child is disabled for the run too (Databricks,
    # "Disabled tasks in Lakeflow Jobs"; tests/local/test_disabled_tasks_sdk.py covers every run_if).
    assert _results(run) == {"check": "SUCCESS", "big": "SUCCESS", "small": "EXCLUDED",
                             "after_small": "EXCLUDED", "off": "DISABLED", "after_off": "DISABLED"}
    check = run["tasks"][0]
    assert check["condition_task"]["outcome"] == "true"
    assert run["state"]["result_state"] == "SUCCESS"
    resolved = http.get("/api/2.2/jobs/runs/get",
                        params={"run_id": run["run_id"], "include_resolved_values": "true"}).json()
    assert resolved["tasks"][0]["resolved_values"] == {"condition_task": {"left": "12.5", "right": "10"}}


def test_parameters_and_references_reach_the_task(http: httpx.Client, tmp_path: Path) -> None:
    echo = script(tmp_path, "import sys\nprint(' '.join(sys.argv[1:]))\n")
    task = py_task("echo", echo)
    task["spark_python_task"]["parameters"] = ["{{job.parameters.who}}", "{{task.name}}", "{{job.run_id}}",
                                               "{{unknown.ref}}"]
    job_id = create_job(http, [task], parameters=[{"name": "who", "default": "world"}])
    run = wait_run(http, run_now(http, job_id, job_parameters={"who": "local"}))
    assert run["job_parameters"] == [{"name": "who", "default": "world", "value": "local"}]
    output = http.get("/api/2.2/jobs/runs/get-output", params={"run_id": run["tasks"][0]["run_id"]}).json()
    assert output["logs"] == f"local echo {run['run_id']} {{{{unknown.ref}}}}\n"


def test_retries_are_new_attempts_waiting_in_between(http: httpx.Client, tmp_path: Path) -> None:
    task = py_task("flaky", _fails_once(tmp_path), max_retries=2, min_retry_interval_millis=1500)
    run_id = run_now(http, create_job(http, [task]))
    waiting = wait_state(http, run_id, ("RUNNING",))
    deadline = time.monotonic() + 10
    while waiting["tasks"][-1]["state"]["life_cycle_state"] != "WAITING_FOR_RETRY":
        assert time.monotonic() < deadline, waiting["tasks"]
        waiting = http.get("/api/2.2/jobs/runs/get", params={"run_id": run_id}).json()
    assert waiting["tasks"][-1]["status"]["state"] == "WAITING"
    run = wait_run(http, run_id)
    first, second = run["tasks"]
    assert (first["attempt_number"], second["attempt_number"]) == (0, 1)
    assert first["state"]["result_state"] == "FAILED" and second["state"]["result_state"] == "SUCCESS"
    assert second["start_time"] - first["start_time"] >= 1500
    assert run["state"]["result_state"] == "SUCCESS"


def test_task_timeout_kills_and_retries_only_on_retry_on_timeout(http: httpx.Client, tmp_path: Path) -> None:
    sleep = script(tmp_path, "import time\ntime.sleep(30)\n")
    tasks = [py_task("slow", sleep, timeout_seconds=1, max_retries=1),
             py_task("slow_retried", sleep, timeout_seconds=1, max_retries=1, retry_on_timeout=True)]
    started = time.monotonic()
    run = wait_run(http, run_now(http, create_job(http, tasks)))
    assert time.monotonic() - started < 10
    attempts = [(t["task_key"], t["attempt_number"], t["state"]["result_state"]) for t in run["tasks"]]
    assert sorted(attempts) == [("slow", 0, "TIMEDOUT"), ("slow_retried", 0, "TIMEDOUT"),
                                ("slow_retried", 1, "TIMEDOUT")]
    assert all(t["state"]["user_cancelled_or_timedout"] for t in run["tasks"])
    assert run["state"]["result_state"] == "FAILED"


def test_job_timeout_ends_the_run_timedout(http: httpx.Client, tmp_path: Path) -> None:
    tasks = [py_task("slow", script(tmp_path, "import time\ntime.sleep(30)\n"))]
    run = wait_run(http, run_now(http, create_job(http, tasks, timeout_seconds=1)), timeout=10)
    assert run["state"]["result_state"] == "TIMEDOUT" and run["state"]["user_cancelled_or_timedout"]
    assert run["tasks"][0]["state"]["result_state"] == "TIMEDOUT"


def test_cancel_kills_the_process_within_a_second(http: httpx.Client, tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    code = f"import os, time\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))\ntime.sleep(60)\n"
    tasks = [py_task("sleep", script(tmp_path, code)),
             py_task("after", script(tmp_path, OK), depends_on=[{"task_key": "sleep"}]),
             py_task("cleanup", script(tmp_path, OK), depends_on=[{"task_key": "sleep"}], run_if="ALL_DONE")]
    run_id = run_now(http, create_job(http, tasks))
    wait_state(http, run_id, ("RUNNING",))
    deadline = time.monotonic() + 10
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    pid = int(pid_file.read_text())
    asked = time.monotonic()
    http.post("/api/2.2/jobs/runs/cancel", json={"run_id": run_id})
    run = wait_run(http, run_id, timeout=5)
    assert time.monotonic() - asked < 1.5
    assert run["state"]["result_state"] == "CANCELED" and run["state"]["user_cancelled_or_timedout"]
    assert _results(run) == {"sleep": "CANCELED", "after": "UPSTREAM_CANCELED",
                             "cleanup": "UPSTREAM_CANCELED"}
    _assert_dead(pid)


def _assert_dead(pid: int) -> None:
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        if Path(f"/proc/{pid}/stat").exists() and Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} still alive")


def test_cancel_of_one_task_run_lets_failure_handlers_run(http: httpx.Client, tmp_path: Path) -> None:
    tasks = [py_task("sleep", script(tmp_path, "import time\ntime.sleep(60)\n")),
             py_task("after", script(tmp_path, OK), depends_on=[{"task_key": "sleep"}]),
             py_task("on_failure", script(tmp_path, OK), depends_on=[{"task_key": "sleep"}],
                     run_if="AT_LEAST_ONE_FAILED")]
    run_id = run_now(http, create_job(http, tasks))
    running = wait_state(http, run_id, ("RUNNING",))
    http.post("/api/2.2/jobs/runs/cancel", json={"run_id": running["tasks"][0]["run_id"]})
    run = wait_run(http, run_id)
    assert _results(run) == {"sleep": "CANCELED", "after": "UPSTREAM_CANCELED", "on_failure": "SUCCESS"}
    assert run["state"]["result_state"] == "CANCELED"


def test_repair_reruns_only_the_failed_task_and_records_history(http: httpx.Client, tmp_path: Path) -> None:
    tasks = [py_task("first", script(tmp_path, OK)),
             py_task("flaky", _fails_once(tmp_path), depends_on=[{"task_key": "first"}]),
             py_task("last", script(tmp_path, OK), depends_on=[{"task_key": "flaky"}])]
    run_id = run_now(http, create_job(http, tasks))
    failed = wait_run(http, run_id)
    assert _results(failed) == {"first": "SUCCESS", "flaky": "FAILED", "last": "UPSTREAM_FAILED"}
    body = {"run_id": run_id, "rerun_all_failed_tasks": True}
    repair_id = http.post("/api/2.2/jobs/runs/repair", json=body).json()["repair_id"]
    run = wait_run(http, run_id)
    assert _results(run) == {"first": "SUCCESS", "flaky": "SUCCESS", "last": "SUCCESS"}
    assert [(t["task_key"], t["attempt_number"]) for t in run["tasks"]] == [
        ("first", 0), ("flaky", 0), ("last", 0), ("flaky", 1), ("last", 1)]
    assert run["state"]["result_state"] == "SUCCESS" and run["state"]["life_cycle_state"] == "TERMINATED"
    history = http.get("/api/2.2/jobs/runs/get",
                       params={"run_id": run_id, "include_history": "true"}).json()["repair_history"]
    assert [h["type"] for h in history] == ["ORIGINAL", "REPAIR"] and history[1]["id"] == repair_id
    assert history[0]["state"]["result_state"] == "FAILED"
    assert history[1]["state"]["result_state"] == "SUCCESS" and history[1]["end_time"] > 0
    assert history[1]["task_run_ids"] == [t["run_id"] for t in run["tasks"][3:]]
    again = http.post("/api/2.2/jobs/runs/repair", json={"run_id": run_id, "rerun_tasks": ["first"]})
    assert again.status_code == 400
    message = again.json()["message"]
    assert message == "The latest repair ID needs to be provided in order to create a new repair"
    wrong = {"run_id": run_id, "rerun_tasks": ["first"], "latest_repair_id": repair_id + 1}
    assert http.post("/api/2.2/jobs/runs/repair", json=wrong).status_code == 400
    ok = {"run_id": run_id, "rerun_tasks": ["first"], "latest_repair_id": repair_id}
    assert http.post("/api/2.2/jobs/runs/repair", json=ok).status_code == 200
    assert wait_run(http, run_id)["tasks"][-1]["task_key"] == "first"


def test_kinds_not_run_locally_fail_with_a_clear_message(http: httpx.Client) -> None:
    tasks = [{"task_key": "sql", "sql_task": {"warehouse_id": "w", "query": {"query_id": "q"}}},
             {"task_key": "child", "run_job_task": {"job_id": 1}}]
    run_id = http.post("/api/2.2/jobs/runs/submit", json={"tasks": tasks}).json()["run_id"]
    run = wait_run(http, run_id)
    messages = {t["task_key"]: t["state"]["state_message"] for t in run["tasks"]}
    assert all(t["state"]["result_state"] == "FAILED" for t in run["tasks"])
    assert "sql" in messages["sql"].lower()
    assert messages["child"] == "Job 1 does not exist."


def test_run_job_task_runs_the_other_job_and_follows_it(http: httpx.Client, tmp_path: Path) -> None:
    echo = py_task("echo", script(tmp_path, "import sys\nprint(sys.argv[1])\n"))
    echo["spark_python_task"]["parameters"] = ["{{job.parameters.greeting}}"]
    child_job = create_job(http, [echo], parameters=[{"name": "greeting", "default": "hi"}])
    parent = {"task_key": "call", "run_job_task": {"job_id": child_job,
                                                   "job_parameters": {"greeting": "{{job.run_id}}"}}}
    run = wait_run(http, run_now(http, create_job(http, [parent])))
    assert run["state"]["result_state"] == "SUCCESS", run["tasks"][0]["state"]
    task_run = run["tasks"][0]["run_id"]
    child_id = http.get("/api/2.2/jobs/runs/get-output",
                        params={"run_id": task_run}).json()["run_job_output"]["run_id"]
    child = http.get("/api/2.2/jobs/runs/get", params={"run_id": child_id}).json()
    assert child["job_id"] == child_job and child["trigger"] == "RUN_JOB_TASK"
    assert child["trigger_info"] == {"run_id": task_run}
    logs = http.get("/api/2.2/jobs/runs/get-output", params={"run_id": child["tasks"][0]["run_id"]}).json()
    assert logs["logs"] == f"{run['run_id']}\n"


def test_for_each_runs_one_iteration_per_input_and_pages_them(http: httpx.Client, tmp_path: Path) -> None:
    nested = py_task("item", script(tmp_path, "import sys\nprint(sys.argv[1])\n"))
    nested["spark_python_task"]["parameters"] = ["{{input}}"]
    loop = {"task_key": "loop", "for_each_task": {"inputs": "{{job.parameters.items}}", "concurrency": 8,
                                                  "task": nested}}
    job_id = create_job(http, [loop], parameters=[{"name": "items", "default": "[]"}])
    items = list(range(150))
    run = wait_run(http, run_now(http, job_id, job_parameters={"items": json.dumps(items)}), timeout=90)
    assert run["state"]["result_state"] == "SUCCESS", run["tasks"][0]["state"]
    stats = run["tasks"][0]["for_each_task"]["stats"]["task_run_stats"]
    assert stats["total_iterations"] == stats["succeeded_iterations"] == 150
    first = http.get("/api/2.2/jobs/runs/get", params={"run_id": run["tasks"][0]["run_id"]}).json()
    assert len(first["iterations"]) == 100 and [t["task_key"] for t in first["tasks"]] == ["loop"]
    second = http.get("/api/2.2/jobs/runs/get", params={"run_id": run["tasks"][0]["run_id"],
                                                         "page_token": first["next_page_token"]}).json()
    iterations = first["iterations"] + second["iterations"]
    assert len(iterations) == 150 and "next_page_token" not in second
    last = http.get("/api/2.2/jobs/runs/get-output", params={"run_id": iterations[-1]["run_id"]}).json()
    assert last["logs"] == "149\n"


def test_a_failed_iteration_fails_the_for_each_task(http: httpx.Client, tmp_path: Path) -> None:
    nested = py_task("item", script(tmp_path, "import sys\nsys.exit(int(sys.argv[1]))\n"))
    nested["spark_python_task"]["parameters"] = ["{{input}}"]
    loop = {"task_key": "loop", "for_each_task": {"inputs": "[0, 1, 0]", "task": nested}}
    bad = {"task_key": "bad", "for_each_task": {"inputs": "not json", "task": nested}}
    run = wait_run(http, http.post("/api/2.2/jobs/runs/submit", json={"tasks": [loop, bad]}).json()["run_id"])
    messages = {t["task_key"]: t["state"]["state_message"] for t in run["tasks"]}
    assert messages["loop"] == "1 of 3 iterations failed."
    assert messages["bad"].startswith("for_each_task.inputs must be a JSON array")


PRODUCER = b"""# Databricks notebook source
dbutils.widgets.text("who", "nobody")
dbutils.jobs.taskValues.set("n", 12)
dbutils.notebook.exit("hello " + dbutils.widgets.get("who"))
"""

CONSUMER = b"""# Databricks notebook source
n = dbutils.jobs.taskValues.get("produce", "n", default=0)
dbutils.notebook.exit(f"{n} {dbutils.widgets.get('seen')}")
"""


def _notebook(http: httpx.Client, source: bytes) -> str:
    path = f"/Users/runs-tests/{uuid.uuid4().hex[:8]}/nb"
    http.post("/api/2.0/workspace/mkdirs", json={"path": path.rsplit("/", 1)[0]})
    content = base64.b64encode(source).decode()
    body = {"path": path, "format": "SOURCE", "language": "PYTHON", "content": content}
    assert http.post("/api/2.0/workspace/import", json=body).status_code == 200
    return path


def test_notebooks_pass_task_values_to_a_condition_and_downstream(http: httpx.Client) -> None:
    produce = {"task_key": "produce", "notebook_task": {
        "notebook_path": _notebook(http, PRODUCER), "base_parameters": {"who": "{{job.parameters.who}}"}}}
    check = {"task_key": "check", "depends_on": [{"task_key": "produce"}], "condition_task": {
        "op": "GREATER_THAN", "left": "{{tasks.produce.values.n}}", "right": "10"}}
    consume = {"task_key": "consume", "depends_on": [{"task_key": "check", "outcome": "true"}],
               "notebook_task": {"notebook_path": _notebook(http, CONSUMER),
                                 "base_parameters": {"seen": "{{tasks.produce.values.n}}"}}}
    job_id = create_job(http, [produce, check, consume], parameters=[{"name": "who", "default": "x"}])
    run = wait_run(http, run_now(http, job_id, job_parameters={"who": "local"}))
    assert _results(run) == {"produce": "SUCCESS", "check": "SUCCESS", "consume": "SUCCESS"}, run["tasks"]
    outputs = {t["task_key"]: http.get("/api/2.2/jobs/runs/get-output", params={"run_id": t["run_id"]}).json()
               for t in run["tasks"] if "notebook_task" in t}
    assert outputs["produce"]["notebook_output"] == {"result": "hello local", "truncated": False}
    assert outputs["consume"]["notebook_output"]["result"] == "12 12"
    resolved = http.get("/api/2.2/jobs/runs/get", params={"run_id": run["run_id"],
                                                         "include_resolved_values": "true"}).json()
    assert resolved["tasks"][0]["resolved_values"] == {"notebook_task": {"base_parameters": {"who": "local"}}}


def test_task_processes_are_bounded_and_the_rest_wait_pending(
    http: httpx.Client, workspace: LocalWorkspace, tmp_path: Path
) -> None:
    limit = task_process_limit(workspace.workspace)
    sleep = script(tmp_path, "import time\ntime.sleep(30)\n")
    run_id = http.post("/api/2.2/jobs/runs/submit", json={
        "tasks": [py_task(f"t{i}", sleep) for i in range(limit + 2)]}).json()["run_id"]
    wait_state(http, run_id, ("RUNNING",))
    time.sleep(0.5)
    run = http.get("/api/2.2/jobs/runs/get", params={"run_id": run_id}).json()
    lives = [t["state"]["life_cycle_state"] for t in run["tasks"]]
    assert 0 < lives.count("RUNNING") <= limit and lives.count("PENDING") >= 2, lives
    http.post("/api/2.2/jobs/runs/cancel", json={"run_id": run_id})
    assert wait_run(http, run_id)["state"]["result_state"] == "CANCELED"


def test_for_each_can_run_another_job_per_object_input(http: httpx.Client, tmp_path: Path) -> None:
    echo = py_task("echo", script(tmp_path, "import sys\nprint(sys.argv[1])\n"))
    echo["spark_python_task"]["parameters"] = ["{{job.parameters.v}}"]
    child_job = create_job(http, [echo], parameters=[{"name": "v", "default": "?"}], max_concurrent_runs=5)
    call = {"job_id": child_job, "job_parameters": {"v": "{{input.v}}"}}
    nested = {"task_key": "call", "run_job_task": call}
    loop = {"task_key": "loop", "for_each_task": {"inputs": '[{"v": "a"}, {"v": "b"}]', "concurrency": 2,
                                                  "task": nested}}
    run = wait_run(http, http.post("/api/2.2/jobs/runs/submit", json={"tasks": [loop]}).json()["run_id"])
    assert run["state"]["result_state"] == "SUCCESS", run["tasks"][0]["state"]
    loop_run = http.get("/api/2.2/jobs/runs/get", params={"run_id": run["tasks"][0]["run_id"]}).json()
    logs = []
    for iteration in loop_run["iterations"]:
        child_id = _output(http, iteration["run_id"])["run_job_output"]["run_id"]
        child = http.get("/api/2.2/jobs/runs/get", params={"run_id": child_id}).json()
        logs.append(_output(http, child["tasks"][0]["run_id"])["logs"])
    assert logs == ["a\n", "b\n"]


def test_for_each_iterations_retry_as_new_attempts(http: httpx.Client, tmp_path: Path) -> None:
    code = ("import pathlib, sys\n"
            f"marker = pathlib.Path({str(tmp_path)!r}) / ('seen-' + sys.argv[1])\n"
            "if not marker.exists():\n    marker.write_text('1')\n    raise SystemExit(3)\n")
    nested = py_task("item", script(tmp_path, code), max_retries=1)
    nested["spark_python_task"]["parameters"] = ["{{input}}"]
    loop = {"task_key": "loop", "for_each_task": {"inputs": '["x", "y"]', "concurrency": 2, "task": nested}}
    run = wait_run(http, http.post("/api/2.2/jobs/runs/submit", json={"tasks": [loop]}).json()["run_id"])
    assert run["state"]["result_state"] == "SUCCESS", run["tasks"][0]["state"]
    stats = run["tasks"][0]["for_each_task"]["stats"]["task_run_stats"]
    assert stats["total_iterations"] == stats["succeeded_iterations"] == 2
    iterations = http.get("/api/2.2/jobs/runs/get", params={"run_id": run["tasks"][0]["run_id"]}).json()[
        "iterations"]
    assert sorted((i["attempt_number"], i["state"]["result_state"]) for i in iterations) == [
        (0, "FAILED"), (0, "FAILED"), (1, "SUCCESS"), (1, "SUCCESS")]


def test_cancelling_a_run_job_task_cancels_the_child_run(http: httpx.Client, tmp_path: Path) -> None:
    child_job = create_job(http, [py_task("sleep", script(tmp_path, "import time\ntime.sleep(60)\n"))])
    parent = run_now(http, create_job(http, [{"task_key": "call", "run_job_task": {"job_id": child_job}}]))
    task_run = wait_state(http, parent, ("RUNNING",))["tasks"][0]["run_id"]
    child_id = _output(http, task_run)["run_job_output"]["run_id"]
    wait_state(http, child_id, ("RUNNING",))
    http.post("/api/2.2/jobs/runs/cancel", json={"run_id": parent})
    assert wait_run(http, parent)["state"]["result_state"] == "CANCELED"
    assert wait_run(http, child_id)["state"]["result_state"] == "CANCELED"
