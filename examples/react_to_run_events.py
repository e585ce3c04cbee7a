"""Wait for a Databricks run with no process waiting: start it, end the flow, react to its event.

1. `start_job` starts a run of a job by name (`jobs_run_now`: no wait) and ends.
2. `prefect-databricks events`, running beside Prefect, emits `databricks.run.succeeded` when the run ends.
3. `after_job`, served with a trigger on that event, runs with the run's id and page as parameters.

Serve the downstream flow with `python react_to_run_events.py JOB_NAME`, and run
`prefect-databricks events` with the same `PREFECT_API_URL` and the workspace's `DATABRICKS_*`.
"""

from __future__ import annotations

import sys

from prefect import flow
from prefect.events import DeploymentEventTrigger

from prefect_databricks import DatabricksCredentials
from prefect_databricks.jobs import jobs_list_all, jobs_run_now


@flow
def start_job(job_name: str, credentials: DatabricksCredentials | None = None) -> int:
    """Start a run of the job named `job_name` and return its id without waiting for it."""
    creds = credentials or DatabricksCredentials.from_env()
    (job,) = [job for job in jobs_list_all(creds, name=job_name) if job["settings"]["name"] == job_name]
    return int(jobs_run_now(creds, job["job_id"])["run_id"])


@flow
def after_job(run_id: int, run_page_url: str) -> str:
    """What comes next: here it only says which run it follows."""
    message = f"Databricks run {run_id} succeeded: {run_page_url}"
    print(message)
    return message


def on_success_of(job_name: str) -> DeploymentEventTrigger:
    """A trigger for each run of `job_name` that succeeds (a job's runs carry its name)."""
    return DeploymentEventTrigger(
        expect={"databricks.run.succeeded"},
        match={"prefect.resource.id": "databricks.run.*", "prefect.resource.name": job_name},
        for_each={"prefect.resource.id"},
        parameters={
            "run_id": "{{ event.payload.run_id }}",
            "run_page_url": "{{ event.payload.run_page_url }}",
        },
    )


if __name__ == "__main__":
    after_job.serve(name="after-job", triggers=[on_success_of(sys.argv[1])])
