"""`dbutils.fs` over the local DBFS root, `dbutils.notebook.run`, `%run` and `%pip install` in real notebooks.

Nothing is mocked: each notebook runs as a task process of the session's workspace, driven by the SDK.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.service import jobs
from runs_helpers import unique
from sdk_helpers import import_notebook, run_tasks, submit_notebook

from prefect_databricks.local import LocalWorkspace

FS_NOTEBOOK = """# Databricks notebook source
import json
base = "dbfs:/tmp/{name}"
dbutils.fs.mkdirs(base + "/in")
dbutils.fs.put(base + "/in/a.csv", "id,n\\n1,2\\n")
dbutils.fs.put("/Volumes/main/default/vol/{name}.txt", "in a volume", overwrite=True)
dbutils.fs.cp(base + "/in/a.csv", "/dbfs/tmp/{name}/copy.csv")
dbutils.fs.cp(base + "/in", base + "/tree", recurse=True)
dbutils.fs.mv(base + "/copy.csv", base + "/moved.csv")
listing = [(f.name, f.size) for f in dbutils.fs.ls(base)]
removed = dbutils.fs.rm(base + "/tree", recurse=True)

# COMMAND ----------

dbutils.notebook.exit(json.dumps({{
    "ls": listing, "head": dbutils.fs.head(base + "/moved.csv", 4), "removed": removed,
    "gone": dbutils.fs.rm(base + "/nothing"),
    "volume": dbutils.fs.head("/Volumes/main/default/vol/{name}.txt"),
    "path": dbutils.fs.ls(base + "/in/a.csv")[0].path,
}}))
"""


@pytest.fixture
def sdk(workspace: LocalWorkspace) -> Iterator[WorkspaceClient]:
    """A WorkspaceClient authenticated with the workspace's token."""
    yield WorkspaceClient(host=workspace.host, token=workspace.token)


def test_dbutils_fs_round_trips_over_the_dbfs_root(sdk: WorkspaceClient, workspace: LocalWorkspace) -> None:
    name = unique("fs")
    output = submit_notebook(sdk, FS_NOTEBOOK.format(name=name))
    assert output.error is None, output.error_trace
    result = json.loads(output.notebook_output.result)
    assert result["ls"] == [["in/", 0], ["moved.csv", 9], ["tree/", 0]]
    assert result["head"] == "id,n" and result["removed"] is True and result["gone"] is False
    assert result["volume"] == "in a volume" and result["path"] == f"dbfs:/tmp/{name}/in/a.csv"
    root = workspace.data_dir / "dbfs"
    assert (root / "tmp" / name / "moved.csv").read_text() == "id,n\n1,2\n"
    assert (root / "Volumes" / "main" / "default" / "vol" / f"{name}.txt").exists()


def test_dbutils_fs_errors_fail_the_task(sdk: WorkspaceClient) -> None:
    missing = submit_notebook(sdk, 'dbutils.fs.ls("dbfs:/does/not/exist")\n')
    assert missing.error == "FileNotFoundError: File dbfs:/does/not/exist does not exist."
    remote = submit_notebook(sdk, 'dbutils.fs.ls("s3://bucket/x")\n')
    assert "reads only dbfs:, /Volumes and file: paths" in (remote.error or "")


def test_notebook_run_returns_the_child_exit_value(sdk: WorkspaceClient) -> None:
    folder = f"/Shared/{unique('wf')}"
    import_notebook(sdk, 'dbutils.notebook.exit("child:" + dbutils.widgets.get("x"))\n', folder, "child")
    import_notebook(sdk, 'raise ValueError("child broke")\n', folder, "broken")
    parent = (
        'value = dbutils.notebook.run("./child", 60, {"x": "42"})\n'
        "try:\n    dbutils.notebook.run('broken', 60)\nexcept Exception as exc:\n    error = str(exc)\n"
        'dbutils.notebook.exit(value + " | " + error)\n'
    )
    path = import_notebook(sdk, parent, folder, "parent")
    [output] = run_tasks(sdk, jobs.SubmitTask(task_key="p", notebook_task=jobs.NotebookTask(path)))
    value, error = output.notebook_output.result.split(" | ")
    assert value == "child:42"
    assert error.startswith(f"Notebook {folder}/broken (run ") and error.endswith("ValueError: child broke")


