"""Stands in for the runtime's ``dbruntime``: the notebook globals, and ``spark`` from the workspace.

The SDK asks ``UserNamespaceInitializer`` for the notebook globals (so ``from databricks.sdk.runtime
import dbutils`` works). ``spark`` is a Spark Connect session to the workspace's one server, opened on
first use with the task cluster's ``spark_conf``; without the spark extra it fails saying what to install.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec

import dbutils as shim
from dbutils import _api

__all__ = [
    "CATALOG_NOTE", "DELTA_NOTE", "INSTALL_HINT", "UserNamespaceInitializer", "connect_on_import",
    "explain_spark_error", "run_sql", "spark_env", "spark_jvm", "spark_remote", "spark_session",
    "warn_delta_stand_in",
]

_TOKEN_VARIABLE = "SPARK_CONNECT_AUTHENTICATE_TOKEN"
INSTALL_HINT = "`spark` needs the spark extra of the local workspace: pip install 'prefect-databricks[spark]'"
_DELTA_MISSING = (
    "MERGE INTO, UPDATE, DELETE, time travel (VERSION/TIMESTAMP AS OF), DESCRIBE HISTORY/DETAIL, OPTIMIZE, "
    "VACUUM, RESTORE and delta.tables do not work"
)
DELTA_NOTE = (
    "Delta tables in the local workspace are parquet underneath (a stand-in named delta: Delta Lake's jars "
    f"come from Maven, which it does not download from): {_DELTA_MISSING}"
)
CATALOG_NOTE = (
    "The local workspace has one metastore (Hive, in its data dir), named main, hive_metastore and "
    "spark_catalog: name tables <catalog>.<schema>.<table> with one of these, <schema>.<table> or <table>"
)
# Spark's errors for Delta's own operations on a parquet table: no such V2 operation, time travel,
# or Delta-only statements (unknown to Spark's parser, or parsed as DESCRIBE of a column).
_DELTA_ERRORS = re.compile(
    r"UNSUPPORTED_FEATURE\.(TABLE_OPERATION|TIME_TRAVEL)|"
    r"(?i:^\s*(OPTIMIZE|VACUUM|RESTORE|DESCRIBE\s+(HISTORY|DETAIL))\b)|`(HISTORY|DETAIL)` cannot be found",
    re.MULTILINE,
)
# Spark's errors for a catalog that is not there (the extension's own, saveAsTable's, the session catalog's).
_CATALOG_ERRORS = (
    "CATALOG_NOT_FOUND", "REQUIRES_SINGLE_PART_NAMESPACE", "Couldn't find a catalog to handle the identifier",
)
_STAND_IN_KEY = "spark.prefect_databricks.delta_stand_in"
_NOTICE_KEY = "spark.prefect_databricks.delta_notice"  # a JVM task prints this (%s: the tables) itself
_state: dict[str, Any] = {"session": None, "conf": {}}


def configure_spark(conf: dict[str, str]) -> None:
    """The task cluster's ``spark_conf``, set on the session when it opens."""
    _state["conf"] = dict(conf)


def spark_session() -> Any:
    """This task's Spark Connect session (opened on first call)."""
    if _state["session"] is None:
        _require_extra()
        from pyspark.sql import SparkSession

        session = SparkSession.builder.remote(_remote()).getOrCreate()
        for key, value in _state["conf"].items():
            try:
                session.conf.set(key, value)
            except Exception as exc:
                reason = str(exc).splitlines()[0]
                print(f"WARNING: spark_conf {key} was not applied: {reason}", file=sys.stderr)
        _state["session"] = session
    return _state["session"]


def run_sql(text: str, parameters: dict[str, str] | None = None) -> Any:
    """Run each statement of `text` (`{{name}}` from `parameters`), print results, return the last."""
    for name, value in (parameters or {}).items():
        text = text.replace("{{" + name + "}}", value).replace("{{ " + name + " }}", value)
    result = None
    for statement in split_statements(text):
        result = spark_session().sql(statement)
        if result.columns:
            result.show(n=1000, truncate=False)
    return result


def split_statements(text: str) -> list[str]:
    """The statements of a SQL script: split on `;` outside quotes and `--` comments."""
    statements: list[str] = []
    current: list[str] = []
    quote, comment = "", False
    for index, char in enumerate(text):
        if comment:
            comment = char != "\n"
        elif quote:
            quote = "" if char == quote else quote
        elif char in "'\"`":
            quote = char
        elif char == "-" and text[index : index + 2] == "--":
            comment = True
        elif char == ";":
            statements.append("".join(current))
            current = []
            continue
        current.append(char)
    statements.append("".join(current))
    return [s.strip() for s in statements if _code(s)]


def _code(statement: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in statement.splitlines())


