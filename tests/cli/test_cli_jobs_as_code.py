"""`prefect-databricks jobs deploy FILE` and `jobs run-now --cancel-previous` on the session workspace."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import httpx
from cli_helpers import Invoke, json_of, py_task

_BUNDLE = """
variables:
  who:
    default: nobody
resources:
  jobs:
    greet:
      name: {prefix}-greet
      tasks:
        - task_key: hello
          spark_python_task:
            python_file: {script}
            parameters: ["${{var.who}}"]
    check:
      name: {prefix}-check
      max_concurrent_runs: 3
      tasks:
        - task_key: same
          condition_task: {{op: EQUAL_TO, left: "1", right: "1"}}
"""


def _bundle(tmp_path: Path, cli_scripts: Path) -> tuple[Path, str]:
    prefix = f"deploy-{uuid.uuid4().hex[:8]}"
    path = tmp_path / "databricks.yml"
    path.write_text(_BUNDLE.format(prefix=prefix, script=cli_scripts / "ok.py"))
    return path, prefix


def _resets(http: httpx.Client) -> int:
    return int(http.get("/local-api/requests").json()["by_endpoint"].get("jobs/reset", 0))


def test_deploy_creates_then_a_second_deploy_changes_nothing(
    invoke: Invoke, tmp_path: Path, cli_scripts: Path, http: httpx.Client
) -> None:
    path, prefix = _bundle(tmp_path, cli_scripts)
    first = invoke("jobs", "deploy", str(path))
    assert first.exit_code == 0, first.output
    lines = [line.split() for line in first.stdout.splitlines()]
    assert [(key, action) for key, _, action in lines] == [("greet", "created"), ("check", "created")]
    resets = _resets(http)
    second = invoke("jobs", "deploy", str(path), "--json")
    assert second.exit_code == 0, second.output
    rows = json_of(second.stdout)
    assert [(r["key"], r["job_id"], r["action"]) for r in rows] == [
        ("greet", int(lines[0][1]), "unchanged"),
        ("check", int(lines[1][1]), "unchanged"),
    ]
    assert _resets(http) == resets
    third = invoke("jobs", "deploy", str(path), "--var", "who=ada", "--json")
    assert [r["action"] for r in json_of(third.stdout)] == ["updated", "unchanged"]
    job = http.get("/api/2.2/jobs/get", params={"job_id": rows[0]["job_id"]}).json()
    assert job["settings"]["name"] == f"{prefix}-greet"
    assert job["settings"]["tasks"][0]["spark_python_task"]["parameters"] == ["ada"]


def test_deploy_refuses_what_it_cannot_resolve(invoke: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "bundle.yml"
    path.write_text("resources:\n  jobs:\n    j:\n      name: ${workspace.current_user.userName}-j\n")
    result = invoke("jobs", "deploy", str(path))
    assert result.exit_code == 2
    assert "${workspace.current_user.userName} cannot be resolved" in result.stderr
    assert invoke("jobs", "deploy", str(path), "--var", "novalue").exit_code == 2
    assert invoke("jobs", "deploy", str(tmp_path / "missing.yml")).exit_code == 2


def test_run_now_cancel_previous_ends_the_old_run_before_the_new_one_starts(
    invoke: Invoke, tmp_path: Path, http: httpx.Client
) -> None:
    script = tmp_path / "sleep.py"
    script.write_text(textwrap.dedent("import sys, time\ntime.sleep(float(sys.argv[1]))\n"))
    body = {
        "name": f"cli-prev-{uuid.uuid4().hex[:8]}",
        "tasks": [py_task("nap", script, "{{job.parameters.secs}}")],
        "parameters": [{"name": "secs", "default": "600"}],
        "max_concurrent_runs": 2,
    }
    job_id = http.post("/api/2.2/jobs/create", json=body).json()["job_id"]
    old = http.post("/api/2.2/jobs/run-now", json={"job_id": job_id}).json()["run_id"]
    deadline = time.monotonic() + 30
    while (
        http.get("/api/2.2/jobs/runs/get", params={"run_id": old}).json()["state"]["life_cycle_state"]
        != "RUNNING"
    ):
        assert time.monotonic() < deadline, "the old run never started"
        time.sleep(0.1)
    result = invoke(
        "jobs",
        "run-now",
        str(job_id),
        "--cancel-previous",
        "-p",
        "secs=0",
        "--wait",
        "--json",
        "--interval",
        "0.2",
    )
    assert result.exit_code == 0, result.output
    assert f"Cancelled runs {old} of job {job_id}." in result.stderr
    new = json_of(result.stdout)
    previous = http.get("/api/2.2/jobs/runs/get", params={"run_id": old}).json()
    assert previous["state"]["result_state"] == "CANCELED"
    assert 0 < previous["end_time"] <= new["start_time"]


def test_deploy_imports_no_prefect(cli_env: dict[str, str], tmp_path: Path, cli_scripts: Path) -> None:
    """Like every `jobs` command (test_cli_imports.py): read from `python -X importtime`."""
    path, _ = _bundle(tmp_path, cli_scripts)
    script = str(Path(sys.executable).parent / "prefect-databricks")
    result = subprocess.run(
        [sys.executable, "-X", "importtime", script, "jobs", "deploy", str(path), "--json"],
        env={**os.environ, **cli_env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    loaded = [
        line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")
    ]
    assert [name for name in loaded if name == "prefect" or name.startswith("prefect.")] == []
