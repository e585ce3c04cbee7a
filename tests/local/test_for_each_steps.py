"""An iteration whose start fails is stepped like a job run's task: it fails alone and is retried.

Two ways a start fails: the executor refuses the task (UnsupportedTask: a dbfs: python_file it cannot
read), and an unexpected exception. For the latter, `launch` is monkeypatched in this process: the
session's LocalWorkspace serves and schedules in a background thread of the test process, so the
patch reaches its scheduler; it raises only for tasks whose python_file is named `unstartable.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from runs_helpers import py_task, script, wait_run

from prefect_databricks.local.engine import drivers

REFUSED = "dbfs:/jobs/etl/main.py"
REFUSED_MESSAGE = (
    f"spark_python_task.python_file {REFUSED!r}: the local workspace cannot read dbfs: URIs; use a "
    "workspace path, a file: URI or an absolute local path"
)
UNEXPECTED_MESSAGE = "The task could not be started: [Errno 28] No space left on device"


@pytest.fixture
def unstartable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The path of a task file whose launch raises OSError (ENOSPC) in the workspace's scheduler."""
    path = str(tmp_path / "unstartable.py")
    real_launch = drivers.launch

    def launch(ws: Any, run: dict[str, Any], entry: dict[str, Any]) -> Any:
        if entry.get("spark_python_task", {}).get("python_file") == path:
            raise OSError(28, "No space left on device")
        return real_launch(ws, run, entry)

    monkeypatch.setattr(drivers, "launch", launch)
    yield path


def _submit(http: httpx.Client, tasks: list[dict[str, Any]]) -> dict[str, Any]:
    response = http.post("/api/2.2/jobs/runs/submit", json={"tasks": tasks})
    assert response.status_code == 200, response.text
    return wait_run(http, int(response.json()["run_id"]))


def _task(run: dict[str, Any], key: str) -> dict[str, Any]:
    """The latest attempt of task `key`."""
    return [t for t in run["tasks"] if t["task_key"] == key][-1]


def _iterations(http: httpx.Client, for_each_run_id: int) -> list[dict[str, Any]]:
    got = http.get("/api/2.2/jobs/runs/get", params={"run_id": for_each_run_id}).json()
    return list(got["iterations"])


def _attempts(http: httpx.Client, task_runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What each attempt ended as: its number, state, status and stored output error."""
    outputs = [http.get("/api/2.2/jobs/runs/get-output", params={"run_id": t["run_id"]}).json()
               for t in task_runs]
    return [{"attempt_number": t["attempt_number"], "state": t["state"], "status": t["status"],
             "error": output.get("error")} for t, output in zip(task_runs, outputs, strict=True)]


def _failing(failure: str, unstartable: str) -> tuple[str, str]:
    """The python_file whose start fails the `failure` way, and the state message it ends with."""
    return (REFUSED, REFUSED_MESSAGE) if failure == "refused" else (unstartable, UNEXPECTED_MESSAGE)


def _loop(key: str, nested: dict[str, Any], inputs: str = '["a"]') -> dict[str, Any]:
    return {"task_key": key, "for_each_task": {"inputs": inputs, "task": nested}}


def test_an_iteration_whose_start_raises_fails_alone(
    http: httpx.Client, tmp_path: Path, unstartable: str
) -> None:
    ok = script(tmp_path, "print('ok')\n")
    tasks = [
        _loop("loop", py_task("item", unstartable)),
        py_task("other", ok),
        py_task("after", ok, depends_on=[{"task_key": "loop"}]),
    ]
    run = _submit(http, tasks)
    assert run["state"] == {
        "life_cycle_state": "INTERNAL_ERROR", "result_state": "FAILED", "user_cancelled_or_timedout": False,
        "state_message": "Task loop failed with message: 1 of 1 iterations failed.",
    }
    assert run["status"]["termination_details"]["code"] == "RUN_EXECUTION_ERROR"
    results = {t["task_key"]: t["state"]["result_state"] for t in run["tasks"]}
    assert results == {"loop": "FAILED", "other": "SUCCESS", "after": "UPSTREAM_FAILED"}
    [iteration] = _iterations(http, _task(run, "loop")["run_id"])
    assert iteration["state"]["result_state"] == "FAILED"
    assert iteration["state"]["state_message"] == UNEXPECTED_MESSAGE
    stats = _task(run, "loop")["for_each_task"]["stats"]["task_run_stats"]
    assert stats["total_iterations"] == stats["failed_iterations"] == stats["completed_iterations"] == 1


@pytest.mark.parametrize("failure", ["refused", "unexpected"])
def test_an_iteration_that_fails_to_start_is_retried(
    http: httpx.Client, unstartable: str, failure: str
) -> None:
    source, message = _failing(failure, unstartable)
    nested = py_task("item", source, max_retries=1, min_retry_interval_millis=300)
    run = _submit(http, [_loop("loop", nested, '["a", "b"]')])
    loop = _task(run, "loop")
    assert loop["state"]["state_message"] == "2 of 2 iterations failed."
    iterations = _iterations(http, loop["run_id"])
    assert [i["attempt_number"] for i in iterations] == [0, 0, 1, 1]
    assert {i["state"]["state_message"] for i in iterations} == {message}
    assert {i["state"]["result_state"] for i in iterations} == {"FAILED"}
    for first, retry in zip(iterations[:2], iterations[2:], strict=True):
        assert retry["start_time"] - first["start_time"] >= 300
    stats = loop["for_each_task"]["stats"]["task_run_stats"]
    assert stats["total_iterations"] == stats["failed_iterations"] == 2


@pytest.mark.parametrize("failure", ["refused", "unexpected"])
def test_a_task_and_an_iteration_failing_to_start_end_the_same_way(
    http: httpx.Client, unstartable: str, failure: str
) -> None:
    source, message = _failing(failure, unstartable)
    retries = {"max_retries": 2, "min_retry_interval_millis": 100}
    direct, nested = py_task("direct", source, **retries), py_task("item", source, **retries)
    run = _submit(http, [direct, _loop("loop", nested)])
    attempts = [t for t in run["tasks"] if t["task_key"] == "direct"]
    iterations = _iterations(http, _task(run, "loop")["run_id"])
    assert [t["attempt_number"] for t in attempts] == [0, 1, 2]
    assert {t["state"]["state_message"] for t in attempts} == {message}
    assert _attempts(http, iterations) == _attempts(http, attempts)
