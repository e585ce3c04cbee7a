"""`dbt_task` with a real dbt (dbt-core + dbt-spark, a cached venv of its own) against the workspace's Spark.

Fields per Jobs API 2.2 `DbtTask` (`commands` must start with `dbt`, at most 10; `source` GIT is refused
here; `project_directory`/`profiles_directory` from the workspace when `source` is WORKSPACE, the default
without `git_source`), run-now's and repair's `dbt_commands` ("An array of commands to execute for jobs
with the dbt task") and `RunOutput.dbt_output` (`artifacts_link`: "A pre-signed URL to download the
(compressed) dbt artifacts", `artifacts_headers`: "headers to send when retrieving the artifact"), from
../shared/spec/jobs-api-2.2.sdk-digest.json. Nothing is mocked: the runs go through the official SDK and
the artifacts come over plain HTTP.
"""

from __future__ import annotations

import base64
import gzip
import importlib.util
import io
import json
import tarfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from compat_helpers import client_python
from databricks.sdk import WorkspaceClient
from databricks.sdk.service import jobs
from databricks.sdk.service import workspace as files

from polling import wait_until
from prefect_databricks.local import LocalWorkspace

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("pyspark") is None or importlib.util.find_spec("grpc") is None,
    reason="the spark extra (pyspark with its Connect client) is not installed",
)

_WAIT_SECONDS = 300
_ENDED = (jobs.RunLifeCycleState.TERMINATED, jobs.RunLifeCycleState.SKIPPED,
          jobs.RunLifeCycleState.INTERNAL_ERROR)
MODELS = {
    "dbt_project.yml": "name: shop\nversion: '1.0'\nprofile: shop\n",
    "models/orders.sql": "select 1 as id, 10 as amount union all select 2 as id, 32 as amount\n",
    "models/totals.sql": "select sum(amount) as total from {{ ref('orders') }}\n",
    "models/schema.yml": "version: 2\nmodels:\n  - name: orders\n    columns:\n      - name: id\n"
                         "        tests: [not_null, unique]\n",
}
PROFILES = """shop:
  target: local
  outputs:
    local:
      type: spark
      method: session
      host: localhost
      schema: {schema}
"""
READ = """# Databricks notebook source
# MAGIC %sql
# MAGIC SELECT total FROM {schema}.totals

# COMMAND ----------

dbutils.notebook.exit(str(_sqldf.first()[0]))
"""


def _outputs(sdk: WorkspaceClient, *tasks: jobs.SubmitTask) -> list[jobs.RunOutput]:
    """Submit `tasks` as one run, wait until it has ended (whatever the result), return each output."""
    run_id = sdk.jobs.submit(run_name="dbt", tasks=list(tasks)).run_id
    deadline = time.monotonic() + _WAIT_SECONDS
    run = sdk.jobs.get_run(run_id)
    while run.state.life_cycle_state not in _ENDED:
        assert time.monotonic() < deadline, f"run {run_id} did not end; last state {run.state}"
        time.sleep(0.2)
        run = sdk.jobs.get_run(run_id)
    by_key = {task.task_key: task.run_id for task in run.tasks or []}
    return [sdk.jobs.get_run_output(by_key[task.task_key]) for task in tasks]


