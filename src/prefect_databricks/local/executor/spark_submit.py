"""`spark_submit_task` and `spark_jar_task` as runner specs: spark-submit options with workspace paths mapped.

The child runs pyspark's own `bin/spark-submit` with these options. A Python application is submitted
with `--remote` to the workspace's Spark Connect server, so it sees the workspace's tables. A JAR runs
in its own `local[2]` JVM whose session catalog is the workspace's Hive metastore, which the Connect
server's JVM serves over Thrift on 127.0.0.1 (the child adds `hive.metastore.uris` and the warehouse):
as on Databricks, `SparkSession.builder().getOrCreate()` sees the notebooks' tables by name, and files
by their local DBFS path. The driver is pinned to 127.0.0.1 and its UI is off.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .model import TaskContext, UnsupportedTask
from .sources import SourceMissing, source_file

__all__ = ["jar_libraries", "spark_jar", "spark_submit"]

_DBFS_PREFIXES = ("dbfs:/", "/dbfs/", "/Volumes/")
_NO_VALUE = frozenset({"--verbose", "-v", "--supervise", "--help", "-h", "--version", "--usage-error"})
_PATH_LISTS = frozenset({"--jars", "--py-files", "--files", "--archives"})
_SET_HERE = frozenset({"--master", "--remote", "--deploy-mode", "--kill", "--status"})
_PINNED = {
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.host": "127.0.0.1",
    "spark.ui.enabled": "false",
}


def spark_submit(settings: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
    """The spec of a `spark_submit_task`: its `parameters` (resolved into `ctx.args`) are spark-submit's."""
    _strings(settings.get("parameters"), "spark_submit_task.parameters")
    options, primary, app_args = _split(ctx.args, ctx.task_key)
    local = _mapped(primary, ctx, "spark_submit_task.parameters")
    return _spec(_map_options(options, ctx), local, app_args, python=local.endswith(".py"))


def spark_jar(settings: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
    """The spec of a `spark_jar_task`: `main_class_name` with `ctx.args` (jars: `jar_libraries`)."""
    main_class = settings.get("main_class_name")
    if not isinstance(main_class, str) or not main_class:
        raise UnsupportedTask("spark_jar_task.main_class_name is required and must be a non-empty string")
    _strings(settings.get("parameters"), "spark_jar_task.parameters")
    jar_uri = settings.get("jar_uri")
    jars = [_mapped(jar_uri, ctx, "spark_jar_task.jar_uri")] if isinstance(jar_uri, str) and jar_uri else []
    return _spec(["--class", main_class], "", ctx.args, python=False, jars=jars)


def jar_libraries(spec: dict[str, Any], task: dict[str, Any], ctx: TaskContext) -> None:
    """Put the task's `libraries: [{jar: …}]` on the classpath; a JAR task needs at least one jar."""
    jars = [*spec.get("jars", [])]
    for library in task.get("libraries") or []:
        if isinstance(library, dict) and library.get("jar"):
            jars.append(_mapped(str(library["jar"]), ctx, "libraries.jar"))
    spec["jars"] = jars
    if spec.get("primary"):
        return
    if not jars:
        raise UnsupportedTask(
            f"spark_jar_task of task {ctx.task_key!r} has no jar: give one in the task's "
            "libraries ([{\"jar\": \"dbfs:/…\" | \"/Volumes/…\" | \"/Workspace/…\"}])"
        )
    spec["primary"], spec["jars"] = jars[0], jars[1:]


def _spec(
    options: list[str], primary: str, app_args: list[str], *, python: bool,
    jars: list[str] | None = None,
) -> dict[str, Any]:
    """The runner spec: the child adds spark-submit itself, `--remote` (Python) or `--master` (JVM)."""
    conf = [item for key, value in _PINNED.items() for item in ("--conf", f"{key}={value}")]
    return {"kind": "spark_submit", "remote": python, "options": [*options, *conf], "primary": primary,
            "app_args": app_args, "jars": jars or []}


def _split(arguments: list[str], task_key: str) -> tuple[list[str], str, list[str]]:
    """spark-submit's options (paths mapped later), the primary resource, and the application's arguments."""
    index = 0
    while index < len(arguments) and arguments[index].startswith("-"):
        name = arguments[index].split("=", 1)[0]
        if name in _SET_HERE:
            raise UnsupportedTask(
                f"spark_submit_task.parameters of task {task_key!r}: {name} is set by the local "
                "workspace (local mode on this machine) and cannot be given [I]"
            )
        index += 1 if name in _NO_VALUE or "=" in arguments[index] else 2
    if index >= len(arguments):
        raise UnsupportedTask(
            f"spark_submit_task.parameters of task {task_key!r} name no application (a .jar or .py file "
            "after the spark-submit options)"
        )
    return arguments[:index], arguments[index], arguments[index + 1 :]


def _map_options(options: list[str], ctx: TaskContext) -> list[str]:
    """The options with the paths of `--jars`, `--py-files`, `--files` and `--archives` made local."""
    mapped: list[str] = []
    pending = ""
    for option in options:
        if pending:
            field = f"spark_submit_task {pending}"
            option = ",".join(_mapped(path, ctx, field) for path in option.split(","))
            pending = ""
        elif option in _PATH_LISTS:
            pending = option
        mapped.append(option)
    return mapped


def _mapped(location: str, ctx: TaskContext, field: str) -> str:
    """A local path for a `dbfs:/`, `/dbfs/`, `/Volumes/`, workspace, `file:` or absolute local path."""
    if location.startswith(_DBFS_PREFIXES):
        root = Path(ctx.env.get("DATABRICKS_LOCAL_DBFS_ROOT", ctx.workdir / "dbfs"))
        rest = location.removeprefix("dbfs:").removeprefix("/dbfs")
        local = root / rest.lstrip("/")
        if not local.is_file():
            raise SourceMissing(f"{field} {location!r} does not exist in the local DBFS root")
        return str(local)
    return str(source_file(location, ctx, field))


def _strings(value: Any, field: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise UnsupportedTask(f"{field} must be a list of strings, got {value!r}")
    return list(value)