def test_notebook_run_with_one_task_process_slot_does_not_wait_for_a_second(tmp_path: Path) -> None:
    """A workspace allowing one task process at a time: the parent holds it while it waits on the
    child, so the child run uses the parent's slot (on Databricks it runs on the parent's cluster) [I];
    the parent's token ends with it (workspace/list with it is a 401 afterwards)."""
    with LocalWorkspace(tmp_path / "ws", max_task_processes=1) as ws:
        sdk = WorkspaceClient(host=ws.host, token=ws.token)
        folder = f"/Shared/{unique('slot')}"
        import_notebook(sdk, 'dbutils.notebook.exit("from the child")\n', folder, "child")
        kept = tmp_path / "token"
        parent = (f'import os\nopen({str(kept)!r}, "w").write(os.environ["DATABRICKS_TOKEN"])\n'
                  'dbutils.notebook.exit(dbutils.notebook.run("./child", 30))\n')
        path = import_notebook(sdk, parent, folder, "parent")
        [output] = run_tasks(sdk, jobs.SubmitTask(task_key="p", notebook_task=jobs.NotebookTask(path)),
                             timeout=60)
        assert output.error is None, output.error
        assert output.notebook_output.result == "from the child"
        answer = httpx.get(f"{ws.host}/api/2.0/workspace/list", params={"path": "/"},
                           headers={"Authorization": f"Bearer {kept.read_text()}"})
        assert answer.status_code == 401, answer.text


def test_percent_run_includes_a_notebook_inline(sdk: WorkspaceClient) -> None:
    folder = f"/Shared/{unique('inc')}"
    import_notebook(sdk, "def greet(who):\n    return 'hello ' + who\n", f"{folder}/lib", "helpers")
    main = "# Databricks notebook source\n# MAGIC %run ./lib/helpers\n\n# COMMAND ----------\n\n"
    main += 'dbutils.notebook.exit(greet("local"))\n'
    path = import_notebook(sdk, main, folder, "main")
    [output] = run_tasks(sdk, jobs.SubmitTask(task_key="m", notebook_task=jobs.NotebookTask(path)))
    assert output.notebook_output.result == "hello local"
    with_args = import_notebook(sdk, '# MAGIC %run ./lib/helpers $x="1"\n', folder)
    [refused] = run_tasks(sdk, jobs.SubmitTask(task_key="m", notebook_task=jobs.NotebookTask(with_args)))
    assert (refused.error or "").endswith("runs `%run <path>` without arguments")


def _wheel(tmp_path: Path) -> Path:
    """A pure-Python wheel of one module, `tiny_dep`, built by hand (no network, no build backend)."""
    path = tmp_path / "tiny_dep-1.0-py3-none-any.whl"
    dist = "tiny_dep-1.0.dist-info"
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr("tiny_dep.py", "ANSWER = 41 + 1\n")
        wheel.writestr(f"{dist}/METADATA", "Metadata-Version: 2.1\nName: tiny-dep\nVersion: 1.0\n")
        wheel.writestr(f"{dist}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        wheel.writestr(f"{dist}/RECORD", "")
    return path


def test_percent_pip_installs_into_the_task_only(sdk: WorkspaceClient, tmp_path: Path) -> None:
    wheel = _wheel(tmp_path)
    source = f"# MAGIC %pip install --no-deps {wheel}\n\n# COMMAND ----------\n\nimport tiny_dep\n"
    source += "dbutils.notebook.exit(str(tiny_dep.ANSWER))\n"
    output = submit_notebook(sdk, "# Databricks notebook source\n" + source)
    assert output.error is None, output.error_trace
    assert output.notebook_output.result == "42"
    with pytest.raises(ImportError):
        __import__("tiny_dep")
