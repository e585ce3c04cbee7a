"""Runs a `spark_submit_task` or `spark_jar_task` spec through pyspark's own `bin/spark-submit`.

Python applications go to the workspace's Spark Connect server (`--remote`, `SPARK_REMOTE`); JARs run
in a `local[2]` JVM on loopback with the workspace's metastore (`thrift://` on 127.0.0.1) and warehouse.
The task cluster's `spark_conf` comes first, so the task's own `--conf` and the workspace's pinned
settings win; a pinned setting given a different value is named in the output. The output is copied
line by line to this runner's stdout, so it is redacted like every other task's logs; spark-submit's
exit code is the task's.
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
    conf = spec.get("spark_conf", {})
    metastore: dict[str, str] = {}
    if spec["remote"]:
        env["SPARK_REMOTE"] = dbruntime.spark_remote()
        where = ["--remote", env["SPARK_REMOTE"]]
    else:
        where = ["--master", "local[2]"]
        metastore = dbruntime.spark_metastore()
        _warn_overridden(metastore, conf, spec["options"])
    cluster = [item for key, value in conf.items() for item in ("--conf", f"{key}={value}")]
    pinned = [item for key, value in metastore.items() for item in ("--conf", f"{key}={value}")]
    jars = ["--jars", ",".join(spec["jars"])] if spec["jars"] else []
    command = [os.path.join(home, "bin", "spark-submit"), *where, *cluster, *spec["options"], *pinned, *jars,
               spec["primary"], *spec["app_args"]]
    process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, errors="replace")
    assert process.stdout is not None
    for line in process.stdout:
        sys.stdout.write(line)
    code = process.wait()
    if code:
        raise SystemExit(f"spark-submit exited with code {code}")


def _warn_overridden(pinned: dict[str, str], conf: dict[str, str], options: list[str]) -> None:
    """Name, in the task's output, each metastore setting the task gave that the workspace replaces [I]."""
    given = dict(conf)
    for index, flag in enumerate(options[:-1]):
        if flag == "--conf" and "=" in options[index + 1]:
            key, value = options[index + 1].split("=", 1)
            given[key] = value
    for key, value in pinned.items():
        if key in given and given[key] != value:
            print(f"local workspace: {key} is set to the workspace's metastore ({value}); the task's "
                  f"{given[key]!r} is not used [I]", file=sys.stderr, flush=True)


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
