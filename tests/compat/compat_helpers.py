"""Helpers of tests/compat: clients this project did not write drive the local workspace, each in a venv.

Their pins conflict with this package's, so each client gets a venv built once with uv into a cache that
outlives the test run (`~/.cache/prefect-databricks-compat/<client>-<hash of pins and Python>`, or
PREFECT_DATABRICKS_COMPAT_CACHE), and runs all its scenarios in one subprocess that writes its results as
JSON. Tests are skipped, saying why, only when the package registry cannot be reached to build a venv.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

__all__ = ["CLIENTS", "ECHO", "FLAKY", "SLEEP", "client_python", "run_scenarios"]

CLIENTS: dict[str, tuple[str, ...]] = {
    "airflow": ("apache-airflow==3.3.2", "apache-airflow-providers-databricks==7.23.0"),
    "databricks-cli": ("databricks-cli==0.18.0",),
    "prefect-databricks-0.4": ("prefect-databricks==0.4.2", "prefect==3.8.8", "fastapi<0.151"),
    # dbt_task's dbt (1.10: 1.11+ builds a parser wheel from a non-registry download).
    "dbt": ("dbt-core==1.10.23", "dbt-spark[session]==1.11.0", "pyspark[connect]==4.3.0"),
}
SCRIPTS = Path(__file__).parent / "clients"
_CACHE = Path(
    os.environ.get("PREFECT_DATABRICKS_COMPAT_CACHE", Path.home() / ".cache" / "prefect-databricks-compat")
)
_OFFLINE = re.compile(
    r"failed to lookup address|dns error|connection refused|could not connect|network is unreachable|"
    r"timed out|failed to fetch|error sending request",
    re.IGNORECASE,
)
_BUILD_SECONDS = 900
_RUN_SECONDS = 300

ECHO = """# Databricks notebook source
dbutils.widgets.text("who", "nobody")

# COMMAND ----------

dbutils.notebook.exit("hello " + dbutils.widgets.get("who"))
"""
FLAKY = """# Databricks notebook source
import os

dbutils.widgets.text("marker", "")
marker = dbutils.widgets.get("marker")
if not os.path.exists(marker):
    open(marker, "w").close()
    raise RuntimeError("the first attempt fails")
dbutils.notebook.exit("repaired")
"""
SLEEP = """# Databricks notebook source
import time

dbutils.widgets.text("seconds", "60")
time.sleep(float(dbutils.widgets.get("seconds")))
"""


def client_python(name: str) -> Path:
    """The Python of `name`'s cached venv, built with uv on first use."""
    pins = CLIENTS[name]
    digest = hashlib.sha256(json.dumps([pins, list(sys.version_info[:2])]).encode()).hexdigest()[:12]
    home = _CACHE / f"{name}-{digest}"
    if (home / ".complete").exists():
        return home / "bin" / "python"
    uv = shutil.which("uv")
    if uv is None:
        pytest.fail("tests/compat builds its client venvs with uv, which is not on PATH")
    building = home.with_name(f"{home.name}.building-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    _uv([uv, "venv", "-q", "--python", sys.executable, str(building)], name)
    _uv([uv, "pip", "install", "-q", "-p", str(building / "bin" / "python"), *pins], name)
    (building / ".complete").touch()
    try:
        building.rename(home)
    except OSError:  # another run finished the same venv first
        shutil.rmtree(building, ignore_errors=True)
    return home / "bin" / "python"


def _uv(command: list[str], name: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=_BUILD_SECONDS)
    if done.returncode == 0:
        return
    if _OFFLINE.search(done.stderr):
        last = done.stderr.strip().splitlines()[-1]
        pytest.skip(f"cannot reach the package registry to build the {name} venv ({last})")
    pytest.fail(f"building the {name} venv failed:\n{done.stderr}")


def run_scenarios(name: str, script: str, env: dict[str, str], tmp: Path) -> dict[str, Any]:
    """Run `clients/<script>` in `name`'s venv with only `env` (plus PATH); its results, parsed."""
    results = tmp / f"{script}.json"
    full = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp),
        "COMPAT_TMP": str(tmp),
        "COMPAT_RESULTS": str(results),
        **env,
    }
    done = subprocess.run(
        [str(client_python(name)), str(SCRIPTS / script)],
        env=full,
        capture_output=True,
        text=True,
        timeout=_RUN_SECONDS,
        cwd=tmp,
    )
    assert done.returncode == 0, f"{script} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    found: dict[str, Any] = json.loads(results.read_text())
    return found
