"""The parts of the waiting flows, one job per module.

outcome   terminal detection and the DatabricksRunError tree (pure)
follow    following one run to its end, its deadline, cancelling it if abandoned
watcher   the shared poller: one per workspace, active runs listed in batches for every waiter
mailbox   the watcher's plumbing: waiter mailboxes, background loop, change fingerprints
outputs   one runs/get-output per task run (for-each iterations too), return values, table rows
cancel    tracked runs, the flow hooks and the SIGINT/SIGTERM handlers that cancel them
report    log lines on state changes and the link and table artifacts
steps     the Prefect tasks of a waiting flow, idempotency tokens, job names, repair start
compose   how the flows chain the steps
dual      the flow class: awaitable in async code, synchronous in a sync flow or task
"""

from __future__ import annotations

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
