"""Apache Airflow's Databricks provider against the local workspace; writes its results to COMPAT_RESULTS.

Run by tests/compat in its own venv (apache-airflow + apache-airflow-providers-databricks). The connection
comes from AIRFLOW_CONN_DATABRICKS_DEFAULT, with `host`, `port` and `schema` set as Airflow needs them.
The operators are executed directly with a context, as a task would run them.
"""

from __future__ import annotations

import asyncio
import json
import os
import time

from airflow.exceptions import AirflowException
from airflow.providers.databricks.hooks.databricks import DatabricksHook
from airflow.providers.databricks.operators.databricks import (
    DatabricksCreateJobsOperator,
    DatabricksRunNowOperator,
    DatabricksSubmitRunOperator,
)

ECHO, FLAKY, SLEEP = os.environ["COMPAT_ECHO"], os.environ["COMPAT_FLAKY"], os.environ["COMPAT_SLEEP"]
NAME = os.environ["COMPAT_NAME"]
CONTEXT: dict[str, object] = {}
results: dict[str, object] = {}
hook = DatabricksHook(retry_limit=3, retry_delay=1)


def notebook(key: str, path: str, **parameters: str) -> dict[str, object]:
    return {
        "task_key": key,
        "notebook_task": {"notebook_path": path, "base_parameters": parameters},
        "timeout_seconds": 600,
        "max_retries": 0,
    }


def outputs(run_id: int) -> dict[str, str]:
    return {
        t["task_key"]: hook.get_run_output(t["run_id"]).get("notebook_output", {}).get("result", "")
        for t in hook.get_run(run_id)["tasks"]
    }


def wait_terminal(run_id: int) -> str:
    deadline = time.monotonic() + 60
    while not (state := hook.get_run_state(run_id)).is_terminal:
        assert time.monotonic() < deadline, f"run {run_id} still {state}"
        time.sleep(0.3)
    return state.result_state


create = DatabricksCreateJobsOperator(
    task_id="create",
    name=NAME,
    tasks=[notebook("echo", ECHO, who="nobody")],
    max_concurrent_runs=2,
    timeout_seconds=900,
    do_xcom_push=False,
)
job_id = create.execute(CONTEXT)
job = hook._do_api_call(("GET", "2.2/jobs/get"), {"job_id": job_id})
results["create"] = {
    "job_id": job_id,
    "max_concurrent_runs": job["settings"]["max_concurrent_runs"],
    "timeout_seconds": job["settings"]["timeout_seconds"],
}

run_now = DatabricksRunNowOperator(
    task_id="run_now",
    job_id=job_id,
    notebook_params={"who": "airflow"},
    polling_period_seconds=1,
    do_xcom_push=False,
)
run_now.execute(CONTEXT)
state = hook.get_run_state(run_now.run_id)
results["run_now"] = {
    "result_state": state.result_state,
    "outputs": outputs(run_now.run_id),
    "job_id": hook.get_job_id(run_now.run_id),
}
results["list"] = {
    "found": hook.find_job_id_by_name(NAME),
    "listed": [j["job_id"] for j in hook.list_jobs(job_name=NAME)],
}

flaky = DatabricksCreateJobsOperator(
    task_id="flaky",
    name=NAME + "-flaky",
    tasks=[notebook("flaky", FLAKY, marker=os.environ["COMPAT_MARKER"])],
    do_xcom_push=False,
).execute(CONTEXT)
repaired = DatabricksRunNowOperator(
    task_id="repair", job_id=flaky, repair_run=True, polling_period_seconds=1, do_xcom_push=False
)
try:
    repaired.execute(CONTEXT)
    raised = ""
except AirflowException as exc:  # 7.23 raises the first failure even after a successful repair
    raised = str(exc).split(" failed with", 1)[0]
history = hook._do_api_call(
    ("GET", "2.2/jobs/runs/get"), {"run_id": repaired.run_id, "include_history": True}
)
results["repair"] = {
    "result_state": hook.get_run_state(repaired.run_id).result_state,
    "raised": raised,
    "history": [item["type"] for item in history["repair_history"]],
    "latest_repair_id": hook.get_latest_repair_id(repaired.run_id),
    "outputs": outputs(repaired.run_id),
}

sleeper = hook.create_job({"name": NAME + "-sleep", "tasks": [notebook("sleep", SLEEP, seconds="60")]})
long_run = hook.run_now({"job_id": sleeper})
while hook.get_run_state(long_run).life_cycle_state in ("QUEUED", "PENDING"):
    time.sleep(0.2)
hook.cancel_run(long_run)
results["cancel"] = {"result_state": wait_terminal(long_run)}

submit = DatabricksSubmitRunOperator(
    task_id="submit",
    run_name=NAME + "-once",
    tasks=[notebook("once", ECHO, who="submit")],
    timeout_seconds=600,
    polling_period_seconds=1,
    do_xcom_push=False,
)
submit.execute(CONTEXT)
results["submit"] = {
    "result_state": hook.get_run_state(submit.run_id).result_state,
    "outputs": outputs(submit.run_id),
}


async def read_async(run_id: int) -> dict[str, object]:
    async with DatabricksHook(retry_limit=3, retry_delay=1) as async_hook:
        state = await async_hook.a_get_run_state(run_id)
        run = await async_hook.a_get_run(run_id)
        output = await async_hook.a_get_run_output(run["tasks"][0]["run_id"])
    return {
        "result_state": state.result_state,
        "run_id": run["run_id"],
        "result": output["notebook_output"]["result"],
    }


results["async"] = asyncio.run(read_async(run_now.run_id))

hook.delete_run(submit.run_id)
for gone in (job_id, flaky, sleeper):
    hook._do_api_call(("POST", "2.2/jobs/delete"), {"job_id": gone})
results["delete"] = {"left": hook.list_jobs(job_name=NAME)}
with open(os.environ["COMPAT_RESULTS"], "w") as out:
    json.dump(results, out)
