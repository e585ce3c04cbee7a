"""The tasks inside real Prefect flows: sync flow, async flow (0.4 style), `.submit`, `a`-variants.

These share one temporary Prefect server (`prefect_harness`); everything else is tested through
`.fn` without the engine.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from prefect import flow
from task_helpers import RecordingTransport, is_terminal

from prefect_databricks.credentials import DatabricksCredentials
from prefect_databricks.jobs import (
    ajobs_create,
    ajobs_get,
    ajobs_runs_get,
    jobs_create,
    jobs_delete,
    jobs_get,
    jobs_runs_get,
    jobs_runs_submit,
)

pytestmark = pytest.mark.usefixtures("prefect_harness")

_CONDITION = {"op": "EQUAL_TO", "left": "1", "right": "1"}


def test_sync_flow_calls_tasks_plainly(creds: DatabricksCredentials) -> None:
    @flow
    def manage_a_job() -> tuple[dict[str, Any], dict[str, Any]]:
        created = jobs_create(
            creds, "from-a-sync-flow", tasks=[{"task_key": "a", "condition_task": _CONDITION}]
        )
        job = jobs_get(created["job_id"], creds)
        submitted = jobs_get.submit(created["job_id"], creds).result()
        jobs_delete(creds, created["job_id"])
        return job, submitted

    job, submitted = manage_a_job()
    assert job["settings"]["name"] == "from-a-sync-flow"
    assert submitted["job_id"] == job["job_id"]


def test_0_4_style_async_flow_awaits_the_seed_names(creds: DatabricksCredentials) -> None:
    """As in 0.4's README: models from `prefect_databricks.models.jobs`, `await jobs_runs_submit`."""
    from prefect_databricks.models.jobs import JobTaskSettings, TaskDependencies, TaskDependency

    @flow
    async def submit_and_wait() -> dict[str, Any]:
        first = JobTaskSettings(task_key="first", condition_task=_CONDITION)
        second = {"task_key": "second", "condition_task": _CONDITION, "depends_on": [{"task_key": "first"}]}
        third = JobTaskSettings(
            task_key="third",
            condition_task=_CONDITION,
            depends_on=TaskDependencies([TaskDependency(task_key="second")]),
        )
        run = await jobs_runs_submit(
            databricks_credentials=creds, run_name="prefect-job", tasks=[first, second, third]
        )
        while not is_terminal(state := await jobs_runs_get(run["run_id"], creds)):
            await asyncio.sleep(0.2)
        return state

    run = asyncio.run(submit_and_wait())
    assert run["state"]["result_state"] == "SUCCESS"
    assert [t["task_key"] for t in run["tasks"]] == ["first", "second", "third"]


def test_async_variants_inside_an_async_flow(creds: DatabricksCredentials) -> None:
    @flow
    async def with_a_variants() -> dict[str, Any]:
        created = await ajobs_create(
            creds, "a-variant", tasks=[{"task_key": "x", "condition_task": _CONDITION}]
        )
        return await ajobs_get(created["job_id"], creds)

    assert asyncio.run(with_a_variants())["settings"]["name"] == "a-variant"


def test_models_keep_wire_names_and_unknown_fields_through_the_engine(
    recorded_creds: DatabricksCredentials, recorder: RecordingTransport
) -> None:
    """Prefect walks task inputs; the `schema` alias and extra fields must survive that walk."""
    from prefect_databricks.models import DbtTask, SubmitTask

    task = SubmitTask(
        task_key="dbt",
        dbt_task=DbtTask(commands=["dbt run"], schema="analytics", warehouse_id="w"),
        future_field={"kept": True},
    )

    @flow
    def submit_one() -> dict[str, Any]:
        return jobs_runs_submit(recorded_creds, [task], "engine-walk")

    submit_one()
    sent = recorder.bodies()[-1]["tasks"][0]
    assert sent["dbt_task"]["schema"] == "analytics"
    assert sent["future_field"] == {"kept": True}


def test_the_sync_twin_keeps_the_async_signature_and_docstring() -> None:
    import inspect

    assert inspect.signature(jobs_runs_get.fn) == inspect.signature(ajobs_runs_get.fn)
    assert jobs_runs_get.description == ajobs_runs_get.description
    assert "Args:" in jobs_runs_get.description
    assert jobs_runs_get.name == "jobs_runs_get"
    assert jobs_runs_get.with_options(name="poll").aio.name == "poll"