def _require_extra() -> None:
    if not all(map(_installed, ("pyspark", "grpc", "pandas", "pyarrow"))):
        raise ModuleNotFoundError(INSTALL_HINT, name="pyspark")


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def explain_spark_error(exc: BaseException) -> None:
    """Add why to Spark's errors for Delta's own operations and unknown catalogs, which do not say it."""
    text = str(exc)
    note = None
    if _is_delta_error(exc, text):
        note = DELTA_NOTE
    elif any(sign in text for sign in _CATALOG_ERRORS):
        note = CATALOG_NOTE
    if note:
        vars(exc)["__notes__"] = [*getattr(exc, "__notes__", ()), note]  # add_note() is 3.11+


def _is_delta_error(exc: BaseException, text: str) -> bool:
    if isinstance(exc, ModuleNotFoundError):
        return (exc.name or "").split(".")[0] == "delta"  # delta.tables: delta-spark is not installed
    return bool(_DELTA_ERRORS.search(text)) or ("DATA_SOURCE_NOT_FOUND" in text and "delta" in text.lower())


def warn_delta_stand_in() -> str | None:
    """Print (and answer, for the task run's state_message) a warning naming the delta tables this task
    created or wrote, which are parquet underneath; None when it wrote none.

    The server's extension names them in the session's conf; only a session this task opened is asked.
    """
    session = _state["session"] or _active_connect_session()
    if session is None:
        return None
    try:
        tables = session.conf.get(_STAND_IN_KEY, "")
    except Exception:  # the server is gone or the session broke: the task's own error says so
        return None
    if not tables:
        return None
    warning = _stand_in_warning(tables.replace(",", ", "))
    print(warning, file=sys.stderr)
    return warning


def _stand_in_warning(tables: str) -> str:
    return (f"WARNING: the local workspace stood in parquet for Delta: table(s) {tables} have provider delta "
            f"but are parquet files; {_DELTA_MISSING}")


def _active_connect_session() -> Any:
    """The Spark Connect session a Python file opened itself (None when it opened none)."""
    module = sys.modules.get("pyspark.sql.connect.session")
    return None if module is None else module.SparkSession.getActiveSession()


def spark_remote() -> str:
    """The workspace's Spark Connect URL (the server starts on first ask); without the extra, the hint."""
    _require_extra()
    return _remote()


def spark_jvm() -> tuple[dict[str, str], str]:
    """What a JVM task (spark-submit of a JAR) is given: the Spark conf pointing it at the workspace's
    metastore and warehouse with the workspace's session extensions (three-part names, the delta
    stand-in, whose writes it names on stderr), and the jar that holds them (starts the server)."""
    _require_extra()
    answer = _api.call("POST", "/local-api/spark", {})
    conf = {**answer["catalog_conf"], _NOTICE_KEY: _stand_in_warning("%s")}
    return conf, answer["jar"]


def spark_env() -> dict[str, str]:
    """What a child process (spark-submit, dbt) needs to reach the workspace's server: URL and token."""
    remote = spark_remote()
    return {"SPARK_REMOTE": remote, _TOKEN_VARIABLE: os.environ[_TOKEN_VARIABLE]}


def _remote() -> str:
    """The server's URL; its token goes where pyspark's client reads it (this process's environment)."""
    answer = _api.call("POST", "/local-api/spark", {})
    os.environ[_TOKEN_VARIABLE] = answer["token"]
    remote: str = answer["remote"]
    return remote


class _ConnectOnImport:
    """On the first `import pyspark`, points `SparkSession.builder` at the workspace (`SPARK_REMOTE`).

    A meta path finder by its `find_spec` alone: importlib.abc costs ~16 ms to import.
    """

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: Any = None) -> ModuleSpec | None:
        if fullname == "pyspark":
            sys.meta_path.remove(self)
            _require_extra()
            os.environ.setdefault("SPARK_REMOTE", _remote())
        return None


def connect_on_import() -> None:
    """Make a Python file's own `SparkSession.builder.getOrCreate()` use the workspace's server."""
    sys.meta_path.insert(0, _ConnectOnImport())


class _LazySpark:
    """The notebook's ``spark``: opened on first use, so tasks that never touch it start fast."""

    def __getattr__(self, name: str) -> Any:
        return getattr(spark_session(), name)

    def __repr__(self) -> str:
        return "<local workspace spark (Spark Connect, opened on first use)>"


class UserNamespaceInitializer:
    """The one namespace of this task process (the runtime's class of the same name)."""

    _instance: UserNamespaceInitializer | None = None

    @classmethod
    def getOrCreate(cls) -> UserNamespaceInitializer:
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    def get_namespace_globals(self) -> dict[str, Any]:
        return {
            "dbutils": shim.dbutils,
            "display": shim.display,
            "displayHTML": shim.displayHTML,
            "getArgument": shim.dbutils.widgets.getArgument,
            "spark": _LazySpark(),
        }
