"""Cancelling the remote run when the wait on it is abandoned.

Every run being waited on is tracked here with its credentials, the Prefect flow runs it
belongs to (the waiting flow's and its owner's) and the call that waits. Whoever stops the wait
early cancels the remote run: the waiter itself (asyncio cancellation, a Prefect flow timeout),
a sync caller interrupted while it blocks (`dual`), the flow hooks (`ledger`), and the
SIGINT/SIGTERM handlers installed by `install_signal_handlers` (a process stopped outside any flow).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from typing import TypeAlias

    from prefect_databricks.credentials import DatabricksCredentials

    Logger: TypeAlias = logging.Logger | logging.LoggerAdapter[logging.Logger]

__all__ = [
    "Tracked",
    "cancel_remote",
    "cancel_tracked_sync",
    "install_signal_handlers",
    "track",
    "tracked",
    "untrack",
]

_log = logging.getLogger("prefect_databricks.cancel")
_SYNC_CANCEL_TIMEOUT = 10.0


@dataclass(frozen=True)
class Tracked:
    """A remote run being waited on, the flow runs it belongs to, and the call that waits (if any)."""

    run_id: int
    credentials: DatabricksCredentials
    owners: frozenset[UUID] = frozenset()
    call_key: str | None = None


_TRACKED: dict[int, Tracked] = {}
_LOCK = threading.Lock()


def track(
    run_id: int,
    credentials: DatabricksCredentials,
    owners: frozenset[UUID] = frozenset(),
    call_key: str | None = None,
) -> None:
    """Remember that `run_id` is being waited on, so it is cancelled if the wait is abandoned."""
    with _LOCK:
        _TRACKED[int(run_id)] = Tracked(int(run_id), credentials, owners, call_key)


def untrack(run_id: int) -> None:
    """The wait on `run_id` ended (or the run was cancelled): forget it."""
    with _LOCK:
        _TRACKED.pop(int(run_id), None)


def tracked(flow_run_id: UUID | None = None, call_key: str | None = None) -> list[Tracked]:
    """The runs being waited on: all of them, those of one flow run, or those of one call."""
    with _LOCK:
        items = list(_TRACKED.values())
    return [
        t
        for t in items
        if (flow_run_id is None or flow_run_id in t.owners) and (call_key is None or t.call_key == call_key)
    ]


async def cancel_remote(credentials: DatabricksCredentials, run_id: int, log: Logger | None = None) -> None:
    """Ask Databricks to cancel `run_id` (a no-op for a finished run); logs the outcome instead of raising."""
    log = log or _log
    try:
        await credentials.get_jobs_client().call("jobs/runs/cancel", params={"run_id": int(run_id)})
        log.warning("Cancelled Databricks run %s.", run_id)
    except Exception as exc:  # cleanup must never hide the reason the wait stopped
        log.error("Could not cancel Databricks run %s: %s", run_id, exc)
    finally:
        untrack(run_id)


def cancel_tracked_sync(items: list[Tracked], log: Logger | None = None) -> None:
    """Cancel `items` from sync code (a signal handler, a sync caller), on a fresh loop in a fresh thread."""

    async def cancel_all() -> None:
        await asyncio.gather(*(cancel_remote(t.credentials, t.run_id, log) for t in items))

    thread = threading.Thread(target=asyncio.run, args=(cancel_all(),), name="dbx-cancel", daemon=True)
    thread.start()
    thread.join(_SYNC_CANCEL_TIMEOUT)


_INSTALLED: dict[int, Any] = {}


def install_signal_handlers() -> None:
    """Cancel every tracked run on SIGINT (and SIGTERM outside a Prefect run), then run the previous handler.

    Inside a flow or task run SIGTERM belongs to Prefect: a runner's cancel is graceful (Cancelled, not
    Crashed) only while Prefect's own handler is installed, and the flow's paths cancel the runs then.
    Signals can be handled in the main thread only.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGINT, signal.SIGTERM):
        if signum == signal.SIGTERM and _in_prefect_run():
            continue
        current = signal.getsignal(signum)
        if _INSTALLED.get(signum) is current and current is not None:
            continue
        handler = _chained(current)
        signal.signal(signum, handler)
        _INSTALLED[signum] = handler


def _in_prefect_run() -> bool:
    from prefect.context import FlowRunContext, TaskRunContext

    return FlowRunContext.get() is not None or TaskRunContext.get() is not None


def _chained(previous: Any) -> Callable[[int, FrameType | None], None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        items = tracked()
        if items:
            _log.warning("Signal %s: cancelling %d Databricks run(s).", signum, len(items))
            cancel_tracked_sync(items)
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:
            signal.signal(signum, signal.SIG_DFL)
            signal.raise_signal(signum)

    return handler
