"""The scheduler's doorbell: requests that change runs ring it so the loop ticks at once.

Kept apart from the scheduler so services that create or change runs need not import it.
"""

from __future__ import annotations

import asyncio

from ..state import Workspace

__all__ = ["doorbell", "wake"]

_EXTENSION = "scheduler.wakeup"


def doorbell(ws: Workspace) -> asyncio.Event:
    """The event the scheduler loop of `ws` waits on (created on first use, in the loop's thread)."""
    event = ws.extensions.get(_EXTENSION)
    if not isinstance(event, asyncio.Event):
        event = ws.extensions[_EXTENSION] = asyncio.Event()
    return event


def wake(ws: Workspace) -> None:
    """Ask the loop to tick now (after a request created, cancelled or repaired a run)."""
    event = ws.extensions.get(_EXTENSION)
    if isinstance(event, asyncio.Event):
        event.set()
