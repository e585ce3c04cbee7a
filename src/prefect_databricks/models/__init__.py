"""Pydantic models of the Jobs API 2.2 types, loaded on first use to keep `import` cheap.

`from prefect_databricks.models import Task, JobSettings` works as usual; the generated module
(`_generated.py`, from `scripts/generate_models.py`) is imported only when a model is first asked for.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._index import MODEL_NAMES
from ._wire import to_wire

if TYPE_CHECKING:
    from ._base import ApiModel, Open, Text
    from ._generated import *  # noqa: F403

__all__ = ["ApiModel", "Open", "Text", "to_wire", *MODEL_NAMES]

_BASE_NAMES = frozenset({"ApiModel", "Open", "Text"})
_MODEL_NAMES = frozenset(MODEL_NAMES)


def __getattr__(name: str) -> Any:
    if name in _BASE_NAMES:
        return getattr(import_module("._base", __name__), name)
    if name in _MODEL_NAMES:
        return getattr(import_module("._generated", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
