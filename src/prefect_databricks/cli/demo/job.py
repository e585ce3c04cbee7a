"""The main job: a multi-task Databricks job, run from a Prefect flow and waited on.

With no `DATABRICKS_HOST` set it starts an embedded local workspace in a temporary directory;
with `DATABRICKS_HOST` (and a token or service principal) it uses that workspace instead.
"""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import os
import tempfile
from importlib import resources
from typing import Any

from prefect import flow

from prefect_databricks.cli.demo.view import print_result, show_progress
from prefect_databricks.credentials import DatabricksCredentials
from prefect_databricks.flows import DatabricksRunError, jobs_run_now_and_wait

__all__ = ["JOB_NAME", "demo_flow", "job_settings", "main"]

JOB_NAME = "prefect-databricks demo"
FOLDER = "/Shared/prefect-databricks-demo"
_NOTEBOOKS = ("ingest", "score_region", "small_batch", "spark_sales")
SPARK_NOTE = (
    "No Spark step: the local workspace runs `spark` with the spark extra "
    "(pip install 'prefect-databricks[spark]')."
)


def _notebook(name: str, **extra: Any) -> dict[str, Any]:
    return {"notebook_task": {"notebook_path": f"{FOLDER}/{name}", "source": "WORKSPACE", **extra}}


def job_settings(spark: bool = True) -> dict[str, Any]:
    """A job that shows the product off: parameters, task values, a for-each, a branch, a file, and
    (with `spark`) a Spark step: ingest to a table, aggregate with SQL, read back."""
    orders = "{{tasks.ingest.values.order_count}}"
    spark_step = [
        {"task_key": "spark_sales", "depends_on": [{"task_key": "ingest"}], **_notebook("spark_sales")}
    ]
    return {
        "name": JOB_NAME,
        "parameters": [{"name": "region", "default": "emea"}, {"name": "orders", "default": "12"}],
        "environments": [{"environment_key": "default", "spec": {"client": "1"}}],
        "tasks": [
            {"task_key": "ingest", **_notebook("ingest")},
            {
                "task_key": "score_regions",
                "depends_on": [{"task_key": "ingest"}],
                "for_each_task": {
                    "inputs": '["nordics", "iberia", "benelux"]',
                    "concurrency": 2,
                    "task": {
                        "task_key": "score_region",
                        **_notebook("score_region", base_parameters={"market": "{{input}}"}),
                    },
                },
            },
            {
                "task_key": "enough_orders",
                "depends_on": [{"task_key": "ingest"}],
                "condition_task": {"op": "GREATER_THAN_OR_EQUAL", "left": orders, "right": "10"},
            },
            {
                "task_key": "report",
                "depends_on": [
                    {"task_key": "enough_orders", "outcome": "true"},
                    {"task_key": "score_regions"},
                ],
                "environment_key": "default",
                "spark_python_task": {
                    "python_file": f"{FOLDER}/report.py",
                    "source": "WORKSPACE",
                    "parameters": ["--orders", orders, "--total", "{{tasks.ingest.values.total}}"],
                },
            },
            {
                "task_key": "small_batch",
                "depends_on": [{"task_key": "enough_orders", "outcome": "false"}],
                **_notebook("small_batch"),
            },
            *(spark_step if spark else []),
        ],
    }


def spark_available() -> bool:
    """Whether an embedded local workspace can run `spark` here (the spark extra is installed)."""
    return all(importlib.util.find_spec(name) is not None for name in ("pyspark", "grpc"))


async def _upload(credentials: DatabricksCredentials) -> None:
    """Put the notebooks and the Python file in place through the Workspace API."""
    client = credentials.get_jobs_client()
    assets = resources.files("prefect_databricks.cli.demo").joinpath("assets")
    await client.call("workspace/mkdirs", params={"path": FOLDER})
    for name in (*_NOTEBOOKS, "report"):
        content = base64.b64encode(assets.joinpath(f"{name}.py").read_bytes()).decode()
        notebook = {"format": "SOURCE", "language": "PYTHON"} if name in _NOTEBOOKS else {"format": "AUTO"}
        path = f"{FOLDER}/{name}" if name in _NOTEBOOKS else f"{FOLDER}/{name}.py"
        await client.call(
            "workspace/import", params={"path": path, "content": content, "overwrite": True, **notebook}
        )


async def _ensure_job(credentials: DatabricksCredentials, spark: bool) -> int:
    """The demo job's id: its settings reset if it exists, created otherwise."""
    client = credentials.get_jobs_client()
    settings = job_settings(spark)
    async for job in client.iter_jobs(name=JOB_NAME):
        await client.call("jobs/reset", params={"job_id": job["job_id"], "new_settings": settings})
        return int(job["job_id"])
    return int((await client.call("jobs/create", params=settings))["job_id"])


@flow(name="prefect-databricks demo", log_prints=True)
async def demo_flow(
    credentials: DatabricksCredentials, started: asyncio.Queue[int] | None = None, spark: bool = True
) -> dict[str, Any]:
    """Upload the code, create the job, run it now and wait: returns the finished run."""
    await _upload(credentials)
    job_id = await _ensure_job(credentials, spark)
    handler = (lambda response: started.put_nowait(int(response["run_id"]))) if started else None
    _, run = await jobs_run_now_and_wait(
        credentials,
        job_id=job_id,
        return_metadata=True,
        poll_frequency_seconds=2,
        job_submission_handler=handler,
    )
    return run


async def _run(credentials: DatabricksCredentials, spark: bool = True) -> int:
    started: asyncio.Queue[int] = asyncio.Queue()
    progress = asyncio.create_task(show_progress(credentials, started))
    try:
        run = await demo_flow(credentials, started, spark)
    except DatabricksRunError as exc:
        await progress  # the run has ended: the view shows its last states, then stops
        print(f"The demo run failed: {exc}")
        return 1
    await progress
    print_result(run)
    return 0


def _quiet_temporary_server() -> None:
    """Without `PREFECT_API_URL` the flow starts Prefect's temporary server, whose telemetry heartbeat
    races the migrations on a fresh database and logs an 80-line `database is locked` traceback; the
    demo turns that heartbeat off unless the variable is set (it is inherited by the server process).
    """
    if not os.environ.get("PREFECT_API_URL"):
        os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def main() -> int:
    """Run the demo; exit code 0 when the Databricks run succeeded."""
    _quiet_temporary_server()
    if os.environ.get("DATABRICKS_HOST"):
        credentials = DatabricksCredentials.from_env()
        print(f"Using the workspace at {credentials.databricks_instance} (DATABRICKS_HOST is set).")
        return asyncio.run(_run(credentials))
    from prefect_databricks.local import LocalWorkspace

    with tempfile.TemporaryDirectory(prefix="dbx-demo-") as data_dir, LocalWorkspace(data_dir) as ws:
        print(f"Started a local workspace at {ws.host} (set DATABRICKS_HOST to use a real one).")
        spark = spark_available()
        if not spark:
            print(SPARK_NOTE)
        code = asyncio.run(_run(ws.credentials(), spark))
        print("The embedded workspace stops now; `prefect-databricks workspace serve` keeps one running.")
        return code
