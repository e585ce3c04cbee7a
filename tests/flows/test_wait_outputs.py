"""What the flows return and show, from a finished run with outputs attached: pure functions, no server."""

from __future__ import annotations

import inspect

from prefect_databricks import flows
from prefect_databricks.waiting.outputs import error_texts, notebook_outputs, task_rows


def _task(key: str, run_id: int, result: str, attempt: int = 0, **output: object) -> dict:
    return {
        "task_key": key,
        "run_id": run_id,
        "attempt_number": attempt,
        "state": {"life_cycle_state": "TERMINATED", "result_state": result, "state_message": "msg"},
        "start_time": 1_000,
        "end_time": 3_500,
        "output": output,
    }


RUN = {
    "run_id": 1,
    "tasks": [
        _task("nb", 10, "SUCCESS", notebook_output={"result": "42", "truncated": False}),
        _task("py", 11, "FAILED", attempt=0, error="RuntimeError: first"),
        _task("py", 12, "SUCCESS", attempt=1, logs="ok"),
        _task("bad", 13, "FAILED", error="ZeroDivisionError: division by zero"),
    ],
}


def test_notebook_outputs_keep_the_0_4_shape_and_the_latest_attempt() -> None:
    assert notebook_outputs(RUN) == {"nb": {"result": "42", "truncated": False}, "py": {}, "bad": {}}


def test_error_texts_by_task_run_id() -> None:
    assert error_texts(RUN) == {11: "RuntimeError: first", 13: "ZeroDivisionError: division by zero"}


def test_task_rows_for_the_table_artifact() -> None:
    rows = {row["task_key"]: row for row in task_rows(RUN)}
    assert rows["py"] == {
        "task_key": "py",
        "state": "TERMINATED/SUCCESS",
        "duration_s": 2.5,
        "attempts": 2,
        "output": "ok",
        "error": "",
    }
    assert rows["nb"]["output"] == "42"
    assert rows["bad"]["error"] == "ZeroDivisionError: division by zero"
    assert rows["bad"]["state"] == "TERMINATED/FAILED"


# From reference/seed-0.4.2-signatures.json: parameter names of the 0.4.2 flows, in order.
SEED_FLOWS = {
    "jobs_runs_submit_and_wait_for_completion": [
        "databricks_credentials",
        "tasks",
        "run_name",
        "max_wait_seconds",
        "poll_frequency_seconds",
        "git_source",
        "timeout_seconds",
        "idempotency_token",
        "access_control_list",
        "return_metadata",
        "job_submission_handler",
        "jobs_runs_submit_kwargs",
    ],
    "jobs_runs_submit_by_id_and_wait_for_completion": [
        "databricks_credentials",
        "job_id",
        "idempotency_token",
        "jar_params",
        "max_wait_seconds",
        "poll_frequency_seconds",
        "notebook_params",
        "python_params",
        "spark_submit_params",
        "python_named_params",
        "pipeline_params",
        "sql_params",
        "dbt_commands",
        "job_submission_handler",
        "jobs_runs_submit_kwargs",
    ],
    "jobs_runs_wait_for_completion": [
        "multi_task_jobs_runs_id",
        "databricks_credentials",
        "run_name",
        "max_wait_seconds",
        "poll_frequency_seconds",
    ],
}


def test_0_4_flow_signatures_are_kept() -> None:
    """Every 0.4 flow keeps its parameters in order (new ones only after them, before **kwargs)."""
    for name, old in SEED_FLOWS.items():
        flow = getattr(flows, name)
        parameters = list(inspect.signature(flow.fn).parameters.values())
        var_kw = [p.name for p in parameters if p.kind is p.VAR_KEYWORD]
        positional = [name for name in old if name not in var_kw]
        assert [p.name for p in parameters][: len(positional)] == positional, name
        assert set(old) <= {p.name for p in parameters}, name
