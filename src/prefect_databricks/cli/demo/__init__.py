"""`prefect-databricks demo`, the main job: a five-task Databricks job run from a Prefect flow.

job     the job's settings, the flow that uploads its code, creates it, runs it and waits, and `main`
view    what the demo prints: the progress while the run goes, then each task's result
assets  the notebooks and the Python file the job runs, uploaded through the Workspace API
"""

from __future__ import annotations

from prefect_databricks.cli.demo.job import JOB_NAME, demo_flow, job_settings, main

__all__ = ["JOB_NAME", "demo_flow", "job_settings", "main"]
