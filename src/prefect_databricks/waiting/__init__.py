"""The parts of the waiting flows, one job per module; the error classes load on first use.

outcome   terminal detection and the DatabricksRunError tree (pure)
states    a run's state as people read it: table names, log and error texts, messages (pure, no models)
follow    following one run to its end, its deadline, cancelling it if abandoned
watcher   the shared poller: one per workspace, active runs listed in batches for every waiter
mailbox   the watcher's plumbing: waiter mailboxes, background loop, change fingerprints
outputs   one runs/get-output per task run (for-each iterations too), return values, table rows
cancel    tracked runs, the flow hooks and the SIGINT/SIGTERM handlers that cancel them
repair    starting a repair of an ended run and waiting until the run shows it (the CLI's too)
report    log lines on state changes and the link and table artifacts
start     what a start needs: request bodies, idempotency tokens, the submission handler
steps     the Prefect tasks of a waiting flow: start, wait, finish, repair
compose   how the flows chain the steps
dual      the flow class: awaitable in async code, synchronous in a sync flow or task
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prefect_databricks.waiting.outcome import (
        DatabricksRunCanceled,
        DatabricksRunError,
        DatabricksRunFailed,
        DatabricksRunSkipped,
        DatabricksRunTimedOut,
        Outcome,
        TaskFailure,
    )

__all__ = [
    "DatabricksRunCanceled",
    "DatabricksRunError",
    "DatabricksRunFailed",
    "DatabricksRunSkipped",
    "DatabricksRunTimedOut",
    "Outcome",
    "TaskFailure",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(import_module("prefect_databricks.waiting.outcome"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
