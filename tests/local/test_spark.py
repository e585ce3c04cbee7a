"""`spark`, `%sql` cells and `sql_task` against the workspace's one Spark Connect server (the spark extra).

Nothing is mocked: notebooks and SQL files run as task processes that share the session workspace's
server (started once, by the first test that needs it); skipped only when the extra is not installed.
Databricks facts asserted (docs.databricks.com, "Work with Unity Catalog and the legacy Hive metastore"
and "What is Delta Lake?"): tables are named `catalog.schema.table`, the legacy metastore is the catalog
`hive_metastore`, Unity Catalog's default catalog is `main` with schema `default`, and Delta is the
default table format. Here all of them name one Hive metastore, and `delta` is parquet underneath.
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
from sdk_helpers import import_notebook, run_tasks, submit_notebook, wait_for_run

from prefect_databricks.local import LocalWorkspace

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("pyspark") is None or importlib.util.find_spec("grpc") is None,
    reason="the spark extra (pyspark with its Connect client) is not installed",
)

WRITE = """# Databricks notebook source
rows = [(1, "a", 10), (2, "b", 20), (3, "a", 30)]
df = spark.createDataFrame(rows, "id INT, grp STRING, amount INT")
df.write.format("delta").mode("overwrite").saveAsTable("main.default.{table}")
described = spark.sql("DESCRIBE TABLE EXTENDED main.default.{table}").collect()
provider = [row.data_type for row in described if row.col_name == "Provider"][0]
dbutils.notebook.exit(f"{{spark.table('spark_catalog.default.{table}').count()}} {{provider}}")
"""
READ = """# Databricks notebook source
# MAGIC %sql
# MAGIC SELECT grp, SUM(amount) AS total FROM hive_metastore.default.{table} GROUP BY grp ORDER BY grp

# COMMAND ----------

import json
rows = [list(r) for r in _sqldf.collect()]
dbutils.notebook.exit(json.dumps([rows, spark.table("default.{table}").count()]))
"""
API = """# Databricks notebook source
df = spark.createDataFrame([(1,)], "n INT")
df.writeTo("main.default.{table}").create()
df.writeTo("hive_metastore.default.{table}").append()
listed = [t.name for t in spark.catalog.listTables("main.default")]
found = (spark.catalog.tableExists("main.default.{table}"), spark.catalog.tableExists("main.default.nope_x"))
count = spark.read.table("main.default.{table}").count()
dbutils.notebook.exit(f"{{count}} {{'{table}' in listed}} {{found}} {{spark.catalog.currentCatalog()}}")
"""
STAND_IN = "WARNING: the local workspace stood in parquet for Delta"


@pytest.fixture
def sdk(workspace: LocalWorkspace) -> Iterator[WorkspaceClient]:
    """A WorkspaceClient authenticated with the workspace's token."""
    yield WorkspaceClient(host=workspace.host, token=workspace.token)


def _notebook_task(key: str, path: str, depends: str | None = None) -> jobs.SubmitTask:
    return jobs.SubmitTask(task_key=key, notebook_task=jobs.NotebookTask(path),
                           depends_on=[jobs.TaskDependency(depends)] if depends else None)


def test_a_notebook_writes_main_default_as_delta_and_the_next_task_reads_it_by_other_names(
    sdk: WorkspaceClient,
) -> None:
    """`main.default.t` written with format("delta") is `hive_metastore.default.t` and `default.t` too;
    DESCRIBE shows provider delta (as on Databricks), and the writer's state_message says it is parquet
    underneath (a notebook's get-output has no logs, as on Databricks)."""
    table = unique("sales").replace("-", "_")
    writer = import_notebook(sdk, WRITE.format(table=table))
    reader = import_notebook(sdk, READ.format(table=table))
    written, read = run_tasks(sdk, _notebook_task("write", writer), _notebook_task("read", reader, "write"))
    assert written.error is None, written.error_trace
    assert written.notebook_output.result == "3 delta"
    message = written.metadata.state.state_message
    assert STAND_IN in message and f"spark_catalog.default.{table}" in message, message
    assert "MERGE INTO, UPDATE, DELETE" in message
    assert read.error is None, read.error_trace
    assert json.loads(read.notebook_output.result) == [[["a", 40], ["b", 20]], 3]
    assert not read.metadata.state.state_message


