"""The local workspace's full route table and background loops, composed from each service module."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.routing import BaseRoute

from .state import Workspace

__all__ = ["BACKGROUND", "ROUTES"]

ROUTES: list[BaseRoute] = []
BACKGROUND: list[Callable[[Workspace], Awaitable[None]]] = []

from . import control, files, jobs, oidc, permissions  # noqa: E402

ROUTES += [*oidc.ROUTES, *control.ROUTES, *jobs.ROUTES, *permissions.ROUTES, *files.ROUTES]

from . import ui  # noqa: E402

ROUTES += ui.ROUTES

from . import runs, scheduler  # noqa: E402

ROUTES += runs.ROUTES
BACKGROUND.append(scheduler.run_scheduler)
