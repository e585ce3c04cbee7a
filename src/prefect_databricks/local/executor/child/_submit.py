"""Runs a `spark_submit_task` or `spark_jar_task` spec through pyspark's own `bin/spark-submit`.

Python applications go to the workspace's Spark Connect server (`--remote`, `SPARK_REMOTE`); JARs run
in a `local[2]` JVM on loopback. The task cluster's `spark_conf` comes first, so the task's own `--conf`
and the workspace's pinned settings win. The output is copied line by line to this runner's stdout, so it is
redacted like every other task's logs; spark-submit's exit code is the task's.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from typing import Any

import dbruntime

__all__ = ["run_spark_submit"]

_JVM_HINT = "spark-submit needs Java on PATH (a JDK or JRE, 17 or later)"


def run_spark_submit(spec: dict[str, Any]) -> None:
    """Run spark-submit for `spec` and wait; a non-zero exit raises SystemExit naming the code."""
    home = _spark_home()
    env = {**os.environ, "SPARK_HOME": home, "SPARK_LOCAL_IP": "127.0.0.1",
           "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
    if spec["remote"]:
        env["SPARK_REMOTE"] = dbruntime.spark_remote()
        where = ["--remote", env["SPARK_REMOTE"]]
    else:
        where = ["--master", "local[2]"]
    conf = spec.get("spark_conf", {})
    cluster = [item for key, value in conf.items() for item in ("--conf", f"{key}={value}")]
    jars = ["--jars", ",".join(spec["jars"])] if spec["jars"] else []
    command = [os.path.join(home, "bin", "spark-submit"), *where, *cluster, *spec["options"], *jars,
               spec["primary"], *spec["app_args"]]
    process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, errors="replace")
    assert process.stdout is not None
    for line in process.stdout:
        sys.stdout.write(line)
    code = process.wait()
    if code:
        raise SystemExit(f"spark-submit exited with code {code}")


def _spark_home() -> str:
    try:
        spec = importlib.util.find_spec("pyspark")
    except ImportError:
        spec = None
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(dbruntime.INSTALL_HINT.replace("`spark`", "spark-submit"), name="pyspark")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise RuntimeError(_JVM_HINT)
    return os.path.dirname(spec.origin)