def test_the_dataframe_api_and_spark_catalog_take_three_part_names(sdk: WorkspaceClient) -> None:
    """`writeTo(...).create()/append()`, `spark.read.table`, `spark.catalog.listTables/tableExists`.
    `currentCatalog()` answers Spark's name of the one metastore, spark_catalog (the README says so)."""
    table = unique("api").replace("-", "_")
    [output] = run_tasks(sdk, _notebook_task("api", import_notebook(sdk, API.format(table=table))))
    assert output.error is None, output.error_trace
    assert output.notebook_output.result == "2 True (True, False) spark_catalog"


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


def test_run_now_sql_params_override_the_sql_tasks_parameters(sdk: WorkspaceClient, tmp_path: Path) -> None:
    """RunNow.sql_params (SDK digest): "A map from keys to values for jobs with SQL task"; they replace
    the task's own `parameters` of the same name and show in the run's `overriding_parameters`."""
    path = tmp_path / "who.sql"
    path.write_text("SELECT '{{who}}' AS who, '{{kept}}' AS kept")
    task = jobs.Task(task_key="q", sql_task=jobs.SqlTask(
        warehouse_id="local", file=jobs.SqlTaskFile(str(path)), parameters={"who": "task", "kept": "k"}))
    job_id = sdk.jobs.create(name=unique("sqlp"), tasks=[task]).job_id
    run = wait_for_run(sdk, sdk.jobs.run_now(job_id, sql_params={"who": "run-now"}).run_id, timeout=120)
    overriding = run.overriding_parameters
    assert overriding is not None and overriding.sql_params == {"who": "run-now"}
    output = sdk.jobs.get_run_output(run.tasks[0].run_id)
    assert output.error is None, output.error_trace
    assert "|run-now|k   |" in output.logs


def test_sql_task_uses_three_part_names_schemas_and_use_catalog(sdk: WorkspaceClient, tmp_path: Path) -> None:
    """Databricks SQL: CREATE SCHEMA main.s, USE CATALOG, USE catalog.schema, SHOW TABLES IN main.s."""
    schema = unique("s").replace("-", "_")
    query = (f"CREATE SCHEMA main.{schema};\nCREATE TABLE main.{schema}.t AS SELECT 40 AS n;\n"
             f"INSERT INTO hive_metastore.{schema}.t VALUES (2);\nUSE CATALOG main;\n"
             f"USE hive_metastore.{schema};\n"
             f"SHOW TABLES IN main.{schema};\nSELECT SUM(n) AS total, current_schema() AS s FROM t;\n"
             f"DROP TABLE main.{schema}.t")
    path = tmp_path / "names.sql"
    path.write_text(query)
    sql = jobs.SqlTask(warehouse_id="w", file=jobs.SqlTaskFile(str(path)))
    [output] = run_tasks(sdk, jobs.SubmitTask(task_key="q", sql_task=sql))
    assert output.error is None, output.error_trace
    assert f"|{schema}|t        |false      |" in output.logs, output.logs
    assert f"|42   |{schema}|" in output.logs
    assert STAND_IN in output.logs and STAND_IN in output.metadata.state.state_message


def test_sql_task_refuses_saved_queries(sdk: WorkspaceClient) -> None:
    saved = jobs.SqlTask(warehouse_id="w", query=jobs.SqlTaskQuery("1"))
    task = jobs.SubmitTask(task_key="q", sql_task=saved)
    [output] = run_tasks(sdk, task)
    assert "runs only sql_task.file" in (output.error or "")


