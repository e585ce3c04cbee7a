"""`spark_submit_task` and `spark_jar_task` through pyspark's own spark-submit (the spark extra).

Nothing is mocked: the tasks run through the official SDK on the session workspace; the JAR is built
here with `javac` + `jar` against pyspark's jars. Fields and semantics: Jobs API 2.2 `SparkSubmitTask`
(`parameters` are spark-submit's arguments), `SparkJarTask` (`main_class_name`, `parameters`, the jar
given in the task's `libraries`), and `RunOutput.logs` ("the output from tasks that write to standard
streams (stdout/stderr) such as spark_jar_task") — all from ../shared/spec/jobs-api-2.2.sdk-digest.json.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import json
import shutil
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
from sdk_helpers import import_notebook, run_tasks

from prefect_databricks.local import LocalWorkspace

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("pyspark") is None or importlib.util.find_spec("grpc") is None,
    reason="the spark extra (pyspark with its Connect client) is not installed",
)

APP = """
import sys
from pyspark.sql import SparkSession

spark = SparkSession.builder.getOrCreate()
spark.sql("CREATE TABLE IF NOT EXISTS default.{table} AS SELECT 41 + 1 AS n")
print("n", spark.table("default.{table}").first()[0], "args", sys.argv[1:],
      "partitions", spark.conf.get("spark.sql.shuffle.partitions"))
"""
MAIN = """
package demo;
import org.apache.spark.sql.SparkSession;
public class Main {
  public static void main(String[] args) {
    SparkSession spark = SparkSession.builder().getOrCreate();
    System.out.println("count=" + spark.range(10).count() + " args=" + String.join(",", args)
        + " partitions=" + spark.conf().get("spark.sql.shuffle.partitions"));
    spark.stop();
  }
}
"""
TABLES = """
package demo;
import org.apache.spark.sql.SparkSession;
public class Tables {
  public static void main(String[] args) {
    SparkSession spark = SparkSession.builder().getOrCreate();
    long rows = spark.table(args[0]).count();
    spark.table(args[0]).groupBy("grp").sum("amount").withColumnRenamed("sum(amount)", "total")
        .write().mode("overwrite").saveAsTable(args[1]);
    System.out.println("read=" + rows + " wrote=" + args[1]);
    spark.stop();
  }
}
"""
WRITE = """# Databricks notebook source
spark.createDataFrame([(1, "a", 10), (2, "b", 20), (3, "a", 30)], "id INT, grp STRING, amount INT") \\
    .write.mode("overwrite").saveAsTable("default.{table}")
"""
READ = """# Databricks notebook source
# MAGIC %sql
# MAGIC SELECT grp, total FROM default.{table} ORDER BY grp

# COMMAND ----------

import json
dbutils.notebook.exit(json.dumps([list(r) for r in _sqldf.collect()]))
"""
_SERVE = (
    "import json, sys, threading\nfrom prefect_databricks.local import LocalWorkspace\n"
    "ws = LocalWorkspace(sys.argv[1]).start()\n"
    "print(json.dumps({'host': ws.host, 'token': ws.token}), flush=True)\nthreading.Event().wait()\n"
)


@pytest.fixture
def sdk(workspace: LocalWorkspace) -> Iterator[WorkspaceClient]:
    """A WorkspaceClient authenticated with the workspace's token."""
    yield WorkspaceClient(host=workspace.host, token=workspace.token)


