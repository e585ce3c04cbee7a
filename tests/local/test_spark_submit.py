"""`spark_submit_task` and `spark_jar_task` through pyspark's own spark-submit (the spark extra).

Nothing is mocked: the tasks run through the official SDK on the session workspace; the JAR is built
here with `javac` + `jar` against pyspark's jars. Fields and semantics: Jobs API 2.2 `SparkSubmitTask`
(`parameters` are spark-submit's arguments), `SparkJarTask` (`main_class_name`, `parameters`, the jar
given in the task's `libraries`), and `RunOutput.logs` ("the output from tasks that write to standard
streams (stdout/stderr) such as spark_jar_task") — all from ../shared/spec/jobs-api-2.2.sdk-digest.json.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.service import compute, jobs
from runs_helpers import unique
from sdk_helpers import run_tasks

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


@pytest.fixture
def sdk(workspace: LocalWorkspace) -> Iterator[WorkspaceClient]:
    """A WorkspaceClient authenticated with the workspace's token."""
    yield WorkspaceClient(host=workspace.host, token=workspace.token)


@pytest.fixture(scope="module")
def app_jar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`demo.Main` compiled against pyspark's jars: it counts a range and prints its arguments."""
    if shutil.which("javac") is None or shutil.which("jar") is None:
        pytest.skip("building the test JAR needs a JDK (javac, jar); .ci/run installs one")
    root = tmp_path_factory.mktemp("jar")
    (root / "Main.java").write_text(MAIN)
    jars = Path(importlib.util.find_spec("pyspark").origin).parent / "jars"  # type: ignore[union-attr]
    subprocess.run(["javac", "-d", str(root / "classes"), "-cp", f"{jars}/*", str(root / "Main.java")],
                   check=True)
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
    """The jar is given as `dbfs:/…` in `libraries`; the cluster's spark_conf reaches the session."""
    name = f"{unique('jars')}/app.jar"
    target = workspace.workspace.dbfs_root() / name
    target.parent.mkdir(parents=True)
    shutil.copy(app_jar, target)
    library = [compute.Library(jar=f"dbfs:/{name}")]
    cluster = compute.ClusterSpec(spark_conf={"spark.sql.shuffle.partitions": "5"})
    jar_task = jobs.SparkJarTask(main_class_name="demo.Main", parameters=["x", "y"])
    good = jobs.SubmitTask(task_key="ok", libraries=library, new_cluster=cluster, spark_jar_task=jar_task)
    bad = jobs.SubmitTask(task_key="bad", libraries=library, spark_jar_task=jobs.SparkJarTask(
        main_class_name="demo.Missing"))
    ok, missing = run_tasks(sdk, good, bad, timeout=180)
    assert ok.error is None, ok.logs
    assert "count=10 args=x,y partitions=5" in ok.logs, ok.logs[-2000:]
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
