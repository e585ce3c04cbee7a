"""The local task executor runs real processes: notebooks, Python files and wheel entry points.

Nothing is mocked: every test starts a real child interpreter in its own process group.
"""

from __future__ import annotations

import importlib.util
import json
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from prefect_databricks.local import executor
from prefect_databricks.local.executor import (
    TaskContext,
    TaskOutcome,
    TaskProcess,
    UnsupportedTask,
    export_notebook_html,
    start_task,
)
from prefect_databricks.local.executor.notebook import parse_notebook

NOTEBOOK = b"""# Databricks notebook source
import json

dbutils.widgets.text("name", "world")
dbutils.widgets.dropdown("size", "small", ["small", "large"])
display(f"hello {dbutils.widgets.get('name')} ({dbutils.widgets.get('size')})")

# COMMAND ----------

# MAGIC %md
# MAGIC # Not code: skipped

# COMMAND ----------

dbutils.jobs.taskValues.set("rows", [1, 2, 3])
upstream = dbutils.jobs.taskValues.get("extract", "count", default=0)
dbutils.notebook.exit(json.dumps({"upstream": upstream, "params": dbutils.widgets.getAll()}))
print("never printed")
"""


_WHEEL = "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def _ctx(tmp_path: Path, objects: dict[str, bytes] | None = None, **fields: Any) -> TaskContext:
    return TaskContext(workdir=tmp_path / "run", task_key="main", read_object=(objects or {}).get, **fields)


def _wait(process: TaskProcess, timeout: float = 10.0) -> TaskOutcome:
    deadline = time.monotonic() + timeout
    while (outcome := process.poll()) is None:
        assert time.monotonic() < deadline, "task did not finish in time"
        time.sleep(0.01)
    return outcome


def _run(task: dict[str, Any], ctx: TaskContext, **options: Any) -> TaskOutcome:
    return _wait(start_task({"task_key": ctx.task_key, **task}, ctx, **options))


def _notebook(path: str) -> dict[str, Any]:
    return {"notebook_task": {"notebook_path": path}}


def _python_file(path: str) -> dict[str, Any]:
    return {"spark_python_task": {"python_file": path}}