@pytest.fixture(scope="module")
def app_jar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Compiled against pyspark's jars: `demo.Main` counts a range and prints its arguments;
    `demo.Tables SOURCE TARGET` reads a table by name and writes its per-`grp` totals to another."""
    if shutil.which("javac") is None or shutil.which("jar") is None:
        pytest.skip("building the test JAR needs a JDK (javac, jar); .ci/run installs one")
    root = tmp_path_factory.mktemp("jar")
    (root / "Main.java").write_text(MAIN)
    (root / "Tables.java").write_text(TABLES)
    jars = Path(importlib.util.find_spec("pyspark").origin).parent / "jars"  # type: ignore[union-attr]
    subprocess.run(["javac", "-d", str(root / "classes"), "-cp", f"{jars}/*", str(root / "Main.java"),
                    str(root / "Tables.java")], check=True)
    subprocess.run(["jar", "cf", str(root / "app.jar"), "-C", str(root / "classes"), "."], check=True)
    return root / "app.jar"


def test_a_python_application_runs_against_the_workspace_tables(sdk: WorkspaceClient) -> None:
    """A `.py` application goes to the workspace's Spark Connect server: it sees its metastore.

    The task's own `--conf` wins over the cluster's spark_conf (spark-submit: the last `--conf` counts)."""
    table = unique("submit").replace("-", "_")
    path = f"/Shared/{unique('app')}.py"
    sdk.workspace.upload(path, APP.format(table=table).encode(), overwrite=True)
    cluster = compute.ClusterSpec(spark_conf={"spark.sql.shuffle.partitions": "7"})
    task = jobs.SubmitTask(task_key="s", new_cluster=cluster, spark_submit_task=jobs.SparkSubmitTask(
        parameters=["--conf", "spark.sql.shuffle.partitions=3", f"/Workspace{path}", "a", "b"]))
    [output] = run_tasks(sdk, task, timeout=180)
    assert output.error is None, output.logs
    assert "n 42 args ['a', 'b'] partitions 3" in output.logs, output.logs[-2000:]


def test_a_jar_task_runs_its_main_class_and_a_missing_class_fails(
    sdk: WorkspaceClient, workspace: LocalWorkspace, app_jar: Path
) -> None:
    """The jar is given as `dbfs:/…` in `libraries`; the cluster's spark_conf reaches the session, except a
    catalog setting of its own, which the workspace's metastore replaces, saying so in the logs [I]."""
    name = f"{unique('jars')}/app.jar"
    target = workspace.workspace.dbfs_root() / name
    target.parent.mkdir(parents=True)
    shutil.copy(app_jar, target)
    library = [compute.Library(jar=f"dbfs:/{name}")]
    conf = {"spark.sql.shuffle.partitions": "5", "spark.sql.catalogImplementation": "in-memory"}
    cluster = compute.ClusterSpec(spark_conf=conf)
    jar_task = jobs.SparkJarTask(main_class_name="demo.Main", parameters=["x", "y"])
    good = jobs.SubmitTask(task_key="ok", libraries=library, new_cluster=cluster, spark_jar_task=jar_task)
    bad = jobs.SubmitTask(task_key="bad", libraries=library, spark_jar_task=jobs.SparkJarTask(
        main_class_name="demo.Missing"))
    ok, missing = run_tasks(sdk, good, bad, timeout=180)
    assert ok.error is None, ok.logs
    assert "count=10 args=x,y partitions=5" in ok.logs, ok.logs[-2000:]
    assert "spark.sql.catalogImplementation is set to the workspace's metastore (hive)" in ok.logs
    assert missing.error == "spark-submit exited with code 101"
    assert "Failed to load class demo.Missing" in missing.logs


def test_what_the_local_workspace_sets_itself_is_refused(sdk: WorkspaceClient) -> None:
    """`--master` is the workspace's (local mode) [I]; a JAR task without a jar cannot run."""
    master = jobs.SubmitTask(task_key="m", spark_submit_task=jobs.SparkSubmitTask(
        parameters=["--master", "yarn", "/x.py"]))
    no_jar = jobs.SubmitTask(task_key="j", spark_jar_task=jobs.SparkJarTask(main_class_name="demo.Main"))
    master_out, jar_out = run_tasks(sdk, master, no_jar)
    assert "--master is set by the local workspace" in (master_out.error or "")
    assert "has no jar: give one in the task's libraries" in (jar_out.error or "")


def _upload_jar(dbfs_root: Path, app_jar: Path) -> list[compute.Library]:
    """The test JAR copied into the local DBFS root, as the task's `libraries` name it."""
    name = f"{unique('jars')}/app.jar"
    target = dbfs_root / name
    target.parent.mkdir(parents=True)
    shutil.copy(app_jar, target)
    return [compute.Library(jar=f"dbfs:/{name}")]


def _tables_task(key: str, library: list[compute.Library], source: str, target: str,
                 depends: str | None = None) -> jobs.SubmitTask:
    return jobs.SubmitTask(
        task_key=key, libraries=library, depends_on=[jobs.TaskDependency(depends)] if depends else None,
        spark_jar_task=jobs.SparkJarTask(main_class_name="demo.Tables", parameters=[source, target]))


def _notebook_task(key: str, path: str, depends: str | None = None) -> jobs.SubmitTask:
    return jobs.SubmitTask(task_key=key, notebook_task=jobs.NotebookTask(path),
                           depends_on=[jobs.TaskDependency(depends)] if depends else None)