def test_delta_only_operations_and_unknown_catalogs_fail_saying_why(sdk: WorkspaceClient) -> None:
    """MERGE INTO (a Delta operation; the stand-in is parquet) fails with Spark's error and the note;
    a catalog that is not there fails naming the catalogs there are, by SQL and by saveAsTable."""
    table = unique("d").replace("-", "_")
    merge = import_notebook(sdk, (
        f'spark.sql("CREATE TABLE main.default.{table} (n INT) USING DELTA")\n'
        f'spark.sql("MERGE INTO main.default.{table} t USING main.default.{table} s ON t.n = s.n '
        'WHEN MATCHED THEN DELETE")\n'))
    history = import_notebook(sdk, f'spark.sql("DESCRIBE HISTORY main.default.{table}")\n')
    unknown = import_notebook(sdk, 'spark.table("foo.default.anything").count()\n')
    save = import_notebook(sdk, 'spark.range(1).write.saveAsTable("foo.default.anything")\n')
    merge_out, history_out, unknown_out, save_out = run_tasks(
        sdk, _notebook_task("merge", merge), _notebook_task("history", history),
        _notebook_task("unknown", unknown), _notebook_task("save", save))
    assert "UNSUPPORTED_FEATURE.TABLE_OPERATION" in (merge_out.error or ""), merge_out.error
    assert "Delta tables in the local workspace are parquet underneath" in (merge_out.error or "")
    assert "Delta tables in the local workspace are parquet underneath" in (history_out.error or "")
    assert "CATALOG_NOT_FOUND" in (unknown_out.error or ""), unknown_out.error
    assert "its catalogs are main, hive_metastore and spark_catalog" in (unknown_out.error or "")
    assert "named main, hive_metastore and spark_catalog" in (save_out.error or ""), save_out.error


def test_python_files_get_the_workspace_session_and_cluster_spark_conf(
    sdk: WorkspaceClient, tmp_path: Path
) -> None:
    """A Python file's own session is asked for the Delta stand-in warning too (a file written by path)."""
    path = tmp_path / "job.py"
    target = tmp_path / "by_path"
    path.write_text("from pyspark.sql import SparkSession\nspark = SparkSession.builder.getOrCreate()\n"
                    f"spark.range(2).write.format('delta').save('{target}')\n"
                    "print('rows', spark.range(5).count())\n")
    conf = {"spark.sql.shuffle.partitions": "3"}
    notebook = import_notebook(sdk, 'dbutils.notebook.exit(spark.conf.get("spark.sql.shuffle.partitions"))\n')
    cluster = compute.ClusterSpec(spark_conf=conf)
    file_task = jobs.SubmitTask(task_key="f", spark_python_task=jobs.SparkPythonTask(str(path)))
    nb_task = jobs.SubmitTask(task_key="n", notebook_task=jobs.NotebookTask(notebook), new_cluster=cluster)
    file_out, nb_out = run_tasks(sdk, file_task, nb_task)
    assert "rows 5" in file_out.logs
    assert STAND_IN in file_out.logs and str(target) in file_out.logs, file_out.logs
    assert nb_out.notebook_output.result == "3"


_SERVE = (
    "import json, sys, threading\nfrom prefect_databricks.local import LocalWorkspace\n"
    "ws = LocalWorkspace(sys.argv[1]).start()\n"
    "print(json.dumps({'host': ws.host, 'token': ws.token}), flush=True)\nthreading.Event().wait()\n"
)


def test_tables_survive_a_killed_workspace_and_its_server_dies_with_it(tmp_path: Path) -> None:
    """The first workspace process is SIGKILLed: its Spark server must not outlive it, the table must."""
    source = 'spark.sql("CREATE TABLE main.default.kept (n INT)")\nspark.sql("INSERT INTO kept VALUES (7)")\n'
    check = ("row = spark.table('hive_metastore.default.kept').first()\n"
             "provider = spark.sql('DESCRIBE TABLE EXTENDED kept').where('col_name = \"Provider\"').first()\n"
             "dbutils.notebook.exit(f'{row[0]} {provider.data_type}')\n")
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
        assert again.notebook_output.result == "7 delta"


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