def _group_gone(pgid: int, deadline: float) -> bool:
    """Whether the group has no live member by ``deadline`` (SIGKILL is delivered asynchronously)."""
    while _group_members(pgid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes of a process group, read from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
        except (OSError, ValueError):
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if entry.name.isdigit() and int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def test_notebook_widgets_task_values_and_exit(tmp_path: Path) -> None:
    ctx = _ctx(
        tmp_path,
        {"/Users/me/etl": NOTEBOOK},
        parameters={"name": "bob"},
        task_values={"extract": {"count": 7}},
    )
    outcome = _run(_notebook("/Users/me/etl"), ctx)
    assert outcome.success, outcome.error_trace
    assert json.loads(outcome.notebook_result or "") == {
        "upstream": 7,
        "params": {"name": "bob", "size": "small"},
    }
    assert not outcome.truncated
    assert outcome.task_values == {"rows": [1, 2, 3]}
    assert outcome.logs == "", "notebook tasks have no logs in get-output"
    printed = (ctx.workdir / "output.log").read_text()
    assert "hello bob (small)" in printed
    assert "never printed" not in printed


def test_notebook_without_exit_has_empty_result(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path, {"/nb": b"# Databricks notebook source\nx = 1\n"})
    outcome = _run(_notebook("/nb"), ctx)
    assert outcome == TaskOutcome(success=True, notebook_result="")


def test_notebook_has_spark_only_with_pyspark(tmp_path: Path) -> None:
    """Without pyspark (as in this venv) ``spark`` is absent and the notebook still runs."""
    ctx = _ctx(
        tmp_path, {"/nb": b"dbutils.notebook.exit(sorted(k for k in ('spark', 'display') if k in globals()))"}
    )
    expected = ["display", "spark"] if importlib.util.find_spec("pyspark") else ["display"]
    assert _run(_notebook("/nb"), ctx).notebook_result == str(expected)


def test_public_interface() -> None:
    assert executor.__all__ == [
        "ARTIFACTS_FILE",
        "OUTPUT_LIMIT",
        "WARM",
        "TaskContext",
        "TaskOutcome",
        "TaskProcess",
        "UnsupportedTask",
        "dbt_commands_rule",
        "export_notebook_html",
        "start_task",
    ]
    assert executor.OUTPUT_LIMIT == 5 * 1024 * 1024


def test_notebook_exception_gives_error_and_trace_at_notebook_lines(tmp_path: Path) -> None:
    source = b"# Databricks notebook source\nx = 1\n\n# COMMAND ----------\n\ny = 2\nx / 0\n"
    outcome = _run(_notebook("/Users/me/broken"), _ctx(tmp_path, {"/Users/me/broken": source}))
    assert not outcome.success
    assert outcome.error == "ZeroDivisionError: division by zero"
    assert outcome.notebook_result is None
    trace = outcome.error_trace or ""
    assert 'File "/Users/me/broken", line 7' in trace
    assert "x / 0" in trace
    assert "_task_runner" not in trace


def test_missing_widget_and_oversized_task_value_fail_clearly(tmp_path: Path) -> None:
    objects = {
        "/widget": b"dbutils.widgets.get('nope')\n",
        "/big": b"dbutils.jobs.taskValues.set('big', 'x' * 50_000)\n",
    }
    widget = _run(_notebook("/widget"), _ctx(tmp_path / "a", objects))
    big = _run(_notebook("/big"), _ctx(tmp_path / "b", objects))
    assert widget.error == "dbutils.InputWidgetNotDefined: No input widget named nope is defined"
    assert big.error == "ValueError: Task value 'big' is larger than 48 KiB as JSON"


def test_scala_cell_fails_after_earlier_cells_ran(tmp_path: Path) -> None:
    source = (
        b"# Databricks notebook source\ndbutils.jobs.taskValues.set('before', True)\n\n"
        b"# COMMAND ----------\n\n# MAGIC %scala\n# MAGIC val x = 1\n"
    )
    outcome = _run(_notebook("/scala"), _ctx(tmp_path, {"/scala": source}))
    assert not outcome.success
    assert outcome.error == (
        "NotImplementedError: Cell 2 of /scala is a %scala cell: the local workspace runs Python, %sql, "
        "%pip and %run cells (markdown cells are skipped)"
    )
    assert outcome.task_values == {"before": True}


def test_ipynb_notebook(tmp_path: Path) -> None:
    notebook = {
        "cells": [
            {"cell_type": "markdown", "source": ["# Title"]},
            {"cell_type": "code", "source": ["n = int(dbutils.widgets.get('n'))\n", "total = n * 2"]},
            {"cell_type": "code", "source": "%md\nskipped"},
            {"cell_type": "code", "source": ["dbutils.notebook.exit(total)"]},
        ],
        "metadata": {"language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    ctx = _ctx(tmp_path, {"/nb.ipynb": json.dumps(notebook).encode()}, parameters={"n": "21"})
    outcome = _run(_notebook("/nb.ipynb"), ctx)
    assert (outcome.success, outcome.notebook_result) == (True, "42")


def test_notebook_result_truncated_at_limit(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path, {"/big": b"dbutils.notebook.exit('x' * 5000)\n"})
    outcome = _run(_notebook("/big"), ctx, output_limit=1000)
    assert (outcome.success, outcome.truncated, outcome.notebook_result) == (True, True, "x" * 1000)


def test_python_file_argv_env_cwd_and_logs(tmp_path: Path) -> None:
    script = (
        b"import os, sys\nprint('args', sys.argv[1:])\nprint('to stderr', file=sys.stderr)\n"
        b"print('env', os.environ['GREETING'], 'cwd', os.getcwd())\n"
    )
    ctx = _ctx(
        tmp_path, {"/Workspace/jobs/main.py": script}, args=["--day", "2026-01-01"], env={"GREETING": "hi"}
    )
    outcome = _run(_python_file("/Workspace/jobs/main.py"), ctx)
    assert outcome.success, outcome.logs
    assert outcome.logs.splitlines() == [
        "args ['--day', '2026-01-01']",
        "to stderr",
        f"env hi cwd {ctx.workdir}",
    ]
    assert (outcome.notebook_result, outcome.logs_truncated, outcome.error) == (None, False, None)


@pytest.mark.parametrize("as_uri", [False, True])
def test_python_file_from_local_disk(tmp_path: Path, as_uri: bool) -> None:
    script = tmp_path / "local_job.py"
    script.write_text("import helper\nprint(helper.VALUE, __name__)\n")
    (tmp_path / "helper.py").write_text("VALUE = 'imported next to the script'\n")
    location = script.as_uri() if as_uri else str(script)
    outcome = _run(_python_file(location), _ctx(tmp_path))
    assert outcome.logs == "imported next to the script __main__\n"


def test_task_code_does_not_inherit_the_runner_future_imports(tmp_path: Path) -> None:
    code = b"def f(x: int) -> None: ...\nprint(f.__annotations__['x'] is int)\n"
    objects = {"/f.py": code, "/nb": code}
    assert _run(_python_file("/f.py"), _ctx(tmp_path / "a", objects)).logs == "True\n"
    notebook = _run(_notebook("/nb"), _ctx(tmp_path / "b", objects))
    assert (tmp_path / "b" / "run" / "output.log").read_text() == "True\n", notebook


def test_failing_python_file(tmp_path: Path) -> None:
    objects = {
        "/raise.py": b"print('working')\nraise RuntimeError('intentional failure')\n",
        "/exit.py": b"import sys\nsys.exit(3)\n",
        "/message.py": b"import sys\nsys.exit('bad configuration')\n",
    }
    raised = _run(_python_file("/raise.py"), _ctx(tmp_path / "a", objects))
    assert raised.error == "RuntimeError: intentional failure"
    assert raised.error_trace is not None and "line 2" in raised.error_trace
    assert raised.logs.startswith("working\nTraceback (most recent call last):")
    assert raised.logs.rstrip().endswith("RuntimeError: intentional failure")
    exited = _run(_python_file("/exit.py"), _ctx(tmp_path / "b", objects))
    assert (exited.success, exited.error) == (False, "The task process exited with code 3")
    message = _run(_python_file("/message.py"), _ctx(tmp_path / "c", objects))
    assert (message.error, message.logs) == ("bad configuration", "bad configuration\n")


def test_logs_keep_the_last_bytes(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path, {"/loud.py": b"for i in range(1000):\n    print(f'line {i:04d}')\n"})
    outcome = _run(_python_file("/loud.py"), ctx, output_limit=100)
    assert outcome.success and outcome.logs_truncated
    assert len(outcome.logs.encode()) == 100
    assert outcome.logs.endswith("line 0998\nline 0999\n")


def test_kill_ends_the_whole_process_group_within_a_second(tmp_path: Path) -> None:
    script = b"import subprocess, time\nsubprocess.Popen(['sleep', '60'])\nprint('ready')\ntime.sleep(60)\n"
    ctx = _ctx(tmp_path, {"/sleep.py": script})
    process = start_task({"task_key": "main", **_python_file("/sleep.py")}, ctx)
    log = ctx.workdir / "output.log"
    deadline = time.monotonic() + 5
    while "ready" not in (log.read_text() if log.exists() else ""):  # a forked task creates its own log
        assert time.monotonic() < deadline
        time.sleep(0.01)
    pgid = process.pid  # type: ignore[attr-defined]
    assert len(_group_members(pgid)) == 2
    started = time.monotonic()
    process.kill()
    outcome = process.poll()
    assert time.monotonic() - started < 1.0
    assert outcome is not None and not outcome.success
    assert outcome.error == "The task process was killed"
    assert outcome.logs == "ready\n"
    assert _group_gone(pgid, deadline=started + 1.0)


def test_finished_task_leaves_no_stragglers(tmp_path: Path) -> None:
    script = b"import subprocess\nsubprocess.Popen(['sleep', '60'])\n"
    ctx = _ctx(tmp_path, {"/bg.py": script})
    process = start_task({"task_key": "main", **_python_file("/bg.py")}, ctx)
    assert _wait(process).success
    assert _group_gone(process.pid, deadline=time.monotonic() + 1.0)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "kind",
    ["pipeline_task", "dashboard_task", "clean_rooms_notebook_task"],
)
def test_unsupported_kinds_are_refused(tmp_path: Path, kind: str) -> None:
    with pytest.raises(UnsupportedTask) as refused:
        start_task({"task_key": "main", kind: {}}, _ctx(tmp_path))
    assert str(refused.value).startswith(f"The local workspace cannot run {kind} tasks (task 'main')")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("kind", ["condition_task", "for_each_task", "run_job_task"])
def test_scheduler_kinds_are_refused(tmp_path: Path, kind: str) -> None:
    with pytest.raises(
        UnsupportedTask, match=f"is a {kind}: the local workspace evaluates it in its scheduler"
    ):
        start_task({"task_key": "main", kind: {}}, _ctx(tmp_path))


def test_task_without_kind_and_unreadable_sources_are_refused(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedTask, match="has no task kind the local workspace can run"):
        start_task({"task_key": "main"}, _ctx(tmp_path))
    with pytest.raises(UnsupportedTask, match="cannot read dbfs: URIs"):
        start_task({"task_key": "main", **_python_file("dbfs:/jobs/main.py")}, _ctx(tmp_path))
    git = {"notebook_task": {"notebook_path": "notebooks/etl", "source": "GIT"}}
    with pytest.raises(UnsupportedTask, match="from source GIT"):
        start_task({"task_key": "main", **git}, _ctx(tmp_path))


def test_missing_notebook_fails_without_a_process(tmp_path: Path) -> None:
    outcome = _run(_notebook("/Users/me/absent"), _ctx(tmp_path))
    assert not outcome.success
    assert outcome.error == (
        "FileNotFoundError: notebook_task.notebook_path '/Users/me/absent' does not exist in the local "
        "workspace or on this machine"
    )


def _build_wheel(directory: Path, module: str = "") -> Path:
    """A pure-Python wheel with a console_scripts entry point, written by hand (no build tools needed)."""
    wheel = directory / "greeter-0.1-py3-none-any.whl"
    dist_info = "greeter-0.1.dist-info"
    module = module or (
        "import sys\n\ndef main():\n    print('greeter', sys.argv[1:])\n"
        "    return 0 if '--ok' in sys.argv else 4\n"
    )
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("greeter/__init__.py", module)
        archive.writestr(f"{dist_info}/METADATA", "Metadata-Version: 2.1\nName: greeter\nVersion: 0.1\n")
        archive.writestr(f"{dist_info}/WHEEL", _WHEEL)
        archive.writestr(f"{dist_info}/entry_points.txt", "[console_scripts]\ngreet = greeter:main\n")
        archive.writestr(f"{dist_info}/RECORD", "")
    return wheel


def test_wheel_entry_point_from_task_library(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    task = {
        "python_wheel_task": {"package_name": "greeter", "entry_point": "greet"},
        "libraries": [{"whl": wheel.as_uri()}],
    }
    ok = _run(task, _ctx(tmp_path / "a", args=["--ok", "--name=x"]))
    assert (ok.success, ok.logs) == (True, "greeter ['--ok', '--name=x']\n")
    failed = _run(task, _ctx(tmp_path / "b", args=["--name=x"]))
    assert (failed.success, failed.error) == (False, "The task process exited with code 4")
    named = _run(task, _ctx(tmp_path / "c", args=["--ok", "--a=1"], parameters={"a": "1", "b": "2"}))
    assert named.logs == "greeter ['--ok', '--a=1', '--b=2']\n", "named parameters become --key=value once"


def test_a_wheel_task_sees_its_package_name_as_argv_0(tmp_path: Path) -> None:
    """Recorded on classic, interactive and serverless compute: `['my_test_code', 'one', 'two']` for
    package `my_test_code` with parameters `one two` (issue 13)."""
    tmp_path.mkdir(exist_ok=True)
    wheel = _build_wheel(tmp_path, "import sys\n\ndef main():\n    print(sys.argv)\n")
    task = {"python_wheel_task": {"package_name": "greeter", "entry_point": "greet"},
            "libraries": [{"whl": wheel.as_uri()}]}
    outcome = _run(task, _ctx(tmp_path / "a", args=["one", "two"]))
    assert outcome.logs == "['greeter', 'one', 'two']\n"


def test_wheel_entry_point_of_an_installed_package(tmp_path: Path) -> None:
    """Uses Pygments' ``pygmentize`` console script (installed in the venv): ``-V`` prints its version."""
    task = {"python_wheel_task": {"package_name": "pygments", "entry_point": "pygmentize"}}
    outcome = _run(task, _ctx(tmp_path, args=["-V"]))
    assert outcome.success, outcome.logs
    assert outcome.logs.startswith("Pygments version")


def test_wheel_unknown_entry_point(tmp_path: Path) -> None:
    task = {"python_wheel_task": {"package_name": "pygments", "entry_point": "nope"}}
    outcome = _run(task, _ctx(tmp_path))
    assert outcome.error is not None
    assert outcome.error.startswith(
        "LookupError: python_wheel_task: package 'pygments' has no entry point 'nope' "
        "and no function pygments.nope"
    )


def test_python_file_gets_dbutils_through_the_sdk_runtime(tmp_path: Path) -> None:
    """``from databricks.sdk.runtime import dbutils`` finds the shim through the ``dbruntime`` stand-in."""
    script = b"from databricks.sdk.runtime import dbutils\ndbutils.jobs.taskValues.set('k', 'v')\n"
    outcome = _run(_python_file("/values.py"), _ctx(tmp_path, {"/values.py": script}))
    assert outcome.success, outcome.logs
    assert outcome.task_values == {"k": "v"}


def test_child_imports_only_the_standard_library(tmp_path: Path) -> None:
    heavy = "('prefect', 'prefect_databricks', 'httpx', 'pydantic')"
    script = f"import sys\nprint(sorted(m for m in sys.modules if m.split('.')[0] in {heavy}))\n".encode()
    outcome = _run(_python_file("/mods.py"), _ctx(tmp_path, {"/mods.py": script}))
    assert outcome.logs == "[]\n"


def test_parse_source_notebook_cells_and_lines() -> None:
    source = (
        b"# Databricks notebook source\nimport os\n\n# COMMAND ----------\n\n# DBTITLE 1,Load\n"
        b"# MAGIC %python\n# MAGIC x = 1\n\n# COMMAND ----------\n\n# MAGIC %pip install foo\n"
    )
    cells = [(cell.language, cell.source, cell.line) for cell in parse_notebook(source)]
    assert cells == [("python", "import os", 2), ("python", "x = 1", 8), ("pip", "%pip install foo", 12)]


def test_export_notebook_html_escapes_code_and_renders_markdown() -> None:
    source = b"# Databricks notebook source\n# MAGIC %md\n# MAGIC ## Intro\n\n# COMMAND ----------\n\n"
    source += b"print(1 < 2)\n"
    page = export_notebook_html(source, "etl <daily>")
    assert page.startswith("<!DOCTYPE html>")
    assert "<title>etl &lt;daily&gt;</title>" in page
    assert "<h3>Intro</h3>" in page
    assert '<div class="cell code" data-language="python"><pre><code>print(1 &lt; 2)' in page
    ipynb = {
        "cells": [{"cell_type": "markdown", "source": "# Notes"}, {"cell_type": "code", "source": "x = 1"}]
    }
    page = export_notebook_html(json.dumps(ipynb).encode(), "nb")
    assert "<h2>Notes</h2>" in page and "<pre><code>x = 1</code></pre>" in page


def test_start_is_fast(tmp_path: Path) -> None:
    """Spawning returns at once; the trivial task's whole run stays well under the scheduler's budget."""
    started = time.monotonic()
    process = start_task({"task_key": "main", **_notebook("/n")}, _ctx(tmp_path, {"/n": b"x = 1\n"}))
    spawned = time.monotonic() - started
    assert spawned < 0.1
    assert _wait(process).success
    assert time.monotonic() - started < 1.0


def test_spark_without_the_extra_fails_with_the_install_hint(tmp_path: Path) -> None:
    """A finder that hides pyspark (as a base install has none) stands in for a missing extra."""
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "sitecustomize.py").write_text(
        "import sys\nclass Hide:\n    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'pyspark':\n            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, Hide())\n"
    )
    objects = {"/nb": b"spark.range(1).count()\n", "/file.py": b"import pyspark\n"}
    ctx = _ctx(tmp_path / "a", objects, env={"PYTHONPATH": str(hide)})
    notebook = _run(_notebook("/nb"), ctx)
    file = _run({"task_key": "f", "spark_python_task": {"python_file": "/file.py"}},
                _ctx(tmp_path / "b", objects, env={"PYTHONPATH": str(hide)}))
    objects["/app.jar"] = b"PK"
    submit = _run({"spark_submit_task": {"parameters": ["/file.py"]}},
                  _ctx(tmp_path / "c", objects, args=["/file.py"], env={"PYTHONPATH": str(hide)}))
    jar = _run({"spark_jar_task": {"main_class_name": "x.Main"}, "libraries": [{"jar": "/app.jar"}]},
               _ctx(tmp_path / "d", objects, env={"PYTHONPATH": str(hide)}))
    hint = "pip install 'prefect-databricks[spark]'"
    assert hint in (notebook.error or "") and hint in (file.error or "")
    assert hint in (submit.error or "") and hint in (jar.error or ""), (submit.error, jar.error)
