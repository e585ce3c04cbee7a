"""`dbt_task` with a real dbt (dbt-core + dbt-spark, a cached venv of its own) against the workspace's Spark.

Fields per Jobs API 2.2 `DbtTask` (`commands` must start with `dbt`, at most 10; `source` GIT is refused
here) and `RunOutput.dbt_output` (`artifacts_link`, `artifacts_headers`), from
../shared/spec/jobs-api-2.2.sdk-digest.json. Nothing is mocked: the runs go through the official SDK.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import tarfile
import time
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import pytest
from compat_helpers import client_python
from databricks.sdk import WorkspaceClient
from databricks.sdk.service import jobs
from databricks.sdk.service import workspace as files

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


def test_dbt_runs_two_models_and_a_notebook_reads_them(
    workspace: LocalWorkspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dbt run` + `dbt test` with a generated profile; the next task reads the table through `%sql`."""
    wrapper = tmp_path / "bin" / "dbt"  # the cached venv was renamed after its build: stale shebangs
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\nexec "{client_python("dbt")}" -m dbt.cli.main "$@"\n')
    wrapper.chmod(0o700)
    monkeypatch.setenv("PREFECT_DATABRICKS_LOCAL_DBT", str(wrapper))
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
    assert dbt_out.dbt_output.artifacts_headers == {}
    link = url2pathname(urlparse(dbt_out.dbt_output.artifacts_link).path)
    with tarfile.open(link) as archive:
        results = json.load(archive.extractfile("run_results.json"))  # type: ignore[arg-type]
        assert "manifest.json" in archive.getnames()
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


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()
