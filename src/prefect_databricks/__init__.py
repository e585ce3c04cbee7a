"""Prefect tasks and flows for the Databricks Jobs API 2.2.

Names are loaded on first use so that `import prefect_databricks` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .credentials import DatabricksCredentials

__all__ = ["DatabricksCredentials", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "DatabricksCredentials":
        from .credentials import DatabricksCredentials

        return DatabricksCredentials
    if name == "__version__":
        globals()["__version__"] = version = _version()
        return version
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def _version() -> str:
    """The installed distribution's version (one source: pyproject.toml)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("prefect-databricks")
    except PackageNotFoundError:
        return "0+unknown"
