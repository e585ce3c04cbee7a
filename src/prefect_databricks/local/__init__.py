"""The local workspace: the Databricks Jobs API served on one machine (imports nothing from the client)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .server import LocalWorkspace

__all__ = ["LocalWorkspace"]


def __getattr__(name: str) -> Any:
    if name == "LocalWorkspace":
        from .server import LocalWorkspace

        return LocalWorkspace
    raise AttributeError(name)