def test_a_jar_task_reads_and_writes_the_workspace_tables_by_name(
    sdk: WorkspaceClient, workspace: LocalWorkspace, app_jar: Path
) -> None:
    """notebook writes → JAR `spark.table(...)` reads and `saveAsTable` writes → `%sql` reads.

    SparkJarTask.main_class_name (SDK digest): the JAR "must use SparkContext.getOrCreate", i.e. it runs
    in the cluster's own Spark, whose metastore the notebooks share; here that is the workspace's [I]."""
    source, target = (unique(name).replace("-", "_") for name in ("jsrc", "jdst"))
    library = _upload_jar(workspace.workspace.dbfs_root(), app_jar)
    writer = import_notebook(sdk, WRITE.format(table=source))
    reader = import_notebook(sdk, READ.format(table=target))
    written, jar, read = run_tasks(
        sdk, _notebook_task("write", writer),
        _tables_task("jar", library, f"default.{source}", f"default.{target}", "write"),
        _notebook_task("read", reader, "jar"), timeout=240)
    assert written.error is None, written.error_trace
    assert jar.error is None, jar.logs[-3000:]
    assert f"read=3 wrote=default.{target}" in jar.logs
    assert read.error is None, read.error_trace
    assert json.loads(read.notebook_output.result) == [["a", 40], ["b", 20]]


def _listening(port: int) -> set[str]:
    """The IPv4 addresses listening on `port` (state 0A in /proc/net/tcp{,6}; v4-mapped v6 unwrapped)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if int(hex_port, 16) != port or state != "0A":
                continue
            # The kernel prints each 32-bit word in host (little-endian) order.
            words = [bytes.fromhex(address[i:i + 8])[::-1] for i in range(0, len(address), 8)]
            ip = ipaddress.ip_address(b"".join(words))
            if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
                ip = ip.ipv4_mapped
            found.add(str(ip))
    return found


def test_the_metastore_listens_on_loopback_only(workspace: LocalWorkspace) -> None:
    """The project's servers listen on 127.0.0.1 only: the metastore's one LISTEN socket is 127.0.0.1's."""
    answer = httpx.post(f"{workspace.host}/local-api/spark",
                        headers={"Authorization": f"Bearer {workspace.token}"}, timeout=240).json()
    uri = answer["metastore"]
    assert uri.startswith("thrift://127.0.0.1:")
    assert _listening(int(uri.rsplit(":", 1)[1])) == {"127.0.0.1"}


def _gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    return not Path(f"/proc/{pid}").exists()


def _java_processes_under(path: Path) -> list[int]:
    """Java processes whose command line names `path` (the workspace's data dir)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if argv and argv[0].endswith(b"java") and any(str(path).encode() in arg for arg in argv):
                found.append(int(entry.name))
    return found


def test_a_jar_table_survives_a_killed_workspace_whose_jvm_dies_with_it(
    tmp_path: Path, app_jar: Path
) -> None:
    """The workspace process is SIGKILLed after a JAR task wrote a table: its one JVM (Connect server and
    metastore) must not outlive it, and the restarted workspace's `%sql` reads the JAR's table."""
    source, target = (unique(name).replace("-", "_") for name in ("ksrc", "kdst"))
    command = [sys.executable, "-c", _SERVE, str(tmp_path)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        ws = json.loads(process.stdout.readline())
        sdk = WorkspaceClient(host=ws["host"], token=ws["token"])
        library = _upload_jar(tmp_path / "dbfs", app_jar)
        writer = import_notebook(sdk, WRITE.format(table=source))
        written, jar = run_tasks(sdk, _notebook_task("write", writer),
                                 _tables_task("jar", library, source, target, "write"), timeout=240)
        assert written.error is None, written.error_trace
        assert jar.error is None, jar.logs[-3000:]
    finally:
        process.kill()
        process.wait()
    server = int((tmp_path / "spark" / "server.pid").read_text())
    assert _gone(server), "the Spark server outlived its workspace"
    assert _java_processes_under(tmp_path) == [], "a JVM of the killed workspace is still running"
    with LocalWorkspace(tmp_path) as restarted:
        sdk = WorkspaceClient(host=restarted.host, token=restarted.token)
        reader = import_notebook(sdk, READ.format(table=target))
        [again] = run_tasks(sdk, _notebook_task("read", reader), timeout=240)
        assert again.error is None, again.error_trace
        assert json.loads(again.notebook_output.result) == [["a", 40], ["b", 20]]
