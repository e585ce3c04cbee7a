"""Jobs as code: ensure a job by name from settings or a bundle file, and cancel a job's previous runs.

compare     stored settings against wanted ones, with the service's defaults; permissions too
ensure      find by name, then create, reset only on a difference, and keep the permissions
bundle      `resources.jobs.<key>` from a YAML/JSON bundle file, `${var.x}` resolved
previous    cancel a job's active runs and wait until they have ended
flow_steps  the waiting flow's ensure and cancel-previous steps (the one module that imports Prefect)

The others use only the client, so the Prefect tasks and the CLI share them.
"""

from __future__ import annotations

from prefect_databricks.jobs_as_code.bundle import load_jobs, parse_jobs
from prefect_databricks.jobs_as_code.ensure import EnsuredJob, ensure_job
from prefect_databricks.jobs_as_code.previous import cancel_active_runs

__all__ = ["EnsuredJob", "cancel_active_runs", "ensure_job", "load_jobs", "parse_jobs"]
