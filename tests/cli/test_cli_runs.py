"""`prefect-databricks runs …` end to end against the session's local workspace (in-process CliRunner)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cli_helpers import Invoke, MakeJob, json_of, py_task

from prefect_databricks.client import set_testing

RunNow = Callable[[int], int]


def test_watch_shows_each_state_change_then_the_result(
    invoke: Invoke, make_job: MakeJob, run_now: RunNow, cli_scripts: Path
) -> None:
    job_id, _ = make_job(
        py_task("extract", cli_scripts / "ok.py", "rows"),
        py_task("load", cli_scripts / "ok.py", depends_on=[{"task_key": "extract"}]),
    )
    run_id = run_now(job_id)
    result = invoke("runs", "watch", str(run_id), "--interval", "0.1")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"Run {run_id}: http")
    assert any(line.endswith("extract  SUCCESS") for line in lines)
    assert any(line.endswith("load  SUCCESS") for line in lines)
    assert f"Run {run_id}: SUCCESS" in result.stdout and "ok rows" in result.stdout


def test_watch_of_a_failed_run_exits_1_naming_the_task(
    invoke: Invoke, make_job: MakeJob, run_now: RunNow, cli_scripts: Path
) -> None:
    job_id, _ = make_job(py_task("load", cli_scripts / "fail.py"))
    result = invoke("runs", "watch", str(run_now(job_id)), "--interval", "0.1")
    assert result.exit_code == 1, result.output
    assert "RuntimeError: the data is bad" in result.stdout
    assert "failed (INTERNAL_ERROR/FAILED)" in result.stdout


def test_watch_json_is_the_final_run_with_outputs(
    invoke: Invoke, make_job: MakeJob, run_now: RunNow, cli_scripts: Path
) -> None:
    job_id, _ = make_job(py_task("a", cli_scripts / "ok.py", "json"))
    run_id = run_now(job_id)
    run = json_of(invoke("runs", "watch", str(run_id), "--interval", "0.1", "--json").stdout)
    assert run["run_id"] == run_id and run["state"]["result_state"] == "SUCCESS"
    assert "ok json" in run["tasks"][0]["output"]["logs"]


def test_list_get_and_output(invoke: Invoke, make_job: MakeJob, run_now: RunNow, cli_scripts: Path) -> None:
    job_id, _ = make_job(py_task("a", cli_scripts / "ok.py", "out"))
    run_id = run_now(job_id)
    assert invoke("runs", "watch", str(run_id), "--interval", "0.1").exit_code == 0
    listed = json_of(invoke("runs", "list", "--job-id", str(job_id), "--json").stdout)
    assert [run["run_id"] for run in listed] == [run_id]
    assert invoke("runs", "list", "--job-id", str(job_id)).stdout.count("SUCCESS") == 1
    got = json_of(invoke("runs", "get", str(run_id), "--json").stdout)
    assert got["tasks"][0]["task_key"] == "a"
    outputs = json_of(invoke("runs", "output", str(run_id), "--json").stdout)
    assert outputs["a"]["logs"].strip() == "ok out"
    text = invoke("runs", "output", str(run_id))
    assert text.exit_code == 0 and "ok out" in text.stdout


def test_cancel_wait_ends_the_run(
    invoke: Invoke, make_job: MakeJob, run_now: RunNow, cli_scripts: Path
) -> None:
    job_id, _ = make_job(py_task("sleep", cli_scripts / "slow.py"))
    run_id = run_now(job_id)
    result = invoke("runs", "cancel", str(run_id), "--wait", "--interval", "0.1", "--json")
    assert result.exit_code == 0, result.output
    assert json_of(result.stdout)["state"]["result_state"] == "CANCELED"
    watched = invoke("runs", "watch", str(run_id))
    assert watched.exit_code == 1 and "was canceled" in watched.stdout


def test_repair_reruns_the_failed_task(
    invoke: Invoke, make_job: MakeJob, run_now: RunNow, cli_scripts: Path, tmp_path: Path
) -> None:
    job_id, _ = make_job(py_task("flaky", cli_scripts / "flaky.py", str(tmp_path / "marker")))
    run_id = run_now(job_id)
    assert invoke("runs", "watch", str(run_id), "--interval", "0.1").exit_code == 1
    result = invoke("runs", "repair", str(run_id), "--wait", "--interval", "0.1")
    assert result.exit_code == 0, result.output
    assert "second attempt works" in result.stdout
    again = invoke("runs", "repair", str(run_id), "--task", "flaky", "--json")
    assert again.exit_code == 0, again.output
    assert json_of(again.stdout)["repair_id"]


def test_an_unknown_run_is_one_error_line(invoke: Invoke) -> None:
    result = invoke("runs", "watch", "987654321")
    assert result.exit_code == 3
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("error: GET jobs/runs/get (run_id=987654321): HTTP 400")


def test_an_unreachable_workspace_is_one_error_line(invoke: Invoke) -> None:
    set_testing(True)  # the retries' backoff is zeroed; they still happen
    try:
        result = invoke("runs", "list", env={"DATABRICKS_HOST": "http://127.0.0.1:9"})  # nothing listens on 9
    finally:
        set_testing(False)
    assert result.exit_code == 3
    assert result.stderr.startswith("error: GET jobs/runs/list: no answer after")
    assert len(result.stderr.splitlines()) == 1


def test_a_task_kind_the_local_workspace_cannot_run_fails_with_a_clear_message(
    invoke: Invoke, make_job: MakeJob, run_now: RunNow
) -> None:
    pipeline = {"task_key": "q", "pipeline_task": {"pipeline_id": "p-1"}}
    job_id, _ = make_job(pipeline)
    result = invoke("runs", "watch", str(run_now(job_id)), "--interval", "0.1", "--json")
    assert result.exit_code == 1
    message = json_of(result.stdout)["tasks"][0]["state"]["state_message"]
    expected = "The local workspace cannot run pipeline_task tasks (task 'q'); it runs only notebook_task"
    assert message.startswith(expected)
