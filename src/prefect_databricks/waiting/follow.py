"""Following one run to its end: the wait, its deadline, and cancelling the run if the wait is abandoned."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any
from uuid import UUID

from prefect_databricks.client.errors import ClientValidationError
from prefect_databricks.waiting.cancel import cancel_remote, install_signal_handlers, track, untrack
from prefect_databricks.waiting.ledger import record_run
from prefect_databricks.waiting.outcome import DatabricksRunTimedOut
from prefect_databricks.waiting.owner import Owner, current_owner
from prefect_databricks.waiting.report import StateLog, publish_link, run_logger
from prefect_databricks.waiting.states import state_text
from prefect_databricks.waiting.watcher import watcher_for

if TYPE_CHECKING:
    from prefect_databricks.credentials import DatabricksCredentials

__all__ = ["check_wait_limits", "current_flow_run_id", "follow_run"]


def check_wait_limits(max_wait_seconds: float | None, poll_frequency_seconds: float) -> None:
    """Refuse limits no wait can honour, naming the field and the rule, before anything starts."""
    if max_wait_seconds is not None and max_wait_seconds <= 0:
        raise ClientValidationError("max_wait_seconds", "must be greater than 0, or None for no limit")
    if poll_frequency_seconds <= 0:
        raise ClientValidationError("poll_frequency_seconds", "must be greater than 0")


def current_flow_run_id() -> UUID | None:
    """The id of the Prefect flow run this code runs in (also from inside its tasks), else None."""
    from prefect.context import FlowRunContext, TaskRunContext

    flow_ctx = FlowRunContext.get()
    if flow_ctx is not None and flow_ctx.flow_run is not None:
        return flow_ctx.flow_run.id
    task_ctx = TaskRunContext.get()
    return task_ctx.task_run.flow_run_id if task_ctx is not None else None


async def follow_run(
    credentials: DatabricksCredentials,
    run_id: int,
    *,
    max_wait_seconds: float | None = None,
    poll_frequency_seconds: float = 10,
    cancel_on_timeout: bool = True,
    logger: logging.Logger | logging.LoggerAdapter[logging.Logger] | None = None,
) -> dict[str, Any]:
    """Wait for run `run_id` to end and return its terminal state (all pages merged).

    No limit unless `max_wait_seconds` is given; reaching it cancels the run (unless
    `cancel_on_timeout=False`) and raises `DatabricksRunTimedOut`. If the wait itself is
    cancelled or interrupted, the run is cancelled before the cancellation propagates.
    """
    check_wait_limits(max_wait_seconds, poll_frequency_seconds)
    log = StateLog(logger or run_logger(), run_id)
    last: dict[str, Any] = {}
    owner = current_owner()
    own = {current_flow_run_id(), owner.flow_run_id if owner else None}
    track(run_id, credentials, frozenset(i for i in own if i), owner.call_key if owner else None)
    install_signal_handlers()
    try:
        if owner is not None:
            await record_run(owner.flow_run_id, run_id, credentials, log.logger)
        run = await asyncio.wait_for(
            _follow(credentials, run_id, poll_frequency_seconds, log, last, owner), max_wait_seconds
        )
    except asyncio.TimeoutError:
        raise await _timed_out(credentials, run_id, max_wait_seconds, cancel_on_timeout, last, log) from None
    except Exception:
        raise
    except BaseException:  # cancelled, interrupted, terminated: the remote run must not go on alone
        await asyncio.shield(cancel_remote(credentials, run_id, log.logger))
        raise
    finally:
        untrack(run_id)
    log.finished(run)
    return run


async def _follow(
    credentials: DatabricksCredentials,
    run_id: int,
    poll_frequency_seconds: float,
    log: StateLog,
    last: dict[str, Any],
    owner: Owner | None,
) -> dict[str, Any]:
    async for run in watcher_for(credentials).updates(run_id, poll_frequency_seconds=poll_frequency_seconds):
        if not last and owner is not None:
            await publish_link(owner.flow_run_id, run)
        last.clear()
        last.update(run)
        log.update(run)
    return dict(last)


async def _timed_out(
    credentials: DatabricksCredentials,
    run_id: int,
    seconds: float | None,
    cancel: bool,
    last: dict[str, Any],
    log: StateLog,
) -> DatabricksRunTimedOut:
    if cancel:
        await cancel_remote(credentials, run_id, log.logger)
    fate = "it was cancelled" if cancel else "it keeps running (cancel_on_timeout=False)"
    url = last.get("run_page_url")
    message = (
        f"Stopped waiting for Databricks run {run_id} after max_wait_seconds={seconds}; "
        f"last state {state_text(last) if last else 'unknown'}; {fate}.\nRun page: {url or 'unknown'}"
    )
    return DatabricksRunTimedOut(message, run_id=run_id, run_page_url=url, state=state_text(last))
