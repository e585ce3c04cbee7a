"""Runs a `dbt_task` spec: each command with the spec's dbt, in the task run's copy of the project.

dbt-spark's session method opens `SparkSession.builder`, which connects to the workspace's Spark Connect
server through `SPARK_REMOTE`. The commands run in order and the first failure ends the task [I]; the
project's `target/` artifacts are then packed into the spec's `artifacts` file (a tar.gz).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
from typing import Any

import dbruntime

__all__ = ["run_dbt"]

_ARTIFACTS = ("run_results.json", "manifest.json", "sources.json", "catalog.json")


def run_dbt(spec: dict[str, Any]) -> None:
    """Run the spec's dbt commands; a failing command raises SystemExit naming it and its exit code."""
    project = spec["run_in"]
    if os.path.abspath(spec["project"]) != os.path.abspath(project):
        shutil.copytree(spec["project"], project, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", ".git"))
    env = {**os.environ, "SPARK_REMOTE": dbruntime.spark_remote(),
           "DBT_PROFILES_DIR": spec["profiles_dir"] or _generated_profiles(project, spec["schema"]),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    try:
        for argv in spec["commands"]:
            code = _run([spec["dbt"], *argv], project, env)
            if code:
                raise SystemExit(f"dbt {' '.join(argv)} exited with code {code}")
    finally:
        _pack(os.path.join(project, "target"), spec["artifacts"])


def _run(command: list[str], cwd: str, env: dict[str, str]) -> int:
    print("$ dbt " + " ".join(command[1:]), flush=True)
    process = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, errors="replace")
    assert process.stdout is not None
    for line in process.stdout:
        sys.stdout.write(line)
    return process.wait()


def _generated_profiles(project: str, schema: str) -> str:
    """A profiles.yml for the project's `profile:` (as Databricks generates one for the warehouse)."""
    with open(os.path.join(project, "dbt_project.yml"), encoding="utf-8") as handle:
        found = re.search(r"^profile:\s*['\"]?([\w.-]+)", handle.read(), re.MULTILINE)
    name = found.group(1) if found else "default"
    directory = os.path.join(os.getcwd(), "dbt-profiles")
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "profiles.yml"), "w", encoding="utf-8") as handle:
        handle.write(f"{name}:\n  target: local\n  outputs:\n    local:\n      type: spark\n"
                     f"      method: session\n      host: localhost\n      schema: {schema}\n")
    return directory


def _pack(target: str, artifacts: str) -> None:
    present = [name for name in _ARTIFACTS if os.path.isfile(os.path.join(target, name))]
    if not present:
        return
    with tarfile.open(artifacts, "w:gz") as archive:
        for name in present:
            archive.add(os.path.join(target, name), arcname=name)
