"""Local workspace engine speed: submit → task-process-running latency, and a 1,000-task trivial job.

The latency is read from the task's own clock: its Python file writes `time.time()` as its first
action, compared with the time just before the runs/submit request (same machine, same clock).

Run: `.venv/bin/python benchmarks/engine.py [--runs 50] [--tasks 1000]` (prints p50/p95 over 50 runs,
goal p50 ≤ 150 ms; the wall time of one run of 1,000 trivial tasks, goal < 5 s, with the CPU seconds
the workspace and its task processes used for it, which a shared machine's load does not inflate; and
with the spark extra the time a notebook waits for its first Spark result: the workspace's first task
(server start included) and the second, goal < 2 s). Task processes start warm (forked by the
workspace's fork server) once it is up; the first few runs warm it and are not counted.
"""

from __future__ import annotations

import argparse
import base64
import importlib.util
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from _servers import local_workspace

_RUNS = 50
_TASKS = 1000
_STAMP = "import sys, time\nstamp = repr(time.time())\nopen(sys.argv[1], 'w').write(stamp)\n"
_ENDED = ("TERMINATED", "SKIPPED", "INTERNAL_ERROR")


def _submit(client: httpx.Client, tasks: list[dict[str, Any]]) -> int:
    response = client.post("/api/2.2/jobs/runs/submit", json={"run_name": "bench", "tasks": tasks})
    response.raise_for_status()
    return int(response.json()["run_id"])


def _wait_ended(
    client: httpx.Client, run_id: int, every: float = 0.02, timeout: float = 600
) -> dict[str, Any]:
    """Poll runs/get every `every` seconds (slowly for big runs, whose documents are costly to read)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run: dict[str, Any] = client.get("/api/2.2/jobs/runs/get", params={"run_id": run_id}).json()
        if run["state"]["life_cycle_state"] in _ENDED:
            return run
        time.sleep(every)
    raise TimeoutError(f"run {run_id} did not end within {timeout} s")


def _wait_file(path: Path, timeout: float = 30) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text() if path.exists() else ""
        if text:
            return float(text)
        time.sleep(0.002)
    raise TimeoutError(f"the task never wrote {path}")


def _latencies_ms(client: httpx.Client, workdir: Path) -> list[float]:
    """Submit one single-task run at a time; each task stamps the time it started running."""
    script = workdir / "stamp.py"
    script.write_text(_STAMP)
    samples = []
    for index in range(_RUNS + 3):
        stamp = workdir / f"stamp-{index}"
        task = {"task_key": "stamp", "spark_python_task": {"python_file": str(script),
                                                           "parameters": [str(stamp)]}}
        before = time.time()
        run_id = _submit(client, [task])
        started = _wait_file(stamp)
        _wait_ended(client, run_id)
        if index >= 3:  # the first runs warm the server's imports and caches
            samples.append((started - before) * 1000)
    return samples


def _thousand_tasks_s(client: httpx.Client, workdir: Path, pid: int) -> tuple[float, float, float, str]:
    """Wall and CPU seconds from the submit of one run of 1,000 trivial Python tasks to its end, and its
    result; CPU is the workspace process's and its task processes' (all of them, warm or cold), and
    apart the workspace process's own."""
    script = workdir / "trivial.py"
    script.write_text("pass\n")
    task = {"spark_python_task": {"python_file": str(script)}}
    tasks = [{"task_key": f"t{i:04}", **task} for i in range(_TASKS)]
    (cpu, own), start = _tree_cpu_s(pid), time.perf_counter()
    run = _wait_ended(client, _submit(client, tasks), every=0.25)
    wall = time.perf_counter() - start
    cpu_after, own_after = _tree_cpu_s(pid)
    return wall, cpu_after - cpu, own_after - own, str(run["state"].get("result_state"))


def _tree_cpu_s(pid: int) -> tuple[float, float]:
    """CPU seconds of `pid` and its children (live ones, e.g. the fork server, plus reaped ones), and of
    `pid` alone, Linux."""
    total = own = 0.0
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, ValueError):
            continue
        if entry.name == str(pid) or fields[1] == str(pid):
            total += sum(int(value) for value in fields[11:15])
        if entry.name == str(pid):
            own = sum(int(value) for value in fields[11:13])
    return total / os.sysconf("SC_CLK_TCK"), own / os.sysconf("SC_CLK_TCK")


