"""The plumbing of the watcher: waiter mailboxes, the background loop, and change fingerprints.

A waiter lives on its caller's event loop and keeps only the latest state of its run; the
watchers all run on one background loop (thread `dbx-watch`) and hand updates over thread-safely.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from prefect_databricks.client.errors import ApiError, DatabricksError

__all__ = ["Waiter", "WatchStats", "background_loop", "deliver", "fingerprint", "is_transient"]

_TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})


def is_transient(exc: BaseException) -> bool:
    """Worth waiting through: no answer, rate limited or a server error (already retried by the client)."""
    if isinstance(exc, ApiError):
        return exc.status in _TRANSIENT_STATUS
    return isinstance(exc, DatabricksError)


@dataclass
class WatchStats:
    """Counters of a watcher: poll cycles completed and requests sent by them."""

    cycles: int = 0
    requests: int = 0
    list_requests: int = 0
    get_requests: int = 0


@dataclass(eq=False)
class Waiter:
    """One wait on one run, living on the caller's loop; holds only the latest state."""

    loop: asyncio.AbstractEventLoop
    poll_frequency: float
    event: asyncio.Event = field(default_factory=asyncio.Event)
    latest: dict[str, Any] | None = None
    error: BaseException | None = None
    sent: Hashable = None

    def push(self, run: dict[str, Any] | None, error: BaseException | None) -> None:
        """Called on the caller's loop: keep the newest state and wake the waiter."""
        self.latest = run if run is not None else self.latest
        self.error = error
        self.event.set()


_LOOP_LOCK = threading.Lock()
_LOOP: list[asyncio.AbstractEventLoop] = []


def background_loop() -> asyncio.AbstractEventLoop:
    """The one background event loop all watchers run on, started on first use."""
    with _LOOP_LOCK:
        if not _LOOP or _LOOP[0].is_closed():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="dbx-watch", daemon=True).start()
            _LOOP[:] = [loop]
        return _LOOP[0]


def deliver(waiter: Waiter, run: dict[str, Any] | None, error: BaseException | None) -> bool:
    """Hand an update to the waiter's loop; False if that loop is closed (the waiter is gone)."""
    try:
        waiter.loop.call_soon_threadsafe(waiter.push, run, error)
    except RuntimeError:
        return False
    return True


def fingerprint(run: Mapping[str, Any] | None) -> Hashable:
    """What a change is made of: the run's state and status and those of its tasks."""
    if run is None:
        return None
    tasks = tuple(
        (t.get("run_id"), repr(t.get("state")), repr(t.get("status"))) for t in run.get("tasks") or ()
    )
    return repr(run.get("state")), repr(run.get("status")), tasks
