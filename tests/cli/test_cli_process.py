"""The `prefect-databricks` console script as a user runs it: real processes, exit codes, stdout vs stderr."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from cli_helpers import MakeJob, py_task

_SCRIPT = str(Path(sys.executable).parent / "prefect-databricks")


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_SCRIPT, *args], env=_env(env), capture_output=True, text=True, timeout=60)


def _env(extra: dict[str, str]) -> dict[str, str]:
    import os

    return {**os.environ, "PREFECT_HOME": os.environ.get("PREFECT_HOME", "/tmp/prefect-cli-tests"), **extra}


def test_help_is_fast_and_imports_neither_prefect_nor_the_client() -> None:
    modules = "('prefect', 'httpx', 'rich.live')"
    code = f"import sys, prefect_databricks.cli; print(sorted(m for m in {modules} if m in sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert loaded.stdout.strip() == "[]"
    started = time.perf_counter()
    result = subprocess.run([_SCRIPT, "runs", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "watch" in result.stdout and "repair" in result.stdout
    assert time.perf_counter() - started < 5


def test_run_now_wait_of_a_failing_job_exits_1(
    make_job: MakeJob, cli_env: dict[str, str], cli_scripts: Path
) -> None:
    _, name = make_job(py_task("ok", cli_scripts / "ok.py"), py_task("bad", cli_scripts / "fail.py"))
    result = _run("jobs", "run-now", "--job-name", name, "--wait", "--interval", "0.2", env=cli_env)
    assert result.returncode == 1, result.stderr
    assert "bad  FAILED" in result.stdout and "ok  SUCCESS" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_an_api_error_is_one_line_on_stderr(cli_env: dict[str, str]) -> None:
    result = _run("runs", "get", "123", env=cli_env)
    assert result.returncode == 3
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(
        "error: GET jobs/runs/get (run_id=123)"
    )


def test_ctrl_c_stops_watching_and_leaves_the_run_going(
    make_job: MakeJob, cli_env: dict[str, str], cli_scripts: Path, http: httpx.Client
) -> None:
    job_id, _ = make_job(py_task("sleep", cli_scripts / "slow.py"))
    run_id = http.post("/api/2.2/jobs/run-now", json={"job_id": job_id}).json()["run_id"]
    watch = subprocess.Popen(
        [_SCRIPT, "runs", "watch", str(run_id), "--interval", "0.2"],
        env=_env(cli_env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert watch.stdout is not None
        assert watch.stdout.readline().startswith(f"Run {run_id}: http")
        watch.send_signal(signal.SIGINT)
        out, err = watch.communicate(timeout=30)
    finally:
        watch.kill()
    assert watch.returncode == 130
    assert f"Stopped watching; run {run_id} goes on" in out
    assert err.strip() == "error: interrupted"
    state = http.get("/api/2.2/jobs/runs/get", params={"run_id": run_id}).json()["state"]
    assert state["life_cycle_state"] == "RUNNING"
    http.post("/api/2.2/jobs/runs/cancel", json={"run_id": run_id}).raise_for_status()
