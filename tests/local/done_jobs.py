"""The jobs of issue 4's "done when" list, as plain settings both client test modules run.

Each builder writes its real task sources (Python files, a notebook's source, a hand-zipped wheel)
under a test's tmp_path and returns API-shaped dicts; expectations live next to them.
"""

from __future__ import annotations

import os
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

from runs_helpers import py_task, script

__all__ = [
    "DAG_RESULTS",
    "FAIL",
    "NOTEBOOK",
    "OK",
    "assert_dead",
    "condition_tasks",
    "dag_tasks",
    "fails_once",
    "for_each_task",
    "pid_sleeper",
    "read_pid",
    "reference_task",
    "results",
    "wheel",
]

OK = "print('ok')\n"
FAIL = "raise RuntimeError('intentional failure')\n"
RUN_IFS = [
    "ALL_SUCCESS", "AT_LEAST_ONE_SUCCESS", "NONE_FAILED", "ALL_DONE", "AT_LEAST_ONE_FAILED", "ALL_FAILED",
]
DAG_RESULTS = {
    "bad": "FAILED", "good": "SUCCESS", "all_success": "UPSTREAM_FAILED", "at_least_one_success": "SUCCESS",
    "none_failed": "UPSTREAM_FAILED", "all_done": "SUCCESS", "at_least_one_failed": "SUCCESS",
    "all_failed": "EXCLUDED",
}
NOTEBOOK = b"""# Databricks notebook source
dbutils.widgets.text("who", "nobody")

# COMMAND ----------

dbutils.notebook.exit("notebook says hello to " + dbutils.widgets.get("who"))
"""


_WHEEL = "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def results(run: dict[str, Any]) -> dict[str, str]:
    """The result (or life cycle state) of the latest attempt of each task of a runs/get answer."""
    return {t["task_key"]: t["state"].get("result_state", t["state"]["life_cycle_state"])
            for t in run["tasks"]}


def dag_tasks(tmp_path: Path) -> list[dict[str, Any]]:
    """A failing and a succeeding task, then one task per run_if depending on both."""
    ok, fail = script(tmp_path, OK), script(tmp_path, FAIL)
    deps = [{"task_key": "bad"}, {"task_key": "good"}]
    return [py_task("bad", fail), py_task("good", ok)] + [
        py_task(run_if.lower(), ok, depends_on=deps, run_if=run_if) for run_if in RUN_IFS
    ]


def condition_tasks(tmp_path: Path) -> list[dict[str, Any]]:
    """`check` compares job parameter n with 10; `big` runs on true, `small` on false."""
    ok = script(tmp_path, OK)
    return [
        {"task_key": "check", "condition_task": {"op": "GREATER_THAN", "left": "{{job.parameters.n}}",
                                                 "right": "10"}},
        py_task("big", ok, depends_on=[{"task_key": "check", "outcome": "true"}]),
        py_task("small", ok, depends_on=[{"task_key": "check", "outcome": "false"}]),
    ]


def for_each_task(count: int) -> dict[str, Any]:
    """A for-each over `count` numbers whose iterations are condition tasks on `{{input}}` (no process)."""
    nested = {"task_key": "item", "condition_task": {"op": "GREATER_THAN_OR_EQUAL", "left": "{{input}}",
                                                     "right": "0"}}
    inputs = "[" + ", ".join(str(i) for i in range(count)) + "]"
    return {"task_key": "loop", "for_each_task": {"inputs": inputs, "concurrency": 50, "task": nested}}


def fails_once(tmp_path: Path) -> str:
    """A Python file that fails on its first run and succeeds afterwards."""
    marker = tmp_path / f"attempted-{uuid.uuid4().hex[:6]}"
    return script(tmp_path, (
        f"import pathlib\nmarker = pathlib.Path({str(marker)!r})\n"
        "if not marker.exists():\n    marker.write_text('1')\n    raise RuntimeError('first attempt fails')\n"
        "print('later attempt works')\n"
    ))


def pid_sleeper(tmp_path: Path) -> tuple[str, Path]:
    """A Python file that writes its pid and sleeps a minute; returns the file and the pid file."""
    pid_file = tmp_path / f"pid-{uuid.uuid4().hex[:6]}"
    code = f"import os, time\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))\ntime.sleep(60)\n"
    return script(tmp_path, code), pid_file


def read_pid(pid_file: Path, timeout: float = 10) -> int:
    """The pid a pid_sleeper wrote, once it has."""
    deadline = time.monotonic() + timeout
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, "the task process never started"
        time.sleep(0.05)
    return int(pid_file.read_text())


def assert_dead(pid: int, timeout: float = 2) -> None:
    """The process is gone (or a zombie awaiting its parent's reap) within `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        stat = Path(f"/proc/{pid}/stat")
        if stat.exists() and stat.read_text().split()[2] == "Z":
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} still alive")


def reference_task(tmp_path: Path) -> dict[str, Any]:
    """A Python file printing its argv, given job parameters and dynamic value references."""
    task = py_task("echo", script(tmp_path, "import sys\nprint('|'.join(sys.argv[1:]))\n"))
    task["spark_python_task"]["parameters"] = [
        "{{job.parameters.who}}", "{{job.id}}", "{{job.name}}", "{{job.run_id}}", "{{task.name}}",
        "{{task.run_id}}", "{{job.start_time.year}}",
    ]
    return task


def wheel(directory: Path) -> Path:
    """A pure-Python wheel with a `greet` console script, zipped in the test (no build tools needed)."""
    path = directory / f"greeter_{uuid.uuid4().hex[:6]}-0.1-py3-none-any.whl"
    package = path.name.split("-")[0]
    dist_info = f"{package}-0.1.dist-info"
    module = "import sys\n\ndef main():\n    print('wheel greets', *sys.argv[1:])\n"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{package}/__init__.py", module)
        archive.writestr(f"{dist_info}/METADATA", f"Metadata-Version: 2.1\nName: {package}\nVersion: 0.1\n")
        archive.writestr(f"{dist_info}/WHEEL", _WHEEL)
        archive.writestr(f"{dist_info}/entry_points.txt", f"[console_scripts]\ngreet = {package}:main\n")
        archive.writestr(f"{dist_info}/RECORD", "")
    return path
