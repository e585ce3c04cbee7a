"""The Jobs tasks behind `prefect_databricks.jobs`, one job per module.

build         request fields from arguments, the client-side checks, the one call, the sync twin
job_tasks     the async tasks for saved jobs and their permissions
run_tasks     the async tasks for job runs
ensure_tasks  the async tasks for jobs as code: a job ensured by name, or every job of a bundle file
"""
