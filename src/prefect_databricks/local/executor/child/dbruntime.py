"""Stands in for the runtime's ``dbruntime``, so ``from databricks.sdk.runtime import dbutils`` works.

The SDK asks ``UserNamespaceInitializer`` for the notebook globals; here they come from the local
``dbutils`` shim, plus a lazily built local ``spark`` session when pyspark is installed.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import dbutils as shim

__all__ = ["UserNamespaceInitializer"]


class _LazySpark:
    """Builds the local SparkSession on first use, so tasks that never touch ``spark`` start fast."""

    def __getattr__(self, name: str) -> Any:
        from pyspark.sql import SparkSession

        return getattr(SparkSession.builder.getOrCreate(), name)


class UserNamespaceInitializer:
    """The one namespace of this task process (the runtime's class of the same name)."""

    _instance: UserNamespaceInitializer | None = None

    @classmethod
    def getOrCreate(cls) -> UserNamespaceInitializer:
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    def get_namespace_globals(self) -> dict[str, Any]:
        namespace: dict[str, Any] = {
            "dbutils": shim.dbutils,
            "display": shim.display,
            "displayHTML": shim.displayHTML,
            "getArgument": shim.dbutils.widgets.getArgument,
        }
        if importlib.util.find_spec("pyspark") is not None:
            namespace["spark"] = _LazySpark()
        return namespace
