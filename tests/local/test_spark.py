"""`spark`, `%sql` cells and `sql_task` against the workspace's one Spark Connect server (the spark extra).

Nothing is mocked: notebooks and SQL files run as task processes that share the session workspace's
server (started once, by the first test that needs it); skipped only when the extra is not installed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.service import compute, jobs
from runs_helpers import unique
from sdk_helpers import import_notebook, run_tasks, submit_notebook

from prefect_databricks.local import LocalWorkspace

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("pyspark") is None or importlib.util.find_spec("grpc") is None,
    reason="the spark extra (pyspark with its Connect client) is not installed",
)

WRITE = """# Databricks notebook source
rows = [(1, "a", 10), (2, "b", 20), (3, "a", 30)]
df = spark.createDataFrame(rows, "id INT, grp STRING, amount INT")
df.write.mode("overwrite").saveAsTable("default.{table}")
dbutils.notebook.exit(str(spark.table("spark_catalog.default.{table}").count()))
"""
READ = """# Databricks notebook source
# MAGIC %sql
# MAGIC SELECT grp, SUM(amount) AS total FROM default.{table} GROUP BY grp ORDER BY grp

# COMMAND ----------

import json
import os
dbutils.notebook.exit(json.dumps([list(r) for r in _sqldf.collect()]))
"""


@pytest.fixture
def sdk(workspace: LocalWorkspace) -> Iterator[WorkspaceClient]:
    """A WorkspaceClient authenticated with the workspace's token."""
    yield WorkspaceClient(host=workspace.host, token=workspace.token)


def _notebook_task(key: str, path: str, depends: str | None = None) -> jobs.SubmitTask:
    return jobs.SubmitTask(task_key=key, notebook_task=jobs.NotebookTask(path),
                           depends_on=[jobs.TaskDependency(depends)] if depends else None)


def test_a_notebook_writes_a_table_and_the_next_task_reads_it_with_sql(sdk: WorkspaceClient) -> None:
    table = unique("sales").replace("-", "_")
    writer = import_notebook(sdk, WRITE.format(table=table))
    reader = import_notebook(sdk, READ.format(table=table))
    written, read = run_tasks(sdk, _notebook_task("write", writer), _notebook_task("read", reader, "write"))
    assert written.error is None, written.error_trace
    assert written.notebook_output.result == "3"
    assert read.error is None, read.error_trace
    assert json.loads(read.notebook_output.result) == [["a", 40], ["b", 20]]


def test_sql_task_runs_a_workspace_file(sdk: WorkspaceClient, tmp_path: Path) -> None:
    table = unique("q").replace("-", "_")
    query = (f"CREATE TABLE default.{table} (n INT);\nINSERT INTO default.{table} VALUES ({{{{n}}}}), (2);\n"
             f"-- a comment; with a semicolon\nSELECT SUM(n) AS total FROM default.{table}")
    path = tmp_path / "query.sql"
    path.write_text(query)
    task = jobs.SubmitTask(task_key="q", sql_task=jobs.SqlTask(
        warehouse_id="local", file=jobs.SqlTaskFile(str(path)), parameters={"n": "40"}))
    [output] = run_tasks(sdk, task)
    assert output.error is None, output.error_trace
    assert output.sql_output.query_output.query_text == query
    assert output.sql_output.query_output.warehouse_id == "local"
    assert "|42   |" in output.logs
    failing = tmp_path / "bad.sql"
    failing.write_text("SELECT * FROM default.no_such_table_here")
    bad_sql = jobs.SqlTask(warehouse_id="w", file=jobs.SqlTaskFile(str(failing)))
    bad = jobs.SubmitTask(task_key="q", sql_task=bad_sql)
    [error] = run_tasks(sdk, bad)
    assert "TABLE_OR_VIEW_NOT_FOUND" in (error.error or "")


def test_sql_task_refuses_saved_queries(sdk: WorkspaceClient) -> None:
    saved = jobs.SqlTask(warehouse_id="w", query=jobs.SqlTaskQuery("1"))
    task = jobs.SubmitTask(task_key="q", sql_task=saved)
    [output] = run_tasks(sdk, task)
    assert "runs only sql_task.file" in (output.error or "")


def test_delta_tables_and_unity_catalog_names_fail_saying_why(sdk: WorkspaceClient) -> None:
    """delta-spark's wheel has no jars (they come from Maven, not reachable here), and the only catalog
    is the session catalog: both errors say so (Spark's own errors name neither reason)."""
    table = unique("d").replace("-", "_")
    delta = import_notebook(sdk, f'spark.sql("CREATE TABLE default.{table} (n INT) USING DELTA")\n')
    main = import_notebook(sdk, 'spark.table("main.default.anything").count()\n')
    delta_out, main_out = run_tasks(sdk, _notebook_task("delta", delta), _notebook_task("main", main))
    assert "DATA_SOURCE_NOT_FOUND" in (delta_out.error or ""), delta_out.error
    assert "Delta Lake is not available in the local workspace" in (delta_out.error or "")
    assert "REQUIRES_SINGLE_PART_NAMESPACE" in (main_out.error or ""), main_out.error
    assert "The local workspace has one catalog, spark_catalog" in (main_out.error or "")


