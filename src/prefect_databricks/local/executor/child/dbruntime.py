"""Stands in for the runtime's ``dbruntime``: the notebook globals, and ``spark`` from the workspace.

The SDK asks ``UserNamespaceInitializer`` for the notebook globals (so ``from databricks.sdk.runtime
import dbutils`` works). ``spark`` is a Spark Connect session to the workspace's one server, opened on
first use with the task cluster's ``spark_conf``; without the spark extra it fails saying what to install.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec

import dbutils as shim
from dbutils import _api

__all__ = [
    "CATALOG_NOTE", "DELTA_NOTE", "INSTALL_HINT", "UserNamespaceInitializer", "connect_on_import",
    "explain_spark_error", "run_sql", "spark_metastore", "spark_remote", "spark_session",
]

INSTALL_HINT = "`spark` needs the spark extra of the local workspace: pip install 'prefect-databricks[spark]'"
DELTA_NOTE = (
    "Delta Lake is not available in the local workspace: delta-spark's jars come from Maven, which it does "
    "not download from; tables default to parquet (drop USING DELTA / format(\"delta\"))"
)
CATALOG_NOTE = (
    "The local workspace has one catalog, spark_catalog (the Hive metastore in its data dir): name tables "
    "<schema>.<table> or spark_catalog.<schema>.<table>; main. and hive_metastore. names are not resolved"
)
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
    """Add why to Spark's errors for Delta tables and Unity Catalog names, which do not say it."""
    text = str(exc)
    note = None
    if "DATA_SOURCE_NOT_FOUND" in text and "delta" in text.lower():
        note = DELTA_NOTE
    elif "CATALOG_NOT_FOUND" in text or "REQUIRES_SINGLE_PART_NAMESPACE" in text:
        note = CATALOG_NOTE
    if note:
        vars(exc)["__notes__"] = [*getattr(exc, "__notes__", ()), note]  # add_note() is 3.11+


def spark_remote() -> str:
    """The workspace's Spark Connect URL (the server starts on first ask); without the extra, the hint."""
    _require_extra()
    return _remote()


def spark_metastore() -> dict[str, str]:
    """The Spark conf pointing a JVM task at the workspace's metastore and warehouse (starts the server)."""
    _require_extra()
    answer = _api.call("POST", "/local-api/spark", {})
    return {"spark.sql.catalogImplementation": "hive",
            "spark.hadoop.hive.metastore.uris": answer["metastore"],
            "spark.sql.warehouse.dir": answer["warehouse"]}


def _remote() -> str:
    remote: str = _api.call("POST", "/local-api/spark", {})["remote"]
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