@pytest.fixture
def dbt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cached venv's dbt as the workspace's (a wrapper: the venv was renamed after its build, so its
    scripts' shebangs are stale)."""
    wrapper = tmp_path / "bin" / "dbt"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\nexec "{client_python("dbt")}" -m dbt.cli.main "$@"\n')
    wrapper.chmod(0o700)
    monkeypatch.setenv("PREFECT_DATABRICKS_LOCAL_DBT", str(wrapper))


@pytest.mark.usefixtures("dbt")
def test_dbt_runs_two_models_and_a_notebook_reads_them(workspace: LocalWorkspace, tmp_path: Path) -> None:
    """`dbt run` + `dbt test` with a generated profile; the next task reads the table through `%sql`."""
    tmp_path = tmp_path / "project"
    for name, text in MODELS.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    sdk = WorkspaceClient(host=workspace.host, token=workspace.token)
    schema = f"dbt_{tmp_path.parent.name[-12:]}".replace("-", "_").lower()
    sdk.workspace.import_("/Shared/read_totals", content=_b64(READ.format(schema=schema)),
                          format=files.ImportFormat.SOURCE, language=files.Language.PYTHON, overwrite=True)
    dbt = jobs.SubmitTask(task_key="dbt", dbt_task=jobs.DbtTask(
        commands=["dbt run", "dbt test"], project_directory=str(tmp_path), schema=schema,
        warehouse_id="local"))
    read = jobs.SubmitTask(task_key="read", depends_on=[jobs.TaskDependency("dbt")],
                           notebook_task=jobs.NotebookTask("/Shared/read_totals"))
    dbt_out, read_out = _outputs(sdk, dbt, read)
    assert dbt_out.error is None, dbt_out.logs
    assert "$ dbt test" in dbt_out.logs and "PASS=2" in dbt_out.logs
    assert read_out.notebook_output.result == "42"
    names, results = _artifacts(dbt_out.dbt_output)
    assert "manifest.json" in names
    assert [r["status"] for r in results["results"]] == ["pass", "pass"]
    assert not (tmp_path / "target").exists(), "dbt ran on a copy: the project stays clean"


def test_dbt_task_fields_the_workspace_cannot_honour_are_refused(workspace: LocalWorkspace) -> None:
    sdk = WorkspaceClient(host=workspace.host, token=workspace.token)
    not_dbt = jobs.SubmitTask(task_key="a", dbt_task=jobs.DbtTask(commands=["ls"], project_directory="/x"))
    catalog = jobs.SubmitTask(task_key="b", dbt_task=jobs.DbtTask(
        commands=["dbt run"], project_directory="/x", catalog="main", warehouse_id="local"))
    git = jobs.SubmitTask(task_key="c", dbt_task=jobs.DbtTask(commands=["dbt run"], source=jobs.Source.GIT))
    a, b, c = _outputs(sdk, not_dbt, catalog, git)
    assert "all commands must start with dbt" in (a.error or "")
    assert "only the hive_metastore (spark_catalog) catalog" in (b.error or "")
    assert "from source GIT" in (c.error or "")


@pytest.mark.usefixtures("dbt")
def test_a_workspace_project_runs_run_now_dbt_commands_then_a_repairs(workspace: LocalWorkspace) -> None:
    """The project and its profiles are workspace folders uploaded with the Workspace API (models in a
    subfolder); run-now's `dbt_commands` replace the task's commands, and a repair's replace those."""
    sdk = WorkspaceClient(host=workspace.host, token=workspace.token)
    tag = uuid.uuid4().hex[:10]
    schema, profiles = f"dbt_ws_{tag}", f"/Workspace/Shared/profiles-{tag}"
    project = f"/Workspace/Users/local-user@localhost/shop-{tag}"
    uploads = {f"{project}/{name.replace('models/', 'models/marts/')}": text for name, text in MODELS.items()}
    uploads[f"{profiles}/profiles.yml"] = PROFILES.format(schema=schema)
    for path, text in uploads.items():
        sdk.workspace.mkdirs(path.rsplit("/", 1)[0])
        sdk.workspace.import_(path, content=_b64(text), format=files.ImportFormat.AUTO)
    task = jobs.Task(task_key="dbt", dbt_task=jobs.DbtTask(
        commands=["dbt run", "dbt test"], project_directory=project, profiles_directory=profiles))
    job_id = sdk.jobs.create(name=f"dbt-ws-{tag}", tasks=[task]).job_id or 0
    run_id = sdk.jobs.run_now(job_id, dbt_commands=["dbt run --select orders"]).run_id
    first = _ended_output(sdk, run_id)
    assert first.error is None, first.logs
    assert "$ dbt run --select orders" in (first.logs or "") and "$ dbt test" not in (first.logs or "")
    assert f"{schema}.orders" in (first.logs or ""), "the workspace profiles.yml's schema"
    assert [r["unique_id"] for r in _artifacts(first.dbt_output)[1]["results"]] == ["model.shop.orders"]

    sdk.jobs.repair_run(run_id, rerun_tasks=["dbt"], dbt_commands=["dbt test --select orders"])
    second = _ended_output(sdk, run_id)
    assert second.error is None, second.logs
    assert "$ dbt test --select orders" in (second.logs or "") and "PASS=2" in (second.logs or "")
    run = sdk.jobs.get_run(run_id)
    assert run.overriding_parameters is not None
    assert run.overriding_parameters.dbt_commands == ["dbt test --select orders"]


def _ended_output(sdk: WorkspaceClient, run_id: int) -> jobs.RunOutput:
    """The output of the latest attempt of the run's one task, once the run has ended."""

    def ended() -> jobs.Run | None:
        run = sdk.jobs.get_run(run_id)
        return run if run.state is not None and run.state.life_cycle_state in _ENDED else None

    run = wait_until(ended, f"run {run_id} to end", _WAIT_SECONDS, interval=0.2)
    latest = max(run.tasks or [], key=lambda task: task.attempt_number or 0)
    return sdk.jobs.get_run_output(latest.run_id or 0)


def _artifacts(output: jobs.DbtOutput | None) -> tuple[list[str], Any]:
    """The names in the artifacts tarball and its `run_results.json`, fetched with a plain GET of the
    pre-signed link (no token) and the headers get-output says to send."""
    assert output is not None and output.artifacts_link is not None
    response = httpx.get(output.artifacts_link, headers=output.artifacts_headers or {}, timeout=30)
    assert response.status_code == 200, response.text
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(response.content))) as archive:
        member = archive.extractfile("run_results.json")
        assert member is not None
        return archive.getnames(), json.load(member)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()