def test_python_files_get_the_workspace_session_and_cluster_spark_conf(
    sdk: WorkspaceClient, tmp_path: Path
) -> None:
    path = tmp_path / "job.py"
    path.write_text("from pyspark.sql import SparkSession\nspark = SparkSession.builder.getOrCreate()\n"
                    "print('rows', spark.range(5).count())\n")
    conf = {"spark.sql.shuffle.partitions": "3"}
    notebook = import_notebook(sdk, 'dbutils.notebook.exit(spark.conf.get("spark.sql.shuffle.partitions"))\n')
    cluster = compute.ClusterSpec(spark_conf=conf)
    file_task = jobs.SubmitTask(task_key="f", spark_python_task=jobs.SparkPythonTask(str(path)))
    nb_task = jobs.SubmitTask(task_key="n", notebook_task=jobs.NotebookTask(notebook), new_cluster=cluster)
    file_out, nb_out = run_tasks(sdk, file_task, nb_task)
    assert "rows 5" in file_out.logs
    assert nb_out.notebook_output.result == "3"


_SERVE = (
    "import json, sys, threading\nfrom prefect_databricks.local import LocalWorkspace\n"
    "ws = LocalWorkspace(sys.argv[1]).start()\n"
    "print(json.dumps({'host': ws.host, 'token': ws.token}), flush=True)\nthreading.Event().wait()\n"
)


def test_tables_survive_a_killed_workspace_and_its_server_dies_with_it(tmp_path: Path) -> None:
    """The first workspace process is SIGKILLed: its Spark server must not outlive it, the table must."""
    source = 'spark.sql("CREATE TABLE kept (n INT)")\nspark.sql("INSERT INTO kept VALUES (7)")\n'
    check = "dbutils.notebook.exit(str(spark.table('default.kept').first()[0]))\n"
    command = [sys.executable, "-c", _SERVE, str(tmp_path)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        ws = json.loads(process.stdout.readline())
        assert submit_notebook(WorkspaceClient(host=ws["host"], token=ws["token"]), source).error is None
        auth = {"Authorization": f"Bearer {ws['token']}"}
        answer = httpx.post(f"{ws['host']}/local-api/spark", headers=auth)
        assert answer.json()["startup_seconds"] > 0
    finally:
        process.kill()
        process.wait()
    server = int((tmp_path / "spark" / "server.pid").read_text())
    deadline = time.monotonic() + 10
    while Path(f"/proc/{server}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{server}").exists(), "the Spark server outlived its workspace"
    with LocalWorkspace(tmp_path) as restarted:
        again = submit_notebook(WorkspaceClient(host=restarted.host, token=restarted.token), check)
        assert again.notebook_output.result == "7"


_CLIENT = """import os, sys
from pyspark.sql import SparkSession
try:
    print(SparkSession.builder.remote(sys.argv[1]).create().range(3).count())
except Exception as exc:
    print(type(exc).__name__, str(exc).splitlines()[0])
"""


def test_the_spark_server_answers_only_clients_with_its_token(workspace: LocalWorkspace) -> None:
    """Any process on the machine reaches loopback, so the Connect server asks every client for a bearer
    token (pyspark's `spark.connect.authenticate.token`, read from SPARK_CONNECT_AUTHENTICATE_TOKEN), given
    to the tasks; the token is in the server's environment, not its command line."""
    answer = httpx.post(f"{workspace.host}/local-api/spark",
                        headers={"Authorization": f"Bearer {workspace.token}"}, timeout=240).json()
    remote, token = answer["remote"], answer["token"]
    assert remote.startswith("sc://localhost:") and len(token) >= 32

    def client(env_token: str | None) -> str:
        env = {k: v for k, v in os.environ.items() if k != "SPARK_CONNECT_AUTHENTICATE_TOKEN"}
        if env_token is not None:
            env["SPARK_CONNECT_AUTHENTICATE_TOKEN"] = env_token
        done = subprocess.run([sys.executable, "-c", _CLIENT, remote], env=env, capture_output=True,
                              text=True, timeout=120)
        return done.stdout.strip()

    assert client(token) == "3"
    assert client(None) != "3" and client("not-the-token") != "3"
    pid = int((workspace.data_dir / "spark" / "server.pid").read_text())
    assert token not in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
