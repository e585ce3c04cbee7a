"""prefect-databricks 0.4.2, unmodified, against `workspace serve --tls`; results go to COMPAT_RESULTS.

Run by tests/compat in its own venv (prefect-databricks 0.4.2 beside the same Prefect as this package).
0.4 hard-codes `https://<databricks_instance>/api/`: the only local setting is SSL_CERT_FILE, the CA
the workspace printed. Its tasks and both of its waiting flows run in one Prefect flow.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from prefect import flow

from prefect_databricks import DatabricksCredentials
from prefect_databricks.flows import (
    jobs_runs_submit_and_wait_for_completion,
    jobs_runs_submit_by_id_and_wait_for_completion,
    jobs_runs_wait_for_completion,
)
from prefect_databricks.jobs import (
    jobs_create,
    jobs_delete,
    jobs_list,
    jobs_run_now,
    jobs_runs_cancel,
    jobs_runs_get,
    jobs_runs_get_output,
    jobs_runs_repair,
)
from prefect_databricks.models.jobs import JobTaskSettings, NotebookTask, RunSubmitTaskSettings

ECHO, FLAKY, SLEEP = os.environ["COMPAT_ECHO"], os.environ["COMPAT_FLAKY"], os.environ["COMPAT_SLEEP"]
NAME = os.environ["COMPAT_NAME"]
creds = DatabricksCredentials(
    databricks_instance=os.environ["COMPAT_INSTANCE"], token=os.environ["COMPAT_TOKEN"]
)


def notebook(key: str, path: str, **parameters: str) -> JobTaskSettings:
    return JobTaskSettings(
        task_key=key, notebook_task=NotebookTask(notebook_path=path, base_parameters=parameters)
    )


async def outputs(run_id: int) -> dict[str, str]:
    run = await jobs_runs_get(run_id, creds)
    found = {}
    for task in run["tasks"]:
        output = await jobs_runs_get_output(task["run_id"], creds)
        found[task["task_key"]] = output.get("notebook_output", {}).get("result", "")
    return found


async def wait(run_id: int) -> str:
    state, _ = await jobs_runs_wait_for_completion(
        run_id, creds, max_wait_seconds=120, poll_frequency_seconds=1
    )
    return str(state.get("result_state"))


@flow
async def scenarios() -> dict[str, Any]:
    results: dict[str, Any] = {}
    job_id = (await jobs_create(creds, name=NAME, tasks=[notebook("echo", ECHO, who="nobody")]))["job_id"]
    results["create"] = {"job_id": job_id}
    run_id = (await jobs_run_now(creds, job_id=job_id, notebook_params={"who": "prefect 0.4"}))["run_id"]
    results["run_now"] = {"state": await wait(run_id), "outputs": await outputs(run_id)}
    listed = (await jobs_list(creds, name=NAME))["jobs"]
    results["list"] = {"listed": [job["job_id"] for job in listed]}

    flaky = await jobs_create(
        creds, name=NAME + "-flaky", tasks=[notebook("flaky", FLAKY, marker=os.environ["COMPAT_MARKER"])]
    )
    failed = (await jobs_run_now(creds, job_id=flaky["job_id"]))["run_id"]
    first = await wait(failed)
    repair = await jobs_runs_repair(creds, run_id=failed, rerun_all_failed_tasks=True)
    history = (await jobs_runs_get(failed, creds, include_history=True))["repair_history"]
    results["repair"] = {
        "first": first,
        "after": await wait(failed),
        "repair_id": repair["repair_id"],
        "history": [item["type"] for item in history],
        "outputs": await outputs(failed),
    }

    sleeper = await jobs_create(creds, name=NAME + "-sleep", tasks=[notebook("sleep", SLEEP, seconds="60")])
    long_run = (await jobs_run_now(creds, job_id=sleeper["job_id"]))["run_id"]
    while (await jobs_runs_get(long_run, creds))["state"]["life_cycle_state"] in ("QUEUED", "PENDING"):
        await asyncio.sleep(0.2)
    await jobs_runs_cancel(creds, run_id=long_run)
    results["cancel"] = {"state": await wait(long_run)}

    once = RunSubmitTaskSettings(
        task_key="once",
        notebook_task=NotebookTask(notebook_path=ECHO, base_parameters={"who": "submit flow"}),
    )
    results["submit_flow"] = await jobs_runs_submit_and_wait_for_completion(
        creds, tasks=[once], run_name=NAME + "-once", poll_frequency_seconds=1, max_wait_seconds=120
    )
    by_id = await jobs_runs_submit_by_id_and_wait_for_completion(
        creds, job_id, notebook_params={"who": "by id"}, poll_frequency_seconds=1, max_wait_seconds=120
    )
    results["submit_by_id_flow"] = by_id

    for gone in (job_id, flaky["job_id"], sleeper["job_id"]):
        await jobs_delete(creds, job_id=gone)
    results["delete"] = {"left": (await jobs_list(creds, name=NAME)).get("jobs", [])}
    return results


if __name__ == "__main__":
    found = asyncio.run(scenarios())
    with open(os.environ["COMPAT_RESULTS"], "w") as out:
        json.dump(found, out, default=str)
