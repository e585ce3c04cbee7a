"""The local workspace's full route table and background loops, composed from each service module."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.routing import BaseRoute

from .state import Workspace

__all__ = ["BACKGROUND", "ROUTES"]

ROUTES: list[BaseRoute] = []
BACKGROUND: list[Callable[[Workspace], Awaitable[None]]] = []
