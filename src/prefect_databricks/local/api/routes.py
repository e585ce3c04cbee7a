"""The local workspace's full route table and background loops, composed from each service module."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.routing import BaseRoute

from ..engine import scheduler
from ..files import service as files
from ..jobs import permissions
from ..jobs import service as jobs
from ..state import Workspace
from ..ui import pages as ui
from . import control, counter, oidc, runs

__all__ = ["BACKGROUND", "ROUTES"]

ROUTES: list[BaseRoute] = [
    *oidc.ROUTES,
    *control.ROUTES,
    *counter.ROUTES,
    *jobs.ROUTES,
    *permissions.ROUTES,
    *files.ROUTES,
    *runs.ROUTES,
    *ui.ROUTES,
]
BACKGROUND: list[Callable[[Workspace], Awaitable[None]]] = [scheduler.run_scheduler]
