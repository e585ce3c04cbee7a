"""Local workspace Spark task starts: a `spark_jar_task` and a `spark_submit_task` (Python), each twice.

Each figure is a task run's own duration (its `end_time - start_time`): spark-submit's JVM start, the
application, its exit. The Python application goes to the workspace's Spark Connect server, which is
started once before the first figure (its start time is printed apart). The JAR is built with javac.

Run: `.venv/bin/python benchmarks/spark_tasks.py` (needs the spark extra and a JDK; prints seconds).
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from _servers import local_workspace

_ENDED = ("TERMINATED", "SKIPPED", "INTERNAL_ERROR")
_MAIN = (
    "package bench; import org.apache.spark.sql.SparkSession; public class Main {"
    " public static void main(String[] a) { SparkSession s = SparkSession.builder().getOrCreate();"
    " System.out.println(s.range(10).count()); s.stop(); } }"
)
_APP = "from pyspark.sql import SparkSession\nprint(SparkSession.builder.getOrCreate().range(10).count())\n"


def _jar(work: Path) -> Path:
    """`bench.Main` compiled against pyspark's jars."""
    jars = Path(importlib.util.find_spec("pyspark").origin).parent / "jars"  # type: ignore[union-attr]
    (work / "Main.java").write_text(_MAIN)
    javac = ["javac", "-d", str(work / "classes"), "-cp", f"{jars}/*", str(work / "Main.java")]
    subprocess.run(javac, check=True)
    subprocess.run(["jar", "cf", str(work / "app.jar"), "-C", str(work / "classes"), "."], check=True)
    return work / "app.jar"


def _task_seconds(client: httpx.Client, task: dict[str, Any]) -> float:
    """Submit a one-task run, wait for it, and return the task's own duration (it must succeed)."""
    response = client.post("/api/2.2/jobs/runs/submit", json={"run_name": "bench", "tasks": [task]})
    response.raise_for_status()
    run_id = response.json()["run_id"]
    while (run := client.get("/api/2.2/jobs/runs/get", params={"run_id": run_id}).json())["state"][
        "life_cycle_state"
    ] not in _ENDED:
        time.sleep(0.1)
    entry = run["tasks"][0]
    if run["state"].get("result_state") != "SUCCESS":
        raise SystemExit(f"{task['task_key']} failed: {run['state']}")
    return float(entry["end_time"] - entry["start_time"]) / 1000


def main() -> None:
    """Print the JAR and Python spark-submit task durations, first and second run."""
    if importlib.util.find_spec("pyspark") is None or shutil.which("javac") is None:
        print("spark tasks: needs the spark extra and a JDK (javac)")
        return
    with (
        tempfile.TemporaryDirectory() as data,
        tempfile.TemporaryDirectory() as work,
        local_workspace(Path(data)) as ws,
        httpx.Client(base_url=ws["host"], headers={"Authorization": f"Bearer {ws['token']}"},
                     timeout=300) as client,
    ):
        jar_task = {"task_key": "jar", "libraries": [{"jar": str(_jar(Path(work)))}],
                    "spark_jar_task": {"main_class_name": "bench.Main"}}
        (Path(work) / "app.py").write_text(_APP)
        py_task = {"task_key": "py", "spark_submit_task": {"parameters": [str(Path(work) / "app.py")]}}
        server = client.post("/local-api/spark").json()["startup_seconds"]
        jars = [_task_seconds(client, jar_task) for _ in range(2)]
        apps = [_task_seconds(client, py_task) for _ in range(2)]
    print(f"spark_jar_task (local[2] JVM): {jars[0]:5.1f} s, then {jars[1]:5.1f} s")
    print(f"spark_submit_task, Python on the Connect server (started first in {server:.1f} s): "
          f"{apps[0]:5.1f} s, then {apps[1]:5.1f} s")


if __name__ == "__main__":
    main()