_SPARK_NOTEBOOK = (
    "import json, time\nstarted = time.perf_counter()\nimport pyspark.sql.connect.session\n"
    "imported = time.perf_counter()\nspark.range(1).count()\n"
    "dbutils.notebook.exit(json.dumps([imported - started, time.perf_counter() - imported]))\n"
)


def _spark_session_s(client: httpx.Client) -> tuple[list[tuple[float, float]], float]:
    """Seconds to a first `spark` result in two notebook runs in a row, each split into the client's
    import and the session with its first result, and the server's own start time."""
    content = base64.b64encode(_SPARK_NOTEBOOK.encode()).decode()
    client.post("/api/2.0/workspace/import", json={
        "path": "/Shared/spark_bench", "content": content, "format": "SOURCE", "language": "PYTHON",
        "overwrite": True}).raise_for_status()
    waits = []
    for _ in range(2):
        task = {"task_key": "spark", "notebook_task": {"notebook_path": "/Shared/spark_bench"}}
        run = _wait_ended(client, _submit(client, [task]), every=0.1)
        output = client.get("/api/2.2/jobs/runs/get-output", params={"run_id": run["tasks"][0]["run_id"]})
        imported, session = json.loads(output.json()["notebook_output"]["result"])
        waits.append((float(imported), float(session)))
    server = client.post("/local-api/spark", json={}).json()
    return waits, float(server["startup_seconds"])


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    """Print the latency percentiles, the 1,000-task wall and CPU time and the Spark session figures."""
    global _RUNS, _TASKS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=_RUNS, help="single-task runs for the latency")
    parser.add_argument("--tasks", type=int, default=_TASKS, help="tasks of the one big run")
    parser.add_argument("--no-spark", action="store_true", help="skip the Spark session figures")
    options = parser.parse_args()
    _RUNS, _TASKS = options.runs, options.tasks
    load = os.getloadavg()
    with (
        tempfile.TemporaryDirectory() as data,
        tempfile.TemporaryDirectory() as work,
        local_workspace(Path(data)) as ws,
        httpx.Client(base_url=ws["host"], headers={"Authorization": f"Bearer {ws['token']}"},
                     timeout=60) as client,
    ):
        latencies = _latencies_ms(client, Path(work))
        wall, cpu, own, result = _thousand_tasks_s(client, Path(work), int(ws["pid"]))
        with_spark = importlib.util.find_spec("pyspark") and not options.no_spark
        spark = _spark_session_s(client) if with_spark else None
    p50, p95 = statistics.median(latencies), _percentile(latencies, 0.95)
    print(f"submit -> task process running, {_RUNS} runs: p50 {p50:6.1f} ms   p95 {p95:6.1f} ms"
          f"   (goal p50 <= 150 ms: {'met' if p50 <= 150 else 'NOT met'})")
    print(f"one run of {_TASKS:,} trivial tasks: {wall:6.1f} s wall ({_TASKS / wall:.0f} tasks/s), {result}"
          f"   (goal < 5 s: {'met' if wall < 5 else 'NOT met'}); {cpu:.1f} CPU s"
          f" ({cpu * 1000 / _TASKS:.1f} ms a task, workspace and task processes; the workspace process"
          f" alone {own:.1f} s)")
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    if spark is None:
        print("spark session: not measured (the spark extra is not installed, or --no-spark)")
        return
    (first, second), server = spark
    met = "met" if sum(second) < 2 else "NOT met"
    print(f"spark session, first task of the workspace: {sum(first):5.2f} s (client import {first[0]:.2f} s,"
          f" server start {server:.2f} s)")
    print(f"spark session, second task: {sum(second):5.2f} s (client import {second[0]:.2f} s, session and"
          f" first result {second[1]:.2f} s)   (goal < 2 s: {met})")


if __name__ == "__main__":
    main()
